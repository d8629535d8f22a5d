"""GraphQL at ``/graphql`` (Strawberry) over the same tables and queries as the REST routes.

Each operation runs in one worker thread on one read transaction, like a REST request (all its
fields come from one snapshot of the index). Lists take the REST API's filters and its paging
(``limit``, ``cursor`` → ``nextCursor``) and reuse the REST routes' own functions, so both
interfaces answer alike. Bad input is a GraphQL error with the reason (HTTP 400 when nothing could
be executed); only a fault of ours is a 500. Works, money and events are here; the other resources'
types and root fields are in ``graphql_resources``, the shared scalar and checks in ``graphql_support``.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
from typing import Any

import strawberry
import strawberry.experimental.pydantic
import strawberry.scalars
from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from graphql import GraphQLError
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.types import Info

from indexer.api import models
from indexer.api.deps import ConnectionClaim, wall_clock
from indexer.api.graphql_resources import (Contributor, DerivativePolicy, GovernanceQuery, HeldPass, LicenceOffer,
                                           LicenceQuery, OracleQuery, PassQuery, SplitQuery, TokenAmount, UsageClaim,
                                           UsageQuery)
from indexer.api.graphql_support import Context, Long, Page, QueryError, page
from indexer.api.graphql_support import address as _address, db_of as _db, paging as _paging
from indexer.api.routes import (events as event_routes, licences as licence_routes, royalties as royalty_routes,
                                usage as usage_routes, works as work_routes)

logger = logging.getLogger(__name__)
MAX_QUERY_BYTES = 20_000
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_]{1,64}$")

@strawberry.experimental.pydantic.type(model=models.ParentLink, all_fields=True)
class ParentLink:
    parent_work_id: Long


@strawberry.experimental.pydantic.type(model=models.Work, all_fields=True)
class Work:
    work_id: Long
    split_id: Long
    registered_block: Long
    metadata_status: str | None = strawberry.field(
        description="ok: read; invalid: not a metadata JSON; retrying: IPFS could not serve it yet; null: not asked yet.")

    @strawberry.field(description="The work's contributors and their shares.")
    def contributors(self, info: Info) -> list[Contributor]:
        return [Contributor.from_pydantic(c) for c in work_routes.contributors_of(_db(info), self.split_id)]

    @strawberry.field(description="Works this one derives from, with their shares.")
    def parents(self, info: Info) -> list[ParentLink]:
        return [ParentLink.from_pydantic(p) for p in work_routes.get_work(_db(info), self.work_id).parents]

    @strawberry.field(description="Ids of works derived from this one.")
    def derivatives(self, info: Info) -> list[Long]:
        return work_routes.get_work(_db(info), self.work_id).derivatives

    @strawberry.field(description="Income of the work's split by token.")
    def received(self, info: Info) -> list[TokenAmount]:
        return [TokenAmount(token=t, amount=a) for t, a in work_routes.received_by(_db(info), self.split_id).items()]

    @strawberry.field(description="The work's licence offers, as GET /works/{work_id}/offers.")
    def offers(self, info: Info, limit: int = 50, cursor: str | None = None,
               paused: bool | None = None) -> Page[LicenceOffer]:
        return page(LicenceOffer.from_pydantic, licence_routes.list_work_offers(
            _db(info), _paging(limit, cursor), self.work_id, paused=paused))

    @strawberry.field(description="The work's usage-royalty claims, as GET /works/{work_id}/usage.")
    def usage(self, info: Info, limit: int = 50, cursor: str | None = None, epoch: Long | None = None,
              token: str | None = None) -> Page[UsageClaim]:
        return page(UsageClaim.from_pydantic, usage_routes.list_work_usage(
            _db(info), _paging(limit, cursor), self.work_id, epoch=epoch, token=_address(token, "token")))

    @strawberry.field(description="Whether deriving from the work needs a licence.")
    def derivative_policy(self, info: Info) -> DerivativePolicy:
        return DerivativePolicy.from_pydantic(licence_routes.get_derivative_policy(_db(info), self.work_id))


@strawberry.experimental.pydantic.type(model=models.Deposit, all_fields=True)
class Deposit:
    event_id: Long
    block_number: Long
    split_id: Long


@strawberry.experimental.pydantic.type(model=models.Withdrawal, all_fields=True)
class Withdrawal:
    event_id: Long
    block_number: Long
    split_id: Long


@strawberry.experimental.pydantic.type(model=models.SplitBalance, all_fields=True)
class SplitBalance:
    split_id: Long
    work_id: Long | None


@strawberry.type
class Balances:
    address: str
    token_balance: str
    votes: str
    delegate: str | None
    royalties: list[SplitBalance]
    oracle_earned: str
    oracle_withdrawn: str
    passes: list[HeldPass] = strawberry.field(description="Access passes held (or revoked).")


@strawberry.type
class Event:
    event_id: Long
    block_number: Long
    block_hash: str
    log_index: int
    tx_hash: str
    contract: str
    address: str
    name: str
    args: strawberry.scalars.JSON


def _event(model: models.Event) -> Event:
    return Event(**model.model_dump())


@strawberry.type
class WorkPage:
    items: list[Work]
    next_cursor: str | None


@strawberry.type
class DepositPage:
    items: list[Deposit]
    next_cursor: str | None


@strawberry.type
class WithdrawalPage:
    items: list[Withdrawal]
    next_cursor: str | None


@strawberry.type
class EventPage:
    items: list[Event]
    next_cursor: str | None


@strawberry.type
class Query(SplitQuery, GovernanceQuery, OracleQuery, PassQuery, UsageQuery, LicenceQuery):
    @strawberry.field(description="Works, oldest first, filtered like GET /works.")
    def works(self, info: Info, limit: int = 50, cursor: str | None = None, artist: str | None = None,
              owner: str | None = None, contributor: str | None = None, parent: Long | None = None,
              q: str | None = None, license: str | None = None, derivative: bool | None = None,
              ai: bool | None = None) -> WorkPage:
        for name, value, longest in (("q", q, 100), ("license", license, 200)):
            if value is not None and not 1 <= len(value) <= longest:
                raise QueryError(f"{name}: 1 to {longest} characters")
        page = work_routes.list_works(_db(info), _paging(limit, cursor), artist=_address(artist, "artist"),
                                      owner=_address(owner, "owner"), contributor=_address(contributor, "contributor"),
                                      parent=parent, q=q, license=license, derivative=derivative, ai=ai)
        return WorkPage(items=[Work.from_pydantic(w) for w in page.items], next_cursor=page.next_cursor)

    @strawberry.field(description="One work (null if there is none with this id).")
    def work(self, info: Info, work_id: Long) -> Work | None:
        try:
            return Work.from_pydantic(models.Work(**work_routes.load_work(_db(info), work_id)))
        except HTTPException as exc:
            if exc.status_code == 404:
                return None
            raise

    @strawberry.field(description="Deposits (royalty payments), filtered like GET /deposits.")
    def deposits(self, info: Info, limit: int = 50, cursor: str | None = None, split_id: Long | None = None,
                 work_id: Long | None = None, token: str | None = None, sender: str | None = None) -> DepositPage:
        page = royalty_routes.list_deposits(_db(info), _paging(limit, cursor), split_id=split_id, work_id=work_id,
                                            token=_address(token, "token"), sender=_address(sender, "sender"))
        return DepositPage(items=[Deposit.from_pydantic(d) for d in page.items], next_cursor=page.next_cursor)

    @strawberry.field(description="Withdrawals, filtered like GET /withdrawals.")
    def withdrawals(self, info: Info, limit: int = 50, cursor: str | None = None, split_id: Long | None = None,
                    work_id: Long | None = None, token: str | None = None,
                    account: str | None = None) -> WithdrawalPage:
        page = royalty_routes.list_withdrawals(_db(info), _paging(limit, cursor), split_id=split_id,
                                               work_id=work_id, token=_address(token, "token"),
                                               account=_address(account, "account"))
        return WithdrawalPage(items=[Withdrawal.from_pydantic(w) for w in page.items], next_cursor=page.next_cursor)

    @strawberry.field(description="Everything an address holds or can claim, as GET /balances/{address}.")
    def balances(self, info: Info, address: str) -> Balances:
        b = royalty_routes.get_balances(_db(info), _address(address, "address"))
        return Balances(address=b.address, token_balance=b.token_balance, votes=b.votes, delegate=b.delegate,
                        royalties=[SplitBalance.from_pydantic(r) for r in b.royalties],
                        oracle_earned=b.oracle_earned, oracle_withdrawn=b.oracle_withdrawn,
                        passes=[HeldPass.from_pydantic(p) for p in b.passes])

    @strawberry.field(description="Decoded events in chain order, filtered like GET /events.")
    def events(self, info: Info, limit: int = 50, cursor: str | None = None, contract: str | None = None,
               name: str | None = None, from_block: Long | None = None, to_block: Long | None = None) -> EventPage:
        for label, value in (("contract", contract), ("name", name)):
            if value is not None and not NAME_PATTERN.match(value):
                raise QueryError(f"{label}: 1 to 64 letters, digits or underscores")
        page = event_routes.list_events(_db(info), _paging(limit, cursor), contract=contract, name=name,
                                        from_block=from_block, to_block=to_block)
        return EventPage(items=[_event(e) for e in page.items], next_cursor=page.next_cursor)


class QuietSchema(strawberry.Schema):
    """Logs only our own faults: a client's bad query is its answer's business, not the log's."""

    def process_errors(self, errors, execution_context=None) -> None:
        for error in errors:
            if _is_internal(error):
                logger.error("GraphQL resolver failed", exc_info=error.original_error)


