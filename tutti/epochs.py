"""Usage-based royalty epochs on chain: funding a pool, reporting plays to the oracle network,
settling an epoch with the attested Merkle root, claiming works' parts and rolling leftovers over.

The Merkle tree and the report format live in :mod:`tutti.usage`; this module is the actions a
funder, the reporter and anyone else take against ``UsageRoyalties``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

from tutti.attestations import kind_id, kind_name
from tutti.chain import Tutti
from tutti.errors import TuttiError
from tutti.jobs import JOB_FULFILLED, JOB_OPEN, RequestedJob, read_result, request_job, wait_for_result
from tutti.royalties import ETH, erc20_at
from tutti.usage import USAGE_KIND, Settlement, SettlementError

if TYPE_CHECKING:
    from ape.api import AccountAPI, ReceiptAPI

    from tutti.ipfs import IpfsStore


@dataclass(frozen=True)
class PoolStatus:
    token: str
    pool: int
    claimed: int
    rolled_over: bool


@dataclass(frozen=True)
class EpochStatus:
    epoch: int
    start: int
    end: int
    pools: list[PoolStatus]
    #: ``None`` until the epoch is settled.
    root: bytes | None
    total_plays: int
    job_id: int
    settled_at: int


@dataclass(frozen=True)
class Claim:
    work_id: int
    token: str
    plays: int
    amount: int
    tx_hash: str


def fund_epoch(tutti: Tutti, funder: "AccountAPI", amount: int, token: str = ETH) -> tuple[int, "ReceiptAPI"]:
    """Add ``amount`` to the current epoch's pool; returns the epoch it went to."""
    if amount <= 0:
        raise TuttiError("the amount to fund must be positive")
    if token == ETH:
        receipt = tutti.usage.fundETH(sender=funder, value=amount)
    else:
        erc20 = erc20_at(token)
        if erc20.allowance(funder, tutti.usage) < amount:
            erc20.approve(tutti.usage, amount, sender=funder)
        receipt = tutti.usage.fund(token, amount, sender=funder)
    event = next(iter(receipt.decode_logs(tutti.usage.EpochFunded)))
    return event.epoch, receipt


def epoch_status(tutti: Tutti, epoch: int, tokens: Sequence[str] = (ETH,)) -> EpochStatus:
    start, end = tutti.usage.epochBounds(epoch)
    settlement = tutti.usage.settlementOf(epoch)
    pools = [PoolStatus(token, tutti.usage.poolOf(epoch, token), tutti.usage.claimedOf(epoch, token),
                        tutti.usage.isRolledOver(epoch, token)) for token in tokens]
    settled = settlement.settledAt != 0
    return EpochStatus(epoch, start, end, pools, bytes(settlement.root) if settled else None,
                       settlement.totalPlays, settlement.jobId, settlement.settledAt)


def report_usage(tutti: Tutti, store: "IpfsStore", reporter: "AccountAPI", epoch: int, report: bytes,
                 fee: int | None = None) -> tuple[str, RequestedJob]:
    """Pin a usage report and ask the oracle network to attest its play counts for ``epoch``."""
    from ape import chain

    if reporter.address != tutti.usage.reporter():
        raise TuttiError(f"{reporter.address} is not the usage reporter ({tutti.usage.reporter()}); "
                         "only the reporter's jobs can settle an epoch")
    _, end = tutti.usage.epochBounds(epoch)
    if chain.blocks.head.timestamp < end:
        raise TuttiError(f"epoch {epoch} is still running (it ends at {end}); report it once it has ended")
    if tutti.usage.settlementOf(epoch).settledAt:
        raise TuttiError(f"epoch {epoch} is already settled")
    if any(True for _ in _live_usage_jobs(tutti, epoch)):
        # A correction: withdraw the earlier reports first, so a stale one the oracle approves (or
        # approved) cannot be settled ahead of this one by whoever calls settle first.
        tutti.usage.supersedeReports(epoch, tutti.hub.jobCount() + 1, sender=reporter)
    cid = store.add_bytes(report, cid_version=1)
    job = request_job(tutti, reporter, USAGE_KIND, cid, {"usage": tutti.usage.address, "epoch": epoch}, fee)
    return cid, job


def _live_usage_jobs(tutti: Tutti, epoch: int) -> Iterator[int]:
    """The reporter's usage jobs for ``epoch`` of this contract not superseded, newest first."""
    reporter = tutti.usage.reporter()
    first_valid = tutti.usage.firstValidReportOf(epoch)
    logs = tutti.hub.JobRequested.range(tutti.book.start_block, search_topics={"kind": kind_id(USAGE_KIND)})
    for log in sorted(logs, key=lambda log: log.jobId, reverse=True):
        if log.jobId < first_valid:
            return
        try:
            params = json.loads(bytes(log.params))
        except ValueError:
            continue
        if (log.requester == reporter and isinstance(params, dict) and params.get("epoch") == epoch
                and str(params.get("usage", "")).lower() == tutti.usage.address.lower()):
            yield log.jobId


