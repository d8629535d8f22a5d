"""Oracle jobs, attestations and operators."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy import select

from indexer import schema
from indexer.api.deps import AddressStr, Db, IntId, Paging
from indexer.api.models import Attestation, Job, JobDetail, JobState, Operator, OperatorDetail, Slash
from indexer.api.pagination import Page, paginate
from indexer.api.routing import ThreadedRoute

router = APIRouter(tags=["oracle"], route_class=ThreadedRoute)
J, A, O, DS = schema.jobs, schema.attestations, schema.operators, schema.dissents
B, S = schema.operator_bonds, schema.slashes
#: An operator that never bonded: what the hub's views answer for it.
NO_BOND = {"bonded": "0", "unbonding": "0", "unbonding_available_at": None, "slashed": "0", "slash_count": 0}


def _job(row) -> dict:
    ops = row["agreeing_operators"]
    return {**row, "agreeing_operators": json.loads(ops) if ops else None}


def _attestations(db, query) -> list[dict]:
    return _with_dissent(db, db.execute(query).mappings().all())


def _with_dissent(db, rows) -> list[dict]:
    dissented = set()
    if rows:
        job_ids = {r["job_id"] for r in rows}
        dissented = {(d.job_id, d.operator) for d in db.execute(
            select(DS.c.job_id, DS.c.operator).where(DS.c.job_id.in_(job_ids)))}
    return [{**r, "dissented": (r["job_id"], r["operator"]) in dissented} for r in rows]


@router.get("/jobs", response_model=Page[Job], summary="List oracle jobs")
def list_jobs(db: Db, paging: Paging,
              state: Annotated[JobState | None, Query()] = None,
              requester: Annotated[AddressStr | None, Query()] = None,
              kind: Annotated[str | None, Query(max_length=32, description="Job kind name, e.g. analyze.")] = None,
              work_id: Annotated[IntId | None, Query(description="Jobs on this input work.")] = None):
    query = select(J)
    if state:
        query = query.where(J.c.state == state)
    if requester:
        query = query.where(J.c.requester == requester)
    if kind:
        query = query.where(J.c.kind_name == kind)
    if work_id is not None:
        query = query.where(J.c.input_work_id == work_id)
    rows, cursor = paginate(db, query, J.c.job_id, paging)
    return Page(items=[Job(**_job(r)) for r in rows], next_cursor=cursor)


@router.get("/jobs/{job_id}", response_model=JobDetail, summary="One job and its attestations")
def get_job(db: Db, job_id: Annotated[IntId, Path()]):
    row = db.execute(select(J).where(J.c.job_id == job_id)).mappings().first()
    if row is None:
        raise HTTPException(404, detail=f"no job {job_id}")
    attestations = _attestations(db, select(A).where(A.c.job_id == job_id).order_by(A.c.event_id))
    slashes = db.execute(select(S).where(S.c.job_id == job_id).order_by(S.c.event_id)).mappings().all()
    return JobDetail(**_job(row), attestations=[Attestation(**a) for a in attestations],
                     slashes=[Slash(**s) for s in slashes])


@router.get("/attestations", response_model=Page[Attestation], summary="List attestations")
def list_attestations(db: Db, paging: Paging,
                      job_id: Annotated[IntId | None, Query()] = None,
                      operator: Annotated[AddressStr | None, Query()] = None):
    query = select(A)
    if job_id is not None:
        query = query.where(A.c.job_id == job_id)
    if operator:
        query = query.where(A.c.operator == operator)
    rows, cursor = paginate(db, query, A.c.event_id, paging)
    return Page(items=[Attestation(**a) for a in _with_dissent(db, rows)], next_cursor=cursor)


@router.get("/attestations/{event_id}", response_model=Attestation, summary="One attestation")
def get_attestation(db: Db, event_id: Annotated[IntId, Path()]):
    found = _attestations(db, select(A).where(A.c.event_id == event_id))
    if not found:
        raise HTTPException(404, detail=f"no attestation {event_id}")
    return Attestation(**found[0])


def _with_bonds(db, rows) -> list[dict]:
    bonds = {}
    if rows:
        addresses = {r["address"] for r in rows}
        bonds = {b["address"]: b for b in db.execute(select(B).where(B.c.address.in_(addresses))).mappings()}
    return [{**NO_BOND, **bonds.get(r["address"], {}), **r} for r in rows]


@router.get("/operators", response_model=Page[Operator], summary="Oracle operators (past and present) and their bonds")
def list_operators(db: Db, paging: Paging, active: Annotated[bool | None, Query()] = None):
    query = select(O)
    if active is not None:
        query = query.where(O.c.active == active)
    rows, cursor = paginate(db, query, O.c.address, paging, kind=str)
    return Page(items=[Operator(**r) for r in _with_bonds(db, rows)], next_cursor=cursor)


@router.get("/operators/{address}", response_model=OperatorDetail, summary="One operator, its bond and slashes")
def get_operator(db: Db, address: Annotated[AddressStr, Path()]):
    row = db.execute(select(O).where(O.c.address == address)).mappings().first()
    if row is None:
        raise HTTPException(404, detail=f"{address} was never an operator")
    slashes = db.execute(select(S).where(S.c.operator == address).order_by(S.c.event_id)).mappings().all()
    return OperatorDetail(**_with_bonds(db, [row])[0], slashes=[Slash(**s) for s in slashes])
