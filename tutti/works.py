"""Registering works in the ContentRegistry."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from eth_abi import encode
from eth_utils import keccak

from tutti.chain import Tutti
from tutti.errors import TuttiError

if TYPE_CHECKING:
    from ape.api import AccountAPI

TOTAL_BPS = 10_000


@dataclass(frozen=True)
class Share:
    """An account's (or a parent work's) share, in basis points."""

    holder: str
    bps: int


@dataclass(frozen=True)
class RegisteredWork:
    work_id: int
    split_id: int
    wallet: str
    tx_hash: str
    #: The commitRegistration transaction sent first (None when a live commitment was reused).
    commit_tx_hash: str | None = None


def parse_share(text: str) -> Share:
    """Parse ``HOLDER=SHARE`` where SHARE is basis points (``2500``) or a percentage (``25%``)."""
    holder, sep, amount = text.partition("=")
    if not sep or not holder or not amount:
        raise TuttiError(f"expected HOLDER=SHARE (e.g. 0xAbc…=5000 or 0xAbc…=50%), got {text!r}")
    try:
        bps = round(float(amount[:-1]) * 100) if amount.endswith("%") else int(amount)
    except ValueError:
        raise TuttiError(f"share {amount!r} in {text!r} is not a number of basis points or a percentage")
    if not 0 < bps <= TOTAL_BPS:
        raise TuttiError(f"share {amount!r} in {text!r} must be between 1 and 10000 basis points")
    return Share(holder.strip(), bps)


def content_hash_of(path: Path) -> bytes:
    """keccak-256 of a file's bytes: the on-chain fingerprint of the recording or score."""
    try:
        return keccak(Path(path).read_bytes())
    except OSError as exc:
        raise TuttiError(f"cannot read {path}: {exc.strerror}") from exc


def registration_commitment(registrant: str, content_hash: bytes) -> bytes:
    """``keccak256(abi.encode(registrant, contentHash))``: what ``commitRegistration`` takes."""
    return keccak(encode(["address", "bytes32"], [registrant, content_hash]))


def commit_registration(tutti: Tutti, registrant: "AccountAPI", content_hash: bytes) -> str | None:
    """Commit to registering ``content_hash`` (front-running protection), unless a commitment of
    ``registrant``'s made in an earlier block is still live; returns the commit's transaction hash."""
    from ape import chain

    commitment = registration_commitment(registrant.address, content_hash)
    block_number, timestamp = tutti.registry.commitmentOf(commitment)
    max_age = tutti.registry.COMMITMENT_MAX_AGE()
    # Reuse a live commitment (re-committing it reverts) if it has a margin before it expires.
    if timestamp and block_number < chain.blocks.head.number and chain.pending_timestamp + 600 < timestamp + max_age:
        return None
    receipt = tutti.registry.commitRegistration(commitment, sender=registrant)
    return receipt.txn_hash


def register_work(
    tutti: Tutti,
    artist: "AccountAPI",
    *,
    metadata_cid: str,
    content_hash: bytes,
    contributors: Sequence[Share],
    parents: Iterable[Share] = (),
    license: str = "CC-BY-4.0",
    royalty_bps: int = 1_000,
) -> RegisteredWork:
    """Commit to the content hash, then register the work in a later block (the artist pays the
    current registration fee); return its ids. Two transactions: the commitment keeps a watcher of
    pending transactions from copying the registration with their own contributors."""
    registration = (
        metadata_cid,
        content_hash,
        license,
        royalty_bps,
        [(share.holder, share.bps) for share in contributors],
        [(int(share.holder), share.bps) for share in parents],
    )
    commit_tx = commit_registration(tutti, artist, content_hash)
    fee = tutti.registry.registrationFee()
    receipt = tutti.registry.register(registration, sender=artist, value=fee)
    event = next(iter(receipt.decode_logs(tutti.registry.WorkRegistered)))
    return RegisteredWork(event.workId, event.splitId, event.wallet, receipt.txn_hash, commit_tx)
