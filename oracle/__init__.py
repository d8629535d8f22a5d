"""Tutti oracle workers: follow OracleHub jobs, compute deterministic results, pin them to IPFS,
and submit EIP-712 attestations. Uses only the shared ``tutti`` package, never another service."""
