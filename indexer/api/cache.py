"""Responses cached per indexed block, with ETags and 304s.

Everything the block-derived routes answer is a function of the indexed chain prefix, which the
checkpoint's (block number, block hash) names: the same checkpoint, reached again after a reorg
rolled back to it, holds the same rows. Works' metadata, read from IPFS off the chain, adds its own
counter (``work_metadata.seq``). So a GET's body is kept under its URL together with the version
(checkpoint, metadata counter) its own read snapshot saw (``deps.ConnectionClaim`` records it), and served again while
the checkpoint has not moved. Concurrent misses of one URL wait for a single database read
(thousands of users reading the front page when a block lands cost one query, not thousands).

Every 200 carries a strong ETag (a hash of the body); a request whose ``If-None-Match`` names it
gets a 304 without a body, whether the body came from the cache or not.

Routes whose answer depends on something other than the chain (the room directory's signed,
expiring announcements, the wall clock, health, metrics, the live stream) are never cached.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Connection, Engine, func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from indexer import schema

#: Where ``ConnectionClaim`` leaves the checkpoint its snapshot saw.
SNAPSHOT_VERSION = "tutti.index_version"
#: Paths (prefixes) never cached: off-chain or time-dependent answers, and non-JSON endpoints.
UNCACHED_PREFIXES = ("/rooms", "/stream", "/health", "/healthz", "/readyz", "/metrics", "/graphql", "/docs",
                     "/redoc")
CACHE_CONTROL = b"public, no-cache"  # browsers and proxies may keep it, but revalidate (cheap: a 304)
MAX_BODY_BYTES = 1 << 20

Version = tuple[int | None, str | None, int | None]


def read_version(connection: Connection) -> Version:
    """The checkpoint (block number, block hash) and the last stored works' metadata (off-chain, so
    it moves without a block), as ``connection``'s transaction sees them."""
    C, M = schema.checkpoint, schema.work_metadata
    metadata_seq = select(func.max(M.c.seq)).scalar_subquery()
    row = connection.execute(select(C.c.block_number, C.c.block_hash, metadata_seq).where(C.c.id == 1)).first()
    if row is None:
        return None, None, connection.execute(select(func.max(M.c.seq))).scalar()
    return row[0], row[1], row[2]


@dataclass(frozen=True, slots=True)
class Entry:
    version: Version
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes
    route: Any


def etag_of(body: bytes) -> bytes:
    return b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'


def matches(if_none_match: bytes, etag: bytes) -> bool:
    """RFC 9110's weak comparison of ``If-None-Match`` with our strong ETag."""
    for candidate in if_none_match.split(b","):
        candidate = candidate.strip()
        if candidate == b"*" or candidate.removeprefix(b"W/") == etag:
            return True
    return False


class IndexVersion:
    """The current checkpoint, re-read at most every ``ttl`` seconds (one read shared by all requests)."""

    def __init__(self, engine: Engine, slots, ttl: float):
        self.engine, self.slots, self.ttl = engine, slots, ttl
        self.value: Version | None = None
        self.read_at = float("-inf")
        self._reading: asyncio.Future | None = None

    def _read(self) -> Version:
        with self.engine.connect() as connection:
            return read_version(connection)

    async def current(self) -> Version:
        if time.monotonic() - self.read_at < self.ttl:
            return self.value
        if self._reading is None:
            self._reading = asyncio.get_running_loop().create_future()
            try:
                async with self.slots:
                    self.value = await run_in_threadpool(self._read)
                self.read_at = time.monotonic()
                self._reading.set_result(self.value)
            except BaseException as exc:
                self._reading.set_exception(exc)
                self._reading.exception()  # retrieved: followers re-raise it, nobody logs it as lost
                raise
            finally:
                self._reading = None
            return self.value
        return await asyncio.shield(self._reading)


class BlockCache:
    """ASGI middleware: the cache described in the module's docstring."""

    def __init__(self, app: ASGIApp, version: IndexVersion, max_entries: int = 4096):
        self.app, self.version, self.max_entries = app, version, max_entries
        self.entries: OrderedDict[bytes, Entry] = OrderedDict()
        self.pending: dict[bytes, asyncio.Future] = {}
        self.hits = self.misses = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"].startswith(UNCACHED_PREFIXES):
            await self.app(scope, receive, send)
            return
        key = scope["path"].encode("utf-8", "surrogateescape") + b"?" + scope["query_string"]
        if_none_match = next((v for k, v in scope["headers"] if k == b"if-none-match"), None)
        try:
            current = await self.version.current()
        except Exception:  # noqa: BLE001 - the database is unreachable: the route answers (a 503 saying why)
            await self.app(scope, receive, send)
            return
        entry = self.entries.get(key)
        if entry is None or entry.version != current:
            if key in self.pending:  # another request reads this URL now: wait for its answer
                entry = await asyncio.shield(self.pending[key])
            if entry is None or entry.version != current:
                entry = await self._fill(key, scope, receive, send)
                if entry is None:
                    return  # answered by the route itself (not a cacheable 200)
            else:
                self.hits += 1
        else:
            self.hits += 1
            self.entries.move_to_end(key)
        await self._answer(entry, if_none_match, scope, send)

    async def _fill(self, key: bytes, scope: Scope, receive: Receive, send: Send) -> Entry | None:
        """Runs the route; returns the entry it made, or None once the route's own answer is sent."""
        self.misses += 1
        future = asyncio.get_running_loop().create_future()
        self.pending[key] = future
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        entry = None
        try:
            scope[SNAPSHOT_VERSION] = ...  # asks the endpoint's connection to record its checkpoint
            await self.app(scope, receive, capture)
            body = b"".join(chunks)
            version = scope.get(SNAPSHOT_VERSION, ...)
            if start is not None and start["status"] == 200 and version is not ... and len(body) <= MAX_BODY_BYTES:
                headers = [(k, v) for k, v in start.get("headers", []) if k not in (b"etag", b"cache-control")]
                entry = Entry(version, headers, body, etag_of(body), scope.get("route"))
                self.entries[key] = entry
                self.entries.move_to_end(key)
                while len(self.entries) > self.max_entries:
                    self.entries.popitem(last=False)
        finally:
            if self.pending.get(key) is future:
                del self.pending[key]
            future.set_result(entry)
        if entry is None and start is not None:  # an error, a redirect...: passed on as it was
            await send(start)
            await send({"type": "http.response.body", "body": b"".join(chunks)})
        return entry

    @staticmethod
    async def _answer(entry: Entry, if_none_match: bytes | None, scope: Scope, send: Send) -> None:
        scope.setdefault("route", entry.route)  # for the request metrics
        validators = [(b"etag", entry.etag), (b"cache-control", CACHE_CONTROL)]
        if if_none_match is not None and matches(if_none_match, entry.etag):
            await send({"type": "http.response.start", "status": 304, "headers": validators})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": entry.headers + validators})
        await send({"type": "http.response.body", "body": entry.body})
