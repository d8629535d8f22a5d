"""Protecting a work's files: encrypt, pin the ciphertext, split and seal the key, pin a manifest.

The manifest (JSON, pinned) holds, per file, its ciphertext CID and both hashes; the threshold;
the key's commitment; and per operator its share index, its X25519 key, the share sealed to that
key, and the share's commitment. It holds nothing secret: every share in it is sealed.

The work's registry content hash is :func:`gated_content_hash`, ``keccak256("tutti.gated.v1" ||
ciphertextHash || plaintextHash)`` over its files in order, so the chain commits to the exact
ciphertext served and to the plaintext it decrypts to; the work's metadata names the manifest
(``{"gated": {"manifest": CID}}``).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import keccak, to_checksum_address

from tutti.errors import TuttiError
from tutti.gated.envelope import DEFAULT_CHUNK_SIZE, encrypt_stream, new_content_key
from tutti.gated.sealing import seal
from tutti.gated.sharing import key_commitment, split_key

FORMAT = "tutti-gated/1"


@dataclass(frozen=True)
class OperatorKey:
    """An operator's key-release key, as its service vouches for it (see requests.verify_identity)."""

    operator: str
    public_key: bytes
    url: str = ""


@dataclass(frozen=True)
class ProtectedWork:
    manifest_cid: str
    manifest: dict[str, Any]
    content_hash: bytes
    key: bytes  # the artist keeps it (to re-key or re-split); never published


def gated_content_hash(files: Sequence[dict[str, Any]]) -> bytes:
    body = b"".join(_hex(f["ciphertext_hash"]) + _hex(f["plaintext_hash"]) for f in files)
    return keccak(b"tutti.gated.v1" + body)


def share_context(content_hash: bytes, operator: str, index: int) -> bytes:
    """What a sealed share in a manifest is bound to: this work, this operator, this index."""
    return b"tutti.share-seal.v1" + content_hash + bytes.fromhex(to_checksum_address(operator)[2:]) + bytes([index])


def protect_files(store, files: dict[str, Path], operators: Sequence[OperatorKey], threshold: int,
                  *, chunk_size: int = DEFAULT_CHUNK_SIZE, key: bytes | None = None) -> ProtectedWork:
    """Encrypt ``files`` (name -> path) under one new content key, pin only the ciphertext and the
    manifest, and seal one key share to each operator."""
    if not files:
        raise TuttiError("nothing to protect")
    key = key or new_content_key()
    entries = []
    with tempfile.TemporaryDirectory(prefix="tutti-gated-") as tmp:
        for name, path in files.items():
            sealed_path = Path(tmp) / "ciphertext"
            with open(path, "rb") as source, open(sealed_path, "wb") as sink:
                digests = encrypt_stream(key, source, sink, chunk_size)
            cid = store.add_file(sealed_path, cid_version=1)
            entries.append({"name": name, "cid": cid, "plaintext_hash": "0x" + digests.plaintext_hash.hex(),
                            "ciphertext_hash": "0x" + digests.ciphertext_hash.hex(),
                            "size": digests.plaintext_size})
    content_hash = gated_content_hash(entries)
    shares = split_key(key, threshold, len(operators))
    manifest = {
        "format": FORMAT,
        "cipher": f"AES-256-GCM, {chunk_size}-byte chunks (STREAM)",
        "files": entries,
        "content_hash": "0x" + content_hash.hex(),
        "threshold": threshold,
        "key_commitment": "0x" + key_commitment(key).hex(),
        "shares": [
            {"operator": to_checksum_address(op.operator), "index": share.index,
             "operator_key": "0x" + op.public_key.hex(),
             "sealed": "0x" + seal(op.public_key, share.value, share_context(content_hash, op.operator,
                                                                               share.index)).hex(),
             "commitment": "0x" + share.commitment().hex()}
            for op, share in zip(operators, shares)
        ],
    }
    manifest_cid = store.add_bytes(json.dumps(manifest, indent=1).encode(), cid_version=1)
    return ProtectedWork(manifest_cid, manifest, content_hash, key)


def load_manifest(store, manifest_cid: str) -> dict[str, Any]:
    manifest = json.loads(store.cat(manifest_cid))
    if manifest.get("format") != FORMAT:
        raise TuttiError(f"{manifest_cid} is not a {FORMAT} manifest")
    return manifest


def manifest_cid_of(store, metadata_cid: str) -> str:
    """The manifest a work's metadata names (``{"gated": {"manifest": CID}}``)."""
    try:
        return json.loads(store.cat(metadata_cid))["gated"]["manifest"]
    except (KeyError, TypeError, ValueError):
        raise TuttiError(f"the metadata {metadata_cid} names no gated-content manifest") from None


def _hex(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))
