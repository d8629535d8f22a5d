"""Access passes: hosts open rooms (or performances), fans buy passes, hosts revoke them, and
anyone (the media node first) asks whether an account may enter a room now."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from tutti.chain import Tutti
from tutti.errors import TuttiError

if TYPE_CHECKING:
    from ape.api import AccountAPI

_SECONDS_PER_UNIT = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
_DURATION_PART = re.compile(r"(\d+)([smhdw])")
MAX_SUPPLY_CAP = 2**32 - 1


@dataclass(frozen=True)
class Room:
    """A room as the contract stores it, with its id."""

    room_id: int
    host: str
    split_id: int
    price: int
    supply_cap: int
    sold: int
    valid_from: int
    valid_until: int
    transferable: bool
    metadata_cid: str

    @property
    def uri(self) -> str:
        return f"ipfs://{self.metadata_cid}"

    def phase(self, now: int) -> str:
        """``upcoming`` (passes on sale, not valid yet), ``open`` (valid now) or ``over``."""
        if now > self.valid_until:
            return "over"
        return "open" if now >= self.valid_from else "upcoming"


@dataclass(frozen=True)
class CreatedRoom:
    room_id: int
    tx_hash: str


@dataclass(frozen=True)
class BoughtPass:
    room_id: int
    holder: str
    price: int
    platform_fee: int
    tx_hash: str


@dataclass(frozen=True)
class PassStatus:
    """Why an account may or may not enter a room now."""

    room_id: int
    account: str
    passes: int
    revoked: bool
    valid: bool
    reason: str


def parse_time(text: str, now: int) -> int:
    """A moment as a unix timestamp: ``now``, a duration after ``now`` (``+2h``, ``+1d12h``,
    ``+90m``; units s m h d w), a unix timestamp, or an ISO 8601 time (UTC unless it says otherwise).

    ``now`` is the chain's time, which on a local chain may run ahead of the wall clock."""
    text = text.strip()
    if text.lower() == "now":
        return now
    if text.startswith("+"):
        body = text[1:].replace(" ", "")
        parts = _DURATION_PART.findall(body)
        if not parts or "".join(number + unit for number, unit in parts) != body:
            raise TuttiError(f"{text!r} is not a duration (try +2h, +30m, +1d12h)")
        return now + sum(int(number) * _SECONDS_PER_UNIT[unit] for number, unit in parts)
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise TuttiError(f"{text!r} is not a time (try now, +2h, or 2030-06-01T20:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


def format_time(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def chain_now() -> int:
    """The timestamp of the latest block: what `block.timestamp` was last, close to what it will be next."""
    from ape import chain

    return chain.blocks.head.timestamp


def create_room(
    tutti: Tutti,
    host: "AccountAPI",
    *,
    split_id: int,
    price: int,
    supply_cap: int,
    valid_from: int,
    valid_until: int,
    metadata_cid: str,
    transferable: bool = True,
) -> CreatedRoom:
    """Open a room hosted by ``host`` whose sales (minus the platform fee) pay split ``split_id``."""
    if price < 0:
        raise TuttiError("the price cannot be negative")
    if not 0 < supply_cap <= MAX_SUPPLY_CAP:
        raise TuttiError(f"the supply cap must be between 1 and {MAX_SUPPLY_CAP}, not {supply_cap}")
    receipt = tutti.passes.createRoom(
        price, supply_cap, valid_from, valid_until, transferable, split_id, metadata_cid, sender=host
    )
    event = next(iter(receipt.decode_logs(tutti.passes.RoomCreated)))
    return CreatedRoom(event.roomId, receipt.txn_hash)


def room(tutti: Tutti, room_id: int) -> Room:
    r = tutti.passes.room(room_id)
    return Room(
        room_id, r.host, r.hostSplitId, r.price, r.supplyCap, r.sold, r.validFrom, r.validUntil, r.transferable,
        r.metadataCid,
    )


def buy_pass(tutti: Tutti, buyer: "AccountAPI", room_id: int, to: str | None = None) -> BoughtPass:
    """Buy one pass to ``room_id`` at its price, for ``to`` (default: the buyer)."""
    price = tutti.passes.room(room_id).price
    receipt = tutti.passes.buyPass(room_id, to or buyer.address, value=price, sender=buyer)
    event = next(iter(receipt.decode_logs(tutti.passes.PassBought)))
    return BoughtPass(room_id, event.to, event.price, event.platformFee, receipt.txn_hash)


def has_valid_pass(tutti: Tutti, room_id: int, account: str) -> bool:
    """Whether ``account`` may enter ``room_id`` now (holds a pass, not revoked, within the window)."""
    return bool(tutti.passes.hasValidPass(room_id, account))


def revoke(tutti: Tutti, host: "AccountAPI", room_id: int, account: str) -> int:
    """Revoke ``account`` from ``room_id`` (host only); returns how many passes were burnt."""
    receipt = tutti.passes.revoke(room_id, account, sender=host)
    return next(iter(receipt.decode_logs(tutti.passes.PassRevoked))).amount


def pass_status(tutti: Tutti, room_id: int, account: str, now: int | None = None) -> PassStatus:
    """``account``'s passes to ``room_id`` and, in words, whether they admit it at ``now``."""
    info = room(tutti, room_id)
    now = chain_now() if now is None else now
    held = tutti.passes.balanceOf(account, room_id)
    revoked = bool(tutti.passes.isRevoked(room_id, account))
    if revoked:
        reason = "revoked by the host"
    elif held == 0:
        reason = "holds no pass"
    elif now < info.valid_from:
        reason = f"not valid before {format_time(info.valid_from)}"
    elif now > info.valid_until:
        reason = f"expired at {format_time(info.valid_until)}"
    else:
        reason = f"valid until {format_time(info.valid_until)}"
    valid = not revoked and held > 0 and info.valid_from <= now <= info.valid_until
    return PassStatus(room_id, account, held, revoked, valid, reason)
