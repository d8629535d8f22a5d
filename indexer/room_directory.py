"""The room directory: which media nodes serve a room, as its host announced them.

Off-chain state (``schema.media_nodes``) that the API writes from host-signed EIP-712 announcements
(:mod:`tutti.media_directory`). Each one is checked against the index's own view of the deployment,
so the API needs no address book and every replica agrees: the room's host from ``rooms``, the
chain id from the checkpoint, the AccessPass address from the event that created the room.

Two clocks. Expiry is judged by the wall clock, which announcements are signed against. A room is
over once the later of the wall clock and the last indexed block's timestamp is past its
``valid_until`` (the chain's clock can run ahead of the wall clock, as on a test chain, and the
index lags the chain).

No event writes the table, so a reorg neither deletes nor restores it. A reorg can, however, give a
room id to another room with another host: rows are listed only while their signer is still the
indexed room's host, and the next announcement for the room clears the others.
"""

from __future__ import annotations

import logging
from typing import Any

from eth_keys.exceptions import BadSignature
from eth_utils import to_checksum_address
from sqlalchemy import Connection, delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from indexer import schema
from tutti.errors import TuttiError
from tutti.media_directory import InvalidAnnouncement, NodeAnnouncement, announcement_signer, check_url

logger = logging.getLogger(__name__)

#: Live nodes listed per room: a host cannot flood the table, and a client has few URLs to try.
MAX_NODES_PER_ROOM = 16

M, RM = schema.media_nodes, schema.rooms


class DirectoryError(TuttiError):
    """An announcement the directory refuses (the API maps each kind to a status code)."""


class MalformedSignature(DirectoryError):
    """The signature recovers to no account."""


class NotTheHost(DirectoryError):
    """The announcement was signed by someone other than the room's host."""

    def __init__(self, room_id: int, signer: str, host: str, chain_id: int, passes_address: str):
        super().__init__(
            f"the announcement is signed by {signer}, but room {room_id}'s host is {host}; only the host may "
            f"announce the room's media nodes (a signature made over other data, such as another room, URL or "
            f"expiry, or a chain id other than {chain_id} or an AccessPass other than {passes_address}, "
            f"recovers to some other account)")
        self.signer, self.host = signer, host


class RoomOver(DirectoryError):
    """The room's validity window has ended: no pass admits anyone any more."""


class DirectoryFull(DirectoryError):
    """The room already lists :data:`MAX_NODES_PER_ROOM` live nodes."""

    def __init__(self, room_id: int, retry_after: int):
        super().__init__(f"room {room_id} already lists {MAX_NODES_PER_ROOM} live media nodes (the most a room "
                         f"may list); one expires in {retry_after} s")
        self.retry_after = retry_after


def check_storable_url(url: str) -> None:
    """Beyond :func:`tutti.media_directory.check_url`: the URL is listed exactly as it was signed, so
    it must already be canonical (no trailing slash)."""
    canonical = check_url(url)
    if canonical != url:
        raise InvalidAnnouncement(f"announce {canonical!r}, without the trailing slash: the URL is listed exactly "
                                  f"as signed")


def deployment_of(connection: Connection, room: dict[str, Any]) -> tuple[int, str, int]:
    """(chain id, AccessPass address, last indexed block's timestamp) as indexed with ``room``."""
    chain_id, indexed_time = connection.execute(
        select(schema.checkpoint.c.chain_id, schema.checkpoint.c.block_timestamp)).one()
    passes_address = connection.execute(
        select(schema.events.c.address).where(schema.events.c.event_id == room["created_event_id"])).scalar_one()
    return chain_id, passes_address, indexed_time


