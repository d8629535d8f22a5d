"""The DAO end to end: propose a registration fee, vote (directly and by EIP-712 signature),
queue, wait out the timelock, execute; quorum, state and double-vote failures; EIP-2612 permits."""

from __future__ import annotations

import pytest
from ape import chain
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from tutti import governance as dao
from tutti.governance import ProposalState, Support

TOKEN = 10**18
NEW_FEE = 10**16  # 0.01 ETH
CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"


def state_bitmap(*states: ProposalState | int) -> bytes:
    """OpenZeppelin's `_encodeStateBitmap`: bit `s` set for each expected state, as bytes32."""
    return sum(1 << int(s) for s in states).to_bytes(32, "big")


def ballot_signature(governor, voter, proposal_id: int, support: int) -> bytes:
    """An EIP-712 `Ballot` signed with the voter's key, as `castVoteBySig` expects it."""
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Ballot": [
                {"name": "proposalId", "type": "uint256"},
                {"name": "support", "type": "uint8"},
                {"name": "voter", "type": "address"},
                {"name": "nonce", "type": "uint256"},
            ],
        },
        "primaryType": "Ballot",
        "domain": {
            "name": "Tutti DAO",
            "version": "1",
            "chainId": chain.chain_id,
            "verifyingContract": governor.address,
        },
        "message": {
            "proposalId": proposal_id,
            "support": support,
            "voter": voter.address,
            "nonce": governor.nonces(voter),
        },
    }
    return bytes(Account.sign_message(encode_typed_data(full_message=typed), voter.private_key).signature)


def permit_signature(token, signer, owner: str, spender: str, value: int, deadline: int):
    """An EIP-2612 permit for `owner`'s tokens signed with `signer`'s key (the owner's, normally), as (v, r, s)."""
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Permit": [
                {"name": "owner", "type": "address"},
                {"name": "spender", "type": "address"},
                {"name": "value", "type": "uint256"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "Permit",
        "domain": {"name": "Tutti", "version": "1", "chainId": chain.chain_id, "verifyingContract": token.address},
        "message": {
            "owner": owner,
            "spender": spender,
            "value": value,
            "nonce": token.nonces(owner),
            "deadline": deadline,
        },
    }
    signed = Account.sign_message(encode_typed_data(full_message=typed), signer.private_key)
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")


def registration(owner, label: str):
    return (CID, keccak(text=label), "CC-BY-4.0", 1_000, [(owner.address, 10_000)], [])


@pytest.fixture
def fee_proposal(governance, voters):
    """A pending proposal to set the registration fee to 0.01 ETH."""
    action = dao.encode_call(governance, "ContentRegistry", "setRegistrationFee", [NEW_FEE])
    return dao.propose(governance, voters[0], [action], "Charge 0.01 ETH per registration")


@pytest.fixture
def active_fee_proposal(governance, fee_proposal):
    chain.mine(governance.governor.votingDelay() + 1)
    assert governance.governor.state(fee_proposal.proposal_id) == ProposalState.ACTIVE
    return fee_proposal


def mine_past_deadline(governor, proposal_id: int):
    chain.mine(governor.proposalDeadline(proposal_id) - chain.blocks.head.number + 1)


# ---------------------------------------------------------------------------------------------
# The whole lifecycle
# ---------------------------------------------------------------------------------------------


def test_lifecycle_succeedsIfVotedQueuedAndExecutedAfterDelay(governance, voters, fan, artist, fee_proposal, reverts):
    governor, timelock, registry = governance.governor, governance.timelock, governance.registry
    proposal_id = fee_proposal.proposal_id
    assert governor.state(proposal_id) == ProposalState.PENDING

    chain.mine(governor.votingDelay() + 1)
    assert governor.state(proposal_id) == ProposalState.ACTIVE

    # One voter votes directly ...
    direct = dao.vote(governance, voters[0], proposal_id, Support.FOR)
    assert direct.events == [
        governor.VoteCast(voter=voters[0].address, proposalId=proposal_id, support=1, weight=300_000 * TOKEN, reason="")
    ]

    # ... the other signs a ballot that anyone (here the fan) relays.
    nonce = governor.nonces(voters[1])
    signature = ballot_signature(governor, voters[1], proposal_id, int(Support.FOR))
    relayed = governor.castVoteBySig(proposal_id, int(Support.FOR), voters[1].address, signature, sender=fan)
    assert relayed.events == [
        governor.VoteCast(voter=voters[1].address, proposalId=proposal_id, support=1, weight=300_000 * TOKEN, reason="")
    ]
    assert governor.nonces(voters[1]) == nonce + 1
    assert governor.hasVoted(proposal_id, voters[1])
    assert governor.proposalVotes(proposal_id) == (0, 600_000 * TOKEN, 0)

    mine_past_deadline(governor, proposal_id)
    assert governor.state(proposal_id) == ProposalState.SUCCEEDED

    queued = dao.queue(governance, fan, proposal_id)
    assert governor.state(proposal_id) == ProposalState.QUEUED
    operation_id = queued.decode_logs(timelock.CallScheduled)[0].id
    assert timelock.isOperationPending(operation_id)
    assert governor.proposalEta(proposal_id) == chain.blocks.head.timestamp + timelock.getMinDelay()

    # Too early: the timelock refuses an operation that is not Ready (state 2) yet.
    with reverts(timelock.TimelockUnexpectedOperationState, operationId=operation_id, expectedStates=(1 << 2).to_bytes(32, "big")):
        dao.execute(governance, fan, proposal_id)

    chain.pending_timestamp += 61
    chain.mine(1)
    executed = dao.execute(governance, fan, proposal_id)

    assert registry.RegistrationFeeChanged(oldFee=0, newFee=NEW_FEE) in executed.events
    assert governor.ProposalExecuted(proposalId=proposal_id) in executed.events
    assert governor.state(proposal_id) == ProposalState.EXECUTED
    assert timelock.isOperationDone(operation_id)
    assert registry.registrationFee() == NEW_FEE

    # Registering now costs the new fee, paid to the treasury (the timelock).
    with reverts(registry.WrongRegistrationFee, sent=0, required=NEW_FEE):
        registry.register(registration(artist, "free ride"), sender=artist)
    before = timelock.balance
    paid = registration(artist, "paid")
    registry.commitRegistration(registry.registrationCommitment(artist.address, paid[1]), sender=artist)
    registry.register(paid, sender=artist, value=NEW_FEE)
    registry.withdrawRegistrationFees(sender=artist)
    assert timelock.balance - before == NEW_FEE


