"""LicenseOffers: works' offers, licences with their validity, who holds an offer's licences, and
works' derivative policies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy import case, func, or_, select

from indexer import schema
from indexer.api.deps import AddressStr, Db, IntId, Paging
from indexer.api.models import DerivativePolicy, Licence, LicenceOffer, LicenceOfferDetail, OfferHolder
from indexer.api.pagination import Page, paginate
from indexer.api.routes.passes import indexed_time
from indexer.api.routing import ThreadedRoute
from tutti.licenses import RIGHTS

router = APIRouter(tags=["licences"], route_class=ThreadedRoute)
O, L, W = schema.licence_offers, schema.licences, schema.works


def right_names(mask: int) -> list[str]:
    return [name for name, bit in RIGHTS.items() if mask & bit]


def in_force(now: int):
    """The SQL condition of the contract's isLicenseValid at ``now`` (licences are never burnt)."""
    return or_(L.c.valid_until == 0, L.c.valid_until >= now)


def _offer(row) -> dict:
    return {**row, "right_names": right_names(row["rights"]), "uri": f"ipfs://{row['terms_cid']}"}


def load_offer(db, offer_id: int) -> dict:
    row = db.execute(select(O).where(O.c.offer_id == offer_id)).mappings().first()
    if row is None:
        raise HTTPException(404, detail=f"no licence offer {offer_id}")
    return dict(row)


def require_work(db, work_id: int) -> None:
    if db.execute(select(W.c.work_id).where(W.c.work_id == work_id)).first() is None:
        raise HTTPException(404, detail=f"no work {work_id}")


def _offers_page(db, paging, query) -> Page[LicenceOffer]:
    rows, cursor = paginate(db, query, O.c.offer_id, paging)
    return Page(items=[LicenceOffer(**_offer(r)) for r in rows], next_cursor=cursor)


PausedFilter = Annotated[bool | None, Query(description="Only paused (true) or only on sale (false) offers.")]


@router.get("/offers", response_model=Page[LicenceOffer], summary="List licence offers (oldest first)")
def list_offers(db: Db, paging: Paging,
                work_id: Annotated[IntId | None, Query(description="Offers of this work.")] = None,
                seller: Annotated[AddressStr | None, Query(description="Created by this address.")] = None,
                paused: PausedFilter = None):
    query = select(O)
    if work_id is not None:
        query = query.where(O.c.work_id == work_id)
    if seller:
        query = query.where(O.c.seller == seller)
    if paused is not None:
        query = query.where(O.c.paused == paused)
    return _offers_page(db, paging, query)


@router.get("/works/{work_id}/offers", response_model=Page[LicenceOffer], summary="A work's licence offers")
def list_work_offers(db: Db, paging: Paging, work_id: Annotated[IntId, Path()], paused: PausedFilter = None):
    require_work(db, work_id)
    query = select(O).where(O.c.work_id == work_id)
    if paused is not None:
        query = query.where(O.c.paused == paused)
    return _offers_page(db, paging, query)


@router.get("/works/{work_id}/derivative-policy", response_model=DerivativePolicy,
            summary="Whether deriving from a work needs a licence")
def get_derivative_policy(db: Db, work_id: Annotated[IntId, Path()]):
    require_work(db, work_id)
    P = schema.derivative_policies
    row = db.execute(select(P).where(P.c.work_id == work_id)).mappings().first()
    if row is None:
        return DerivativePolicy(work_id=work_id, licence_required=False, changed_block=None)
    return DerivativePolicy(**row)


@router.get("/offers/{offer_id}", response_model=LicenceOfferDetail, summary="One offer, with its holders count")
def get_offer(db: Db, offer_id: Annotated[IntId, Path()]):
    offer = load_offer(db, offer_id)
    of_offer = L.c.offer_id == offer_id
    holders = db.execute(select(func.count(func.distinct(L.c.holder))).where(of_offer)).scalar()
    valid = db.execute(select(func.count()).select_from(L).where(of_offer, in_force(indexed_time(db)))).scalar()
    return LicenceOfferDetail(**_offer(offer), holders=holders, valid_licences=valid)


@router.get("/offers/{offer_id}/holders", response_model=Page[OfferHolder],
            summary="Who holds an offer's licences, and how many are in force")
def list_offer_holders(db: Db, paging: Paging, offer_id: Annotated[IntId, Path()]):
    load_offer(db, offer_id)
    now = indexed_time(db)
    query = (select(L.c.holder, func.count().label("licences"),
                    func.sum(case((in_force(now), 1), else_=0)).label("valid_licences"))
             .where(L.c.offer_id == offer_id).group_by(L.c.holder))
    rows, cursor = paginate(db, query, L.c.holder, paging, kind=str)
    return Page(items=[OfferHolder(**r) for r in rows], next_cursor=cursor)


def _licence_query():
    return select(L, O.c.rights, O.c.transferable).join(O, O.c.offer_id == L.c.offer_id)


def _licence(row, now: int) -> Licence:
    valid = row["valid_until"] == 0 or now <= row["valid_until"]
    return Licence(**row, right_names=right_names(row["rights"]), valid_now=valid)


@router.get("/licences", response_model=Page[Licence], summary="List licences, each with its validity")
def list_licences(db: Db, paging: Paging,
                  holder: Annotated[AddressStr | None, Query(description="Held by this address now.")] = None,
                  offer_id: Annotated[IntId | None, Query()] = None,
                  work_id: Annotated[IntId | None, Query()] = None,
                  valid: Annotated[bool | None, Query(description="Only licences in force (true) or expired "
                                                                  "(false) at the last indexed block's time.")] = None):
    now = indexed_time(db)
    query = _licence_query()
    if holder:
        query = query.where(L.c.holder == holder)
    if offer_id is not None:
        query = query.where(L.c.offer_id == offer_id)
    if work_id is not None:
        query = query.where(L.c.work_id == work_id)
    if valid is not None:
        query = query.where(in_force(now) if valid else ~in_force(now))
    rows, cursor = paginate(db, query, L.c.licence_id, paging)
    return Page(items=[_licence(r, now) for r in rows], next_cursor=cursor)


@router.get("/licences/{licence_id}", response_model=Licence, summary="One licence, with its validity")
def get_licence(db: Db, licence_id: Annotated[IntId, Path()]):
    row = db.execute(_licence_query().where(L.c.licence_id == licence_id)).mappings().first()
    if row is None:
        raise HTTPException(404, detail=f"no licence {licence_id}")
    return _licence(row, indexed_time(db))
