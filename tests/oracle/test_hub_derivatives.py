"""A job on a registered work: its accepted result is registered by the requester as a derivative."""

import ape

from tests.oracle.oracle_helpers import ANALYZE, FEE, MODEL, PARAMS, honest


def _register(registry, owner, cid: str, content: bytes, parents=()):
    registration = (cid, content, "CC-BY-4.0", 500, [(owner.address, 10_000)], list(parents))
    registry.register(registration, sender=owner)
    return registry.workCount()


def test_fulfilledResult_registersAsDerivativeOfInput(tutti, hub, artist, requester, operators, sign):
    registry = tutti.registry
    source = _register(registry, artist, "bafysourcemetadata", b"\x01" * 32)
    hub.requestJob(ANALYZE, "bafysourceaudio", PARAMS, source, sender=requester, value=FEE)
    job_id = hub.jobCount()
    assert hub.job(job_id).inputWorkId == source
    with ape.reverts(hub.JobNotFulfilled, jobId=job_id):
        hub.fulfilledResult(job_id)

    truth = honest(job_id)
    for op in operators[:2]:
        hub.submitAttestation(truth.as_tuple(), sign(op, truth), sender=op)

    # The documented flow: the requester reads the accepted result and registers it itself,
    # with the input work as parent, so the token is minted to the requester.
    result_cid, result_hash, model_id, input_work = hub.fulfilledResult(job_id)
    assert (result_cid, result_hash, model_id, input_work) == (truth.result_cid, truth.result_hash, MODEL, source)
    derivative = _register(registry, requester, result_cid, result_hash, [(input_work, 1_000)])
    assert registry.ownerOf(derivative) == requester.address
    assert registry.parentsOf(derivative) == [(source, 1_000)]
    assert registry.work(derivative).metadataCid == truth.result_cid
