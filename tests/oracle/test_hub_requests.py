"""Requesting a job: escrow, deadline, seed, event, and the request's failure paths."""

import ape
import pytest

from tests.oracle.oracle_helpers import ANALYZE, ETHER, FEE, INPUT_CID, JOB_TIMEOUT, PARAMS, ZERO32
from tutti.attestations import job_seed, kind_id, kind_name
from tutti.oracle_deployment import DEFAULT_MIN_FEE_WEI

OPEN = 1


def test_requestJob_succeedsIfPaid_escrowsFeeAndEmits(hub, requester, chain):
    receipt = hub.requestJob(ANALYZE, INPUT_CID, PARAMS, 0, sender=requester, value=FEE)

    job_id = hub.jobCount()
    assert job_id == 1
    job = hub.job(job_id)
    deadline = receipt.timestamp + JOB_TIMEOUT
    assert (job.requester, job.deadline, job.status, job.quorum) == (requester.address, deadline, OPEN, 2)
    assert (job.kind, job.fee, job.inputWorkId, job.outcome) == (ANALYZE, FEE, 0, ZERO32)
    assert hub.balance == FEE
    seed = hub.seedOf(job_id)
    assert seed == job_seed(chain.chain_id, hub.address, job_id)
    assert receipt.events == [
        hub.JobRequested(
            jobId=job_id,
            requester=requester.address,
            kind=ANALYZE,
            inputCid=INPUT_CID,
            params=PARAMS,
            fee=FEE,
            deadline=deadline,
            seed=seed,
            inputWorkId=0,
        )
    ]


def test_seed_differsPerJob(hub, requester):
    for _ in range(2):
        hub.requestJob(ANALYZE, INPUT_CID, PARAMS, 0, sender=requester, value=FEE)
    assert hub.seedOf(1) != hub.seedOf(2)


def test_kindId_roundTrips():
    assert kind_id("analyze") == b"analyze".ljust(32, b"\x00")
    assert kind_name(kind_id("analyze")) == "analyze"
    with pytest.raises(ValueError):
        kind_id("x" * 33)


def test_requestJob_failsIfFeeBelowGlobalMinimum(hub, requester, timelock):
    hub.setMinFee(ZERO32, ETHER, sender=timelock)
    with ape.reverts(hub.FeeBelowMinimum, kind=ANALYZE, sent=ETHER - 1, minimum=ETHER):
        hub.requestJob(ANALYZE, INPUT_CID, PARAMS, 0, sender=requester, value=ETHER - 1)
    hub.requestJob(ANALYZE, INPUT_CID, PARAMS, 0, sender=requester, value=ETHER)


def test_requestJob_failsIfFeeBelowKindMinimum(hub, requester, timelock):
    render = kind_id("render")
    hub.setMinFee(render, 2 * ETHER, sender=timelock)
    assert hub.minFeeOf(render) == 2 * ETHER
    assert hub.minFeeOf(ANALYZE) == DEFAULT_MIN_FEE_WEI  # the global minimum
    with ape.reverts(hub.FeeBelowMinimum, kind=render, sent=ETHER, minimum=2 * ETHER):
        hub.requestJob(render, INPUT_CID, PARAMS, 0, sender=requester, value=ETHER)
    hub.requestJob(ANALYZE, INPUT_CID, PARAMS, 0, sender=requester, value=DEFAULT_MIN_FEE_WEI)


def test_requestJob_failsIfFree(hub, requester, timelock):
    """Issue 12, item 8: free jobs every honest operator would compute and attest unpaid."""
    with ape.reverts(hub.FeeBelowMinimum, kind=ANALYZE, sent=0, minimum=DEFAULT_MIN_FEE_WEI):
        hub.requestJob(ANALYZE, INPUT_CID, PARAMS, 0, sender=requester, value=0)
    with ape.reverts(hub.ZeroGlobalMinFee):
        hub.setMinFee(ZERO32, 0, sender=timelock)


def test_minFeeOf_isTheLargerOfGlobalAndKind(hub, timelock):
    render = kind_id("render")
    hub.setMinFee(render, ETHER, sender=timelock)
    hub.setMinFee(ZERO32, 3 * ETHER, sender=timelock)
    assert hub.minFeeOf(render) == 3 * ETHER
    assert hub.minFee(render) == ETHER


def test_requestJob_failsIfKindEmpty(hub, requester):
    with ape.reverts(hub.EmptyKind):
        hub.requestJob(ZERO32, INPUT_CID, PARAMS, 0, sender=requester, value=FEE)


def test_requestJob_failsIfInputCidEmpty(hub, requester):
    with ape.reverts(hub.EmptyInputCid):
        hub.requestJob(ANALYZE, "", PARAMS, 0, sender=requester, value=FEE)


def test_requestJob_failsIfInputWorkUnknown(hub, requester):
    with ape.reverts(hub.UnknownInputWork, workId=1):
        hub.requestJob(ANALYZE, INPUT_CID, PARAMS, 1, sender=requester, value=FEE)


def test_views_failIfJobUnknown(hub):
    with ape.reverts(hub.UnknownJob, jobId=7):
        hub.job(7)
    with ape.reverts(hub.UnknownJob, jobId=7):
        hub.fulfilledResult(7)
