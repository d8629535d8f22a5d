"""Proposals, votes, token holders and governable parameters."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy import select

from indexer import schema
from indexer.api.deps import AddressStr, Db, Paging, Uint256Str
from indexer.api.models import Holder, Proposal, ProposalState, Vote
from indexer.api.pagination import Page, paginate
from indexer.api.routing import ThreadedRoute

router = APIRouter(tags=["governance"], route_class=ThreadedRoute)
P, V, H = schema.proposals, schema.votes, schema.token_holders


def _proposal(row) -> Proposal:
    return Proposal(**{**row, "actions": json.loads(row["actions"])})


@router.get("/proposals", response_model=Page[Proposal], summary="List proposals (oldest first)")
def list_proposals(db: Db, paging: Paging,
                   state: Annotated[ProposalState | None, Query(description="As of the indexed block.")] = None,
                   proposer: Annotated[AddressStr | None, Query()] = None):
    query = select(P)
    if state:
        query = query.where(P.c.state == state)
    if proposer:
        query = query.where(P.c.proposer == proposer)
    rows, cursor = paginate(db, query, P.c.created_event_id, paging)
    return Page(items=[_proposal(r) for r in rows], next_cursor=cursor)


@router.get("/proposals/{proposal_id}", response_model=Proposal, summary="One proposal")
def get_proposal(db: Db, proposal_id: Annotated[Uint256Str, Path()]):
    row = db.execute(select(P).where(P.c.proposal_id == str(int(proposal_id)))).mappings().first()
    if row is None:
        raise HTTPException(404, detail=f"no proposal {proposal_id}")
    return _proposal(row)


@router.get("/votes", response_model=Page[Vote], summary="List votes")
def list_votes(db: Db, paging: Paging,
               proposal_id: Annotated[Uint256Str | None, Query()] = None,
               voter: Annotated[AddressStr | None, Query()] = None,
               support: Annotated[int | None, Query(ge=0, le=2, description="0 against, 1 for, 2 abstain")] = None):
    query = select(V)
    if proposal_id is not None:
        query = query.where(V.c.proposal_id == str(int(proposal_id)))
    if voter:
        query = query.where(V.c.voter == voter)
    if support is not None:
        query = query.where(V.c.support == support)
    rows, cursor = paginate(db, query, V.c.event_id, paging)
    return Page(items=[Vote(**r) for r in rows], next_cursor=cursor)


@router.get("/holders", response_model=Page[Holder], summary="Token holders and delegates")
def list_holders(db: Db, paging: Paging,
                 delegate: Annotated[AddressStr | None, Query(description="Holders delegating to this address.")] = None):
    query = select(H)
    if delegate:
        query = query.where(H.c.delegate == delegate)
    rows, cursor = paginate(db, query, H.c.address, paging, kind=str)
    return Page(items=[Holder(**r) for r in rows], next_cursor=cursor)


@router.get("/parameters", response_model=dict[str, str], summary="Governable parameters seen in events")
def get_parameters(db: Db):
    return {r.name: r.value for r in db.execute(select(schema.governance_params).order_by(schema.governance_params.c.name))}
