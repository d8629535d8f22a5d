"""k-of-n attestations: agreement, fee sharing, dissent, relaying, and every refusal."""

import ape
from eth_account import Account

from tests.oracle.oracle_helpers import ANALYZE, FEE, MODEL, expire, honest, lying
from tutti.attestations import Attestation

FULFILLED = 2
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def test_quorum_succeedsIfTwoOfThreeAgree_liarEarnsNothingAndDissentIsOnChain(hub, operators, job_id, sign):
    first, liar, second = operators
    truth, lie = honest(job_id), lying(job_id)

    receipt = hub.submitAttestation(lie.as_tuple(), sign(liar, lie), sender=liar)
    assert receipt.events == [
        hub.AttestationSubmitted(
            jobId=job_id,
            operator=liar.address,
            outcome=lie.outcome,
            resultHash=lie.result_hash,
            resultCid=lie.result_cid,
            modelId=MODEL,
            relayer=liar.address,
        )
    ]
    hub.submitAttestation(truth.as_tuple(), sign(first, truth), sender=first)
    assert hub.job(job_id).status == 1  # one vote each: not yet
    receipt = hub.submitAttestation(truth.as_tuple(), sign(second, truth), sender=second)

    fulfilled = receipt.decode_logs(hub.JobFulfilled)[0]
    assert (fulfilled.jobId, fulfilled.outcome, fulfilled.resultCid, fulfilled.fee) == (
        job_id, truth.outcome, truth.result_cid, FEE
    )
    assert list(fulfilled.operators) == [first.address, second.address]
    dissent = receipt.decode_logs(hub.AttestationDissented)
    assert [(d.operator, d.outcome, d.acceptedOutcome) for d in dissent] == [
        (liar.address, lie.outcome, truth.outcome)
    ]

    job = hub.job(job_id)
    assert (job.status, job.outcome) == (FULFILLED, truth.outcome)
    assert hub.fulfilledResult(job_id) == (truth.result_cid, truth.result_hash, MODEL, 0)
    # Pull payments: equal shares, the odd wei to the first agreeing operator, nothing to the liar.
    assert hub.claimable(first) == FEE // 2 + 1
    assert hub.claimable(second) == FEE // 2
    assert hub.claimable(liar) == 0
    # The dissent stays retrievable on chain.
    assert hub.dissentersOf(job_id) == ([liar.address], [lie.outcome])
    assert hub.attestationOf(job_id, liar) == lie.outcome
    assert hub.attestersOf(job_id) == [liar.address, first.address, second.address]
    assert hub.resultOf(lie.outcome).resultCid == lie.result_cid


