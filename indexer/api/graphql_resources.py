"""GraphQL types and root fields for the REST resources beyond works and money: splits, governance,
the oracle, rooms and passes, usage royalties and licences.

Each root field calls the REST route's own function with the arguments checked as the route checks
its query parameters, so both interfaces answer alike (same filters, same order, same cursors). A
single item that does not exist is null; a list under a parent that does not exist (a room's holders)
is an error naming it, like the REST 404.
"""

from __future__ import annotations

from typing import Annotated, Optional

import strawberry
import strawberry.scalars
from strawberry.types import Info

from indexer.api import models
from indexer.api.graphql_support import (Long, Page, QueryError, address, db_of, enum_of, found_or_none, object_type,
                                         page, paging, text, uint256)
from indexer.api.routes import (governance as governance_routes, licences as licence_routes, media as media_routes,
                                oracle as oracle_routes, passes as pass_routes, royalties as royalty_routes,
                                usage as usage_routes, works as work_routes)

ProposalState = enum_of(models.ProposalState, "ProposalState")
JobState = enum_of(models.JobState, "JobState")
RoomPhase = enum_of(models.RoomPhase, "RoomPhase")


@strawberry.type
class TokenAmount:
    token: str = strawberry.field(description="Token address (zero address: ETH).")
    amount: str = strawberry.field(description="uint256 in decimal.")


def token_amounts(by_token: dict[str, str]) -> list[TokenAmount]:
    return [TokenAmount(token=token, amount=amount) for token, amount in by_token.items()]


@strawberry.type
class Parameter:
    name: str
    value: str


# Response types, in dependency order (a type's nested types first).
Contributor = object_type(models.Contributor)
SplitParent = object_type(models.SplitParent)
Split = object_type(models.Split)
SplitDetail = object_type(models.SplitDetail, received=list[TokenAmount])
Proposal = object_type(models.Proposal, actions=strawberry.scalars.JSON)
Vote = object_type(models.Vote)
TokenHolder = object_type(models.Holder, name="TokenHolder")
Job = object_type(models.Job)
Attestation = object_type(models.Attestation)
Slash = object_type(models.Slash)
JobDetail = object_type(models.JobDetail)
Operator = object_type(models.Operator)
OperatorDetail = object_type(models.OperatorDetail)
Room = object_type(models.Room)
MediaNodeLink = object_type(models.MediaNodeLink)
RoomDetail = object_type(models.RoomDetail)
PassHolding = object_type(models.PassHolding)
HeldPass = object_type(models.HeldPass)
PassPurchase = object_type(models.PassPurchase)
MediaNode = object_type(models.MediaNode)
UsagePool = object_type(models.UsagePool)
Epoch = object_type(models.Epoch)
UsageFunding = object_type(models.UsageFunding)
UsageClaim = object_type(models.UsageClaim)
EpochDetail = object_type(models.EpochDetail)
LicenceOffer = object_type(models.LicenceOffer)
LicenceOfferDetail = object_type(models.LicenceOfferDetail)
Licence = object_type(models.Licence)
OfferHolder = object_type(models.OfferHolder)
DerivativePolicy = object_type(models.DerivativePolicy)
LicenseCount = object_type(models.LicenseCount)


def _split_detail(detail: models.SplitDetail):
    split = SplitDetail.from_pydantic(detail.model_copy(update={"received": {}}))
    split.received = token_amounts(detail.received)  # a list here: GraphQL has no map type
    return split


