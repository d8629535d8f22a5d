"""Every decoded log, as a list and as a live stream (server-sent events)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request
from sqlalchemy import func, select
from fastapi.responses import StreamingResponse
from sse_starlette.sse import ServerSentEvent

from indexer import schema
from indexer.api.deps import MAX_ID, Db, IntId, Paging
from indexer.api.models import Event
from indexer.api.pagination import Page, paginate
from indexer.api.routing import ThreadedRoute

logger = logging.getLogger(__name__)
router = APIRouter(tags=["events"], route_class=ThreadedRoute)
E = schema.events
#: One ``Query`` on the parameter itself: nested in another ``Annotated`` its checks were lost.
NameQuery = Query(max_length=64, pattern=r"^[A-Za-z0-9_]+$")


def _event(row) -> Event:
    return Event(**{**row, "args": json.loads(row["args"])})


@router.get("/events", response_model=Page[Event], summary="List decoded events in chain order")
def list_events(db: Db, paging: Paging,
                contract: Annotated[str | None, NameQuery] = None,
                name: Annotated[str | None, NameQuery] = None,
                from_block: Annotated[IntId | None, Query()] = None,
                to_block: Annotated[IntId | None, Query()] = None):
    if from_block is not None and to_block is not None and from_block > to_block:
        raise HTTPException(400, detail=f"from_block {from_block} is after to_block {to_block}")
    query = select(E)
    if contract:
        query = query.where(E.c.contract == contract)
    if name:
        query = query.where(E.c.name == name)
    if from_block is not None:
        query = query.where(E.c.block_number >= from_block)
    if to_block is not None:
        query = query.where(E.c.block_number <= to_block)
    rows, cursor = paginate(db, query, E.c.event_id, paging)
    return Page(items=[_event(r) for r in rows], next_cursor=cursor)


@router.get("/events/{event_id}", response_model=Event, summary="One event")
def get_event(db: Db, event_id: Annotated[IntId, Path()]):
    row = db.execute(select(E).where(E.c.event_id == event_id)).mappings().first()
    if row is None:
        raise HTTPException(404, detail=f"no event {event_id}")
    return _event(row)


@router.get(
    "/stream",
    summary="Live stream of new events (server-sent events)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}},
                     "description": "`id:` is the event id, `event:` its name, `data:` the JSON of /events/{id}."}},
)
async def stream(request: Request,
                 since: Annotated[IntId | None, Query(description="Replay events after this id first.")] = None,
                 last_event_id: Annotated[str | None, Header(max_length=20)] = None):
    """Events as they are indexed. Reconnecting clients resume from ``Last-Event-ID``. A reorg
    removes events: clients that keep state should re-read the lists after a gap in ids."""
    if last_event_id is not None:
        if not last_event_id.isdigit() or int(last_event_id) > MAX_ID:
            raise HTTPException(400, detail="Last-Event-ID must be an event id")
        since = int(last_event_id)
    feed: EventFeed = request.app.state.event_feed

    async def generate():
        subscription = feed.subscribe()
        try:
            cursor = -1
            if since is not None:  # the replay, then the live feed (events seen twice are skipped by id)
                cursor = since
                while rows := await feed.read(feed.after, cursor):
                    for row in rows:
                        cursor = row["event_id"]
                        yield _message(row)
            while (message := await subscription.get()) is not None:
                event_id, encoded = message
                if event_id > cursor or encoded is PING:
                    yield encoded
        finally:
            feed.unsubscribe(subscription)

    # A plain streaming response: each event is one ASGI send of bytes encoded once for every
    # listener (sse-starlette's response cost a cancel scope and a re-encoding per event and listener).
    return StreamingResponse(generate(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


#: A comment line every PING_SECONDS keeps idle streams through proxies and finds closed ones.
PING = b": ping\r\n\r\n"
PING_SECONDS = 15


def _message(row) -> bytes:
    """The event as the bytes of one server-sent event (encoded once, however many listen)."""
    return ServerSentEvent(id=str(row["event_id"]), event=row["name"], data=_event(row).model_dump_json(),
                           sep="\r\n").encode()


class EventFeed:
    """One reader of new events per API process, fanned out to every open stream: a thousand
    listeners cost one query per poll, not a thousand, and each event is encoded once."""

    #: Messages a listener may fall behind by before it is dropped (it reconnects with Last-Event-ID).
    MAX_BACKLOG = 10_000

    def __init__(self, engine, slots, poll: float):
        self.engine, self.slots, self.poll = engine, slots, poll
        self.subscribers: set[asyncio.Queue] = set()
        self.task: asyncio.Task | None = None

    def latest(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(select(func.coalesce(func.max(E.c.event_id), 0))).scalar()

    def after(self, event_id: int) -> list:
        with self.engine.connect() as connection:
            return connection.execute(
                select(E).where(E.c.event_id > event_id).order_by(E.c.event_id).limit(500)).mappings().all()

    async def read(self, query, *args):
        async with self.slots:  # like every request's, so checkout never waits (see deps.get_connection)
            return await asyncio.to_thread(query, *args)

    def subscribe(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue()
        self.subscribers.add(queue)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._follow())
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self.subscribers.discard(queue)

    async def _follow(self) -> None:
        cursor = None
        pinged = time.monotonic()
        while self.subscribers:
            if time.monotonic() - pinged > PING_SECONDS:
                pinged = time.monotonic()
                for queue in list(self.subscribers):
                    queue.put_nowait((-1, PING))
            try:
                if cursor is None:
                    cursor = await self.read(self.latest)
                rows = await self.read(self.after, cursor)
            except Exception:  # noqa: BLE001 - the database is away: listeners wait, the feed retries
                logger.warning("event stream: cannot read the index; retrying", exc_info=True)
                await asyncio.sleep(1)
                continue
            for row in rows:
                cursor = row["event_id"]
                await self._fan_out((cursor, _message(row)))
            if not rows:
                await asyncio.sleep(self.poll)

    async def _fan_out(self, message: tuple[int, bytes]) -> None:
        """``message`` to every listener at once. (Handing it out 64 listeners per turn of the event
        loop, so that requests were read between slices, was tried: on a starved machine every turn
        took long, one event's fan-out took seconds and the feed fell behind by thousands.)"""
        for queue in list(self.subscribers):
            if queue.qsize() >= self.MAX_BACKLOG:
                self.subscribers.discard(queue)
                queue.put_nowait(None)  # too far behind: its stream ends
            else:
                queue.put_nowait(message)