schema = QuietSchema(query=Query, extensions=[QueryDepthLimiter(max_depth=8), MaxAliasesLimiter(max_alias_count=20),
                                              MaxTokensLimiter(max_token_count=2_000)])


def _is_internal(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, (QueryError, HTTPException, GraphQLError))


def _formatted(error: GraphQLError) -> dict:
    formatted = error.formatted
    if isinstance(error.original_error, HTTPException):
        formatted["message"] = error.original_error.detail
    return formatted


def _execute(claim: ConnectionClaim, now: int, query: str, variables: dict | None, operation: str | None):
    # One connection, one read transaction: every field of the operation reads the same snapshot.
    with claim.connect() as db:
        return schema.execute_sync(query, variable_values=variables, operation_name=operation,
                                   context_value=Context(db=db, now=now))


async def _wall_clock(request: Request) -> int:
    """The REST routes' ``WallClock`` dependency, overrides included (tests set the clock)."""
    now = request.app.dependency_overrides.get(wall_clock, wall_clock)()
    return await now if inspect.isawaitable(now) else now


class AsciiJSONResponse(JSONResponse):
    """Non-ASCII escaped: an error echoing a lone surrogate from the query stays encodable."""

    def render(self, content) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _bad_request(reason: str) -> JSONResponse:
    return AsciiJSONResponse({"errors": [{"message": reason}]}, status_code=400)