@strawberry.type
class SplitQuery:
    @strawberry.field(description="Splits, filtered like GET /splits.")
    def splits(self, info: Info, limit: int = 50, cursor: Optional[str] = None, creator: Optional[str] = None,
               recipient: Optional[str] = None) -> Page[Split]:
        return page(Split.from_pydantic, royalty_routes.list_splits(
            db_of(info), paging(limit, cursor), creator=address(creator, "creator"),
            recipient=address(recipient, "recipient")))

    @strawberry.field(description="One split with its recipients, parents and income (null if none has this id).")
    def split(self, info: Info, split_id: Long) -> Optional[SplitDetail]:
        return found_or_none(lambda: _split_detail(royalty_routes.get_split(db_of(info), split_id)))

    @strawberry.field(description="The licences works are registered under, with how many works each, "
                                  "as GET /works/licenses.")
    def work_licenses(self, info: Info) -> list[LicenseCount]:
        return [LicenseCount.from_pydantic(c) for c in work_routes.list_licenses(db_of(info))]


@strawberry.type
class GovernanceQuery:
    @strawberry.field(description="Proposals, oldest first, filtered like GET /proposals.")
    def proposals(self, info: Info, limit: int = 50, cursor: Optional[str] = None,
                  state: Optional[ProposalState] = None, proposer: Optional[str] = None) -> Page[Proposal]:
        return page(Proposal.from_pydantic, governance_routes.list_proposals(
            db_of(info), paging(limit, cursor), state=state and state.value, proposer=address(proposer, "proposer")))

    @strawberry.field(description="One proposal by its uint256 id in decimal (null if there is none).")
    def proposal(self, info: Info, proposal_id: str) -> Optional[Proposal]:
        proposal_id = uint256(proposal_id, "proposalId")
        return found_or_none(lambda: Proposal.from_pydantic(governance_routes.get_proposal(db_of(info), proposal_id)))

    @strawberry.field(description="Votes, filtered like GET /votes (support: 0 against, 1 for, 2 abstain).")
    def votes(self, info: Info, limit: int = 50, cursor: Optional[str] = None, proposal_id: Optional[str] = None,
              voter: Optional[str] = None, support: Optional[int] = None) -> Page[Vote]:
        if support is not None and not 0 <= support <= 2:
            raise QueryError("support: 0 against, 1 for, 2 abstain")
        return page(Vote.from_pydantic, governance_routes.list_votes(
            db_of(info), paging(limit, cursor), proposal_id=uint256(proposal_id, "proposalId"),
            voter=address(voter, "voter"), support=support))

    @strawberry.field(description="Token holders and their delegates, filtered like GET /holders.")
    def token_holders(self, info: Info, limit: int = 50, cursor: Optional[str] = None,
                      delegate: Optional[str] = None) -> Page[TokenHolder]:
        return page(TokenHolder.from_pydantic, governance_routes.list_holders(
            db_of(info), paging(limit, cursor), delegate=address(delegate, "delegate")))

    @strawberry.field(description="Governable parameters seen in events, by name (GET /parameters).")
    def parameters(self, info: Info) -> list[Parameter]:
        return [Parameter(name=n, value=v) for n, v in governance_routes.get_parameters(db_of(info)).items()]


