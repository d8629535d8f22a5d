"""Response models (what the OpenAPI document promises). uint256 values are decimal strings."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tutti.media_directory import MAX_TTL_SECONDS, MAX_URL_LENGTH

ProposalState = Literal["pending", "active", "canceled", "defeated", "succeeded", "queued", "executed"]
JobState = Literal["open", "fulfilled", "refunded"]


class Problem(BaseModel):
    detail: str


class EventRef(BaseModel):
    event_id: int = Field(description="block_number * 1,000,000 + log_index")
    block_number: int
    tx_hash: str


class Contributor(BaseModel):
    account: str
    share_bps: int = Field(description="Share of the work's split, in basis points of all its income.")
    slot_start: int


class ParentLink(BaseModel):
    parent_work_id: int
    share_bps: int


class Work(BaseModel):
    work_id: int
    artist: str
    owner: str
    content_hash: str
    metadata_cid: str
    license: str
    royalty_bps: int
    split_id: int
    wallet: str
    wallet_deployed: bool
    registered_block: int
    registered_tx: str
    title: str | None = Field(None, description="From the work's metadata on IPFS (null until the indexer has read it).")
    artist_name: str | None = Field(None, description="The artist as the metadata names them.")
    ai: bool | None = Field(None, description="Whether the metadata says the work is AI-made.")
    is_derivative: bool = Field(False, description="Registered as a derivative of other works.")
    metadata_status: Literal["ok", "invalid", "retrying"] | None = Field(
        None, description="ok: read; invalid: not a metadata JSON; retrying: IPFS could not serve it yet; "
                          "null: not asked yet.")


class LicenseCount(BaseModel):
    license: str
    works: int


class WorkDetail(Work):
    contributors: list[Contributor]
    parents: list[ParentLink]
    derivatives: list[int]
    received: dict[str, str] = Field(description="Income of the work's split by token (zero address: ETH).")


class Split(EventRef):
    split_id: int
    creator: str


class SplitParent(BaseModel):
    parent_split_id: int
    share_bps: int
    slot_start: int


class SplitDetail(Split):
    recipients: list[Contributor]
    parents: list[SplitParent]
    received: dict[str, str]
    work_id: int | None


class Deposit(EventRef):
    split_id: int
    token: str
    sender: str
    amount: str


class Withdrawal(EventRef):
    split_id: int
    token: str
    account: str
    amount: str


class SplitBalance(BaseModel):
    split_id: int
    work_id: int | None
    token: str
    share_bps: int
    split_received: str
    entitled: str
    withdrawn: str
    withdrawable: str


class Balances(BaseModel):
    address: str
    token_balance: str = Field(description="TuttiToken balance.")
    votes: str
    delegate: str | None
    royalties: list[SplitBalance]
    oracle_earned: str = Field(description="Oracle fees credited to this operator.")
    oracle_withdrawn: str
    passes: list["HeldPass"] = Field(default_factory=list, description="Access passes held (or revoked).")


class Proposal(BaseModel):
    proposal_id: str
    proposer: str
    description: str
    actions: list[dict[str, str]]
    vote_start: int
    vote_end: int
    state: ProposalState
    votes_for: str
    votes_against: str
    votes_abstain: str
    eta: int | None
    created_block: int
    created_tx: str
    queued_block: int | None
    executed_block: int | None
    canceled_block: int | None


class Vote(EventRef):
    proposal_id: str
    voter: str
    support: int = Field(description="0 against, 1 for, 2 abstain")
    weight: str
    reason: str
    params: str | None


class Holder(BaseModel):
    address: str
    balance: str
    delegate: str | None
    votes: str


class Job(BaseModel):
    job_id: int
    requester: str
    kind: str
    kind_name: str
    input_cid: str
    params: str
    fee: str
    deadline: int
    seed: str
    input_work_id: int
    state: JobState
    requested_block: int
    requested_tx: str
    outcome: str | None
    result_cid: str | None
    result_hash: str | None
    model_id: str | None
    agreeing_operators: list[str] | None
    finished_block: int | None
    refunded_amount: str | None


class Attestation(EventRef):
    job_id: int
    operator: str
    outcome: str
    result_hash: str
    result_cid: str
    model_id: str
    relayer: str
    dissented: bool = Field(description="The job was fulfilled with another outcome.")


class Slash(EventRef):
    operator: str
    job_id: int
    amount: str = Field(description="Wei taken from the operator's bond for its dissent on the job.")


class JobDetail(Job):
    attestations: list[Attestation]
    slashes: list[Slash] = Field(description="Slashes of dissenters for this job, oldest first.")


class Operator(BaseModel):
    address: str
    active: bool
    added_block: int
    removed_block: int | None
    earned: str
    bonded: str = Field(description="Bond counting toward the hub's minimum, in wei (bondOf).")
    unbonding: str = Field(description="Bond waiting to be withdrawn, in wei (unbondingOf); still slashable.")
    unbonding_available_at: int | None = Field(description="When the unbonding can be withdrawn (unix seconds).")
    slashed: str = Field(description="Everything slashed from this operator's bond, in wei.")
    slash_count: int


class OperatorDetail(Operator):
    slashes: list[Slash] = Field(description="This operator's slashes, oldest first.")


class Event(EventRef):
    block_hash: str
    log_index: int
    contract: str
    address: str
    name: str
    args: dict[str, Any]


class Health(BaseModel):
    status: Literal["ok", "unhealthy"]
    chain_id: int | None
    block_number: int | None
    block_timestamp: int | None
    problem: str | None = Field(None, description="Why the index is unhealthy and what to do (status unhealthy).")


RoomPhase = Literal["upcoming", "open", "over"]


class Room(BaseModel):
    room_id: int = Field(description="The room's ERC-1155 token id.")
    host: str
    host_split_id: int = Field(description="The split paid by every sale, minus the platform fee.")
    price: str = Field(description="Wei per pass.")
    supply_cap: int
    sold: int = Field(description="Passes ever sold, revoked ones included.")
    valid_from: int
    valid_until: int = Field(description="Last second a pass admits its holder, and the end of sales.")
    transferable: bool
    metadata_cid: str
    uri: str
    phase: RoomPhase = Field(description="At the last indexed block's time: upcoming, open (valid now) or over.")
    created_block: int
    created_tx: str


class MediaNodeLink(BaseModel):
    url: str = Field(description="The media node's base URL.")
    expires_at: int = Field(description="Unix seconds (wall clock): listed until then unless announced again.")


class RoomDetail(Room):
    holders: int = Field(description="Accounts holding at least one pass.")
    passes_held: int = Field(description="Passes in circulation (sold minus burnt by revocation).")
    revoked: int = Field(description="Accounts the host revoked.")
    media_nodes: list[MediaNodeLink] = Field(description="The room directory's live nodes, newest announcement "
                                                         "first (see /rooms/{room_id}/media-nodes).")


class PassHolding(BaseModel):
    room_id: int
    holder: str
    balance: int
    revoked: bool
    revoked_block: int | None


class HeldPass(PassHolding):
    host: str
    metadata_cid: str
    transferable: bool
    valid_from: int
    valid_until: int
    phase: RoomPhase
    valid_now: bool = Field(description="Holds a pass, is not revoked and the room is open at the last indexed "
                                        "block's time (the contract's hasValidPass at that block).")


class PassPurchase(EventRef):
    room_id: int
    buyer: str
    to: str = Field(description="Who received the pass.")
    price: str
    platform_fee: str


class UsagePool(BaseModel):
    token: str = Field(description="Zero address: ETH.")
    funded: str = Field(description="Everything ever added, roll-ins included (the contract's poolOf).")
    claimed: str = Field(description="Paid into works' splits (claimedOf).")
    rolled_over: str = Field(description="Moved on to a later epoch; the pool's claims are then closed.")
    rolled_over_into: int | None = Field(description="The epoch it moved to.")
    rolled_over_block: int | None
    held: str = Field(description="Still in the pool: unclaimed parts and rounding dust (funded - claimed - "
                                  "rolled_over).")


class Epoch(BaseModel):
    epoch: int
    pools: list[UsagePool] = Field(description="One per token, ETH (zero address) first.")
    root: str | None = Field(description="Merkle root of per-work play counts; null until settled.")
    total_plays: str | None
    job_id: int | None = Field(description="The usage job that attested the settlement.")
    settled_block: int | None = Field(description="Null while the epoch is not settled.")
    settled_tx: str | None


class UsageFunding(EventRef):
    epoch: int
    token: str
    sender: str = Field(description="Who paid; the UsageRoyalties contract itself for a roll-over.")
    amount: str


class UsageClaim(EventRef):
    epoch: int
    work_id: int
    token: str
    plays: str
    amount: str = Field(description="Deposited into the work's split: pool * plays / total_plays, rounded down.")


class EpochDetail(Epoch):
    fundings: list[UsageFunding]
    claims: list[UsageClaim]


Balances.model_rebuild()


class MediaNodeAnnouncement(BaseModel):
    """The body of ``POST /rooms/{room_id}/media-nodes``: a ``MediaNode(roomId, url, expiresAt)``
    EIP-712 message signed by the room's host (``tutti.media_directory``)."""

    model_config = ConfigDict(strict=True)  # a signed body: no coercion of "123" into 123

    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH, examples=["https://media.example.org:8443"],
                     description="http(s)://host[:port][/path], exactly as signed: no trailing slash, credentials, "
                                 "query or fragment.")
    expires_at: int = Field(ge=0, le=2**64 - 1, examples=[1767225600],
                            description=f"Unix seconds (uint64, wall clock), in the future and at most "
                                        f"{MAX_TTL_SECONDS} s ahead.")
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$", description="65 bytes r || s || v, hex.",
                           examples=["0x" + "00" * 65])


