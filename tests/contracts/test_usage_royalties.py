"""UsageRoyalties: pools funded per epoch (ETH, ERC-20, fee-on-transfer), settling an ended epoch
with a usage report attested by the oracle quorum, Merkle claims landing in each work's split,
roll-overs (dust after the claim window, zero-play epochs at once, unsettled epochs a window after
their end), the governance-owned reporter and claim window, every revert, proofs built by the
Python `tutti.usage.PlayTree` accepted on chain, and a property test of the accounting."""

from __future__ import annotations

from contextlib import contextmanager

import ape
import pytest
from ape import chain
from eth_abi import decode
from eth_utils import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutti import governance as dao
from tutti.attestations import Attestation, kind_id, sign_attestation
from tutti.royalties import ETH
from tutti.usage import PlayTree, commitment, leaf
from tutti.works import Share, register_work

ETHER = 10**18
USD = 10**6  # the test stablecoin has 6 decimals
HOUR = 3_600
DAY = 86_400
WEEK = 7 * DAY
CLAIM_WINDOW = 90 * DAY
UINT64_MAX = 2**64 - 1
USAGE = kind_id("usage")
MODEL = bytes.fromhex("22" * 32)
REPORT_CID = "bafy-usage-settlement"
ZERO_ROOT = bytes(32)


@pytest.fixture(scope="session")
def usage(tutti):
    return tutti.usage


@pytest.fixture(scope="session")
def reporter(deployer):
    """The session's usage reporter (the deployment default)."""
    return deployer


@pytest.fixture
def works(tutti, artist, producer, vocalist):
    """Seven registered works; the first is a duet (artist 60%, producer 40%), the rest vocalist solos."""
    duet = register_work(tutti, artist, metadata_cid="bafy-duet", content_hash=keccak(text="usage/duet"),
                         contributors=[Share(artist.address, 6_000), Share(producer.address, 4_000)])
    solos = [
        register_work(tutti, vocalist, metadata_cid=f"bafy-solo-{i}", content_hash=keccak(text=f"usage/solo/{i}"),
                      contributors=[Share(vocalist.address, 10_000)])
        for i in range(6)
    ]
    return [duet, *solos]


@pytest.fixture
def epoch(usage):
    """A fresh epoch: the chain is moved to its first second, so the whole epoch lies ahead."""
    _, end = usage.epochBounds(usage.currentEpoch())
    at(end)
    return usage.currentEpoch()


@pytest.fixture
def funded_usd(stablecoin, usage, fan):
    """The fan holds plenty of tUSD, approved for the usage contract."""
    stablecoin.mint(fan, 10**30, sender=fan)
    stablecoin.approve(usage, 2**256 - 1, sender=fan)
    return stablecoin


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def at(timestamp: int):
    """Mine a block at `timestamp`, so views see exactly that time."""
    chain.pending_timestamp = timestamp
    chain.mine()


def end_of(usage, epoch: int) -> int:
    """Move to the first second after `epoch` (where it may be settled); returns that second."""
    _, end = usage.epochBounds(epoch)
    at(end)
    return end


def report(tutti, operators, requester, epoch: int, tree: PlayTree | None = None, *, kind=USAGE, result_hash=None,
           attesters: int = 2) -> int:
    """`requester` asks for a `kind` job; `attesters` operators (2 = the quorum) attest `result_hash`,
    by default the commitment of `tree` for `epoch`. Returns the job id."""
    hub = tutti.hub
    hub.requestJob(kind, "bafy-play-report", b"{}", 0, sender=requester, value=hub.minFeeOf(kind))
    job_id = hub.jobCount()
    if result_hash is None:
        result_hash = commitment(tutti.usage.address, epoch, tree.root, tree.total_plays)
    attestation = Attestation(job_id, result_hash, REPORT_CID, MODEL)
    for operator in operators[:attesters]:
        signature = sign_attestation(operator.private_key, attestation, tutti.book.chain_id, hub.address)
        hub.submitAttestation(attestation.as_tuple(), signature, sender=operator)
    return job_id


def settle(tutti, operators, reporter, epoch: int, tree: PlayTree, sender):
    """End `epoch` if it has not ended, report `tree` and settle with it; returns the receipt."""
    _, end = tutti.usage.epochBounds(epoch)
    if chain.pending_timestamp < end:
        at(end)
    job_id = report(tutti, operators, reporter, epoch, tree)
    return tutti.usage.settle(epoch, job_id, tree.root, tree.total_plays, sender=sender)


def claim(usage, epoch: int, token: str, tree: PlayTree, work_id: int, sender):
    return usage.claim(epoch, token, work_id, tree.plays[work_id], tree.proof(work_id), sender=sender)


@contextmanager
def deployment_reverts(error, **inputs):
    """Like the `reverts` fixture for a constructor, whose revert data ape hands over as bare hex
    (as in test_access_pass.py)."""
    with ape.reverts() as info:
        yield
    data = bytes.fromhex(info.value.revert_message.removeprefix("0x"))
    assert data[:4] == keccak(text=error.abi.selector)[:4], f"expected {error.abi.selector}, got 0x{data[:4].hex()}"
    values = decode([arg.canonical_type for arg in error.abi.inputs], data[4:])
    assert {arg.name: value for arg, value in zip(error.abi.inputs, values)} == inputs


def deploy_usage(deployer, project, tutti, epoch_length=WEEK, claim_window=CLAIM_WINDOW, reporter=None):
    return deployer.deploy(project.UsageRoyalties, tutti.timelock, tutti.registry, tutti.splitter, tutti.hub,
                           epoch_length, claim_window, reporter or deployer.address)


# ---------------------------------------------------------------------------------------------
# deployment and epochs
# ---------------------------------------------------------------------------------------------