@strawberry.type
class OracleQuery:
    @strawberry.field(description="Oracle jobs, filtered like GET /jobs (kind: the job kind's name).")
    def jobs(self, info: Info, limit: int = 50, cursor: Optional[str] = None, state: Optional[JobState] = None,
             requester: Optional[str] = None, kind: Optional[str] = None,
             work_id: Optional[Long] = None) -> Page[Job]:
        return page(Job.from_pydantic, oracle_routes.list_jobs(
            db_of(info), paging(limit, cursor), state=state and state.value, requester=address(requester, "requester"),
            kind=text(kind, "kind", 32, shortest=0), work_id=work_id))

    @strawberry.field(description="One job with its attestations and slashes (null if there is none).")
    def job(self, info: Info, job_id: Long) -> Optional[JobDetail]:
        return found_or_none(lambda: JobDetail.from_pydantic(oracle_routes.get_job(db_of(info), job_id)))

    @strawberry.field(description="Attestations, filtered like GET /attestations.")
    def attestations(self, info: Info, limit: int = 50, cursor: Optional[str] = None, job_id: Optional[Long] = None,
                     operator: Optional[str] = None) -> Page[Attestation]:
        return page(Attestation.from_pydantic, oracle_routes.list_attestations(
            db_of(info), paging(limit, cursor), job_id=job_id, operator=address(operator, "operator")))

    @strawberry.field(description="One attestation by its event id (null if there is none).")
    def attestation(self, info: Info, event_id: Long) -> Optional[Attestation]:
        return found_or_none(lambda: Attestation.from_pydantic(oracle_routes.get_attestation(db_of(info), event_id)))

    @strawberry.field(description="Oracle operators and their bonds, filtered like GET /operators.")
    def operators(self, info: Info, limit: int = 50, cursor: Optional[str] = None,
                  active: Optional[bool] = None) -> Page[Operator]:
        return page(Operator.from_pydantic, oracle_routes.list_operators(db_of(info), paging(limit, cursor),
                                                                          active=active))

    @strawberry.field(description="One operator with its bond and slashes (null if it never was one).")
    def operator(self, info: Info, address_: Annotated[str, strawberry.argument(name="address")]) -> Optional[OperatorDetail]:
        checked = address(address_, "address")
        return found_or_none(lambda: OperatorDetail.from_pydantic(oracle_routes.get_operator(db_of(info), checked)))


@strawberry.type
class PassQuery:
    @strawberry.field(description="Rooms, oldest first, filtered like GET /rooms (phase: at the last indexed "
                                  "block's time).")
    def rooms(self, info: Info, limit: int = 50, cursor: Optional[str] = None, host: Optional[str] = None,
              split_id: Optional[Long] = None, phase: Optional[RoomPhase] = None) -> Page[Room]:
        return page(Room.from_pydantic, pass_routes.list_rooms(
            db_of(info), paging(limit, cursor), host=address(host, "host"), split_id=split_id,
            phase=phase and phase.value))

    @strawberry.field(description="One room with its holder counts and live media nodes (null if there is none).")
    def room(self, info: Info, room_id: Long) -> Optional[RoomDetail]:
        return found_or_none(lambda: RoomDetail.from_pydantic(
            pass_routes.get_room(db_of(info), info.context.now, room_id)))

    @strawberry.field(description="Who holds a room's passes, as GET /rooms/{room_id}/holders (an error if "
                                  "there is no such room).")
    def room_holders(self, info: Info, room_id: Long, limit: int = 50, cursor: Optional[str] = None,
                     include_revoked: bool = False) -> Page[PassHolding]:
        return page(PassHolding.from_pydantic, pass_routes.list_room_holders(
            db_of(info), paging(limit, cursor), room_id, include_revoked=include_revoked))

    @strawberry.field(description="A holder's passes with each room's validity, as GET /passes.")
    def passes(self, info: Info, holder: str, limit: int = 50, cursor: Optional[str] = None) -> Page[HeldPass]:
        return page(HeldPass.from_pydantic, pass_routes.list_passes(
            db_of(info), paging(limit, cursor), holder=address(holder, "holder")))

    @strawberry.field(description="Pass sales, filtered like GET /purchases (to: who received the pass).")
    def purchases(self, info: Info, limit: int = 50, cursor: Optional[str] = None, room_id: Optional[Long] = None,
                  buyer: Optional[str] = None, to: Optional[str] = None) -> Page[PassPurchase]:
        return page(PassPurchase.from_pydantic, pass_routes.list_purchases(
            db_of(info), paging(limit, cursor), room_id=room_id, buyer=address(buyer, "buyer"), to=address(to, "to")))

    @strawberry.field(description="The room directory: media nodes serving a room, newest announcement first, "
                                  "as GET /rooms/{room_id}/media-nodes (an error if there is no such room).")
    def media_nodes(self, info: Info, room_id: Long) -> list[MediaNode]:
        return [MediaNode.from_pydantic(n) for n in media_routes.list_media_nodes(db_of(info), info.context.now,
                                                                                   room_id)]


