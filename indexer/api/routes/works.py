"""Works and their contributors, parents and derivatives."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy import select

from indexer import schema
from indexer.api.deps import AddressStr, Db, IntId, Paging
from indexer.api.models import Contributor, ParentLink, Work, WorkDetail
from indexer.api.pagination import Page, paginate
from indexer.api.routing import ThreadedRoute

router = APIRouter(prefix="/works", tags=["works"], route_class=ThreadedRoute)
W, R, P = schema.works, schema.split_recipients, schema.work_parents


@router.get("", response_model=Page[Work], summary="List works")
def list_works(
    db: Db, paging: Paging,
    artist: Annotated[AddressStr | None, Query(description="Registered by this address.")] = None,
    owner: Annotated[AddressStr | None, Query(description="Currently owned by this address.")] = None,
    contributor: Annotated[AddressStr | None, Query(description="With this address among the contributors.")] = None,
    parent: Annotated[IntId | None, Query(description="Derivatives of this work.")] = None,
):
    query = select(W)
    if artist:
        query = query.where(W.c.artist == artist)
    if owner:
        query = query.where(W.c.owner == owner)
    if contributor:
        query = query.where(W.c.split_id.in_(select(R.c.split_id).where(R.c.account == contributor)))
    if parent is not None:
        query = query.where(W.c.work_id.in_(select(P.c.work_id).where(P.c.parent_work_id == parent)))
    rows, cursor = paginate(db, query, W.c.work_id, paging)
    return Page(items=[Work(**r) for r in rows], next_cursor=cursor)


def load_work(db, work_id: int) -> dict:
    row = db.execute(select(W).where(W.c.work_id == work_id)).mappings().first()
    if row is None:
        raise HTTPException(404, detail=f"no work {work_id}")
    return dict(row)


def contributors_of(db, split_id: int) -> list[Contributor]:
    rows = db.execute(select(R).where(R.c.split_id == split_id).order_by(R.c.position)).mappings().all()
    return [Contributor(account=r["account"], share_bps=r["share_bps"], slot_start=r["slot_start"]) for r in rows]


def received_by(db, split_id: int) -> dict[str, str]:
    T = schema.split_totals
    return {r.token: r.received for r in db.execute(select(T).where(T.c.split_id == split_id))}


@router.get("/{work_id}", response_model=WorkDetail, summary="One work, with contributors, parents and income")
def get_work(db: Db, work_id: Annotated[IntId, Path()]):
    work = load_work(db, work_id)
    parents = db.execute(select(P).where(P.c.work_id == work_id).order_by(P.c.event_id)).mappings().all()
    derivatives = db.execute(select(P.c.work_id).where(P.c.parent_work_id == work_id).order_by(P.c.work_id)).scalars()
    return WorkDetail(
        **work,
        contributors=contributors_of(db, work["split_id"]),
        parents=[ParentLink(parent_work_id=p["parent_work_id"], share_bps=p["share_bps"]) for p in parents],
        derivatives=list(derivatives),
        received=received_by(db, work["split_id"]),
    )


@router.get("/{work_id}/contributors", response_model=list[Contributor], summary="A work's contributors")
def get_contributors(db: Db, work_id: Annotated[IntId, Path()]):
    return contributors_of(db, load_work(db, work_id)["split_id"])