def test_deploy_succeedsWithTimelockOwningReporterAndWindow(tutti, usage, reporter):
    assert tutti.book.address("UsageRoyalties") == usage.address
    assert usage.owner() == tutti.timelock.address
    assert (usage.registry(), usage.splitter(), usage.hub()) == (
        tutti.registry.address, tutti.splitter.address, tutti.hub.address
    )
    assert (usage.epochLength(), usage.claimWindow(), usage.reporter()) == (WEEK, CLAIM_WINDOW, reporter.address)
    assert usage.USAGE_KIND() == USAGE == b"usage".ljust(32, b"\x00")
    assert (usage.MIN_EPOCH_LENGTH(), usage.MAX_EPOCH_LENGTH()) == (60, 366 * DAY)
    assert (usage.MIN_CLAIM_WINDOW(), usage.MAX_CLAIM_WINDOW()) == (HOUR, 366 * DAY)
    assert usage.genesis() <= chain.blocks.head.timestamp


def test_deploy_succeedsEmittingReporterAndWindow(tutti, deployer, project, fan):
    usage = deploy_usage(deployer, project, tutti, claim_window=HOUR, reporter=fan.address)
    receipt = chain.get_receipt(usage.txn_hash)
    assert usage.genesis() == receipt.timestamp
    assert receipt.events.filter(usage.ReporterSet) == [usage.ReporterSet(reporter=fan.address)]
    assert receipt.events.filter(usage.ClaimWindowSet) == [usage.ClaimWindowSet(claimWindow=HOUR)]


@pytest.mark.parametrize("length", [59, 366 * DAY + 1, 0])
def test_deploy_failsIfEpochLengthOutOfRange(tutti, deployer, project, usage, length):
    with deployment_reverts(usage.InvalidEpochLength, length=length, min=60, max=366 * DAY):
        deploy_usage(deployer, project, tutti, epoch_length=length)


@pytest.mark.parametrize("window", [HOUR - 1, 366 * DAY + 1])
def test_deploy_failsIfClaimWindowOutOfRange(tutti, deployer, project, usage, window):
    with deployment_reverts(usage.InvalidClaimWindow, window=window, min=HOUR, max=366 * DAY):
        deploy_usage(deployer, project, tutti, claim_window=window)


def test_deploy_failsIfReporterZero(tutti, deployer, project, usage):
    with deployment_reverts(usage.ZeroReporter):
        deployer.deploy(project.UsageRoyalties, tutti.timelock, tutti.registry, tutti.splitter, tutti.hub, WEEK,
                        CLAIM_WINDOW, ETH)


@pytest.mark.parametrize("length", [60, WEEK, 366 * DAY])
def test_epochs_succeedIfContiguousFromGenesis(tutti, deployer, project, length):
    usage = deploy_usage(deployer, project, tutti, epoch_length=length)
    genesis = usage.genesis()

    assert usage.currentEpoch() == 0
    assert usage.epochAt(0) == usage.epochAt(genesis - 1) == usage.epochAt(genesis) == 0
    assert usage.epochAt(genesis + length - 1) == 0
    assert usage.epochAt(genesis + length) == 1
    assert usage.epochAt(genesis + 5 * length + 7) == 5
    assert usage.epochAt(UINT64_MAX) == (UINT64_MAX - genesis) // length
    assert usage.epochBounds(0) == (genesis, genesis + length)
    assert usage.epochBounds(5) == (genesis + 5 * length, genesis + 6 * length)

    # The last epoch that ends within uint64 time, then the one that never ends, then saturation.
    last = (UINT64_MAX - genesis) // length - 1
    assert usage.epochBounds(last) == (genesis + last * length, genesis + (last + 1) * length)
    assert usage.epochBounds(last + 1) == (genesis + (last + 1) * length, UINT64_MAX)
    assert usage.epochBounds(2**256 - 1) == (UINT64_MAX, UINT64_MAX)

    at(genesis + length)
    assert usage.currentEpoch() == 1


# ---------------------------------------------------------------------------------------------
# funding
# ---------------------------------------------------------------------------------------------


def test_fundETH_succeedsAddingToCurrentPool(usage, epoch, fan, artist):
    receipt = usage.fundETH(sender=fan, value=ETHER)
    assert receipt.events == [usage.EpochFunded(epoch=epoch, token=ETH, **{"from": fan.address}, amount=ETHER)]
    usage.fundETH(sender=artist, value=3)

    assert usage.poolOf(epoch, ETH) == ETHER + 3
    assert usage.balance == ETHER + 3
    assert usage.poolOf(epoch + 1, ETH) == usage.claimedOf(epoch, ETH) == 0


def test_fund_succeedsAddingERC20ToCurrentPool(usage, epoch, funded_usd, fan):
    receipt = usage.fund(funded_usd, 250 * USD, sender=fan)

    assert usage.EpochFunded(epoch=epoch, token=funded_usd.address, **{"from": fan.address}, amount=250 * USD) in (
        receipt.events
    )
    assert usage.poolOf(epoch, funded_usd) == 250 * USD
    assert funded_usd.balanceOf(usage) == 250 * USD
    assert usage.poolOf(epoch, ETH) == 0


def test_fund_succeedsCountingWhatArrivesOfFeeOnTransferToken(usage, epoch, deployer, project, fan):
    taxed = deployer.deploy(project.FeeOnTransferToken, 100)  # 1% of every transfer burnt
    taxed.mint(fan, 10_000, sender=fan)
    taxed.approve(usage, 10_000, sender=fan)

    receipt = usage.fund(taxed, 10_000, sender=fan)

    assert receipt.events.filter(usage.EpochFunded)[0].amount == 9_900
    assert usage.poolOf(epoch, taxed) == taxed.balanceOf(usage) == 9_900


def test_fund_succeedsIntoNextPoolOnceEpochEnds(usage, epoch, fan):
    usage.fundETH(sender=fan, value=1)
    end_of(usage, epoch)
    usage.fundETH(sender=fan, value=2)
    assert (usage.poolOf(epoch, ETH), usage.poolOf(epoch + 1, ETH)) == (1, 2)


def test_fund_failsIfZero(usage, funded_usd, deployer, project, fan, reverts):
    with reverts(usage.ZeroFunding):
        usage.fundETH(sender=fan, value=0)
    with reverts(usage.ZeroFunding):
        usage.fund(funded_usd, 0, sender=fan)
    with reverts(usage.InvalidToken, token=ETH):
        usage.fund(ETH, 5, sender=fan)
    # A token whose transfer delivers nothing (a 100% tax) funds nothing either.
    everything = deployer.deploy(project.FeeOnTransferToken, 10_000)
    everything.mint(fan, 5, sender=fan)
    everything.approve(usage, 5, sender=fan)
    with reverts(usage.ZeroFunding):
        usage.fund(everything, 5, sender=fan)