@strawberry.type
class UsageQuery:
    @strawberry.field(description="Usage-royalty epochs, newest first, filtered like GET /epochs.")
    def epochs(self, info: Info, limit: int = 50, cursor: Optional[str] = None,
               settled: Optional[bool] = None) -> Page[Epoch]:
        return page(Epoch.from_pydantic, usage_routes.list_epochs(db_of(info), paging(limit, cursor), settled=settled))

    @strawberry.field(description="One epoch with its pools, fundings and claims (null if nothing happened in it).")
    def epoch(self, info: Info, epoch: Long) -> Optional[EpochDetail]:
        return found_or_none(lambda: EpochDetail.from_pydantic(usage_routes.get_epoch(db_of(info), epoch)))

    @strawberry.field(description="A work's usage-royalty claims, oldest first, as GET /works/{work_id}/usage "
                                  "(an error if there is no such work).")
    def work_usage(self, info: Info, work_id: Long, limit: int = 50, cursor: Optional[str] = None,
                   epoch: Optional[Long] = None, token: Optional[str] = None) -> Page[UsageClaim]:
        return page(UsageClaim.from_pydantic, usage_routes.list_work_usage(
            db_of(info), paging(limit, cursor), work_id, epoch=epoch, token=address(token, "token")))


@strawberry.type
class LicenceQuery:
    @strawberry.field(description="Licence offers, oldest first, filtered like GET /offers.")
    def offers(self, info: Info, limit: int = 50, cursor: Optional[str] = None, work_id: Optional[Long] = None,
               seller: Optional[str] = None, paused: Optional[bool] = None) -> Page[LicenceOffer]:
        return page(LicenceOffer.from_pydantic, licence_routes.list_offers(
            db_of(info), paging(limit, cursor), work_id=work_id, seller=address(seller, "seller"), paused=paused))

    @strawberry.field(description="One offer with its holder counts (null if there is none).")
    def offer(self, info: Info, offer_id: Long) -> Optional[LicenceOfferDetail]:
        return found_or_none(lambda: LicenceOfferDetail.from_pydantic(licence_routes.get_offer(db_of(info), offer_id)))

    @strawberry.field(description="Who holds an offer's licences, as GET /offers/{offer_id}/holders (an error if "
                                  "there is no such offer).")
    def offer_holders(self, info: Info, offer_id: Long, limit: int = 50,
                      cursor: Optional[str] = None) -> Page[OfferHolder]:
        return page(OfferHolder.from_pydantic, licence_routes.list_offer_holders(
            db_of(info), paging(limit, cursor), offer_id))

    @strawberry.field(description="Licences with their validity, filtered like GET /licences (valid: in force at "
                                  "the last indexed block's time).")
    def licences(self, info: Info, limit: int = 50, cursor: Optional[str] = None, holder: Optional[str] = None,
                 offer_id: Optional[Long] = None, work_id: Optional[Long] = None,
                 valid: Optional[bool] = None) -> Page[Licence]:
        return page(Licence.from_pydantic, licence_routes.list_licences(
            db_of(info), paging(limit, cursor), holder=address(holder, "holder"), offer_id=offer_id,
            work_id=work_id, valid=valid))

    @strawberry.field(description="One licence with its validity (null if there is none).")
    def licence(self, info: Info, licence_id: Long) -> Optional[Licence]:
        return found_or_none(lambda: Licence.from_pydantic(licence_routes.get_licence(db_of(info), licence_id)))

    @strawberry.field(description="Whether deriving from a work needs a licence (null if there is no such work).")
    def derivative_policy(self, info: Info, work_id: Long) -> Optional[DerivativePolicy]:
        return found_or_none(lambda: DerivativePolicy.from_pydantic(
            licence_routes.get_derivative_policy(db_of(info), work_id)))