def test_status_succeedsIfHelperReportsTally(governance, voters, active_fee_proposal):
    proposal_id = active_fee_proposal.proposal_id
    dao.vote(governance, voters[0], proposal_id, Support.AGAINST, reason="too expensive")
    dao.vote(governance, voters[1], proposal_id, Support.ABSTAIN)

    status = dao.status(governance, proposal_id)

    assert (status.votes_against, status.votes_for, status.votes_abstain) == (300_000 * TOKEN, 0, 300_000 * TOKEN)
    assert status.quorum == 40_000 * TOKEN  # 4% of 1,000,000
    assert status.state is ProposalState.ACTIVE

    mine_past_deadline(governance.governor, proposal_id)
    assert governance.governor.state(proposal_id) == ProposalState.DEFEATED  # quorum met, but no majority for


# ---------------------------------------------------------------------------------------------
# Failures
# ---------------------------------------------------------------------------------------------


def test_proposal_failsIfQuorumNotReached(governance, deployer, fan, reverts):
    governor = governance.governor
    # The fan holds 0.1% of the supply: a unanimous vote still falls short of the 4% quorum.
    governance.token.transfer(fan, 1_000 * TOKEN, sender=deployer)
    dao.delegate(governance, fan)
    chain.mine(1)
    action = dao.encode_call(governance, "ContentRegistry", "setRegistrationFee", [1])
    proposal = dao.propose(governance, fan, [action], "A fee nobody else cares about")
    chain.mine(governor.votingDelay() + 1)
    dao.vote(governance, fan, proposal.proposal_id, Support.FOR)

    mine_past_deadline(governor, proposal.proposal_id)

    snapshot = governor.proposalSnapshot(proposal.proposal_id)
    assert governor.proposalVotes(proposal.proposal_id) == (0, 1_000 * TOKEN, 0)
    assert governor.quorum(snapshot) == 40_000 * TOKEN
    assert governor.state(proposal.proposal_id) == ProposalState.DEFEATED
    with reverts(
        governor.GovernorUnexpectedProposalState,
        proposalId=proposal.proposal_id,
        current=int(ProposalState.DEFEATED),
        expectedStates=state_bitmap(ProposalState.SUCCEEDED),
    ):
        dao.queue(governance, fan, proposal.proposal_id)


def test_propose_failsIfSameProposalExists(governance, voters, fee_proposal, reverts):
    governor = governance.governor
    with reverts(
        governor.GovernorUnexpectedProposalState,
        proposalId=fee_proposal.proposal_id,
        current=int(ProposalState.PENDING),
        expectedStates=bytes(32),
    ):
        dao.propose(governance, voters[1], fee_proposal.actions, fee_proposal.description)


def test_castVote_failsIfProposalPending(governance, voters, fee_proposal, reverts):
    governor = governance.governor
    with reverts(
        governor.GovernorUnexpectedProposalState,
        proposalId=fee_proposal.proposal_id,
        current=int(ProposalState.PENDING),
        expectedStates=state_bitmap(ProposalState.ACTIVE),
    ):
        dao.vote(governance, voters[0], fee_proposal.proposal_id, Support.FOR)


def test_castVote_failsIfVotingClosed(governance, voters, active_fee_proposal, reverts):
    governor = governance.governor
    proposal_id = active_fee_proposal.proposal_id
    dao.vote(governance, voters[0], proposal_id, Support.FOR)
    mine_past_deadline(governor, proposal_id)
    with reverts(
        governor.GovernorUnexpectedProposalState,
        proposalId=proposal_id,
        current=int(ProposalState.SUCCEEDED),
        expectedStates=state_bitmap(ProposalState.ACTIVE),
    ):
        dao.vote(governance, voters[1], proposal_id, Support.AGAINST)


