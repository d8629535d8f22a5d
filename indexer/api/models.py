"""Response models (what the OpenAPI document promises). uint256 values are decimal strings."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

ProposalState = Literal["pending", "active", "canceled", "defeated", "succeeded", "queued", "executed"]
JobState = Literal["open", "fulfilled", "refunded"]


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


class JobDetail(Job):
    attestations: list[Attestation]


class Operator(BaseModel):
    address: str
    active: bool
    added_block: int
    removed_block: int | None
    earned: str


class Event(EventRef):
    block_hash: str
    log_index: int
    contract: str
    address: str
    name: str
    args: dict[str, Any]


class Health(BaseModel):
    status: Literal["ok"]
    chain_id: int | None
    block_number: int | None
    block_timestamp: int | None