def test_withdraw_paysAccruedFees(hub, operators, job_id, sign):
    first, second, _ = operators
    truth = honest(job_id)
    for op in (first, second):
        hub.submitAttestation(truth.as_tuple(), sign(op, truth), sender=op)
    before = first.balance
    receipt = hub.withdraw(sender=first)
    assert receipt.events == [hub.Withdrawn(account=first.address, amount=FEE // 2 + 1)]
    assert first.balance == before + FEE // 2 + 1 - receipt.total_fees_paid
    assert hub.claimable(first) == 0
    hub.withdraw(sender=second)
    assert hub.balance == 0  # every wei of the fee paid out


def test_withdraw_failsIfNothingAccrued(hub, operators):
    with ape.reverts(hub.NothingToWithdraw, account=operators[0].address):
        hub.withdraw(sender=operators[0])


def test_submitAttestation_succeedsIfRelayedByNonOperator(hub, operators, job_id, sign, producer):
    truth = honest(job_id)
    for op in operators[:2]:
        receipt = hub.submitAttestation(truth.as_tuple(), sign(op, truth), sender=producer)
        assert receipt.decode_logs(hub.AttestationSubmitted)[0].relayer == producer.address
    assert hub.job(job_id).status == FULFILLED
    assert hub.claimable(producer) == 0
    assert hub.claimable(operators[0]) == FEE // 2 + 1


def test_submitAttestation_failsIfSignerNotOperator(hub, job_id, sign, producer):
    truth = honest(job_id)
    with ape.reverts(hub.NotOperator, signer=producer.address):
        hub.submitAttestation(truth.as_tuple(), sign(producer, truth), sender=producer)


def test_submitAttestation_failsIfReplayed(hub, operators, job_id, sign):
    truth = honest(job_id)
    signature = sign(operators[0], truth)
    hub.submitAttestation(truth.as_tuple(), signature, sender=operators[0])
    with ape.reverts(hub.AlreadyAttested, jobId=job_id, operator=operators[0].address):
        hub.submitAttestation(truth.as_tuple(), signature, sender=operators[1])
    # Nor may the same operator change its mind.
    lie = lying(job_id)
    with ape.reverts(hub.AlreadyAttested, jobId=job_id, operator=operators[0].address):
        hub.submitAttestation(lie.as_tuple(), sign(operators[0], lie), sender=operators[0])


def test_submitAttestation_failsIfSignatureMalleable(hub, operators, job_id, sign):
    truth = honest(job_id)
    signature = sign(operators[0], truth)
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    high_s = SECP256K1_N - s
    twin = r + high_s.to_bytes(32, "big") + bytes([55 - v])  # the other valid (r, s, v) for the same key
    with ape.reverts(hub.ECDSAInvalidSignatureS, s=high_s.to_bytes(32, "big")):
        hub.submitAttestation(truth.as_tuple(), twin, sender=operators[0])


def test_submitAttestation_failsIfSignatureMalformed(hub, operators, job_id, sign):
    truth = honest(job_id)
    with ape.reverts(hub.ECDSAInvalidSignatureLength, length=64):
        hub.submitAttestation(truth.as_tuple(), sign(operators[0], truth)[:64], sender=operators[0])


def test_submitAttestation_failsIfSignedForAnotherChain(hub, operators, job_id, sign, chain_id):
    truth = honest(job_id)
    signature = sign(operators[0], truth, chain_id=chain_id + 1)
    recovered = Account._recover_hash(bytes(hub.attestationDigest(truth.as_tuple())), signature=signature)
    assert recovered != operators[0].address
    with ape.reverts(hub.NotOperator, signer=recovered):
        hub.submitAttestation(truth.as_tuple(), signature, sender=operators[0])


def test_submitAttestation_failsIfSignedForAnotherHub(hub, operators, job_id, sign, tutti):
    truth = honest(job_id)
    signature = sign(operators[0], truth, verifying_contract=tutti.registry.address)
    recovered = Account._recover_hash(bytes(hub.attestationDigest(truth.as_tuple())), signature=signature)
    with ape.reverts(hub.NotOperator, signer=recovered):
        hub.submitAttestation(truth.as_tuple(), signature, sender=operators[0])


def test_submitAttestation_failsIfFieldsAltered(hub, operators, job_id, sign):
    truth = honest(job_id)
    signature = sign(operators[0], truth)
    forged = Attestation(job_id, truth.result_hash, "bafysomethingelse", MODEL)
    with ape.reverts(hub.NotOperator):
        hub.submitAttestation(forged.as_tuple(), signature, sender=operators[0])


def test_submitAttestation_failsIfJobUnknown(hub, operators, sign):
    truth = honest(42)
    with ape.reverts(hub.UnknownJob, jobId=42):
        hub.submitAttestation(truth.as_tuple(), sign(operators[0], truth), sender=operators[0])


def test_submitAttestation_failsIfResultEmpty(hub, operators, job_id, sign):
    for empty in (Attestation(job_id, b"\x00" * 32, "bafy", MODEL), Attestation(job_id, b"\xaa" * 32, "", MODEL)):
        with ape.reverts(hub.EmptyResult, jobId=job_id):
            hub.submitAttestation(empty.as_tuple(), sign(operators[0], empty), sender=operators[0])


def test_submitAttestation_failsIfExpired(hub, operators, job_id, sign, chain):
    truth = honest(job_id)
    signature = sign(operators[0], truth)
    expire(chain)
    with ape.reverts(hub.JobExpired, jobId=job_id, deadline=hub.job(job_id).deadline):
        hub.submitAttestation(truth.as_tuple(), signature, sender=operators[0])


def test_submitAttestation_failsIfLateAndMatching(hub, operators, job_id, sign):
    truth = honest(job_id)
    for op in operators[:2]:
        hub.submitAttestation(truth.as_tuple(), sign(op, truth), sender=op)
    with ape.reverts(hub.JobAlreadyFulfilled, jobId=job_id):
        hub.submitAttestation(truth.as_tuple(), sign(operators[2], truth), sender=operators[2])


def test_submitAttestation_recordsLateDissent(hub, operators, job_id, sign, chain):
    truth, lie = honest(job_id), lying(job_id)
    for op in operators[:2]:
        hub.submitAttestation(truth.as_tuple(), sign(op, truth), sender=op)
    expire(chain)  # dissent is accepted even after the deadline: the job is settled either way
    receipt = hub.submitAttestation(lie.as_tuple(), sign(operators[2], lie), sender=operators[2])
    assert receipt.decode_logs(hub.AttestationDissented)[0].acceptedOutcome == truth.outcome
    assert hub.dissentersOf(job_id) == ([operators[2].address], [lie.outcome])
    assert hub.claimable(operators[2]) == 0
    assert hub.job(job_id).outcome == truth.outcome


def test_submitAttestation_failsIfRefunded(hub, operators, job_id, sign, chain):
    truth = honest(job_id)
    expire(chain)
    hub.refund(job_id, sender=operators[0])
    with ape.reverts(hub.JobAlreadyRefunded, jobId=job_id):
        hub.submitAttestation(truth.as_tuple(), sign(operators[0], truth), sender=operators[0])


def test_submitAttestation_failsIfOperatorRemoved(hub, operators, job_id, sign, timelock):
    truth = honest(job_id)
    hub.removeOperator(operators[2], sender=timelock)
    with ape.reverts(hub.NotOperator, signer=operators[2].address):
        hub.submitAttestation(truth.as_tuple(), sign(operators[2], truth), sender=operators[2])


def test_dissentersOf_isEmptyUntilFulfilled(hub, operators, job_id, sign):
    lie = lying(job_id)
    hub.submitAttestation(lie.as_tuple(), sign(operators[0], lie), sender=operators[0])
    assert hub.dissentersOf(job_id) == ([], [])
    assert hub.agreeingOperators(job_id, lie.outcome) == [operators[0].address]
    with ape.reverts(hub.JobNotFulfilled, jobId=job_id):
        hub.fulfilledResult(job_id)


def test_differentModel_isAnotherOutcome(hub, operators, job_id, sign):
    truth = honest(job_id)
    other_model = Attestation(job_id, truth.result_hash, truth.result_cid, b"\x22" * 32)
    assert other_model.outcome != truth.outcome
    assert hub.outcomeOf(*other_model.as_tuple()[1:]) == other_model.outcome
    hub.submitAttestation(truth.as_tuple(), sign(operators[0], truth), sender=operators[0])
    hub.submitAttestation(other_model.as_tuple(), sign(operators[1], other_model), sender=operators[1])
    assert hub.job(job_id).status == 1


def test_submitAttestation_failsToCountRemovedOperatorsPendingAttestation(hub, operators, job_id, sign, timelock):
    """Issue 12, item 7: a leaked key attests, governance removes it; its pending attestation must
    neither complete the quorum for a lie nor earn a share of the fee."""
    leaked, honest_a, honest_b = operators[2], operators[0], operators[1]
    lie = lying(job_id)
    hub.submitAttestation(lie.as_tuple(), sign(leaked, lie), sender=leaked)
    hub.removeOperator(leaked, sender=timelock)

    # One more voice for the lie would have made the 2-of-3 quorum with the removed key's.
    hub.submitAttestation(lie.as_tuple(), sign(honest_a, lie), sender=honest_a)
    assert hub.job(job_id).status == 1  # still open

    second_job = hub.requestJob(ANALYZE, "bafysecond", b"{}", 0, sender=honest_b, value=FEE).return_value
    second = honest(second_job)
    hub.addOperator(leaked, sender=timelock)
    hub.submitAttestation(second.as_tuple(), sign(leaked, second), sender=leaked)
    hub.removeOperator(leaked, sender=timelock)
    hub.submitAttestation(second.as_tuple(), sign(honest_a, second), sender=honest_a)
    assert hub.job(second_job).status == 1
    receipt = hub.submitAttestation(second.as_tuple(), sign(honest_b, second), sender=honest_b)

    fulfilled = receipt.decode_logs(hub.JobFulfilled)[0]
    assert fulfilled.operators == [honest_a.address, honest_b.address]
    assert hub.claimable(leaked) == 0
    assert hub.claimable(honest_a) + hub.claimable(honest_b) == FEE