# ---------------------------------------------------------------------------------------------
# settle
# ---------------------------------------------------------------------------------------------


def test_settle_succeedsWithAttestedReport(tutti, usage, epoch, works, operators, reporter, fan):
    tree = PlayTree({works[0].work_id: 30, works[1].work_id: 12})
    end = end_of(usage, epoch)
    job_id = report(tutti, operators, reporter, epoch, tree)
    assert usage.commitmentOf(epoch, tree.root, 42) == commitment(usage.address, epoch, tree.root, 42)

    receipt = usage.settle(epoch, job_id, tree.root, 42, sender=fan)  # anyone may settle

    assert receipt.events == [usage.EpochSettled(epoch=epoch, jobId=job_id, root=tree.root, totalPlays=42)]
    assert usage.settlementOf(epoch) == (tree.root, 42, job_id, receipt.timestamp)
    assert receipt.timestamp >= end


def test_settle_succeedsAtFirstSecondAfterEpoch(tutti, usage, epoch, works, operators, reporter, fan, reverts):
    tree = PlayTree({works[0].work_id: 1})
    job_id = report(tutti, operators, reporter, epoch, tree)  # reported early: settling still waits
    _, end = usage.epochBounds(epoch)

    chain.pending_timestamp = end - 1
    with reverts(usage.EpochNotEnded, epoch=epoch, endsAt=end):
        usage.settle(epoch, job_id, tree.root, 1, sender=fan)
    chain.pending_timestamp = end
    assert usage.settle(epoch, job_id, tree.root, 1, sender=fan).timestamp == end


def test_settle_succeedsWithZeroPlays(tutti, usage, epoch, operators, reporter, fan):
    end_of(usage, epoch)
    job_id = report(tutti, operators, reporter, epoch, PlayTree({}))
    usage.settle(epoch, job_id, ZERO_ROOT, 0, sender=fan)
    assert usage.settlementOf(epoch)[:3] == (ZERO_ROOT, 0, job_id)


def test_settle_failsIfEpochNotEnded(tutti, usage, epoch, works, operators, reporter, fan, reverts):
    tree = PlayTree({works[0].work_id: 1})
    job_id = report(tutti, operators, reporter, epoch, tree)
    for target in (epoch, epoch + 1, 2**256 - 1):
        _, end = usage.epochBounds(target)
        with reverts(usage.EpochNotEnded, epoch=target, endsAt=end):
            usage.settle(target, job_id, tree.root, 1, sender=fan)
    assert usage.epochBounds(2**256 - 1)[1] == UINT64_MAX


def test_settle_failsIfAlreadySettled(tutti, usage, epoch, works, operators, reporter, fan, reverts):
    tree = PlayTree({works[0].work_id: 1})
    settle(tutti, operators, reporter, epoch, tree, fan)
    # Even a second, equally valid report cannot replace the settlement.
    job_id = report(tutti, operators, reporter, epoch, tree)
    with reverts(usage.EpochAlreadySettled, epoch=epoch):
        usage.settle(epoch, job_id, tree.root, 1, sender=fan)


def test_settle_failsIfJobNotUsage(tutti, usage, epoch, works, operators, reporter, fan, reverts):
    tree = PlayTree({works[0].work_id: 1})
    end_of(usage, epoch)
    job_id = report(tutti, operators, reporter, epoch, tree, kind=kind_id("analyze"))
    with reverts(usage.NotAUsageJob, jobId=job_id, kind=kind_id("analyze")):
        usage.settle(epoch, job_id, tree.root, 1, sender=fan)


def test_settle_failsIfNotRequestedByReporter(tutti, usage, epoch, works, operators, fan, reverts):
    tree = PlayTree({works[0].work_id: 1})
    end_of(usage, epoch)
    job_id = report(tutti, operators, fan, epoch, tree)
    with reverts(usage.NotReportedByReporter, jobId=job_id, requester=fan.address):
        usage.settle(epoch, job_id, tree.root, 1, sender=fan)


@pytest.mark.parametrize("forged", ["root", "total", "epoch", "contract"])
def test_settle_failsIfCommitmentDiffers(tutti, usage, epoch, works, operators, reporter, fan, forged, reverts):
    """The attested hash binds root, total, epoch and this contract: none can be swapped."""
    tree = PlayTree({works[0].work_id: 3, works[1].work_id: 4})
    other = PlayTree({works[0].work_id: 4, works[1].work_id: 3})
    attested = {
        "root": commitment(usage.address, epoch, other.root, 7),
        "total": commitment(usage.address, epoch, tree.root, 8),
        "epoch": commitment(usage.address, epoch - 1, tree.root, 7),  # last epoch's report replayed
        "contract": commitment(tutti.hub.address, epoch, tree.root, 7),  # another deployment's
    }[forged]
    end_of(usage, epoch)
    job_id = report(tutti, operators, reporter, epoch, result_hash=attested)
    expected = commitment(usage.address, epoch, tree.root, 7)
    with reverts(usage.CommitmentMismatch, jobId=job_id, expected=expected, attested=attested):
        usage.settle(epoch, job_id, tree.root, 7, sender=fan)


def test_settle_failsIfOtherEpochsReportReplayed(tutti, usage, epoch, works, operators, reporter, fan, reverts):
    """A report settles only its own epoch, even with identical play counts."""
    tree = PlayTree({works[0].work_id: 5})
    end_of(usage, epoch)
    job_id = report(tutti, operators, reporter, epoch, tree)
    with reverts(usage.CommitmentMismatch, jobId=job_id, expected=usage.commitmentOf(epoch - 1, tree.root, 5),
                 attested=usage.commitmentOf(epoch, tree.root, 5)):
        usage.settle(epoch - 1, job_id, tree.root, 5, sender=fan)
    usage.settle(epoch, job_id, tree.root, 5, sender=fan)