class MediaNode(BaseModel):
    room_id: int
    url: str = Field(description="The media node's base URL, as the host signed it.")
    host: str = Field(description="Who signed the announcement: the room's host.")
    expires_at: int = Field(description="Unix seconds (wall clock): listed until then unless announced again.")
    announced_at: int = Field(description="Unix seconds (wall clock) when the listed announcement arrived.")
    signature: str = Field(description="The host's EIP-712 signature (domain: \"Tutti media directory\", version "
                                       "\"1\", the chain id, the AccessPass address), for clients that check it.")


# --------------------------------------------------------------------------- licence offers
class LicenceOffer(BaseModel):
    offer_id: int
    work_id: int
    seller: str = Field(description="The work's owner when the offer was created.")
    rights: int = Field(description="Bitmask: personal 1, streaming 2, sync 4, derivative 8, commercial 16.")
    right_names: list[str] = Field(description="The rights granted, by name.")
    token: str = Field(description="The ERC-20 of the price; zero address: ETH.")
    price: str = Field(description="Per licence, in the token's smallest unit (wei for ETH).")
    duration: int = Field(description="Seconds each licence lasts from its purchase; 0: perpetual.")
    supply_cap: int
    sold: int
    transferable: bool
    paused: bool = Field(description="No new sales while paused; licences sold stay valid.")
    terms_cid: str
    uri: str = Field(description="ipfs://<terms CID>: every licence token's URI.")
    created_block: int
    created_tx: str


