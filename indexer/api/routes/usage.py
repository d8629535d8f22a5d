"""UsageRoyalties: epochs with their pools and settlement, fundings, and the works' usage claims."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy import select

from indexer import schema
from indexer.api.deps import AddressStr, Db, IntId, Paging
from indexer.api.models import Epoch, EpochDetail, UsageClaim, UsageFunding, UsagePool
from indexer.api.pagination import Page, paginate
from indexer.api.routes.works import load_work
from indexer.api.routing import ThreadedRoute

router = APIRouter(tags=["usage"], route_class=ThreadedRoute)
UE, UP, UF, UC = schema.usage_epochs, schema.usage_pools, schema.usage_fundings, schema.usage_claims


def _pools_of(db, epochs: list[int]) -> dict[int, list[UsagePool]]:
    pools: dict[int, list[UsagePool]] = {epoch: [] for epoch in epochs}
    query = select(UP).where(UP.c.epoch.in_(epochs)).order_by(UP.c.epoch, UP.c.token)
    for row in db.execute(query).mappings():
        held = int(row["funded"]) - int(row["claimed"]) - int(row["rolled_over"])
        pools[row["epoch"]].append(UsagePool(**row, held=str(held)))
    return pools


def _epochs(db, rows) -> list[Epoch]:
    pools = _pools_of(db, [r["epoch"] for r in rows]) if rows else {}
    return [Epoch(**r, pools=pools[r["epoch"]]) for r in rows]


@router.get("/epochs", response_model=Page[Epoch], summary="List usage-royalty epochs (newest first)")
def list_epochs(db: Db, paging: Paging,
                settled: Annotated[bool | None, Query(description="Only settled (true) or unsettled (false) "
                                                                  "epochs.")] = None):
    query = select(UE)
    if settled is not None:
        query = query.where(UE.c.settled_block.is_not(None) if settled else UE.c.settled_block.is_(None))
    rows, cursor = paginate(db, query, UE.c.epoch, paging, descending=True)
    return Page(items=_epochs(db, rows), next_cursor=cursor)


@router.get("/epochs/{epoch}", response_model=EpochDetail, summary="One epoch, with its fundings and claims")
def get_epoch(db: Db, epoch: Annotated[IntId, Path()]):
    row = db.execute(select(UE).where(UE.c.epoch == epoch)).mappings().first()
    if row is None:
        raise HTTPException(404, detail=f"no epoch {epoch}: nothing was funded into, settled or claimed from it")
    fundings = db.execute(select(UF).where(UF.c.epoch == epoch).order_by(UF.c.event_id)).mappings().all()
    claims = db.execute(select(UC).where(UC.c.epoch == epoch).order_by(UC.c.event_id)).mappings().all()
    return EpochDetail(**_epochs(db, [row])[0].model_dump(), fundings=[UsageFunding(**f) for f in fundings],
                       claims=[UsageClaim(**c) for c in claims])


@router.get("/works/{work_id}/usage", response_model=Page[UsageClaim],
            summary="A work's usage-royalty claims (oldest first)")
def list_work_usage(db: Db, paging: Paging, work_id: Annotated[IntId, Path()],
                    epoch: Annotated[IntId | None, Query()] = None,
                    token: Annotated[AddressStr | None, Query(description="Zero address: ETH.")] = None):
    load_work(db, work_id)
    query = select(UC).where(UC.c.work_id == work_id)
    if epoch is not None:
        query = query.where(UC.c.epoch == epoch)
    if token:
        query = query.where(UC.c.token == token)
    rows, cursor = paginate(db, query, UC.c.event_id, paging)
    return Page(items=[UsageClaim(**r) for r in rows], next_cursor=cursor)