def test_settle_failsIfJobNotFulfilledOrUnknown(tutti, usage, epoch, works, operators, reporter, fan, reverts):
    tree = PlayTree({works[0].work_id: 1})
    end_of(usage, epoch)
    job_id = report(tutti, operators, reporter, epoch, tree, attesters=1)  # one of a quorum of two
    with reverts(tutti.hub.JobNotFulfilled, jobId=job_id):
        usage.settle(epoch, job_id, tree.root, 1, sender=fan)
    with reverts(tutti.hub.UnknownJob, jobId=job_id + 1):
        usage.settle(epoch, job_id + 1, tree.root, 1, sender=fan)


@pytest.mark.parametrize("root, total", [(ZERO_ROOT, 5), (keccak(text="root"), 0)])
def test_settle_failsIfRootAndTotalDisagree(tutti, usage, epoch, operators, reporter, fan, root, total, reverts):
    end_of(usage, epoch)
    # Attested exactly as given: only the consistency rule stands in the way.
    job_id = report(tutti, operators, reporter, epoch, result_hash=commitment(usage.address, epoch, root, total))
    with reverts(usage.InvalidSettlement, root=root, totalPlays=total):
        usage.settle(epoch, job_id, root, total, sender=fan)


# ---------------------------------------------------------------------------------------------
# claim
# ---------------------------------------------------------------------------------------------


def test_claim_succeedsDepositingETHIntoWorksSplit(tutti, usage, splitter, epoch, works, operators, reporter, fan,
                                                   artist, producer):
    duet, solo = works[0], works[1]
    usage.fundETH(sender=fan, value=ETHER)
    tree = PlayTree({duet.work_id: 3, solo.work_id: 1})
    settle(tutti, operators, reporter, epoch, tree, fan)
    assert usage.shareOf(epoch, ETH, 3) == 3 * ETHER // 4

    receipt = claim(usage, epoch, ETH, tree, duet.work_id, sender=fan)  # anyone may claim, for the work

    amount = 3 * ETHER // 4
    assert receipt.return_value == amount
    assert receipt.events.filter(usage.UsageClaimed) == [
        usage.UsageClaimed(epoch=epoch, workId=duet.work_id, token=ETH, plays=3, amount=amount)
    ]
    assert splitter.Deposited(splitId=duet.split_id, token=ETH, **{"from": usage.address}, amount=amount) in (
        receipt.events
    )
    assert splitter.totalReceived(duet.split_id, ETH) == amount
    assert splitter.withdrawable(duet.split_id, ETH, artist) == amount * 6 // 10
    assert splitter.withdrawable(duet.split_id, ETH, producer) == amount * 4 // 10
    assert usage.claimedOf(epoch, ETH) == amount
    assert usage.isClaimed(epoch, ETH, duet.work_id)
    assert not usage.isClaimed(epoch, ETH, solo.work_id)
    assert usage.balance == ETHER - amount

    claim(usage, epoch, ETH, tree, solo.work_id, sender=fan)
    assert splitter.totalReceived(solo.split_id, ETH) == ETHER // 4
    assert usage.balance == 0


def test_claim_succeedsDepositingERC20IntoWorksSplit(tutti, usage, splitter, epoch, works, operators, reporter,
                                                     funded_usd, fan, vocalist):
    duet, solo = works[0], works[1]
    usage.fund(funded_usd, 900 * USD, sender=fan)
    usage.fundETH(sender=fan, value=ETHER)  # another token's pool: untouched by the tUSD claim
    tree = PlayTree({duet.work_id: 2, solo.work_id: 1})
    settle(tutti, operators, reporter, epoch, tree, fan)

    receipt = claim(usage, epoch, funded_usd.address, tree, solo.work_id, sender=vocalist)

    assert receipt.events.filter(usage.UsageClaimed) == [
        usage.UsageClaimed(epoch=epoch, workId=solo.work_id, token=funded_usd.address, plays=1, amount=300 * USD)
    ]
    assert splitter.totalReceived(solo.split_id, funded_usd) == 300 * USD
    assert splitter.withdrawable(solo.split_id, funded_usd, vocalist) == 300 * USD
    assert funded_usd.balanceOf(usage) == 600 * USD
    assert funded_usd.allowance(usage, splitter) == 0  # the approval was used up exactly
    assert usage.isClaimed(epoch, funded_usd, solo.work_id)
    assert not usage.isClaimed(epoch, ETH, solo.work_id)
    assert usage.claimedOf(epoch, ETH) == 0
    # The same work still claims its ETH part.
    assert claim(usage, epoch, ETH, tree, solo.work_id, sender=vocalist).return_value == ETHER // 3


def test_claim_succeedsPayingExactlyRoundedDownShares(tutti, usage, splitter, epoch, works, operators, reporter, fan):
    pool = ETHER + 7
    usage.fundETH(sender=fan, value=pool)
    plays = {works[0].work_id: 1, works[1].work_id: 2, works[2].work_id: 4, works[3].work_id: 6}
    tree = PlayTree(plays)
    settle(tutti, operators, reporter, epoch, tree, fan)

    paid = 0
    for work in works[:4]:
        expected = pool * plays[work.work_id] // 13
        assert usage.shareOf(epoch, ETH, plays[work.work_id]) == expected
        assert claim(usage, epoch, ETH, tree, work.work_id, sender=fan).return_value == expected
        assert splitter.totalReceived(work.split_id, ETH) == expected
        paid += expected
    assert usage.claimedOf(epoch, ETH) == paid
    assert 0 < pool - paid < 4  # at most one wei of dust per claim stays behind
    assert usage.balance == pool - paid


def test_claim_failsIfNotSettled(usage, epoch, works, fan, reverts):
    usage.fundETH(sender=fan, value=ETHER)
    end_of(usage, epoch)
    with reverts(usage.EpochNotSettled, epoch=epoch):
        usage.claim(epoch, ETH, works[0].work_id, 1, [], sender=fan)


