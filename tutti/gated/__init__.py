"""Gated content: works whose files only licence and pass holders (and contributors) can read.

A work's files are encrypted with a per-work content key (:mod:`.envelope`, chunked AES-256-GCM);
only ciphertext is pinned. The key is split k-of-n among the oracle operators with Shamir
(:mod:`.sharing`), each share sealed to its operator's X25519 key (:mod:`.sealing`) in a manifest
pinned beside the files (:mod:`.manifest`). An operator's key-release service hands out its share,
sealed to the requester's ephemeral key, after an EIP-712 signed request (:mod:`.requests`) and an
on-chain access check (:mod:`.access`); the client (:mod:`.client`) verifies each share against
the manifest's commitments, rebuilds the key from k of them and decrypts. See docs/gated-content.md.
"""
