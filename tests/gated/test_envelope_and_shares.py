"""The cryptographic parts alone: chunked AES-GCM (round trips at chunk boundaries; altered,
reordered, truncated or extended ciphertext refused), Shamir over a 32-byte key (any k of n
rebuild it, fewer do not), share commitments, and sealing to an X25519 key."""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutti.errors import TuttiError
from tutti.gated.envelope import (
    DecryptionError,
    decrypt_bytes,
    encrypt_bytes,
    new_content_key,
)
from tutti.gated.sealing import (
    SealError,
    new_private_key,
    open_sealed,
    public_bytes,
    seal,
)
from tutti.gated.sharing import KeyShare, combine_key, key_commitment, split_key

CHUNK = 64


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=5 * CHUNK + 3), chunk=st.sampled_from([1, 16, CHUNK]))
def test_encrypt_decrypt_roundTripsAnyLength(data, chunk):
    key = new_content_key()
    sealed, digests = encrypt_bytes(key, data, chunk)
    assert decrypt_bytes(key, sealed) == data
    assert digests.plaintext_size == len(data) and digests.ciphertext_size == len(sealed)


@pytest.mark.parametrize("length", [0, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK])
def test_decrypt_failsIfCiphertextAltered(length):
    key = new_content_key()
    data = os.urandom(length)
    sealed, _ = encrypt_bytes(key, data, CHUNK)
    header, body = sealed[:20], sealed[20:]
    step = CHUNK + 16
    chunks = [body[i:i + step] for i in range(0, len(body), step)]
    variants = {
        "a flipped bit": sealed[:-1] + bytes([sealed[-1] ^ 1]),
        "the last chunk cut off": header + b"".join(chunks[:-1]),
        "a chunk appended twice": sealed + chunks[-1],
        "a wrong key": None,
    }
    if len(chunks) > 2:
        variants["two chunks swapped"] = header + chunks[1] + chunks[0] + b"".join(chunks[2:])
    for altered in variants.values():
        with pytest.raises(DecryptionError):
            decrypt_bytes(new_content_key() if altered is None else key, sealed if altered is None else altered)


def test_encrypt_usesBoundedMemory_streamingChunkByChunk():
    """A reader that refuses big reads proves nothing is read whole."""

    class SmallReads(io.BytesIO):
        def read(self, size=-1):
            assert 0 < size <= CHUNK + 16, f"read of {size} bytes"
            return super().read(size)

    from tutti.gated.envelope import decrypt_stream, encrypt_stream

    key, data = new_content_key(), os.urandom(10 * CHUNK + 5)
    sealed = io.BytesIO()
    encrypt_stream(key, SmallReads(data), sealed, CHUNK)
    out = io.BytesIO()
    decrypt_stream(key, SmallReads(sealed.getvalue()), out)
    assert out.getvalue() == data


@settings(max_examples=20, deadline=None)
@given(n=st.integers(2, 7), data=st.data())
def test_combine_rebuildsKeyFromAnyThresholdOfShares(n, data):
    k = data.draw(st.integers(2, n))
    key = new_content_key()
    shares = split_key(key, k, n)
    chosen = data.draw(st.permutations(shares))[:k]
    assert combine_key(chosen, k) == key
    fewer = chosen[: k - 1]
    with pytest.raises(TuttiError, match="needed"):
        combine_key(fewer, k)
    # Pretending fewer shares suffice yields some other key, which the key commitment exposes.
    if k > 2:
        assert key_commitment(combine_key(fewer, k - 1)) != key_commitment(key)


def test_shareCommitment_exposesAlteredShare():
    shares = split_key(new_content_key(), 2, 3)
    altered = KeyShare(shares[0].index, bytes([shares[0].value[0] ^ 1]) + shares[0].value[1:])
    assert altered.commitment() != shares[0].commitment()


def test_seal_opensOnlyWithItsKeyAndContext():
    recipient = new_private_key()
    blob = seal(public_bytes(recipient), b"s" * 32, b"work 1")
    assert open_sealed(recipient, blob, b"work 1") == b"s" * 32
    with pytest.raises(SealError):
        open_sealed(recipient, blob, b"work 2")
    with pytest.raises(SealError):
        open_sealed(new_private_key(), blob, b"work 1")