def test_claim_failsIfProofInvalid(tutti, usage, epoch, works, operators, reporter, fan, reverts):
    usage.fundETH(sender=fan, value=ETHER)
    a, b, c = (w.work_id for w in works[:3])
    tree = PlayTree({a: 5, b: 3, c: 1})
    settle(tutti, operators, reporter, epoch, tree, fan)
    elsewhere = PlayTree({a: 5, b: 2, c: 2})

    for work_id, plays, proof in [
        (a, 6, tree.proof(a)),  # more plays than reported
        (a, 4, tree.proof(a)),
        (b, 5, tree.proof(a)),  # another work's count and proof
        (a, 5, elsewhere.proof(a)),  # a proof from another tree
        (a, 5, []),  # no proof at all
        (a, 5, tree.proof(a)[:-1]),  # a truncated proof
        (works[4].work_id, 1, tree.proof(c)),  # a work without plays
    ]:
        with reverts(usage.InvalidProof, epoch=epoch, workId=work_id, plays=plays):
            usage.claim(epoch, ETH, work_id, plays, proof, sender=fan)
    # An inner node of the tree cannot pass for a leaf (the leaves are hashed twice).
    with reverts(usage.InvalidProof, epoch=epoch, workId=a, plays=5):
        usage.claim(epoch, ETH, a, 5, [tree.root], sender=fan)
    assert usage.claimedOf(epoch, ETH) == 0


def test_claim_failsIfAlreadyClaimed(tutti, usage, epoch, works, operators, reporter, fan, reverts):
    usage.fundETH(sender=fan, value=ETHER)
    tree = PlayTree({works[0].work_id: 1, works[1].work_id: 1})
    settle(tutti, operators, reporter, epoch, tree, fan)
    claim(usage, epoch, ETH, tree, works[0].work_id, sender=fan)
    with reverts(usage.AlreadyClaimed, epoch=epoch, token=ETH, workId=works[0].work_id):
        claim(usage, epoch, ETH, tree, works[0].work_id, sender=fan)
    assert usage.claimedOf(epoch, ETH) == ETHER // 2


def test_claim_failsIfShareRoundsToZeroOrPoolEmpty(tutti, usage, epoch, works, operators, reporter, funded_usd, fan,
                                                   reverts):
    small, big = works[0].work_id, works[1].work_id
    usage.fundETH(sender=fan, value=2)
    tree = PlayTree({small: 1, big: 2})
    settle(tutti, operators, reporter, epoch, tree, fan)

    with reverts(usage.NothingToClaim, epoch=epoch, token=ETH, workId=small):  # 2 * 1 / 3 == 0
        claim(usage, epoch, ETH, tree, small, sender=fan)
    with reverts(usage.NothingToClaim, epoch=epoch, token=funded_usd.address, workId=big):  # never funded
        claim(usage, epoch, funded_usd.address, tree, big, sender=fan)
    assert not usage.isClaimed(epoch, ETH, small)
    assert claim(usage, epoch, ETH, tree, big, sender=fan).return_value == 1


def test_claim_failsIfWorkUnknown(tutti, usage, epoch, works, operators, reporter, fan, reverts):
    usage.fundETH(sender=fan, value=ETHER)
    unknown = tutti.registry.workCount() + 1
    tree = PlayTree({works[0].work_id: 1, unknown: 1})
    settle(tutti, operators, reporter, epoch, tree, fan)
    with reverts(tutti.registry.UnknownWork, workId=unknown):
        claim(usage, epoch, ETH, tree, unknown, sender=fan)
    assert not usage.isClaimed(epoch, ETH, unknown)
    assert usage.claimedOf(epoch, ETH) == 0


def test_claim_failsInZeroPlayEpoch(tutti, usage, epoch, works, operators, reporter, fan, reverts):
    usage.fundETH(sender=fan, value=ETHER)
    settle(tutti, operators, reporter, epoch, PlayTree({}), fan)
    assert usage.shareOf(epoch, ETH, 1) == 0
    with reverts(usage.InvalidProof, epoch=epoch, workId=works[0].work_id, plays=0):
        usage.claim(epoch, ETH, works[0].work_id, 0, [], sender=fan)


def test_claim_succeedsCappedAtPoolIfReportOvercounts(tutti, usage, splitter, epoch, works, operators, reporter, fan):
    """A report whose counts sum above its total (a faulty quorum) can only drain its own pool."""
    usage.fundETH(sender=fan, value=ETHER)  # this pool ...
    a, b = works[0], works[1]
    tree = PlayTree({a.work_id: 3, b.work_id: 3})
    end_of(usage, epoch)
    usage.fundETH(sender=fan, value=5 * ETHER)  # ... and the next epoch's, which must stay whole
    job_id = report(tutti, operators, reporter, epoch, result_hash=commitment(usage.address, epoch, tree.root, 4))
    usage.settle(epoch, job_id, tree.root, 4, sender=fan)

    assert claim(usage, epoch, ETH, tree, a.work_id, sender=fan).return_value == 3 * ETHER // 4
    assert claim(usage, epoch, ETH, tree, b.work_id, sender=fan).return_value == ETHER // 4
    assert usage.claimedOf(epoch, ETH) == usage.poolOf(epoch, ETH)
    assert usage.balance == usage.poolOf(epoch + 1, ETH) == 5 * ETHER


# ---------------------------------------------------------------------------------------------
# proofs built by tutti.usage are accepted on chain
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7])
def test_claim_succeedsWithPythonProofsForEveryWork(tutti, usage, splitter, epoch, works, operators, reporter, fan,
                                                    size):
    usage.fundETH(sender=fan, value=10**6 + 1)
    plays = {work.work_id: 17 * (i + 1) for i, work in enumerate(works[:size])}
    tree = PlayTree(plays)
    if size == 1:
        assert tree.proof(works[0].work_id) == [] and tree.root == leaf(works[0].work_id, 17)
    settle(tutti, operators, reporter, epoch, tree, fan)

    for work in works[:size]:
        expected = (10**6 + 1) * plays[work.work_id] // tree.total_plays
        assert claim(usage, epoch, ETH, tree, work.work_id, sender=fan).return_value == expected
        assert splitter.totalReceived(work.split_id, ETH) == expected


