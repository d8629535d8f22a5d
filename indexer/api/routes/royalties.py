"""Splits, deposits, withdrawals and the balances of an address."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy import select

from indexer import schema
from indexer.api.deps import AddressStr, Db, IntId, Paging
from indexer.api.models import Balances, Deposit, Split, SplitBalance, SplitDetail, SplitParent, Withdrawal
from indexer.api.pagination import Page, paginate
from indexer.api.routes.passes import held_passes, indexed_time
from indexer.api.routes.works import contributors_of, received_by
from indexer.api.routing import ThreadedRoute

router = APIRouter(tags=["royalties"], route_class=ThreadedRoute)
S, D, X, W = schema.splits, schema.deposits, schema.withdrawals, schema.works
TOTAL_BPS = 10_000


def entitlement(total: int, start: int, share: int) -> int:
    """RoyaltySplitter._entitlement: units among the first ``total`` in slots [start, start + share) mod 10,000."""
    full_cycles, position = divmod(total, TOTAL_BPS)
    into_range = position - start if position > start else 0
    return full_cycles * share + min(into_range, share)


def _split_of_work(db, work_id: int) -> int:
    split_id = db.execute(select(W.c.split_id).where(W.c.work_id == work_id)).scalar()
    if split_id is None:
        raise HTTPException(404, detail=f"no work {work_id}")
    return split_id


@router.get("/splits", response_model=Page[Split], summary="List splits", tags=["royalties"])
def list_splits(db: Db, paging: Paging,
                creator: Annotated[AddressStr | None, Query()] = None,
                recipient: Annotated[AddressStr | None, Query(description="Splits paying this account.")] = None):
    query = select(S)
    if creator:
        query = query.where(S.c.creator == creator)
    if recipient:
        R = schema.split_recipients
        query = query.where(S.c.split_id.in_(select(R.c.split_id).where(R.c.account == recipient)))
    rows, cursor = paginate(db, query, S.c.split_id, paging)
    return Page(items=[Split(**r) for r in rows], next_cursor=cursor)


@router.get("/splits/{split_id}", response_model=SplitDetail, summary="One split, its recipients and income")
def get_split(db: Db, split_id: Annotated[IntId, Path()]):
    row = db.execute(select(S).where(S.c.split_id == split_id)).mappings().first()
    if row is None:
        raise HTTPException(404, detail=f"no split {split_id}")
    SP = schema.split_parents
    parents = db.execute(select(SP).where(SP.c.split_id == split_id).order_by(SP.c.position)).mappings().all()
    return SplitDetail(
        **row, recipients=contributors_of(db, split_id),
        parents=[SplitParent(parent_split_id=p["parent_split_id"], share_bps=p["share_bps"],
                             slot_start=p["slot_start"]) for p in parents],
        received=received_by(db, split_id),
        work_id=db.execute(select(W.c.work_id).where(W.c.split_id == split_id)).scalar(),
    )


def _money_filters(db, query, table, split_id, work_id, token):
    if work_id is not None:
        split_from_work = _split_of_work(db, work_id)
        if split_id is not None and split_id != split_from_work:
            raise HTTPException(400, detail=f"work {work_id} is paid through split {split_from_work}, not {split_id}")
        split_id = split_from_work
    if split_id is not None:
        query = query.where(table.c.split_id == split_id)
    if token:
        query = query.where(table.c.token == token)
    return query


@router.get("/deposits", response_model=Page[Deposit], summary="List deposits (royalty payments)")
def list_deposits(db: Db, paging: Paging,
                  split_id: Annotated[IntId | None, Query()] = None,
                  work_id: Annotated[IntId | None, Query(description="Deposits into this work's split.")] = None,
                  token: Annotated[AddressStr | None, Query(description="Zero address: ETH.")] = None,
                  sender: Annotated[AddressStr | None, Query()] = None):
    query = _money_filters(db, select(D), D, split_id, work_id, token)
    if sender:
        query = query.where(D.c.sender == sender)
    rows, cursor = paginate(db, query, D.c.event_id, paging)
    return Page(items=[Deposit(**r) for r in rows], next_cursor=cursor)


@router.get("/deposits/{event_id}", response_model=Deposit, summary="One deposit")
def get_deposit(db: Db, event_id: Annotated[IntId, Path()]):
    row = db.execute(select(D).where(D.c.event_id == event_id)).mappings().first()
    if row is None:
        raise HTTPException(404, detail=f"no deposit {event_id}")
    return Deposit(**row)


@router.get("/withdrawals", response_model=Page[Withdrawal], summary="List withdrawals")
def list_withdrawals(db: Db, paging: Paging,
                     split_id: Annotated[IntId | None, Query()] = None,
                     work_id: Annotated[IntId | None, Query()] = None,
                     token: Annotated[AddressStr | None, Query()] = None,
                     account: Annotated[AddressStr | None, Query()] = None):
    query = _money_filters(db, select(X), X, split_id, work_id, token)
    if account:
        query = query.where(X.c.account == account)
    rows, cursor = paginate(db, query, X.c.event_id, paging)
    return Page(items=[Withdrawal(**r) for r in rows], next_cursor=cursor)


@router.get("/withdrawals/{event_id}", response_model=Withdrawal, summary="One withdrawal")
def get_withdrawal(db: Db, event_id: Annotated[IntId, Path()]):
    row = db.execute(select(X).where(X.c.event_id == event_id)).mappings().first()
    if row is None:
        raise HTTPException(404, detail=f"no withdrawal {event_id}")
    return Withdrawal(**row)


@router.get("/balances/{address}", response_model=Balances, summary="Everything an address holds or can claim")
def get_balances(db: Db, address: Annotated[AddressStr, Path()]):
    R, T, RW = schema.split_recipients, schema.split_totals, schema.recipient_withdrawn
    holder = db.execute(select(schema.token_holders).where(schema.token_holders.c.address == address)).mappings().first()
    slots = db.execute(select(R).where(R.c.account == address).order_by(R.c.split_id)).mappings().all()
    royalties = []
    for slot in slots:
        withdrawn = {r.token: int(r.withdrawn) for r in db.execute(
            select(RW).where(RW.c.split_id == slot["split_id"], RW.c.account == address))}
        work_id = db.execute(select(W.c.work_id).where(W.c.split_id == slot["split_id"])).scalar()
        for total in db.execute(select(T).where(T.c.split_id == slot["split_id"]).order_by(T.c.token)):
            entitled = entitlement(int(total.received), slot["slot_start"], slot["share_bps"])
            taken = withdrawn.get(total.token, 0)
            royalties.append(SplitBalance(
                split_id=slot["split_id"], work_id=work_id, token=total.token, share_bps=slot["share_bps"],
                split_received=total.received, entitled=str(entitled), withdrawn=str(taken),
                withdrawable=str(entitled - taken)))
    operator = db.execute(select(schema.operators.c.earned).where(schema.operators.c.address == address)).scalar()
    OW = schema.oracle_withdrawals
    oracle_withdrawn = sum(int(a) for a in db.execute(select(OW.c.amount).where(OW.c.account == address)).scalars())
    return Balances(
        address=address,
        token_balance=holder["balance"] if holder else "0",
        votes=holder["votes"] if holder else "0",
        delegate=holder["delegate"] if holder else None,
        royalties=royalties,
        oracle_earned=operator or "0",
        oracle_withdrawn=str(oracle_withdrawn),
        passes=held_passes(db, address, indexed_time(db))[0],
    )