router = APIRouter(tags=["graphql"])


@router.post("/graphql", summary="GraphQL over the index (schema: POST {\"query\": \"{ __schema { types { name } } }\"})",
             responses={400: {"description": "Nothing could be executed; `errors` say why."}})
async def graphql(request: Request):
    body = await request.body()
    if len(body) > MAX_QUERY_BYTES:
        return _bad_request(f"request larger than {MAX_QUERY_BYTES} bytes")
    try:
        payload = json.loads(body)
    except ValueError:
        return _bad_request('the body must be JSON: {"query": "...", "variables": {...}}')
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return _bad_request('"query" must be a string holding a GraphQL document')
    variables, operation = payload.get("variables"), payload.get("operationName")
    if variables is not None and not isinstance(variables, dict):
        return _bad_request('"variables" must be an object')
    if operation is not None and not isinstance(operation, str):
        return _bad_request('"operationName" must be a string')
    if "\x00" in payload["query"] or "\\u0000" in json.dumps(variables):
        return _bad_request("NUL characters are not accepted")
    claim = ConnectionClaim(request.app.state.engine, read_only=True)
    now = await _wall_clock(request)
    async with request.app.state.connection_slots:
        result = await run_in_threadpool(_execute, claim, now, payload["query"], variables, operation)
    errors = result.errors or []
    answer: dict[str, Any] = {"data": result.data}
    if errors:
        answer["errors"] = [_formatted(e) for e in errors]
    if any(_is_internal(e) for e in errors):
        return AsciiJSONResponse({"errors": [{"message": "internal error"}]}, status_code=500)
    status = 400 if result.data is None and errors else 200
    return AsciiJSONResponse(answer, status_code=status)