def test_claim_succeedsWithPythonProofsInLargeOddTree(tutti, usage, epoch, works, operators, reporter, fan):
    """1,001 leaves (odd at several levels): the registered works claim with 10-node proofs."""
    plays = {10**9 + i: 1 + i % 13 for i in range(1_001 - len(works))}
    plays.update({work.work_id: 100 + i for i, work in enumerate(works)})
    tree = PlayTree(plays)
    usage.fundETH(sender=fan, value=ETHER)
    settle(tutti, operators, reporter, epoch, tree, fan)

    for work in works:
        assert 0 < len(tree.proof(work.work_id)) <= 10
        expected = ETHER * plays[work.work_id] // tree.total_plays
        assert claim(usage, epoch, ETH, tree, work.work_id, sender=fan).return_value == expected


# ---------------------------------------------------------------------------------------------
# rollOver
# ---------------------------------------------------------------------------------------------


def test_rollOver_succeedsMovingDustAndUnclaimedPartsAfterWindow(tutti, usage, epoch, works, operators, reporter,
                                                                 funded_usd, fan, reverts):
    a, b, c = (w.work_id for w in works[:3])
    usage.fundETH(sender=fan, value=10)
    usage.fund(funded_usd, 100, sender=fan)
    tree = PlayTree({a: 1, b: 2, c: 4})
    settled_at = settle(tutti, operators, reporter, epoch, tree, fan).timestamp
    claim(usage, epoch, ETH, tree, a, sender=fan)  # 10 * 1 // 7 == 1
    claim(usage, epoch, ETH, tree, b, sender=fan)  # 10 * 2 // 7 == 2; c never claims
    until = settled_at + CLAIM_WINDOW

    chain.pending_timestamp = until - 1
    with reverts(usage.ClaimWindowOpen, epoch=epoch, until=until):
        usage.rollOver(epoch, ETH, sender=fan)
    chain.pending_timestamp = until
    receipt = usage.rollOver(epoch, ETH, sender=fan)

    current = usage.epochAt(receipt.timestamp)
    assert receipt.return_value == 7  # c's part (5) and the dust (2)
    assert receipt.events == [
        usage.EpochRolledOver(epoch=epoch, token=ETH, intoEpoch=current, amount=7),
        usage.EpochFunded(epoch=current, token=ETH, **{"from": usage.address}, amount=7),
    ]
    assert usage.poolOf(current, ETH) == 7
    assert usage.isRolledOver(epoch, ETH)
    assert (usage.poolOf(epoch, ETH), usage.claimedOf(epoch, ETH)) == (10, 3)  # the record stays
    assert usage.balance == 7
    # The claims of that pool are closed; the other token's pool stays open until rolled over itself.
    with reverts(usage.ClaimsClosed, epoch=epoch, token=ETH):
        claim(usage, epoch, ETH, tree, c, sender=fan)
    assert not usage.isRolledOver(epoch, funded_usd)
    assert claim(usage, epoch, funded_usd.address, tree, c, sender=fan).return_value == 57
    assert usage.rollOver(epoch, funded_usd, sender=fan).return_value == 43
    with reverts(usage.NothingToRollOver, epoch=epoch, token=ETH):
        usage.rollOver(epoch, ETH, sender=fan)


def test_rollOver_succeedsAtOnceIfEpochHadNoPlays(tutti, usage, epoch, operators, reporter, fan):
    usage.fundETH(sender=fan, value=ETHER)
    receipt = settle(tutti, operators, reporter, epoch, PlayTree({}), fan)

    rolled = usage.rollOver(epoch, ETH, sender=fan)

    assert rolled.return_value == ETHER
    assert usage.poolOf(usage.epochAt(rolled.timestamp), ETH) == ETHER
    assert rolled.timestamp < receipt.timestamp + HOUR


def test_rollOver_succeedsForUnsettledEpochAWindowAfterItsEnd(usage, epoch, works, fan, reverts):
    usage.fundETH(sender=fan, value=ETHER)
    _, end = usage.epochBounds(epoch)
    with reverts(usage.EpochNotEnded, epoch=epoch, endsAt=end):
        usage.rollOver(epoch, ETH, sender=fan)

    at(end)
    with reverts(usage.ClaimWindowOpen, epoch=epoch, until=end + CLAIM_WINDOW):
        usage.rollOver(epoch, ETH, sender=fan)
    chain.pending_timestamp = end + CLAIM_WINDOW - 1
    with reverts(usage.ClaimWindowOpen, epoch=epoch, until=end + CLAIM_WINDOW):
        usage.rollOver(epoch, ETH, sender=fan)
    chain.pending_timestamp = end + CLAIM_WINDOW
    receipt = usage.rollOver(epoch, ETH, sender=fan)

    assert receipt.return_value == ETHER
    assert usage.poolOf(usage.epochAt(end + CLAIM_WINDOW), ETH) == ETHER
    assert usage.isRolledOver(epoch, ETH)


def test_rollOver_succeedsAfterSettlementWindowEvenIfSettledLate(tutti, usage, epoch, works, operators, reporter,
                                                                  fan, reverts):
    """A settlement restarts the window: claims get a full window from when they became possible."""
    usage.fundETH(sender=fan, value=ETHER)
    _, end = usage.epochBounds(epoch)
    at(end + CLAIM_WINDOW - DAY)
    tree = PlayTree({works[0].work_id: 1})
    settled_at = settle(tutti, operators, reporter, epoch, tree, fan).timestamp

    chain.pending_timestamp = end + CLAIM_WINDOW
    with reverts(usage.ClaimWindowOpen, epoch=epoch, until=settled_at + CLAIM_WINDOW):
        usage.rollOver(epoch, ETH, sender=fan)
    assert claim(usage, epoch, ETH, tree, works[0].work_id, sender=fan).return_value == ETHER


def test_rollOver_failsIfEpochCurrentOrFuture(usage, epoch, fan, reverts):
    usage.fundETH(sender=fan, value=ETHER)
    for target in (epoch, epoch + 3):
        _, end = usage.epochBounds(target)
        with reverts(usage.EpochNotEnded, epoch=target, endsAt=end):
            usage.rollOver(target, ETH, sender=fan)


