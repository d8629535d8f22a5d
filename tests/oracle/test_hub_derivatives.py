"""A job on a registered work: its accepted result is registered by the requester as a derivative."""

import ape

from tests.oracle.oracle_helpers import ANALYZE, FEE, MODEL, PARAMS, honest


def _registration(owner, cid: str, content: bytes, parents=()):
    return (cid, content, "CC-BY-4.0", 500, [(owner.address, 10_000)], list(parents))


def _register(registry, owner, cid: str, content: bytes, parents=()):
    registry.commitRegistration(registry.registrationCommitment(owner.address, content), sender=owner)
    registry.register(_registration(owner, cid, content, parents), sender=owner)
    return registry.workCount()


def _fulfilled_job_on_work(tutti, hub, artist, requester, operators, sign):
    source = _register(tutti.registry, artist, "bafysourcemetadata", b"\x01" * 32)
    hub.requestJob(ANALYZE, "bafysourceaudio", PARAMS, source, sender=requester, value=FEE)
    job_id = hub.jobCount()
    truth = honest(job_id)
    for op in operators[:2]:
        hub.submitAttestation(truth.as_tuple(), sign(op, truth), sender=op)
    return source, job_id, truth


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


def test_register_failsIfJobResultRegisteredByOtherThanRequester(tutti, hub, artist, requester, operators, sign,
                                                                  timelock, producer, reverts):
    registry = tutti.registry
    registry.setOracleHub(hub, sender=timelock)
    source, job_id, truth = _fulfilled_job_on_work(tutti, hub, artist, requester, operators, sign)
    assert hub.requesterOfResult(truth.result_hash) == requester.address

    # The result hash is public once attested: a watcher commits to it and registers it first.
    registry.commitRegistration(registry.registrationCommitment(producer.address, truth.result_hash), sender=producer)
    with reverts(registry.ContentReservedForRequester, contentHash=truth.result_hash, requester=requester.address):
        registry.register(_registration(producer, truth.result_cid, truth.result_hash, [(source, 1_000)]),
                          sender=producer)

    derivative = _register(registry, requester, truth.result_cid, truth.result_hash, [(source, 1_000)])
    assert registry.ownerOf(derivative) == requester.address