def find_usage_job(tutti: Tutti, epoch: int) -> int:
    """The reporter's usage job for ``epoch`` of this contract: its newest fulfilled one not
    superseded, else its newest one still open (settling then waits for the quorum)."""
    open_job = None
    for job_id in _live_usage_jobs(tutti, epoch):
        status = tutti.hub.job(job_id).status
        if status == JOB_FULFILLED:
            return job_id
        if status == JOB_OPEN and open_job is None:
            open_job = job_id
    if open_job is None:
        raise TuttiError(f"the reporter has no open or fulfilled usage job for epoch {epoch}; "
                         "run `ape run report_usage` first")
    return open_job


def settlement_of_job(tutti: Tutti, store: "IpfsStore", job_id: int, epoch: int, timeout: float = 120.0) -> Settlement:
    """Wait for the quorum on a usage job and read its settlement, checking it against the attestations."""
    job = tutti.hub.job(job_id)
    if kind_name(job.kind) != USAGE_KIND:
        raise TuttiError(f"job {job_id} is a {kind_name(job.kind)!r} job, not a usage report")
    result = wait_for_result(tutti, store, job_id, timeout)
    try:
        settlement = Settlement.from_files(result.files)
    except SettlementError as exc:
        raise TuttiError(f"job {job_id}'s result is not a settlement ({exc}); the report was refused") from None
    if settlement.epoch != epoch or settlement.usage.lower() != tutti.usage.address.lower():
        raise TuttiError(f"job {job_id} settles epoch {settlement.epoch} of {settlement.usage}, not epoch {epoch}")
    return settlement


def settle_epoch(tutti: Tutti, store: "IpfsStore", sender: "AccountAPI", epoch: int,
                 job_id: int | None = None) -> tuple[Settlement, "ReceiptAPI"]:
    """Settle ``epoch`` with the play counts its usage job attested (found if not given)."""
    job_id = find_usage_job(tutti, epoch) if job_id is None else job_id
    settlement = settlement_of_job(tutti, store, job_id, epoch)
    receipt = tutti.usage.settle(epoch, job_id, settlement.root, settlement.total_plays, sender=sender)
    return settlement, receipt


def settled_settlement(tutti: Tutti, store: "IpfsStore", epoch: int) -> Settlement:
    """The settlement an epoch was settled with, read back from its job's result on IPFS."""
    on_chain = tutti.usage.settlementOf(epoch)
    if not on_chain.settledAt:
        raise TuttiError(f"epoch {epoch} is not settled yet; run `ape run settle_epoch` first")
    result_cid = tutti.hub.fulfilledResult(on_chain.jobId)[0]
    settlement = Settlement.from_files(read_result(store, result_cid))
    if settlement.root != bytes(on_chain.root):
        raise TuttiError(f"the settlement at {result_cid} does not have epoch {epoch}'s root")
    return settlement


def claim_usage(tutti: Tutti, store: "IpfsStore", sender: "AccountAPI", epoch: int,
                work_ids: Iterable[int] | None = None, tokens: Sequence[str] = (ETH,)) -> list[Claim]:
    """Claim the given works' parts (default: every work with plays) of each token pool into their
    splits, skipping parts already claimed or rounding to nothing."""
    settlement = settled_settlement(tutti, store, epoch)
    wanted = list(settlement.tree.plays) if work_ids is None else list(work_ids)
    claims = []
    for work_id in wanted:
        plays = settlement.tree.plays.get(work_id)
        if plays is None:
            raise TuttiError(f"work {work_id} has no plays in epoch {epoch}")
        proof = settlement.tree.proof(work_id)
        for token in tokens:
            if tutti.usage.isClaimed(epoch, token, work_id) or tutti.usage.shareOf(epoch, token, plays) == 0:
                continue
            receipt = tutti.usage.claim(epoch, token, work_id, plays, proof, sender=sender)
            event = next(iter(receipt.decode_logs(tutti.usage.UsageClaimed)))
            claims.append(Claim(work_id, token, plays, event.amount, receipt.txn_hash))
    return claims


def roll_over(tutti: Tutti, sender: "AccountAPI", epoch: int, token: str = ETH) -> tuple[int, int]:
    """Move what ``epoch``'s pool still holds into the current epoch; returns (amount, into epoch)."""
    receipt = tutti.usage.rollOver(epoch, token, sender=sender)
    event = next(iter(receipt.decode_logs(tutti.usage.EpochRolledOver)))
    return event.amount, event.intoEpoch