def test_rollOver_failsIfNothingLeft(tutti, usage, epoch, works, operators, reporter, fan, reverts):
    tree = PlayTree({works[0].work_id: 1})
    usage.fundETH(sender=fan, value=ETHER)
    settle(tutti, operators, reporter, epoch, tree, fan)
    claim(usage, epoch, ETH, tree, works[0].work_id, sender=fan)  # everything claimed
    at(chain.pending_timestamp + CLAIM_WINDOW)
    with reverts(usage.NothingToRollOver, epoch=epoch, token=ETH):
        usage.rollOver(epoch, ETH, sender=fan)
    with reverts(usage.NothingToRollOver, epoch=epoch - 1, token=ETH):  # never funded
        usage.rollOver(epoch - 1, ETH, sender=fan)
    assert not usage.isRolledOver(epoch, ETH)


def test_rollOver_succeedsIntoPoolThatSettlesLater(tutti, usage, epoch, works, operators, reporter, fan):
    """Rolled-over money is paid by the epoch it lands in, like any funding."""
    usage.fundETH(sender=fan, value=ETHER)
    settle(tutti, operators, reporter, epoch, PlayTree({}), fan)
    later = usage.currentEpoch()
    usage.rollOver(epoch, ETH, sender=fan)
    usage.fundETH(sender=fan, value=ETHER)
    tree = PlayTree({works[0].work_id: 1})
    settle(tutti, operators, reporter, later, tree, fan)
    assert claim(usage, later, ETH, tree, works[0].work_id, sender=fan).return_value == 2 * ETHER


# ---------------------------------------------------------------------------------------------
# governance
# ---------------------------------------------------------------------------------------------


def test_setters_failIfNotGovernance(usage, deployer, fan, reverts):
    for sender in (deployer, fan):
        with reverts(usage.OwnableUnauthorizedAccount, account=sender.address):
            usage.setReporter(fan, sender=sender)
        with reverts(usage.OwnableUnauthorizedAccount, account=sender.address):
            usage.setClaimWindow(2 * HOUR, sender=sender)


def test_setReporter_succeedsAndOnlyNewReportersJobsSettle(tutti, usage, epoch, works, operators, reporter,
                                                           timelock_account, fan, reverts):
    tree = PlayTree({works[0].work_id: 1})
    end_of(usage, epoch)
    old_job = report(tutti, operators, reporter, epoch, tree)
    new_job = report(tutti, operators, fan, epoch, tree)

    receipt = usage.setReporter(fan, sender=timelock_account)

    assert receipt.events == [usage.ReporterSet(reporter=fan.address)]
    assert usage.reporter() == fan.address
    with reverts(usage.NotReportedByReporter, jobId=old_job, requester=reporter.address):
        usage.settle(epoch, old_job, tree.root, 1, sender=fan)
    usage.settle(epoch, new_job, tree.root, 1, sender=fan)


def test_setReporter_failsIfZero(usage, timelock_account, reverts):
    with reverts(usage.ZeroReporter):
        usage.setReporter(ETH, sender=timelock_account)


def test_setClaimWindow_failsToShortenSettledEpochsWindow(tutti, usage, epoch, works, operators, reporter,
                                                          timelock_account, fan, reverts):
    """Issue 12, item 4: governance shrinks the window to let leftovers roll over before works claim."""
    usage.fundETH(sender=fan, value=ETHER)
    settled_at = settle(tutti, operators, reporter, epoch, PlayTree({works[0].work_id: 3, works[1].work_id: 1}),
                        fan).timestamp
    assert usage.claimWindowOf(epoch) == CLAIM_WINDOW

    receipt = usage.setClaimWindow(HOUR, sender=timelock_account)

    assert receipt.events == [usage.ClaimWindowSet(claimWindow=HOUR)]
    assert usage.claimWindow() == HOUR
    chain.pending_timestamp = settled_at + HOUR
    with reverts(usage.ClaimWindowOpen, epoch=epoch, until=settled_at + CLAIM_WINDOW):
        usage.rollOver(epoch, ETH, sender=fan)
    chain.pending_timestamp = settled_at + CLAIM_WINDOW
    assert usage.rollOver(epoch, ETH, sender=fan).return_value == ETHER


def test_setClaimWindow_succeedsForEpochsSettledLater(tutti, usage, epoch, works, operators, reporter,
                                                     timelock_account, fan):
    usage.setClaimWindow(HOUR, sender=timelock_account)
    usage.fundETH(sender=fan, value=ETHER)
    settled_at = settle(tutti, operators, reporter, epoch, PlayTree({works[0].work_id: 1}), fan).timestamp

    assert usage.claimWindowOf(epoch) == HOUR
    chain.pending_timestamp = settled_at + HOUR
    assert usage.rollOver(epoch, ETH, sender=fan).return_value == ETHER


# ---------------------------------------------------------------------------------------------
# stale reports (issue 12, item 3)
# ---------------------------------------------------------------------------------------------


def test_settle_failsIfStaleApprovedReportSupersededByReporter(tutti, usage, epoch, works, operators, reporter,
                                                               fan, reverts):
    stale = PlayTree({works[0].work_id: 9})
    corrected = PlayTree({works[0].work_id: 3, works[1].work_id: 6})
    end_of(usage, epoch)
    stale_job = report(tutti, operators, reporter, epoch, stale)

    # The reporter withdraws the approved stale report before asking for the corrected one ...
    receipt = usage.supersedeReports(epoch, tutti.hub.jobCount() + 1, sender=reporter)
    assert receipt.events == [usage.ReportsSuperseded(epoch=epoch, firstValidJobId=stale_job + 1)]
    corrected_job = report(tutti, operators, reporter, epoch, corrected)

    # ... so whoever races to settle first with the stale one fails.
    with reverts(usage.ReportSuperseded, epoch=epoch, jobId=stale_job, firstValidJobId=stale_job + 1):
        usage.settle(epoch, stale_job, stale.root, stale.total_plays, sender=fan)
    usage.settle(epoch, corrected_job, corrected.root, corrected.total_plays, sender=fan)
    assert usage.settlementOf(epoch).jobId == corrected_job


