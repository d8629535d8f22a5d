"""Splitting a 32-byte content key k-of-n with Shamir's scheme, and commitments to the shares.

pycryptodome's ``Shamir`` works on 16-byte secrets (over GF(2**128)), so the key is split as two
halves with the same indices; share ``i`` is ``half_1_share_i || half_2_share_i`` (32 bytes).
Fewer than k shares say nothing about either half.

Each share's commitment, published in the manifest, is ``keccak256("tutti.share.v1" || index ||
share)``: a share carries 128 bits of entropy per half, so its hash reveals nothing useful, and a
lying operator's altered share is caught before it is combined. The key's own commitment
``keccak256("tutti.key.v1" || key)`` checks the rebuilt key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from Crypto.Protocol.SecretSharing import Shamir
from eth_utils import keccak

from tutti.errors import TuttiError

MAX_SHARES = 255


@dataclass(frozen=True)
class KeyShare:
    index: int
    value: bytes  # 32 bytes: the shares of both halves

    def commitment(self) -> bytes:
        return share_commitment(self.index, self.value)


def share_commitment(index: int, value: bytes) -> bytes:
    return keccak(b"tutti.share.v1" + bytes([index]) + value)


def key_commitment(key: bytes) -> bytes:
    return keccak(b"tutti.key.v1" + key)


def split_key(key: bytes, threshold: int, count: int) -> list[KeyShare]:
    if len(key) != 32:
        raise TuttiError(f"a content key is 32 bytes, not {len(key)}")
    if not 1 <= threshold <= count <= MAX_SHARES:
        raise TuttiError(f"need 1 <= threshold ({threshold}) <= shares ({count}) <= {MAX_SHARES}")
    if threshold == 1:  # Shamir needs k >= 2; one share is then the key itself, given to each operator
        return [KeyShare(i, key) for i in range(1, count + 1)]
    first = Shamir.split(threshold, count, key[:16])
    second = Shamir.split(threshold, count, key[16:])
    return [KeyShare(i, a + b) for (i, a), (j, b) in zip(first, second) if i == j]


def combine_key(shares: Sequence[KeyShare], threshold: int) -> bytes:
    """The key from ``threshold`` distinct shares (already verified against their commitments)."""
    chosen = {share.index: share for share in shares}
    if len(chosen) < threshold:
        raise TuttiError(f"{len(chosen)} distinct shares, {threshold} needed")
    picked = [chosen[i] for i in sorted(chosen)[:threshold]]
    if threshold == 1:
        return picked[0].value
    first = Shamir.combine([(s.index, s.value[:16]) for s in picked])
    second = Shamir.combine([(s.index, s.value[16:]) for s in picked])
    return first + second
