"""A job not fulfilled by its deadline goes back to its requester."""

import ape

from tests.oracle.oracle_helpers import ANALYZE, ETHER, FEE, INPUT_CID, PARAMS, expire, honest

REFUNDED = 3


def test_refund_succeedsAfterDeadline_paysRequester(hub, requester, job_id, chain, producer):
    expire(chain)
    before = requester.balance
    receipt = hub.refund(job_id, sender=producer)  # anyone may trigger it
    assert receipt.events == [hub.JobRefunded(jobId=job_id, requester=requester.address, amount=FEE)]
    assert requester.balance == before + FEE
    assert hub.job(job_id).status == REFUNDED
    assert hub.balance == 0


def test_refund_succeedsWithOneAttestationShortOfQuorum(hub, requester, operators, job_id, sign, chain):
    truth = honest(job_id)
    hub.submitAttestation(truth.as_tuple(), sign(operators[0], truth), sender=operators[0])
    expire(chain)
    hub.refund(job_id, sender=requester)
    assert hub.claimable(operators[0]) == 0
    assert hub.balance == 0


def test_refund_failsBeforeDeadline(hub, job_id, requester, chain):
    deadline = hub.job(job_id).deadline
    chain.pending_timestamp = deadline  # the deadline itself still belongs to the operators
    with ape.reverts(hub.JobNotExpired, jobId=job_id, deadline=deadline):
        hub.refund(job_id, sender=requester)


def test_refund_failsIfFulfilled(hub, operators, job_id, sign, chain, requester):
    truth = honest(job_id)
    for op in operators[:2]:
        hub.submitAttestation(truth.as_tuple(), sign(op, truth), sender=op)
    expire(chain)
    with ape.reverts(hub.JobAlreadyFulfilled, jobId=job_id):
        hub.refund(job_id, sender=requester)


def test_refund_failsIfAlreadyRefunded(hub, job_id, chain, requester):
    expire(chain)
    hub.refund(job_id, sender=requester)
    with ape.reverts(hub.JobAlreadyRefunded, jobId=job_id):
        hub.refund(job_id, sender=requester)


def test_refund_failsIfJobUnknown(hub, requester):
    with ape.reverts(hub.UnknownJob, jobId=3):
        hub.refund(3, sender=requester)


def test_refund_creditsRequesterThatRefusesETH(hub, tutti, accounts, chain, deployer):
    """A requester contract without a receive function: the refund becomes claimable, never locked."""
    contract_requester = accounts[tutti.registry.address]  # ERC-721 without receive(): refuses ETH
    chain.provider.set_balance(tutti.registry.address, 2 * ETHER)
    hub.requestJob(ANALYZE, INPUT_CID, PARAMS, 0, sender=contract_requester, value=FEE)
    job_id = hub.jobCount()
    expire(chain)
    receipt = hub.refund(job_id, sender=deployer)
    assert receipt.events == [hub.JobRefunded(jobId=job_id, requester=tutti.registry.address, amount=FEE)]
    assert hub.claimable(tutti.registry.address) == FEE
    assert hub.balance == FEE
    with ape.reverts(hub.ETHTransferFailed, to=tutti.registry.address, amount=FEE):
        hub.withdraw(sender=contract_requester)
