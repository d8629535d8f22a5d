"""Works and their contributors, parents and derivatives."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy import exists, func, or_, select

from indexer import schema
from indexer.api.deps import AddressStr, Db, IntId, Paging, is_storable_text
from indexer.api.models import Contributor, LicenseCount, ParentLink, Work, WorkDetail
from indexer.api.pagination import Page, paginate
from indexer.api.routing import ThreadedRoute

router = APIRouter(prefix="/works", tags=["works"], route_class=ThreadedRoute)
W, R, P, M = schema.works, schema.split_recipients, schema.work_parents, schema.work_metadata
#: A work with what the index read of its metadata (NULLs until it is read, or if it never can be).
WORKS_WITH_METADATA = (select(W, M.c.title, M.c.artist_name, M.c.ai, M.c.status.label("metadata_status"),
                              exists().where(P.c.work_id == W.c.work_id).label("is_derivative"))
                       .outerjoin(M, M.c.cid == W.c.metadata_cid))
#: ``\`` escapes LIKE's wildcards in a searched text.
LIKE_ESCAPE = "\\"


def _text_filter(value: str | None, name: str) -> str | None:
    if value is not None and not is_storable_text(value):
        raise HTTPException(400, detail=f"{name} holds a NUL or a lone surrogate")
    return value


def _contains(text: str) -> str:
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    return f"%{escaped}%"


@router.get("", response_model=Page[Work], summary="List and search works")
def list_works(
    db: Db, paging: Paging,
    artist: Annotated[AddressStr | None, Query(description="Registered by this address.")] = None,
    owner: Annotated[AddressStr | None, Query(description="Currently owned by this address.")] = None,
    contributor: Annotated[AddressStr | None, Query(description="With this address among the contributors.")] = None,
    parent: Annotated[IntId | None, Query(description="Derivatives of this work.")] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100,
                                   description="Text in the title or the artist's name (from the work's "
                                               "metadata), in any case.")] = None,
    license: Annotated[str | None, Query(min_length=1, max_length=200, description="This licence exactly.")] = None,
    derivative: Annotated[bool | None, Query(description="true: only derivatives of other works; false: only "
                                                         "originals.")] = None,
    ai: Annotated[bool | None, Query(description="true: only works whose metadata says AI-made; false: only the "
                                                 "others (metadata not read yet counts as neither).")] = None,
):
    query = WORKS_WITH_METADATA
    if q is not None:
        pattern = _contains(_text_filter(q, "q"))
        query = query.where(or_(M.c.title.ilike(pattern, escape=LIKE_ESCAPE),
                                M.c.artist_name.ilike(pattern, escape=LIKE_ESCAPE)))
    if license is not None:
        query = query.where(W.c.license == _text_filter(license, "license"))
    if derivative is not None:
        has_parent = exists().where(P.c.work_id == W.c.work_id)
        query = query.where(has_parent if derivative else ~has_parent)
    if ai is not None:
        query = query.where(M.c.ai.is_(ai))
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


@router.get("/licenses", response_model=list[LicenseCount], summary="The licences works are registered under")
def list_licenses(db: Db):
    rows = db.execute(select(W.c.license, func.count()).group_by(W.c.license).order_by(W.c.license))
    return [LicenseCount(license=license, works=count) for license, count in rows]


def load_work(db, work_id: int) -> dict:
    row = db.execute(WORKS_WITH_METADATA.where(W.c.work_id == work_id)).mappings().first()
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
