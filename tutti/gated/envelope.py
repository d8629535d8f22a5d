"""Chunked AES-256-GCM for files of any size in bounded memory.

Layout: a 20-byte header ``MAGIC || chunk_size (4 bytes, big-endian) || nonce_prefix (8 random
bytes)``, then the chunks, each ``AES-GCM(key, nonce_prefix || counter (4 bytes), chunk,
aad = header || counter || final flag)`` (the chunk's bytes plus a 16-byte tag). The counter fixes
each chunk's place and the final flag marks the last chunk (always present, maybe empty), so
reordered, dropped, duplicated or truncated chunks fail authentication (the STREAM construction of
Hoang, Reyhanitabar, Rogaway and Vizár). The random nonce prefix lets one content key encrypt
several files (and new versions) without ever reusing a nonce in practice (2**64 prefixes).

Both directions also hash what passes through (keccak-256), so the plaintext and ciphertext
hashes the registry and metadata commit to come out of the same single pass.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from Crypto.Hash import keccak
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tutti.errors import TuttiError

MAGIC = b"TUTTIGC1"
HEADER_SIZE = len(MAGIC) + 4 + 8
TAG_SIZE = 16
KEY_SIZE = 32
DEFAULT_CHUNK_SIZE = 1 << 20  # 1 MiB: memory stays a few MiB whatever the file's size
MAX_CHUNK_SIZE = 16 << 20


class DecryptionError(TuttiError):
    """The ciphertext is not what the key encrypted (wrong key, or altered, reordered, truncated)."""


@dataclass(frozen=True)
class Digests:
    """keccak-256 of the plaintext and of the ciphertext, and their sizes."""

    plaintext_hash: bytes
    ciphertext_hash: bytes
    plaintext_size: int
    ciphertext_size: int


def new_content_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _keccak():
    return keccak.new(digest_bits=256)


def _aad(header: bytes, counter: int, final: bool) -> bytes:
    return header + struct.pack(">I?", counter, final)


def _read_full(source: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes, fewer only at the end of the stream (pipes return short reads)."""
    parts, remaining = [], size
    while remaining:
        part = source.read(remaining)
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def _chunks(source: BinaryIO, size: int) -> Iterator[tuple[int, bytes, bool]]:
    """``(counter, chunk, final)`` over ``source`` in chunks of ``size`` bytes, reading one ahead so
    the last chunk (maybe empty, maybe full-sized) is known to be last."""
    counter = 0
    chunk = _read_full(source, size)
    while True:
        following = _read_full(source, size) if len(chunk) == size else b""
        yield counter, chunk, not following
        if not following:
            return
        counter += 1
        chunk = following


def _nonce(header: bytes, counter: int) -> bytes:
    if counter >= 2**32:
        raise TuttiError("file too large for this chunk size (2**32 chunks)")
    return header[-8:] + struct.pack(">I", counter)


def encrypt_stream(key: bytes, source: BinaryIO, sink: BinaryIO, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Digests:
    """Encrypt ``source`` into ``sink``; returns both hashes. Holds two chunks in memory at most."""
    if len(key) != KEY_SIZE:
        raise TuttiError(f"a content key is {KEY_SIZE} bytes, not {len(key)}")
    if not 0 < chunk_size <= MAX_CHUNK_SIZE:
        raise TuttiError(f"the chunk size must be between 1 and {MAX_CHUNK_SIZE} bytes")
    aead = AESGCM(key)
    header = MAGIC + struct.pack(">I", chunk_size) + os.urandom(8)
    sink.write(header)
    tally = _Tally(header)
    for counter, chunk, final in _chunks(source, chunk_size):
        sealed = aead.encrypt(_nonce(header, counter), chunk, _aad(header, counter, final))
        tally.add(chunk, sealed)
        sink.write(sealed)
    return tally.digests()


def decrypt_stream(key: bytes, source: BinaryIO, sink: BinaryIO) -> Digests:
    """Decrypt ``source`` into ``sink``, refusing anything but the whole, untouched ciphertext.

    Plaintext is written chunk by chunk as each authenticates; on :class:`DecryptionError` the
    caller must discard what was written (the client writes to a temporary file first)."""
    header = _read_full(source, HEADER_SIZE)
    if len(header) != HEADER_SIZE or not header.startswith(MAGIC):
        raise DecryptionError("not a Tutti encrypted file (bad header)")
    (chunk_size,) = struct.unpack(">I", header[len(MAGIC):len(MAGIC) + 4])
    if not 0 < chunk_size <= MAX_CHUNK_SIZE:
        raise DecryptionError(f"bad chunk size {chunk_size} in the header")
    aead = AESGCM(key)
    tally = _Tally(header)
    for counter, sealed, final in _chunks(source, chunk_size + TAG_SIZE):
        try:
            chunk = aead.decrypt(_nonce(header, counter), sealed, _aad(header, counter, final))
        except InvalidTag:
            raise DecryptionError(f"chunk {counter} does not authenticate (wrong key, or altered or cut file)") from None
        tally.add(chunk, sealed)
        sink.write(chunk)
    return tally.digests()


class _Tally:
    """Running hashes and sizes of both sides (the header counts as ciphertext)."""

    def __init__(self, header: bytes):
        self.plain, self.cipher = _keccak(), _keccak()
        self.cipher.update(header)
        self.plain_size, self.cipher_size = 0, len(header)

    def add(self, chunk: bytes, sealed: bytes) -> None:
        self.plain.update(chunk)
        self.cipher.update(sealed)
        self.plain_size += len(chunk)
        self.cipher_size += len(sealed)

    def digests(self) -> Digests:
        return Digests(self.plain.digest(), self.cipher.digest(), self.plain_size, self.cipher_size)


def encrypt_bytes(key: bytes, data: bytes, chunk_size: int = DEFAULT_CHUNK_SIZE) -> tuple[bytes, Digests]:
    import io

    out = io.BytesIO()
    digests = encrypt_stream(key, io.BytesIO(data), out, chunk_size)
    return out.getvalue(), digests


def decrypt_bytes(key: bytes, data: bytes) -> bytes:
    import io

    out = io.BytesIO()
    decrypt_stream(key, io.BytesIO(data), out)
    return out.getvalue()
