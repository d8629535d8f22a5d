"""Sealing short secrets to an X25519 public key (ECIES: ephemeral X25519, HKDF-SHA256, AES-GCM).

``seal(recipient, secret, context)`` -> ``ephemeral public key (32) || nonce (12) || ciphertext+tag``.
The AEAD key is derived from the Diffie-Hellman secret and both public keys, and ``context`` is
authenticated, so a sealed share lifted into another work's manifest or another request's
answer does not open.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tutti.errors import TuttiError

_INFO = b"tutti.seal.v1"
_RAW = {"encoding": serialization.Encoding.Raw, "format": serialization.PublicFormat.Raw}


class SealError(TuttiError):
    """A sealed secret did not open with this key and context."""


def new_private_key() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


def private_from_bytes(raw: bytes) -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(raw)


def private_bytes(key: X25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())


def public_bytes(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(**_RAW)


def _aead_key(shared: bytes, ephemeral: bytes, recipient: bytes, context: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=_INFO + ephemeral + recipient + context).derive(shared)


def seal(recipient_public: bytes, secret: bytes, context: bytes) -> bytes:
    if len(recipient_public) != 32:
        raise SealError("an X25519 public key is 32 bytes")
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = public_bytes(ephemeral)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_public))
    nonce = os.urandom(12)
    sealed = AESGCM(_aead_key(shared, ephemeral_public, recipient_public, context)).encrypt(nonce, secret, context)
    return ephemeral_public + nonce + sealed


def open_sealed(private: X25519PrivateKey, blob: bytes, context: bytes) -> bytes:
    if len(blob) < 32 + 12 + 16:
        raise SealError("sealed secret too short")
    ephemeral_public, nonce, sealed = blob[:32], blob[32:44], blob[44:]
    shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
    try:
        return AESGCM(_aead_key(shared, ephemeral_public, public_bytes(private), context)).decrypt(
            nonce, sealed, context)
    except InvalidTag:
        raise SealError("the sealed secret does not open with this key and context") from None
