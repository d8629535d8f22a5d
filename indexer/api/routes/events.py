"""Every decoded log, as a list and as a live stream (server-sent events)."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request
from sqlalchemy import func, select
from sse_starlette.sse import EventSourceResponse

from indexer import schema
from indexer.api.deps import MAX_ID, Db, IntId, Paging
from indexer.api.models import Event
from indexer.api.pagination import Page, paginate
from indexer.api.routing import ThreadedRoute

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
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}},
                     "description": "`id:` is the event id, `event:` its name, `data:` the JSON of /events/{id}."}},
)
async def stream(request: Request,
                 since: Annotated[IntId | None, Query(description="Replay events after this id first.")] = None,
                 last_event_id: Annotated[str | None, Header(max_length=20)] = None):
    """Events as they are indexed. Reconnecting clients resume from ``Last-Event-ID``. A reorg
    removes events: clients that keep state should re-read the lists after a gap in ids."""
    engine, slots = request.app.state.engine, request.app.state.connection_slots
    poll = request.app.state.stream_poll
    if last_event_id is not None:
        if not last_event_id.isdigit() or int(last_event_id) > MAX_ID:
            raise HTTPException(400, detail="Last-Event-ID must be an event id")
        since = int(last_event_id)

    def latest() -> int:
        with engine.connect() as connection:
            return connection.execute(select(func.coalesce(func.max(E.c.event_id), 0))).scalar()

    def after(event_id: int) -> list:
        with engine.connect() as connection:
            return connection.execute(
                select(E).where(E.c.event_id > event_id).order_by(E.c.event_id).limit(500)).mappings().all()

    async def read(query, *args):
        async with slots:  # like every request's, so checkout never waits (see deps.get_connection)
            return await asyncio.to_thread(query, *args)

    async def generate():
        cursor = since if since is not None else await read(latest)
        while not await request.is_disconnected():
            rows = await read(after, cursor)
            for row in rows:
                cursor = row["event_id"]
                yield {"id": str(cursor), "event": row["name"], "data": _event(row).model_dump_json()}
            if not rows:
                await asyncio.sleep(poll)

    return EventSourceResponse(generate(), ping=15)