def test_castVote_failsIfAlreadyVoted(governance, voters, active_fee_proposal, reverts):
    governor = governance.governor
    proposal_id = active_fee_proposal.proposal_id
    dao.vote(governance, voters[0], proposal_id, Support.FOR)
    with reverts(governor.GovernorAlreadyCastVote, voter=voters[0].address):
        dao.vote(governance, voters[0], proposal_id, Support.AGAINST)
    assert governor.proposalVotes(proposal_id) == (0, 300_000 * TOKEN, 0)


def test_castVoteBySig_failsIfAlreadyVotedDirectly(governance, voters, fan, active_fee_proposal, reverts):
    governor = governance.governor
    proposal_id = active_fee_proposal.proposal_id
    dao.vote(governance, voters[1], proposal_id, Support.FOR)
    signature = ballot_signature(governor, voters[1], proposal_id, int(Support.AGAINST))
    with reverts(governor.GovernorAlreadyCastVote, voter=voters[1].address):
        governor.castVoteBySig(proposal_id, int(Support.AGAINST), voters[1].address, signature, sender=fan)


def test_castVoteBySig_failsIfSignatureReplayed(governance, voters, fan, active_fee_proposal, reverts):
    governor = governance.governor
    proposal_id = active_fee_proposal.proposal_id
    signature = ballot_signature(governor, voters[1], proposal_id, int(Support.FOR))
    governor.castVoteBySig(proposal_id, int(Support.FOR), voters[1].address, signature, sender=fan)
    # The nonce moved on, so the same signature no longer verifies.
    with reverts(governor.GovernorInvalidSignature, voter=voters[1].address):
        governor.castVoteBySig(proposal_id, int(Support.FOR), voters[1].address, signature, sender=fan)


def test_castVoteBySig_failsIfSignedBySomeoneElse(governance, voters, fan, active_fee_proposal, reverts):
    governor = governance.governor
    proposal_id = active_fee_proposal.proposal_id
    # The fan signs a ballot in voter 0's name.
    forged = ballot_signature(governor, fan, proposal_id, int(Support.AGAINST))
    with reverts(governor.GovernorInvalidSignature, voter=voters[0].address):
        governor.castVoteBySig(proposal_id, int(Support.AGAINST), voters[0].address, forged, sender=fan)
    assert not governor.hasVoted(proposal_id, voters[0])


def test_execute_failsIfNotQueued(governance, voters, fan, active_fee_proposal, reverts):
    governor = governance.governor
    proposal_id = active_fee_proposal.proposal_id
    dao.vote(governance, voters[0], proposal_id, Support.FOR)
    mine_past_deadline(governor, proposal_id)
    # Succeeded, but a timelocked proposal must be queued before it can run.
    with reverts(
        governor.GovernorUnexpectedProposalState,
        proposalId=proposal_id,
        current=int(ProposalState.SUCCEEDED),
        expectedStates=state_bitmap(ProposalState.QUEUED),
    ):
        dao.execute(governance, fan, proposal_id)
    assert governance.registry.registrationFee() == 0


# ---------------------------------------------------------------------------------------------
# EIP-2612 permit on the governance token
# ---------------------------------------------------------------------------------------------


def test_permit_succeedsIfSignedByOwner(governance, voters, fan):
    token = governance.token
    owner = voters[0]
    deadline = chain.pending_timestamp + 3_600
    nonce = token.nonces(owner)
    v, r, s = permit_signature(token, owner, owner.address, fan.address, 500 * TOKEN, deadline)

    receipt = token.permit(owner, fan, 500 * TOKEN, deadline, v, r, s, sender=fan)  # the fan pays the gas

    assert receipt.events == [token.Approval(owner=owner.address, spender=fan.address, value=500 * TOKEN)]
    assert token.allowance(owner, fan) == 500 * TOKEN
    assert token.nonces(owner) == nonce + 1
    token.transferFrom(owner, fan, 500 * TOKEN, sender=fan)
    assert token.balanceOf(fan) == 500 * TOKEN
    assert token.allowance(owner, fan) == 0


def test_permit_failsIfDeadlinePassed(governance, voters, fan, reverts):
    token = governance.token
    deadline = chain.blocks.head.timestamp - 1
    v, r, s = permit_signature(token, voters[0], voters[0].address, fan.address, TOKEN, deadline)
    with reverts(token.ERC2612ExpiredSignature, deadline=deadline):
        token.permit(voters[0], fan, TOKEN, deadline, v, r, s, sender=fan)


def test_permit_failsIfSignedBySomeoneElse(governance, voters, fan, reverts):
    token = governance.token
    deadline = chain.pending_timestamp + 3_600
    # The fan signs a permit over voter 0's tokens.
    v, r, s = permit_signature(token, fan, voters[0].address, fan.address, TOKEN, deadline)
    with reverts(token.ERC2612InvalidSigner, signer=fan.address, owner=voters[0].address):
        token.permit(voters[0], fan, TOKEN, deadline, v, r, s, sender=fan)
    assert token.allowance(voters[0], fan) == 0
