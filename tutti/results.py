"""Oracle results as files: the canonical bundle an operator pins and the hash it attests.

The result hash commits to every file's bytes independently of how IPFS chunks them:
keccak-256 of a canonical JSON manifest ``[[name, sha256-hex], ...]`` sorted by name. Anyone
holding the files (or fetching them by CID) can recompute it and compare with the attestations.

A kind whose result a contract acts on may attest something the contract can recompute instead
(:func:`attested_hash`): a ``usage`` job attests its settlement's commitment (:mod:`tutti.usage`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Mapping

from eth_utils import keccak

from tutti.usage import USAGE_KIND, Settlement, SettlementError

METADATA_FILE = "metadata.json"


def canonical_json(value: object) -> bytes:
    """JSON with sorted keys and fixed separators: the same bytes on every machine."""
    return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=True).encode() + b"\n"


def result_hash(files: Mapping[str, bytes]) -> bytes:
    manifest = [[name, hashlib.sha256(files[name]).hexdigest()] for name in sorted(files)]
    return keccak(canonical_json(manifest))


def attested_hash(kind: str, files: Mapping[str, bytes]) -> bytes:
    """The hash an operator attests for a result of ``kind``: for a ``usage`` job the commitment of
    its ``settlement.json`` (what ``UsageRoyalties.settle`` checks), for every other kind the
    manifest :func:`result_hash`.

    A usage result that is not a valid settlement (an ``error.json`` verdict, tampered bytes) gets
    the manifest hash too: a keccak of a manifest, which no settlement's commitment can equal, so
    the result can still be attested and checked but can never settle an epoch."""
    if kind == USAGE_KIND:
        try:
            return Settlement.from_files(files).commitment
        except SettlementError:
            pass
    return result_hash(files)


def bundle(outputs: Mapping[str, bytes], metadata: Mapping[str, object]) -> dict[str, bytes]:
    """The directory an operator pins: the job's outputs plus ``metadata.json``."""
    if METADATA_FILE in outputs:
        raise ValueError(f"a job output may not be named {METADATA_FILE}")
    return {**outputs, METADATA_FILE: canonical_json(dict(metadata))}