def verify(connection: Connection, room: dict[str, Any], announcement: NodeAnnouncement, signature: bytes,
           now: int) -> str:
    """The announcement's signer, once it is known to be the room's host and listable at ``now``."""
    announcement.check(now)
    check_storable_url(announcement.url)
    chain_id, passes_address, indexed_time = deployment_of(connection, room)
    try:
        signer = announcement_signer(announcement, signature, chain_id, passes_address)
    except (ValueError, BadSignature) as exc:  # eth_keys raises BadSignature for r or s out of range
        raise MalformedSignature(f"the signature recovers to no account ({exc})") from None
    host = to_checksum_address(room["host"])
    if signer != host:
        raise NotTheHost(room["room_id"], signer, host, chain_id, passes_address)
    clock = max(now, indexed_time)
    if clock > room["valid_until"]:
        raise RoomOver(f"room {room['room_id']} is over (its passes admitted no one after {room['valid_until']}, "
                       f"and it is now {clock}): no one can join it")
    return signer


def purge_expired(connection: Connection, now: int) -> int:
    """Delete every row expired at ``now``, in its own transaction; returns how many.

    PostgreSQL skips rows another transaction has locked (their announcer or another purge will
    settle them): a purge then waits for no one, so it can never take part in a deadlock."""
    expired = select(M.c.room_id, M.c.url).where(M.c.expires_at <= now).with_for_update(skip_locked=True)
    deleted = connection.execute(delete(M).where(tuple_(M.c.room_id, M.c.url).in_(expired))).rowcount
    connection.commit()
    return deleted


def _upsert(connection: Connection, row: dict[str, Any]) -> None:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(M).values(**row)
    connection.execute(statement.on_conflict_do_update(
        index_elements=[M.c.room_id, M.c.url],
        set_={name: statement.excluded[name] for name in ("host", "expires_at", "signature", "announced_at")},
    ))


def announce(connection: Connection, room: dict[str, Any], announcement: NodeAnnouncement, signature: bytes,
             now: int) -> tuple[dict[str, Any], bool]:
    """List ``announcement`` (verified first: see :func:`verify`) and commit.

    Returns the room's listing for the URL and whether this announcement is what it now holds: a
    listing that already runs as long or longer is kept (a replayed older announcement cannot cut a
    live node's listing short)."""
    host = verify(connection, room, announcement, signature, now)
    room_id = room["room_id"]
    purged = purge_expired(connection, now)
    if purged:
        logger.info("room directory: purged %d expired media nodes", purged)

    # One announcer per room at a time, so the cap holds. PostgreSQL: the room's row lock (the
    # indexer's writes to the room wait a few milliseconds). SQLite: the DELETE below takes the
    # database's write lock before anything is counted.
    connection.execute(select(RM.c.room_id).where(RM.c.room_id == room_id).with_for_update()).scalar_one()
    # Rows signed by anyone else were left by a room that a reorg replaced: never listed again.
    connection.execute(delete(M).where(M.c.room_id == room_id, M.c.host != host))
    listed = connection.execute(
        select(M).where(M.c.room_id == room_id, M.c.expires_at > now).order_by(M.c.expires_at)).mappings().all()
    current = next((dict(row) for row in listed if row["url"] == announcement.url), None)
    if current is not None and current["expires_at"] >= announcement.expires_at:
        connection.commit()
        return current, False
    if current is None and len(listed) >= MAX_NODES_PER_ROOM:
        connection.commit()
        raise DirectoryFull(room_id, listed[0]["expires_at"] - now)
    row = {"room_id": room_id, "url": announcement.url, "host": host, "expires_at": announcement.expires_at,
           "signature": "0x" + signature.hex(), "announced_at": now}
    _upsert(connection, row)
    connection.commit()
    return row, True


def live_nodes(connection: Connection, room: dict[str, Any], now: int) -> list[dict[str, Any]]:
    """The room's nodes listed at ``now`` (wall clock), newest announcement first."""
    return [dict(row) for row in connection.execute(
        select(M).where(M.c.room_id == room["room_id"], M.c.host == to_checksum_address(room["host"]),
                        M.c.expires_at > now)
        .order_by(M.c.announced_at.desc(), M.c.url)).mappings()]

