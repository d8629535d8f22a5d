"""AccessPass: rooms, who holds their passes, a holder's passes and the sales."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy import and_, func, or_, select

from indexer import room_directory, schema
from indexer.api.deps import AddressStr, Db, IntId, Paging, WallClock
from indexer.api.models import HeldPass, MediaNodeLink, PassHolding, PassPurchase, Room, RoomDetail, RoomPhase
from indexer.api.pagination import Page, paginate
from indexer.api.routing import ThreadedRoute

router = APIRouter(tags=["passes"], route_class=ThreadedRoute)
RM, H, PP = schema.rooms, schema.pass_holdings, schema.pass_purchases


def indexed_time(db) -> int:
    """The last indexed block's timestamp: the "now" of phases and validity."""
    return db.execute(select(schema.checkpoint.c.block_timestamp)).scalar() or 0


def phase_of(row, now: int) -> str:
    if now > row["valid_until"]:
        return "over"
    return "open" if now >= row["valid_from"] else "upcoming"


def _room(row, now: int) -> dict:
    return {**row, "uri": f"ipfs://{row['metadata_cid']}", "phase": phase_of(row, now)}


def load_room(db, room_id: int) -> dict:
    row = db.execute(select(RM).where(RM.c.room_id == room_id)).mappings().first()
    if row is None:
        raise HTTPException(404, detail=f"no room {room_id}")
    return dict(row)


def held_passes(db, holder: str, now: int, paging=None) -> tuple[list[HeldPass], str | None]:
    """``holder``'s passes (and revocations), each with its room's window and validity at ``now``."""
    query = (select(H, RM.c.host, RM.c.metadata_cid, RM.c.transferable, RM.c.valid_from, RM.c.valid_until)
             .join(RM, RM.c.room_id == H.c.room_id)
             .where(H.c.holder == holder, or_(H.c.balance > 0, H.c.revoked)))
    if paging is None:
        rows, cursor = db.execute(query.order_by(H.c.room_id)).mappings().all(), None
    else:
        rows, cursor = paginate(db, query, H.c.room_id, paging)
    items = []
    for r in rows:
        phase = phase_of(r, now)
        items.append(HeldPass(**r, phase=phase, valid_now=r["balance"] > 0 and not r["revoked"] and phase == "open"))
    return items, cursor


@router.get("/rooms", response_model=Page[Room], summary="List rooms (oldest first)")
def list_rooms(db: Db, paging: Paging,
               host: Annotated[AddressStr | None, Query(description="Hosted by this address.")] = None,
               split_id: Annotated[IntId | None, Query(description="Sales paying this split.")] = None,
               phase: Annotated[RoomPhase | None, Query(description="At the last indexed block's time.")] = None):
    now = indexed_time(db)
    query = select(RM)
    if host:
        query = query.where(RM.c.host == host)
    if split_id is not None:
        query = query.where(RM.c.host_split_id == split_id)
    if phase == "upcoming":
        query = query.where(RM.c.valid_from > now)
    elif phase == "open":
        query = query.where(and_(RM.c.valid_from <= now, RM.c.valid_until >= now))
    elif phase == "over":
        query = query.where(RM.c.valid_until < now)
    rows, cursor = paginate(db, query, RM.c.room_id, paging)
    return Page(items=[Room(**_room(r, now)) for r in rows], next_cursor=cursor)


@router.get("/rooms/{room_id}", response_model=RoomDetail, summary="One room, with its holders count and media nodes")
def get_room(db: Db, now: WallClock, room_id: Annotated[IntId, Path()]):
    room = load_room(db, room_id)
    holders, held = db.execute(
        select(func.count(), func.coalesce(func.sum(H.c.balance), 0))
        .select_from(H).where(H.c.room_id == room_id, H.c.balance > 0)).one()
    revoked = db.execute(select(func.count()).select_from(H).where(H.c.room_id == room_id, H.c.revoked)).scalar()
    nodes = [MediaNodeLink(url=n["url"], expires_at=n["expires_at"]) for n in room_directory.live_nodes(db, room, now)]
    return RoomDetail(**_room(room, indexed_time(db)), holders=holders, passes_held=held, revoked=revoked,
                      media_nodes=nodes)


@router.get("/rooms/{room_id}/holders", response_model=Page[PassHolding], summary="Who holds a room's passes")
def list_room_holders(
    db: Db, paging: Paging, room_id: Annotated[IntId, Path()],
    include_revoked: Annotated[bool, Query(description="Also revoked accounts (balance 0).")] = False,
):
    load_room(db, room_id)
    query = select(H).where(H.c.room_id == room_id)
    query = query.where(or_(H.c.balance > 0, H.c.revoked) if include_revoked else H.c.balance > 0)
    rows, cursor = paginate(db, query, H.c.holder, paging, kind=str)
    return Page(items=[PassHolding(**r) for r in rows], next_cursor=cursor)


@router.get("/passes", response_model=Page[HeldPass], summary="A holder's passes, with each room's validity")
def list_passes(db: Db, paging: Paging,
                holder: Annotated[AddressStr, Query(description="The account whose passes to list.")]):
    items, cursor = held_passes(db, holder, indexed_time(db), paging)
    return Page(items=items, next_cursor=cursor)


@router.get("/purchases", response_model=Page[PassPurchase], summary="List pass sales")
def list_purchases(db: Db, paging: Paging,
                   room_id: Annotated[IntId | None, Query()] = None,
                   buyer: Annotated[AddressStr | None, Query(description="Who paid.")] = None,
                   to: Annotated[AddressStr | None, Query(description="Who received the pass.")] = None):
    query = select(PP)
    if room_id is not None:
        load_room(db, room_id)
        query = query.where(PP.c.room_id == room_id)
    if buyer:
        query = query.where(PP.c.buyer == buyer)
    if to:
        query = query.where(PP.c.to == to)
    rows, cursor = paginate(db, query, PP.c.event_id, paging)
    return Page(items=[PassPurchase(**r) for r in rows], next_cursor=cursor)
