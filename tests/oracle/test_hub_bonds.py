"""Operator bonds: bonding, unbonding after a delay, the minimum bond to attest, and governance
slashing of a recorded dissent (never of an agreeing operator or a non-attester)."""

import ape
import pytest
from eth_abi import encode
from eth_utils import keccak

from tests.oracle.oracle_helpers import ANALYZE, ETHER, FEE, INPUT_CID, PARAMS, expire, honest, lying
from tutti import governance as dao
from tutti.attestations import sign_attestation
from tutti.oracle_deployment import DEFAULT_UNBONDING_DELAY_SECONDS, deploy_oracle_hub

DELAY = DEFAULT_UNBONDING_DELAY_SECONDS


def attest(hub, sign, operator, attestation):
    return hub.submitAttestation(attestation.as_tuple(), sign(operator, attestation), sender=operator)


@pytest.fixture(params=["late", "minority"])
def dissent(request, hub, operators, job_id, sign):
    """Job `job_id` fulfilled by operators 0 and 2 with the honest result; operator 1 attested a
    lie, either after fulfilment ("late") or before it, as the minority ("minority")."""
    first, liar, second = operators
    if request.param == "minority":
        attest(hub, sign, liar, lying(job_id))
    attest(hub, sign, first, honest(job_id))
    attest(hub, sign, second, honest(job_id))
    if request.param == "late":
        attest(hub, sign, liar, lying(job_id))
    assert list(hub.dissentersOf(job_id)[0]) == [liar.address]
    return job_id


@pytest.fixture(scope="session")
def rejecting(deployer, project):
    """A contract that refuses ETH (impersonated on anvil when it must send transactions)."""
    return deployer.deploy(project.RejectingRecipient)


# --------------------------------------------------------------------------- deployment


def test_deployment_defaultsKeepAttestingFree(hub, tutti, operators):
    assert (hub.minBond(), hub.unbondingDelay()) == (0, DELAY)
    assert (tutti.hub.minBond(), tutti.hub.unbondingDelay()) == (0, DELAY)
    for op in operators:
        assert hub.bondOf(op) == 0
        assert hub.unbondingOf(op) == (0, 0)


def test_deployment_passesMinBondAndDelay(deployer, tutti, operators):
    hub = deploy_oracle_hub(deployer, tutti.timelock.address, tutti.registry.address, 2,
                            [op.address for op in operators], min_bond_wei=ETHER, unbonding_delay_seconds=3 * 86_400)
    assert (hub.owner(), hub.minBond(), hub.unbondingDelay()) == (tutti.timelock.address, ETHER, 3 * 86_400)


def test_constructor_failsIfUnbondingDelayInvalid(deployer, tutti, operators, project):
    # A deployment's revert reaches ape as raw hex, which the strict `reverts` cannot decode: check it here.
    error = project.OracleHub.InvalidUnbondingDelay
    maximum = 365 * 86_400
    for bad in (0, maximum + 1):
        with ape.reverts(error) as info:
            deployer.deploy(project.OracleHub, tutti.timelock, tutti.registry, [operators[0]], 1, 1, 60, 0, bad)
        expected = keccak(text=error.abi.selector)[:4] + encode(["uint256", "uint256"], [bad, maximum])
        assert info.value.revert_message == "0x" + expected.hex()


# --------------------------------------------------------------------------- bond


def test_bond_succeedsAndEmits(hub, operators):
    op = operators[0]
    receipt = hub.bond(sender=op, value=ETHER)
    assert receipt.events == [hub.Bonded(operator=op.address, amount=ETHER, bonded=ETHER)]
    receipt = hub.bond(sender=op, value=5)
    assert receipt.events == [hub.Bonded(operator=op.address, amount=5, bonded=ETHER + 5)]
    assert hub.bondOf(op) == ETHER + 5
    assert hub.balance == ETHER + 5