def test_supersedeReports_failsIfNotReporterOrOutOfRange(tutti, usage, epoch, works, operators, reporter, fan,
                                                         reverts):
    with reverts(usage.NotReporter, caller=fan.address):
        usage.supersedeReports(epoch, 1, sender=fan)
    next_job = tutti.hub.jobCount() + 1
    with reverts(usage.InvalidSupersede, firstValidJobId=next_job + 1, current=0, next=next_job):
        usage.supersedeReports(epoch, next_job + 1, sender=reporter)
    usage.supersedeReports(epoch, next_job, sender=reporter)
    with reverts(usage.InvalidSupersede, firstValidJobId=next_job, current=next_job, next=next_job):
        usage.supersedeReports(epoch, next_job, sender=reporter)
    settle(tutti, operators, reporter, epoch, PlayTree({works[0].work_id: 1}), fan)
    with reverts(usage.EpochAlreadySettled, epoch=epoch):
        usage.supersedeReports(epoch, tutti.hub.jobCount() + 1, sender=reporter)


@pytest.mark.parametrize("window", [0, HOUR - 1, 366 * DAY + 1])
def test_setClaimWindow_failsIfOutOfRange(usage, timelock_account, window, reverts):
    with reverts(usage.InvalidClaimWindow, window=window, min=HOUR, max=366 * DAY):
        usage.setClaimWindow(window, sender=timelock_account)


def test_governanceProposal_setsReporterAndWindowEndToEnd(enact, usage, producer):
    actions = [
        dao.Action(usage.address, 0, bytes(usage.setReporter.encode_input(producer.address))),
        dao.Action(usage.address, 0, bytes(usage.setClaimWindow.encode_input(30 * DAY))),
    ]
    receipt = enact(actions, "Producer reports usage; 30-day claim window")

    assert receipt.decode_logs(usage.ReporterSet)[0].reporter == producer.address
    assert (usage.reporter(), usage.claimWindow()) == (producer.address, 30 * DAY)


# ---------------------------------------------------------------------------------------------
# property: nothing is created, nothing is lost
# ---------------------------------------------------------------------------------------------

TOKENS = ("ETH", "USD")
amounts = st.one_of(st.integers(1, 20), st.integers(1, 10**6), st.integers(10**15, 10**20))
play_counts = st.one_of(st.integers(1, 3), st.integers(1, 10**4), st.integers(1, 10**12))


@st.composite
def scenarios(draw):
    plays = draw(st.lists(play_counts, min_size=1, max_size=7))
    fundings = draw(st.lists(st.tuples(st.sampled_from(TOKENS), amounts), min_size=1, max_size=5))
    claimers = draw(st.permutations(range(len(plays))))
    claiming = draw(st.integers(0, len(plays)))  # the first `claiming` of that order claim in time
    return plays, fundings, list(claimers[:claiming])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario=scenarios())
def test_accounting_succeedsIfClaimsAndRollOverAddUpToFunding(tutti, usage, splitter, works, operators, reporter,
                                                              funded_usd, fan, reverts, scenario):
    snapshot_id = chain.snapshot()
    try:
        run_scenario(tutti, usage, splitter, works, operators, reporter, funded_usd, fan, reverts, *scenario)
    finally:
        chain.restore(snapshot_id)


def run_scenario(tutti, usage, splitter, works, operators, reporter, usd, fan, reverts, plays, fundings, claimers):
    token_address = {"ETH": ETH, "USD": usd.address}
    _, end = usage.epochBounds(usage.currentEpoch())
    at(end)
    epoch = usage.currentEpoch()
    held_before = {"ETH": usage.balance, "USD": usd.balanceOf(usage)}

    funded = dict.fromkeys(TOKENS, 0)
    for token, amount in fundings:
        if token == "ETH":
            usage.fundETH(sender=fan, value=amount)
        else:
            usage.fund(usd, amount, sender=fan)
        funded[token] += amount

    tree = PlayTree({work.work_id: count for work, count in zip(works, plays)})
    total = tree.total_plays
    settle(tutti, operators, reporter, epoch, tree, fan)

    claimed = dict.fromkeys(TOKENS, 0)
    for index in claimers:
        work = works[index]
        for token in TOKENS:
            share = funded[token] * plays[index] // total
            received_before = splitter.totalReceived(work.split_id, token_address[token])
            if share == 0:
                with reverts(usage.NothingToClaim, epoch=epoch, token=token_address[token], workId=work.work_id):
                    claim(usage, epoch, token_address[token], tree, work.work_id, sender=fan)
                continue
            amount = claim(usage, epoch, token_address[token], tree, work.work_id, sender=fan).return_value
            # Exactly the rounded-down share: never more than plays / total of the pool.
            assert amount == share and amount * total <= funded[token] * plays[index]
            assert splitter.totalReceived(work.split_id, token_address[token]) - received_before == amount
            claimed[token] += amount

    at(chain.pending_timestamp + CLAIM_WINDOW)
    rolled = dict.fromkeys(TOKENS, 0)
    for token in TOKENS:
        left = funded[token] - claimed[token]
        if left == 0:
            with reverts(usage.NothingToRollOver, epoch=epoch, token=token_address[token]):
                usage.rollOver(epoch, token_address[token], sender=fan)
        else:
            rolled[token] = usage.rollOver(epoch, token_address[token], sender=fan).return_value

    current = usage.currentEpoch()
    held = {"ETH": usage.balance, "USD": usd.balanceOf(usage)}
    for token in TOKENS:
        address = token_address[token]
        assert claimed[token] + rolled[token] == funded[token] == usage.poolOf(epoch, address)
        assert usage.claimedOf(epoch, address) == claimed[token]
        assert usage.poolOf(current, address) == rolled[token]
        # What the contract still holds is exactly what was rolled over: no wei created or lost.
        assert held[token] - held_before[token] == rolled[token]
        if len(claimers) == len(plays):  # everyone claimed: only rounding dust, under one unit per work
            assert rolled[token] < len(plays)
