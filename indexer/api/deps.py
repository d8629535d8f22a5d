"""Dependencies shared by the routers, as ``Annotated`` aliases."""

from __future__ import annotations

import base64
import json
import time
from typing import Annotated, Any, AsyncIterator

from eth_utils import is_hex_address, to_checksum_address
from fastapi import Depends, HTTPException, Query, Request
from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy import Connection, Engine

from indexer.api.cache import SNAPSHOT_VERSION, read_version
from indexer.db import READ_SNAPSHOT, WRITE

MAX_ID = 2**63 - 1


class ConnectionClaim:
    """One of the pool's connections, reserved for a request on the event loop. ``Db`` parameters
    of the routers' (``ThreadedRoute``) endpoints receive the connection itself: the worker thread
    that runs the endpoint checks it out, which never waits, and returns it."""

    __slots__ = ("engine", "read_only", "scope")

    def __init__(self, engine: Engine, read_only: bool, scope: dict | None = None):
        self.engine, self.read_only, self.scope = engine, read_only, scope

    def connect(self) -> Connection:
        """The connection, for one transaction that the endpoint's return ends: a read-only request
        sees one snapshot in all its statements (never half of a batch the indexer commits meanwhile),
        a writing one takes SQLite's write lock at its start."""
        connection = self.engine.connect()
        if not self.read_only:
            return connection.execution_options(**WRITE)
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(**READ_SNAPSHOT)
        # (a SQLite transaction is a snapshot already)
        if self.scope is not None and SNAPSHOT_VERSION in self.scope:
            # The response cache keys the answer by the checkpoint this snapshot sees (its first read).
            try:
                self.scope[SNAPSHOT_VERSION] = read_version(connection)
            except BaseException:
                connection.close()
                raise
        return connection


async def get_connection(request: Request) -> AsyncIterator[ConnectionClaim]:
    """A claim on a pooled connection for one request.

    An earlier version checked the connection out in a synchronous ``yield`` dependency, inside a
    threadpool thread, and held it across thread hops: under load every thread ended up waiting for
    a connection held by an endpoint that was itself waiting for a thread (a deadlock until the pool
    timed out). Requests now wait for a slot on an async semaphore as large as the pool, which costs
    no thread, and the connection exists only within the one hop that runs the endpoint
    (``routing.ThreadedRoute``): checkout never waits, and nothing holds a connection while it
    waits for a thread.
    """
    async with request.app.state.connection_slots:
        yield ConnectionClaim(request.app.state.engine, read_only=request.method in ("GET", "HEAD"), scope=request.scope)


#: The slot is released as soon as the endpoint returns (its connection is back in the pool by then).
Db = Annotated[Connection, Depends(get_connection, scope="function")]


async def wall_clock() -> int:
    """Unix seconds now, by this machine's clock (tests override this dependency)."""
    return int(time.time())


#: The wall clock, for what is signed against it (media-node announcements); the chain's own
#: "now" is the last indexed block's timestamp (``routes.passes.indexed_time``).
WallClock = Annotated[int, Depends(wall_clock)]


def _checksum(value: str) -> str:
    if not is_hex_address(value):
        raise ValueError("not a 20-byte hex address (0x followed by 40 hex digits)")
    return to_checksum_address(value)


AddressStr = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$", examples=["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]),
                       AfterValidator(_checksum)]
IntId = Annotated[int, Field(ge=0, le=MAX_ID)]
Uint256Str = Annotated[str, Field(pattern=r"^[0-9]{1,78}$", description="A uint256 in decimal.")]


class PageParams(BaseModel):
    limit: int = Field(50, ge=1, le=500, description="Items per page.")
    cursor: str | None = Field(None, max_length=200, description="`next_cursor` of the previous page.")


async def page_params(
    limit: Annotated[int, Query(ge=1, le=500, description="Items per page.")] = 50,
    cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


Paging = Annotated[PageParams, Depends(page_params)]


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps([value]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: type) -> Any:
    """The sort key a cursor holds; a 400 naming the problem for anything we did not issue."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        (value,) = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, UnicodeDecodeError):
        raise HTTPException(400, detail="malformed cursor: pass back the next_cursor of a previous page") from None
    if not isinstance(value, kind) or isinstance(value, bool) or (kind is int and not 0 <= value <= MAX_ID):
        raise HTTPException(400, detail="cursor does not belong to this list") from None
    if isinstance(value, str) and not is_storable_text(value):
        raise HTTPException(400, detail="cursor does not belong to this list (it holds a NUL or a lone surrogate)")
    return value


def is_storable_text(value: str) -> bool:
    """Text every database can compare: no NUL (PostgreSQL refuses it) and no lone UTF-16 surrogate
    (no database encoding holds one)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
