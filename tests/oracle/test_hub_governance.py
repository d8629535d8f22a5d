"""Operators, quorum, fees and timeouts belong to the timelock, and only sane values are accepted."""

import ape
from web3.constants import ADDRESS_ZERO

from tests.oracle.oracle_helpers import ANALYZE, ETHER, FEE, INPUT_CID, PARAMS, ZERO32, honest
from tutti import governance as dao


def test_deployment_timelockOwnsHub(hub, tutti, operators):
    assert hub.owner() == tutti.timelock.address
    assert hub.registry() == tutti.registry.address
    assert hub.operators() == [op.address for op in operators]
    assert (hub.quorum(), hub.operatorCount(), hub.jobTimeout()) == (2, 3, 3600)


def test_setters_failIfNotOwner(hub, deployer, operators):
    calls = [
        (hub.addOperator, (deployer.address,)),
        (hub.removeOperator, (operators[0].address,)),
        (hub.setQuorum, (1,)),
        (hub.setMinFee, (ANALYZE, 1)),
        (hub.setJobTimeout, (60,)),
    ]
    for method, args in calls:
        with ape.reverts(hub.OwnableUnauthorizedAccount, account=deployer.address):
            method(*args, sender=deployer)


def test_addOperator_succeedsAndEmits(hub, timelock, producer):
    receipt = hub.addOperator(producer, sender=timelock)
    assert receipt.events == [hub.OperatorAdded(operator=producer.address)]
    assert hub.isOperator(producer)
    assert hub.operatorCount() == 4


def test_addOperator_failsIfZeroOrDuplicate(hub, timelock, operators):
    with ape.reverts(hub.ZeroOperator):
        hub.addOperator(ADDRESS_ZERO, sender=timelock)
    with ape.reverts(hub.OperatorAlreadyAdded, operator=operators[0].address):
        hub.addOperator(operators[0], sender=timelock)


def test_addOperator_failsIfSetFull(hub, timelock):
    maximum = hub.MAX_OPERATORS()
    for i in range(maximum - hub.operatorCount()):
        hub.addOperator(f"0x{0x1000 + i:040x}", sender=timelock)
    with ape.reverts(hub.TooManyOperators, max=maximum):
        hub.addOperator(f"0x{0xFFFF:040x}", sender=timelock)


def test_removeOperator_succeedsAndEmits(hub, timelock, operators):
    receipt = hub.removeOperator(operators[1], sender=timelock)
    assert receipt.events == [hub.OperatorRemoved(operator=operators[1].address)]
    assert not hub.isOperator(operators[1])


def test_removeOperator_failsIfUnknown(hub, timelock, producer):
    with ape.reverts(hub.UnknownOperator, operator=producer.address):
        hub.removeOperator(producer, sender=timelock)


def test_removeOperator_failsIfBelowQuorum(hub, timelock, operators):
    hub.removeOperator(operators[0], sender=timelock)
    with ape.reverts(hub.InvalidQuorum, quorum=2, operatorCount=1):
        hub.removeOperator(operators[1], sender=timelock)


def test_setQuorum_succeedsAndEmits(hub, timelock):
    receipt = hub.setQuorum(3, sender=timelock)
    assert receipt.events == [hub.QuorumChanged(oldQuorum=2, newQuorum=3)]
    assert hub.quorum() == 3


def test_setQuorum_failsIfZeroOrAboveOperatorCount(hub, timelock):
    with ape.reverts(hub.InvalidQuorum, quorum=0, operatorCount=3):
        hub.setQuorum(0, sender=timelock)
    with ape.reverts(hub.InvalidQuorum, quorum=4, operatorCount=3):
        hub.setQuorum(4, sender=timelock)


def test_setQuorum_doesNotMoveGoalpostsOfOpenJobs(hub, timelock, operators, job_id, sign):
    hub.setQuorum(3, sender=timelock)
    truth = honest(job_id)
    for op in operators[:2]:
        hub.submitAttestation(truth.as_tuple(), sign(op, truth), sender=op)
    assert hub.job(job_id).status == 2  # fulfilled with the 2 it was requested with


def test_setMinFee_succeedsAndEmits(hub, timelock):
    receipt = hub.setMinFee(ANALYZE, ETHER, sender=timelock)
    assert receipt.events == [hub.MinFeeChanged(kind=ANALYZE, oldFee=0, newFee=ETHER)]
    receipt = hub.setMinFee(ZERO32, 5, sender=timelock)
    assert receipt.events == [hub.MinFeeChanged(kind=ZERO32, oldFee=10**15, newFee=5)]


def test_setJobTimeout_succeedsAndAppliesToNewJobs(hub, timelock, requester):
    receipt = hub.setJobTimeout(600, sender=timelock)
    assert receipt.events == [hub.JobTimeoutChanged(oldTimeout=3600, newTimeout=600)]
    receipt = hub.requestJob(ANALYZE, INPUT_CID, PARAMS, 0, sender=requester, value=FEE)
    assert hub.job(hub.jobCount()).deadline == receipt.timestamp + 600


def test_setJobTimeout_failsIfZeroOrTooLong(hub, timelock):
    maximum = hub.MAX_JOB_TIMEOUT()
    for bad in (0, maximum + 1):
        with ape.reverts(hub.InvalidJobTimeout, timeout=bad, max=maximum):
            hub.setJobTimeout(bad, sender=timelock)


def test_constructor_failsIfQuorumInvalid(deployer, tutti, operators, project):
    with ape.reverts(project.OracleHub.InvalidQuorum, quorum=2, operatorCount=1):
        deployer.deploy(project.OracleHub, tutti.timelock, tutti.registry, [operators[0]], 2, 0, 60, 0, 86_400)


def test_governanceProposal_addsOperatorEndToEnd(enact, hub, producer, job_id, sign, operators):
    """A real DAO proposal: propose, vote, queue through the timelock, execute; the new operator counts."""
    action = dao.Action(hub.address, 0, bytes(hub.addOperator.encode_input(producer.address)))
    receipt = enact([action], "Add producer as an oracle operator")

    assert receipt.decode_logs(hub.OperatorAdded)[0].operator == producer.address
    assert hub.isOperator(producer)
    truth = honest(job_id)
    hub.submitAttestation(truth.as_tuple(), sign(producer, truth), sender=producer)
    hub.submitAttestation(truth.as_tuple(), sign(operators[0], truth), sender=operators[0])
    job = hub.job(job_id)
    assert (job.status, job.outcome) == (2, truth.outcome)
