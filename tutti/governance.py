"""DAO actions: delegate, propose, vote (directly or by signature), queue, execute, inspect."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Sequence

from eth_utils import keccak

from tutti.chain import Tutti
from tutti.errors import TuttiError

if TYPE_CHECKING:
    from ape.api import AccountAPI


class ProposalState(IntEnum):
    """OpenZeppelin's ``IGovernor.ProposalState``."""

    PENDING = 0
    ACTIVE = 1
    CANCELED = 2
    DEFEATED = 3
    SUCCEEDED = 4
    QUEUED = 5
    EXPIRED = 6
    EXECUTED = 7


class Support(IntEnum):
    """``GovernorCountingSimple`` vote types."""

    AGAINST = 0
    FOR = 1
    ABSTAIN = 2


@dataclass(frozen=True)
class Action:
    """One call the timelock will make if the proposal passes."""

    target: str
    value: int
    calldata: bytes


@dataclass(frozen=True)
class Proposal:
    proposal_id: int
    proposer: str
    actions: list[Action]
    description: str

    @property
    def description_hash(self) -> bytes:
        return keccak(text=self.description)

    def as_args(self) -> tuple[list[str], list[int], list[bytes], bytes]:
        """``(targets, values, calldatas, descriptionHash)`` as queue/execute take them."""
        return (
            [a.target for a in self.actions],
            [a.value for a in self.actions],
            [a.calldata for a in self.actions],
            self.description_hash,
        )


@dataclass(frozen=True)
class ProposalStatus:
    proposal_id: int
    state: ProposalState
    votes_against: int
    votes_for: int
    votes_abstain: int
    quorum: int
    vote_start: int
    vote_end: int
    eta: int


def delegate(tutti: Tutti, holder: "AccountAPI", delegatee: str | None = None):
    """Give ``holder``'s voting power to ``delegatee`` (default: itself, which activates its votes)."""
    # `delegate` is also an attribute of ape's contract objects, so call the ABI method by name.
    return tutti.token.invoke_transaction("delegate", delegatee or holder.address, sender=holder)


def encode_call(tutti: Tutti, target: str, function: str, args: Sequence[object], value: int = 0) -> Action:
    """Encode ``target.function(*args)``; ``target`` is a contract name from the address book."""
    contract = getattr(tutti, _ATTRIBUTE_BY_NAME.get(target, ""), None)
    if contract is None:
        raise TuttiError(f"unknown target {target!r}; choose one of {', '.join(_ATTRIBUTE_BY_NAME)}")
    try:
        method = getattr(contract, function)
    except AttributeError:
        raise TuttiError(f"{target} has no function {function!r}") from None
    try:
        calldata = method.encode_input(*args)
    except Exception as exc:  # ape raises several types for bad arguments
        raise TuttiError(f"cannot encode {target}.{function}{tuple(args)}: {exc}") from None
    return Action(contract.address, value, bytes(calldata))


_ATTRIBUTE_BY_NAME = {
    "AccessPass": "passes",
    "ContentRegistry": "registry",
    "OracleHub": "hub",
    "RoyaltySplitter": "splitter",
    "TuttiGovernor": "governor",
    "TuttiTimelock": "timelock",
    "TuttiToken": "token",
    "UsageRoyalties": "usage",
    "LicenseOffers": "licenses",
}


def propose(tutti: Tutti, proposer: "AccountAPI", actions: Sequence[Action], description: str) -> Proposal:
    """Submit a proposal; returns it with its id."""
    if not actions:
        raise TuttiError("a proposal needs at least one action")
    receipt = tutti.governor.propose(
        [a.target for a in actions], [a.value for a in actions], [a.calldata for a in actions], description,
        sender=proposer,
    )
    event = next(iter(receipt.decode_logs(tutti.governor.ProposalCreated)))
    return Proposal(event.proposalId, event.proposer, list(actions), description)


def find_proposal(tutti: Tutti, proposal_id: int) -> Proposal:
    """Rebuild a proposal's actions from its ``ProposalCreated`` event, so users need only its id."""
    for log in tutti.governor.ProposalCreated.range(tutti.book.start_block, None):
        if log.proposalId == proposal_id:
            actions = [Action(t, v, bytes(c)) for t, v, c in zip(log.targets, log.values, log.calldatas)]
            return Proposal(proposal_id, log.proposer, actions, log.description)
    raise TuttiError(f"no proposal {proposal_id} on this network")


def vote(tutti: Tutti, voter: "AccountAPI", proposal_id: int, support: Support, reason: str = ""):
    if reason:
        return tutti.governor.castVoteWithReason(proposal_id, int(support), reason, sender=voter)
    return tutti.governor.castVote(proposal_id, int(support), sender=voter)


def queue(tutti: Tutti, sender: "AccountAPI", proposal_id: int):
    return tutti.governor.queue(*find_proposal(tutti, proposal_id).as_args(), sender=sender)


def execute(tutti: Tutti, sender: "AccountAPI", proposal_id: int):
    return tutti.governor.execute(*find_proposal(tutti, proposal_id).as_args(), sender=sender)


def enact_on_local_chain(tutti: Tutti, holders: Sequence["AccountAPI"], actions: Sequence[Action],
                         description: str):
    """Take a proposal all the way on a local chain: propose, every holder votes for, mine past the
    voting period, queue, skip the timelock delay, execute. Returns the execution receipt."""
    from ape import chain

    proposal = propose(tutti, holders[0], actions, description)
    chain.mine(tutti.governor.votingDelay() + 1)
    for holder in holders:
        vote(tutti, holder, proposal.proposal_id, Support.FOR)
    chain.mine(tutti.governor.votingPeriod() + 1)
    queue(tutti, holders[0], proposal.proposal_id)
    chain.pending_timestamp += tutti.timelock.getMinDelay() + 1
    chain.mine(1)
    return execute(tutti, holders[0], proposal.proposal_id)


def status(tutti: Tutti, proposal_id: int) -> ProposalStatus:
    governor = tutti.governor
    state = ProposalState(governor.state(proposal_id))
    against, for_, abstain = governor.proposalVotes(proposal_id)
    snapshot = governor.proposalSnapshot(proposal_id)
    return ProposalStatus(
        proposal_id=proposal_id,
        state=state,
        votes_against=against,
        votes_for=for_,
        votes_abstain=abstain,
        # The quorum is only defined once the snapshot block is in the past.
        quorum=governor.quorum(snapshot) if state is not ProposalState.PENDING else 0,
        vote_start=snapshot,
        vote_end=governor.proposalDeadline(proposal_id),
        eta=governor.proposalEta(proposal_id),
    )