class LicenceOfferDetail(LicenceOffer):
    holders: int = Field(description="Accounts holding at least one licence of the offer.")
    valid_licences: int = Field(description="Licences in force at the last indexed block's time.")


class Licence(BaseModel):
    licence_id: int = Field(description="The licence's ERC-721 token id.")
    offer_id: int
    work_id: int
    holder: str
    buyer: str = Field(description="Who paid (the holder at the sale may be another account).")
    token: str = Field(description="Zero address: ETH.")
    price: str
    platform_fee: str
    rights: int
    right_names: list[str]
    transferable: bool
    valid_from: int | None = Field(description="The sale's block time; null for perpetual licences (the "
                                               "events do not tell it; see bought_block).")
    valid_until: int = Field(description="Last second in force; 0: perpetual.")
    valid_now: bool = Field(description="In force at the last indexed block's time (the contract's "
                                        "isLicenseValid at that block).")
    transfers: int = Field(description="Changes of hands after the sale.")
    bought_block: int
    bought_tx: str


class OfferHolder(BaseModel):
    holder: str
    licences: int = Field(description="Licences of the offer the account holds.")
    valid_licences: int = Field(description="Of them, in force at the last indexed block's time.")


class DerivativePolicy(BaseModel):
    work_id: int
    licence_required: bool = Field(description="Whether deriving from the work needs a licence with the "
                                               "derivative right (the work's owner never does).")
    changed_block: int | None = Field(description="When the owner last set it; null: never (the default, open).")
