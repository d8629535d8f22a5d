"""Real activity on the session's Tutti system: every kind of event the indexer follows."""

from __future__ import annotations

from eth_utils import keccak

from tutti import governance as gov
from tutti import royalties
from tutti.attestations import Attestation, kind_id, sign_attestation
from tutti.works import Share, register_work

ETHER = 10**18
MODEL = bytes.fromhex("11" * 32)


def register(tutti, artist, tag: str, contributors, parents=()):
    return register_work(
        tutti, artist, metadata_cid=f"bafy-{tag}", content_hash=keccak(text=tag),
        contributors=[Share(a.address, bps) for a, bps in contributors],
        parents=[Share(str(work_id), bps) for work_id, bps in parents],
    )


def attest(tutti, operator, job_id: int, honest: bool = True):
    attestation = Attestation(job_id, bytes.fromhex(("aa" if honest else "bb") * 32),
                              "bafyresult" if honest else "bafylie", MODEL)
    signature = sign_attestation(operator.private_key, attestation, tutti.book.chain_id, tutti.hub.address)
    return tutti.hub.submitAttestation(attestation.as_tuple(), signature, sender=operator)


def make_activity(tutti, chain, stablecoin, deployer, artist, producer, vocalist, fan, voters, operators) -> dict:
    """Works, a remix, ETH and tUSD royalties, withdrawals, a forward upstream, a metadata change,
    two proposals (one executed, one left defeated), two oracle jobs (one fulfilled over a
    dissenter, one open) and an operator withdrawal."""
    song = register(tutti, artist, "song", [(artist, 5000), (producer, 3000), (vocalist, 2000)])
    remix = register(tutti, producer, "remix", [(producer, 10_000)], parents=[(song.work_id, 2000)])
    solo = register(tutti, vocalist, "solo", [(vocalist, 10_000)])
    tutti.registry.setMetadataCid(solo.work_id, "bafy-solo-v2", sender=vocalist)

    royalties.pay(tutti, fan, song.work_id, ETHER)
    royalties.pay(tutti, fan, remix.work_id, ETHER // 2)
    stablecoin.mint(fan, 1_000 * 10**6, sender=fan)
    royalties.pay(tutti, fan, song.work_id, 250 * 10**6, token=stablecoin.address)
    royalties.forward_upstream(tutti, fan, remix.work_id)
    royalties.withdraw(tutti, artist, song.work_id)
    royalties.withdraw(tutti, producer, song.work_id, token=stablecoin.address)
    royalties.withdraw(tutti, producer, remix.work_id)

    first, second = voters
    action = gov.encode_call(tutti, "ContentRegistry", "setRegistrationFee", [10**15])
    passed = gov.propose(tutti, first, [action], "Charge 0.001 ETH per registration")
    chain.mine(2)
    gov.vote(tutti, first, passed.proposal_id, gov.Support.FOR, reason="fair")
    gov.vote(tutti, second, passed.proposal_id, gov.Support.ABSTAIN)
    tutti.token.transfer(fan, 1_000 * ETHER, sender=first)  # moves votes: DelegateVotesChanged
    gov.delegate(tutti, fan, first.address)
    failing = gov.propose(tutti, second, [gov.encode_call(tutti, "OracleHub", "setQuorum", [1])],
                          "Lower the oracle quorum")
    chain.mine(2)
    gov.vote(tutti, second, failing.proposal_id, gov.Support.AGAINST)
    chain.mine(22)
    gov.queue(tutti, deployer, passed.proposal_id)
    chain.pending_timestamp += 61
    gov.execute(tutti, deployer, passed.proposal_id)

    kind = kind_id("analyze")
    fee = tutti.hub.minFeeOf(kind) + 10**15 + 1
    tutti.hub.requestJob(kind, "bafy-input", b'{"key": "C"}', song.work_id, sender=fan, value=fee)
    done = tutti.hub.jobCount()
    liar, honest_one, honest_two = operators
    attest(tutti, liar, done, honest=False)
    attest(tutti, honest_one, done)
    attest(tutti, honest_two, done)
    tutti.hub.requestJob(kind, "bafy-input-2", b"{}", 0, sender=fan, value=fee)
    tutti.hub.withdraw(sender=honest_one)
    chain.mine(1)
    return {"works": [song, remix, solo], "proposals": [passed, failing], "jobs": [done, done + 1]}