def test_bond_succeedsForAnyAccount(hub, producer):
    hub.bond(sender=producer, value=ETHER)
    assert not hub.isOperator(producer)
    assert hub.bondOf(producer) == ETHER


def test_bond_failsIfZero(hub, operators, reverts):
    with reverts(hub.ZeroBond):
        hub.bond(sender=operators[0], value=0)


# --------------------------------------------------------------------------- unbond


def test_requestUnbond_succeedsStopsCountingAndStartsTimer(hub, operators):
    op = operators[0]
    hub.bond(sender=op, value=2 * ETHER)
    receipt = hub.requestUnbond(ETHER // 2, sender=op)
    available_at = receipt.timestamp + DELAY
    assert receipt.events == [
        hub.UnbondRequested(operator=op.address, amount=ETHER // 2, pending=ETHER // 2, availableAt=available_at)
    ]
    assert hub.bondOf(op) == 3 * ETHER // 2
    assert hub.unbondingOf(op) == (ETHER // 2, available_at)


def test_requestUnbond_addsToPendingAndRestartsTimer(hub, operators, chain):
    op = operators[0]
    hub.bond(sender=op, value=2 * ETHER)
    hub.requestUnbond(ETHER // 2, sender=op)
    chain.pending_timestamp += DELAY // 2
    receipt = hub.requestUnbond(ETHER // 4, sender=op)
    available_at = receipt.timestamp + DELAY
    assert receipt.events == [
        hub.UnbondRequested(operator=op.address, amount=ETHER // 4, pending=3 * ETHER // 4, availableAt=available_at)
    ]
    assert hub.unbondingOf(op) == (3 * ETHER // 4, available_at)
    assert hub.bondOf(op) == 5 * ETHER // 4


def test_requestUnbond_failsIfZero(hub, operators, reverts):
    hub.bond(sender=operators[0], value=ETHER)
    with reverts(hub.ZeroUnbond):
        hub.requestUnbond(0, sender=operators[0])


def test_requestUnbond_failsIfMoreThanCountingBond(hub, operators, reverts):
    op = operators[0]
    with reverts(hub.UnbondExceedsBond, operator=op.address, amount=1, bonded=0):
        hub.requestUnbond(1, sender=op)
    hub.bond(sender=op, value=ETHER)
    with reverts(hub.UnbondExceedsBond, operator=op.address, amount=ETHER + 1, bonded=ETHER):
        hub.requestUnbond(ETHER + 1, sender=op)
    hub.requestUnbond(ETHER, sender=op)
    # What is already unbonding does not count twice.
    with reverts(hub.UnbondExceedsBond, operator=op.address, amount=1, bonded=0):
        hub.requestUnbond(1, sender=op)


# --------------------------------------------------------------------------- withdraw


def test_withdrawUnbonded_failsIfNothingPending(hub, operators, reverts):
    op = operators[0]
    with reverts(hub.NothingUnbonding, operator=op.address):
        hub.withdrawUnbonded(sender=op)
    hub.bond(sender=op, value=ETHER)  # bonded, but nothing asked back
    with reverts(hub.NothingUnbonding, operator=op.address):
        hub.withdrawUnbonded(sender=op)


def test_withdrawUnbonded_failsIfTooEarly(hub, operators, chain, reverts):
    op = operators[0]
    hub.bond(sender=op, value=ETHER)
    available_at = hub.requestUnbond(ETHER, sender=op).timestamp + DELAY
    chain.pending_timestamp = available_at - 1
    with reverts(hub.UnbondingNotReady, operator=op.address, availableAt=available_at):
        hub.withdrawUnbonded(sender=op)


def test_withdrawUnbonded_succeedsAtAvailableAtAndOnlyOnce(hub, operators, chain, reverts):
    op = operators[0]
    hub.bond(sender=op, value=2 * ETHER)
    available_at = hub.requestUnbond(ETHER, sender=op).timestamp + DELAY
    chain.pending_timestamp = available_at
    before = op.balance
    receipt = hub.withdrawUnbonded(sender=op)
    assert receipt.events == [hub.UnbondWithdrawn(operator=op.address, amount=ETHER)]
    assert op.balance - before == ETHER - receipt.total_fees_paid
    assert hub.unbondingOf(op) == (0, 0)
    assert hub.bondOf(op) == ETHER
    assert hub.balance == ETHER
    with reverts(hub.NothingUnbonding, operator=op.address):
        hub.withdrawUnbonded(sender=op)


def test_withdrawUnbonded_failsIfRecipientRefusesAndKeepsItPending(hub, accounts, chain, rejecting, reverts):
    account = accounts[rejecting.address]
    chain.provider.set_balance(rejecting.address, 10 * ETHER)
    hub.bond(sender=account, value=ETHER)
    hub.requestUnbond(ETHER, sender=account)
    chain.pending_timestamp += DELAY
    with reverts(hub.ETHTransferFailed, to=rejecting.address, amount=ETHER):
        hub.withdrawUnbonded(sender=account)
    assert hub.unbondingOf(rejecting)[0] == ETHER


# --------------------------------------------------------------------------- governance parameters


def test_bondSetters_failIfNotOwner(hub, deployer, operators, dissent, reverts):
    hub.bond(sender=operators[1], value=ETHER)
    calls = [
        (hub.setMinBond, (1,)),
        (hub.setUnbondingDelay, (60,)),
        (hub.slash, (operators[1].address, dissent, 1)),
    ]
    for method, args in calls:
        with reverts(hub.OwnableUnauthorizedAccount, account=deployer.address):
            method(*args, sender=deployer)


def test_setMinBond_succeedsAndEmits(hub, timelock):
    receipt = hub.setMinBond(ETHER, sender=timelock)
    assert receipt.events == [hub.MinBondChanged(oldMinBond=0, newMinBond=ETHER)]
    assert hub.minBond() == ETHER


def test_setUnbondingDelay_succeedsAndAppliesToNewRequests(hub, timelock, operators):
    op = operators[0]
    hub.bond(sender=op, value=ETHER)
    earlier = hub.requestUnbond(1, sender=op).timestamp + DELAY
    receipt = hub.setUnbondingDelay(60, sender=timelock)
    assert receipt.events == [hub.UnbondingDelayChanged(oldDelay=DELAY, newDelay=60)]
    assert hub.unbondingOf(op) == (1, earlier)  # a pending unbonding keeps its time
    receipt = hub.requestUnbond(1, sender=op)
    assert hub.unbondingOf(op) == (2, receipt.timestamp + 60)


def test_setUnbondingDelay_failsIfZeroOrTooLong(hub, timelock, reverts):
    maximum = hub.MAX_UNBONDING_DELAY()
    for bad in (0, maximum + 1):
        with reverts(hub.InvalidUnbondingDelay, delay=bad, max=maximum):
            hub.setUnbondingDelay(bad, sender=timelock)


# --------------------------------------------------------------------------- minimum bond


def test_submitAttestation_failsIfBondBelowMinimum(hub, timelock, operators, job_id, sign, reverts):
    op = operators[0]
    hub.setMinBond(ETHER, sender=timelock)
    with reverts(hub.InsufficientBond, operator=op.address, bonded=0, minBond=ETHER):
        attest(hub, sign, op, honest(job_id))
    hub.bond(sender=op, value=ETHER - 1)
    with reverts(hub.InsufficientBond, operator=op.address, bonded=ETHER - 1, minBond=ETHER):
        attest(hub, sign, op, honest(job_id))


def test_submitAttestation_succeedsIfBondAtMinimum(hub, timelock, operators, job_id, sign):
    hub.setMinBond(ETHER, sender=timelock)
    for op in operators[:2]:
        hub.bond(sender=op, value=ETHER)
        attest(hub, sign, op, honest(job_id))
    assert hub.job(job_id).status == 2


def test_submitAttestation_failsOnceUnbondingDropsBondBelowMinimum(hub, timelock, operators, job_id, sign, reverts):
    op = operators[0]
    hub.setMinBond(ETHER, sender=timelock)
    hub.bond(sender=op, value=ETHER)
    hub.requestUnbond(1, sender=op)  # pending wei stop counting at once
    with reverts(hub.InsufficientBond, operator=op.address, bonded=ETHER - 1, minBond=ETHER):
        attest(hub, sign, op, honest(job_id))


def test_submitAttestation_operatorCheckComesBeforeBond(hub, timelock, producer, job_id, sign, reverts):
    hub.setMinBond(ETHER, sender=timelock)
    with reverts(hub.NotOperator, signer=producer.address):
        attest(hub, sign, producer, honest(job_id))


# --------------------------------------------------------------------------- slash


def test_slash_takesBondedThenUnbondingAndPaysTheTimelock(hub, timelock, operators, dissent, chain):
    liar = operators[1]
    hub.bond(sender=liar, value=2 * ETHER)
    available_at = hub.requestUnbond(3 * ETHER // 2, sender=liar).timestamp + DELAY  # 0.5 counting, 1.5 pending
    hub_before, treasury_before = hub.balance, timelock.balance

    receipt = hub.slash(liar, dissent, ETHER, sender=timelock)

    assert receipt.events == [hub.OperatorSlashed(operator=liar.address, jobId=dissent, amount=ETHER)]
    assert hub.bondOf(liar) == 0
    assert hub.unbondingOf(liar) == (ETHER, available_at)  # the wait is not restarted
    assert hub.slashedFor(dissent, liar)
    assert hub_before - hub.balance == ETHER
    assert timelock.balance - treasury_before == ETHER - receipt.total_fees_paid
    assert hub.claimable(timelock) == 0


def test_slash_takesOnlyFromBondWhenItSuffices(hub, timelock, operators, dissent):
    liar = operators[1]
    hub.bond(sender=liar, value=2 * ETHER)
    hub.requestUnbond(ETHER // 2, sender=liar)
    hub.slash(liar, dissent, ETHER, sender=timelock)
    assert hub.bondOf(liar) == ETHER // 2
    assert hub.unbondingOf(liar)[0] == ETHER // 2


def test_slash_canTakeEverythingLeavingNothingToWithdraw(hub, timelock, operators, dissent, chain, reverts):
    liar = operators[1]
    hub.bond(sender=liar, value=ETHER)
    hub.requestUnbond(ETHER // 4, sender=liar)
    hub.slash(liar, dissent, ETHER, sender=timelock)
    assert hub.bondOf(liar) == 0
    assert hub.unbondingOf(liar) == (0, 0)
    chain.pending_timestamp += DELAY
    with reverts(hub.NothingUnbonding, operator=liar.address):
        hub.withdrawUnbonded(sender=liar)


def test_slash_failsIfAgreeingOperator(hub, timelock, operators, dissent, reverts):
    honest_op = operators[0]
    hub.bond(sender=honest_op, value=ETHER)
    with reverts(hub.OperatorAgreed, jobId=dissent, operator=honest_op.address, outcome=honest(dissent).outcome):
        hub.slash(honest_op, dissent, 1, sender=timelock)


def test_slash_failsIfOperatorDidNotAttest(hub, timelock, operators, producer, job_id, sign, reverts):
    first, _, second = operators
    attest(hub, sign, first, honest(job_id))
    attest(hub, sign, second, honest(job_id))
    hub.bond(sender=operators[1], value=ETHER)
    for absent in (operators[1], producer):
        with reverts(hub.OperatorDidNotAttest, jobId=job_id, operator=absent.address):
            hub.slash(absent, job_id, 1, sender=timelock)


def test_slash_failsIfJobNotFulfilled(hub, timelock, operators, job_id, sign, chain, reverts):
    liar = operators[1]
    hub.bond(sender=liar, value=ETHER)
    attest(hub, sign, liar, lying(job_id))  # a lone different answer is not a dissent yet
    assert list(hub.dissentersOf(job_id)[0]) == []
    with reverts(hub.JobNotFulfilled, jobId=job_id):
        hub.slash(liar, job_id, 1, sender=timelock)
    expire(chain)
    hub.refund(job_id, sender=liar)
    with reverts(hub.JobNotFulfilled, jobId=job_id):
        hub.slash(liar, job_id, 1, sender=timelock)
    with reverts(hub.UnknownJob, jobId=999):
        hub.slash(liar, 999, 1, sender=timelock)


def test_slash_failsIfZeroOrMoreThanBondedAndUnbonding(hub, timelock, operators, dissent, reverts):
    liar = operators[1]
    with reverts(hub.ZeroSlash):
        hub.slash(liar, dissent, 0, sender=timelock)
    hub.bond(sender=liar, value=ETHER)
    hub.requestUnbond(ETHER // 2, sender=liar)
    with reverts(hub.SlashExceedsBond, operator=liar.address, amount=ETHER + 1, slashable=ETHER):
        hub.slash(liar, dissent, ETHER + 1, sender=timelock)


def test_slash_failsIfSameDissentSlashedTwice(hub, timelock, operators, dissent, reverts):
    liar = operators[1]
    hub.bond(sender=liar, value=ETHER)
    hub.slash(liar, dissent, 1, sender=timelock)
    with reverts(hub.AlreadySlashed, jobId=dissent, operator=liar.address):
        hub.slash(liar, dissent, 1, sender=timelock)


def test_slash_succeedsAfterOperatorRemoved(hub, timelock, operators, dissent):
    liar = operators[1]
    hub.bond(sender=liar, value=ETHER)
    hub.removeOperator(liar, sender=timelock)
    hub.slash(liar, dissent, ETHER, sender=timelock)
    assert hub.bondOf(liar) == 0


def test_slash_creditsAnOwnerThatRefusesETH(deployer, tutti, operators, accounts, chain, rejecting, requester):
    """No wei is lost: a treasury refusing the transfer is credited instead, like a refused refund."""
    hub = deploy_oracle_hub(deployer, rejecting.address, tutti.registry.address, 2, [op.address for op in operators])
    owner = accounts[rejecting.address]
    chain.provider.set_balance(rejecting.address, 10 * ETHER)
    hub.requestJob(ANALYZE, INPUT_CID, PARAMS, 0, sender=requester, value=FEE)
    job_id = hub.jobCount()
    first, liar, second = operators
    for op, attestation in ((first, honest(job_id)), (second, honest(job_id)), (liar, lying(job_id))):
        signature = sign_attestation(op.private_key, attestation, chain.chain_id, hub.address)
        hub.submitAttestation(attestation.as_tuple(), signature, sender=op)
    hub.bond(sender=liar, value=ETHER)

    hub.slash(liar, job_id, ETHER, sender=owner)

    assert hub.claimable(rejecting) == ETHER
    assert hub.balance == ETHER + FEE  # the slashed wei and the fee credits, all still claimable


def test_governanceProposal_slashesARecordedDissentEndToEnd(enact, hub, tutti, operators, dissent):
    """A real DAO proposal: propose, vote, queue, execute; the timelock's treasury receives the bond."""
    liar = operators[1]
    hub.bond(sender=liar, value=2 * ETHER)
    treasury_before = tutti.timelock.balance
    action = dao.Action(hub.address, 0, bytes(hub.slash.encode_input(liar.address, dissent, ETHER)))

    receipt = enact([action], f"Slash operator {liar.address} for its dissent on job {dissent}")

    slashed = receipt.decode_logs(hub.OperatorSlashed)
    assert [(s.operator, s.jobId, s.amount) for s in slashed] == [(liar.address, dissent, ETHER)]
    assert hub.bondOf(liar) == ETHER
    assert tutti.timelock.balance - treasury_before == ETHER  # the executor paid the gas
