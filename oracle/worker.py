"""The operator's worker: follow ``JobRequested``, compute, pin, sign, submit — one journaled step
at a time, so that a worker killed anywhere resumes without redoing paid work or double-sending.

Steps of a job (see :mod:`oracle.journal`):

``seen``        check the job is still open, fetch the input from IPFS, run the job kind, pin the
                result directory, record its CID and hash            -> ``computed`` (or ``skipped``)
``computed``    sign the EIP-712 attestation with the operator key    -> ``signed``
``signed``      build and sign the transaction, store its raw bytes   -> ``submitting``
``submitting``  broadcast the stored bytes (again, after a crash) and wait for the receipt -> ``done``

Failures (IPFS down, RPC down, a reverted call) never stop the worker: the job keeps its state and
is retried with exponential backoff while the others go on.
"""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from hexbytes import HexBytes

from oracle.jobs import JobContext, JobResult, UnknownJobKind, kind_named
from oracle.derivatives import derivative_refusal
from oracle.jobs.base import JobInputError, check_input_path
from oracle.journal import Journal, JournaledJob
from tutti.attestations import Attestation, kind_name, signable
from tutti.errors import explain
from tutti.ipfs import CidNotFound, IpfsError, NotAFile
from tutti.ipfs.car import read_car
from tutti.ipfs.cid import Cid, split_cid_path
from tutti.ipfs.unixfs import read_file, resolve_path
from tutti.jobs import JOB_FULFILLED, JOB_OPEN, JOB_REFUNDED
from tutti.results import attested_hash, bundle

if TYPE_CHECKING:
    from ape.api import AccountAPI
    from ape.contracts import ContractInstance

    from tutti.ipfs import IpfsStore

logger = logging.getLogger(__name__)

ZERO32 = b"\x00" * 32
FAULTS = ("wrong-bytes",)
KILL_POINTS = ("computed", "signed", "submitting", "broadcast")


@dataclass
class WorkerConfig:
    kinds: tuple[str, ...] = ("analyze",)
    #: Blocks a JobRequested must be buried under before the worker acts (reorg safety).
    confirmations: int = 1
    poll_interval: float = 1.0
    #: Largest block range per eth_getLogs call.
    scan_batch: int = 2_000
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    receipt_timeout: float = 30.0
    #: This operator's fee floor per job kind, in wei: a job paying less is skipped (and journaled
    #: why), so free or cheap jobs posted by anyone cannot make it spend gas attesting unpaid.
    min_fees: dict[str, int] = field(default_factory=dict)
    #: Deliberately wrong results, to test quorum against a lying operator. Never in production.
    fault: str | None = None
    #: Crash test: SIGKILL this process right after this step (a journal state, or "broadcast").
    kill_after: str | None = None


@dataclass
class _Backoff:
    delay: float
    not_before: float


@dataclass
class Worker:
    hub: "ContractInstance"
    operator: "AccountAPI"
    store: "IpfsStore"
    journal: Journal
    config: WorkerConfig = field(default_factory=WorkerConfig)
    start_block: int = 0
    clock: Callable[[], float] = time.monotonic
    _backoff: dict[object, _Backoff] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in self.config.kinds:
            kind_named(name)  # fail fast on a kind this worker cannot serve
        if self.config.fault not in (None, *FAULTS):
            raise ValueError(f"unknown fault {self.config.fault!r}")
        if self.config.kill_after not in (None, *KILL_POINTS):
            raise ValueError(f"unknown kill point {self.config.kill_after!r}")

    # -- the loop -----------------------------------------------------------------------------

    def run(self, should_stop: Callable[[], bool], once: bool = False) -> None:
        logger.info("worker %s serving %s on hub %s", self.operator.address, ",".join(self.config.kinds),
                    self.hub.address)
        bonded, minimum = self.hub.bondOf(self.operator.address), self.hub.minBond()
        if bonded < minimum:  # the hub would refuse every attestation (InsufficientBond)
            logger.warning("operator %s has a bond of %d wei, below the hub's minimum of %d: its attestations "
                           "will be refused until it bonds more (ape run operator_bond --bond ...)",
                           self.operator.address, bonded, minimum)
        while not should_stop():
            self.step()
            if once and not self.journal.open_jobs():
                return
            time.sleep(self.config.poll_interval)

    def step(self) -> None:
        """Scan for new jobs, then move every open job one or more steps forward."""
        if self._ready("scan"):
            self._guarded("scan", self.scan)
        for job in self.journal.open_jobs():
            if self._ready(job.job_id):
                self._guarded(job.job_id, lambda job=job: self.advance(job))

    # -- scanning -------------------------------------------------------------------------

    def scan(self) -> None:
        from ape import chain

        safe_head = chain.blocks.head.number - self.config.confirmations
        start = self.journal.next_block(chain.chain_id, self.hub.address, self.start_block)
        while start <= safe_head:
            stop = min(start + self.config.scan_batch - 1, safe_head)
            found = [
                {
                    "job_id": log.jobId,
                    "kind": kind_name(log.kind),
                    "input_cid": log.inputCid,
                    "params": bytes(log.params),
                    "seed": log.seed,
                    "deadline": log.deadline,
                    "block": log.block_number,
                }
                for log in self.hub.JobRequested.range(start, stop + 1)
            ]
            self.journal.record_scan(chain.chain_id, self.hub.address, found, stop + 1)
            for job in found:
                logger.info("job %s (%s) requested in block %s", job["job_id"], job["kind"], job["block"],
                            extra={"job": job["job_id"], "kind": job["kind"], "block": job["block"]})
            start = stop + 1

    # -- a job's steps --------------------------------------------------------------------

    def advance(self, job: JournaledJob) -> None:
        """Run the job's remaining steps; each one is recorded before the next starts."""
        while job.state in ("seen", "computed", "signed", "submitting"):
            getattr(self, f"_from_{job.state}")(job)
            job = self.journal.job(job.job_id)
            self._maybe_crash(job.state)

    def _from_seen(self, job: JournaledJob) -> None:
        if job.kind not in self.config.kinds:
            self.journal.advance(job.job_id, "skipped", note=f"kind {job.kind} not served")
            return
        if reason := self._closed_reason(job) or self._underpaid_reason(job):
            self.journal.advance(job.job_id, "skipped", note=reason)
            return
        kind = kind_named(job.kind)
        files = self._compute(job, kind)
        cid = self.store.add_directory(files, cid_version=1)
        digest = attested_hash(job.kind, files)
        self.journal.advance(job.job_id, "computed", result_cid=cid, result_hash=digest.hex(),
                             model_id=bytes(kind.model_id).hex())
        logger.info("job %s computed: %s", job.job_id, cid, extra={"job": job.job_id, "kind": job.kind})

    def _from_computed(self, job: JournaledJob) -> None:
        from ape import chain

        attestation = self._attestation(job)
        signature = self.operator.sign_message(signable(attestation, chain.chain_id, self.hub.address))
        self.journal.advance(job.job_id, "signed", signature=bytes(signature.encode_rsv()).hex())

    def _from_signed(self, job: JournaledJob) -> None:
        if reason := self._closed_reason(job):
            self.journal.advance(job.job_id, "skipped", note=reason)
            return
        txn = self.hub.submitAttestation.as_transaction(
            self._attestation(job).as_tuple(), bytes.fromhex(job.signature), sender=self.operator
        )
        signed = self.operator.sign_transaction(txn)
        raw = bytes(signed.serialize_transaction())
        # Recorded before it is sent: after a crash the same bytes go out again and land at most once.
        self.journal.advance(job.job_id, "submitting", raw_tx=raw.hex(), tx_hash=signed.txn_hash.hex())

    def _from_submitting(self, job: JournaledJob) -> None:
        from ape import chain

        web3 = chain.provider.web3
        if self._already_attested(job):
            self.journal.advance(job.job_id, "done", note="attestation recorded on chain")
            return
        try:
            web3.eth.send_raw_transaction(HexBytes(job.raw_tx))
        except Exception as exc:  # noqa: BLE001 - node error texts differ; classified below
            text = str(exc).lower()
            if "nonce too low" in text or "nonce is too low" in text:
                # The nonce went to another transaction: build this one again with a fresh nonce.
                self.journal.advance(job.job_id, "signed", note="nonce reused; re-signing")
                return
            if "already known" not in text and "already imported" not in text:
                raise
        self._maybe_crash("broadcast")
        receipt = web3.eth.wait_for_transaction_receipt(HexBytes(job.tx_hash), timeout=self.config.receipt_timeout)
        if receipt["status"] == 1:
            self.journal.advance(job.job_id, "done", note=f"attested in block {receipt['blockNumber']}")
            logger.info("job %s attested in block %s", job.job_id, receipt["blockNumber"],
                        extra={"job": job.job_id, "block": receipt["blockNumber"], "tx": job.tx_hash})
        else:
            status = self.hub.job(job.job_id).status
            note = "job closed before the attestation landed" if status != JOB_OPEN else "attestation reverted"
            self.journal.advance(job.job_id, "done", note=note)
            logger.warning("job %s: %s", job.job_id, note)

    # -- helpers ----------------------------------------------------------------------------

    def _underpaid_reason(self, job: JournaledJob) -> str | None:
        floor = self.config.min_fees.get(job.kind, 0)
        if not floor:
            return None
        fee = self.hub.job(job.job_id).fee
        if fee >= floor:
            return None
        logger.info("job %s skipped: its fee of %d wei is below this operator's floor of %d wei for %s",
                    job.job_id, fee, floor, job.kind)
        return f"fee {fee} wei below this operator's floor of {floor} wei for {job.kind}"

    def _compute(self, job: JournaledJob, kind) -> dict[str, bytes]:
        input_bytes, read_input = fetch_input(self.store, job.input_cid)
        try:
            params = json.loads(job.params.decode() or "{}") if job.params else {}
            if not isinstance(params, dict):
                raise JobInputError("job parameters must be a JSON object")
            if refusal := derivative_refusal(self.hub, job.job_id, job.kind):
                raise JobInputError(refusal)
            result = kind.run(JobContext(job.job_id, job.seed, input_bytes, params, read_input))
        except (JobInputError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            # Every honest operator reaches the same verdict: attest to it rather than stay silent.
            result = JobResult(files={"error.json": json.dumps({"error": str(exc)}, sort_keys=True).encode()})
        outputs = dict(result.files)
        if self.config.fault == "wrong-bytes":
            name = sorted(outputs)[0]
            outputs[name] = outputs[name] + b"\n(tampered)\n"
        metadata = {
            "job_id": job.job_id,
            "kind": job.kind,
            "model_id": "0x" + bytes(kind.model_id).hex(),
            "input_cid": job.input_cid,
            "params": job.params.decode(errors="replace"),
            "seed": str(job.seed),
            "metrics": result.metrics,
            "outputs": sorted(outputs),
        }
        return bundle(outputs, metadata)

    def _attestation(self, job: JournaledJob) -> Attestation:
        return Attestation(job.job_id, bytes.fromhex(job.result_hash), job.result_cid, bytes.fromhex(job.model_id))

    def _closed_reason(self, job: JournaledJob) -> str | None:
        from ape import chain

        on_chain = self.hub.job(job.job_id)
        if on_chain.status == JOB_FULFILLED:
            return "already fulfilled by a quorum"
        if on_chain.status == JOB_REFUNDED:
            return "refunded"
        if chain.blocks.head.timestamp >= on_chain.deadline:
            return "deadline passed"
        if self._already_attested(job):
            return "already attested"
        return None

    def _already_attested(self, job: JournaledJob) -> bool:
        return bytes(self.hub.attestationOf(job.job_id, self.operator.address)) != ZERO32

    def _maybe_crash(self, point: str) -> None:
        if self.config.kill_after == point:
            logger.warning("crash test: killing the worker after %s", point)
            os.kill(os.getpid(), signal.SIGKILL)

    def _ready(self, key: object) -> bool:
        backoff = self._backoff.get(key)
        return backoff is None or self.clock() >= backoff.not_before

    def _guarded(self, key: object, action: Callable[[], None]) -> None:
        try:
            action()
        except (UnknownJobKind, ValueError) as exc:
            logger.error("%s: %s", key, exc)
            if isinstance(key, int):
                self.journal.advance(key, "skipped", note=str(exc))
        except Exception as exc:  # noqa: BLE001 - outages must not stop the worker
            previous = self._backoff.get(key)
            delay = min(previous.delay * 2, self.config.backoff_max) if previous else self.config.backoff_initial
            self._backoff[key] = _Backoff(delay, self.clock() + delay)
            if isinstance(key, int):
                self.journal.count_attempt(key, explain(exc))
            logger.warning("%s failed (%s); retrying in %.1f s", key, explain(exc), delay)
        else:
            self._backoff.pop(key, None)


def fetch_input(store: "IpfsStore", input_cid: str) -> tuple[bytes, Callable[[str], bytes] | None]:
    """A file input's bytes; for a directory, ``b""`` and a reader of the files in it.

    A directory is exported whole (as a CAR) before the job runs, so every block is at hand: a
    file the directory lacks is then the input's fault (attested as an error by every honest
    operator), whereas a block the network cannot deliver fails the export (retried)."""
    try:
        return store.cat(input_cid), None
    except NotAFile:
        pass
    root, prefix = split_cid_path(input_cid)
    car = io.BytesIO()
    store.export_car(str(root), car)
    car.seek(0)
    blocks = {block.cid.block_key: block.data for block in read_car(car)[1]}

    def get_block(cid: Cid) -> bytes:
        try:
            return blocks[cid.block_key]
        except KeyError:  # not CidNotFound, which would read as "no such file" below
            raise IpfsError(f"block {cid} is missing from the export of {input_cid}") from None

    def read_input(path: str) -> bytes:
        segments = check_input_path(path)
        try:
            return b"".join(read_file(resolve_path(root, prefix + segments, get_block), get_block))
        except CidNotFound:
            raise JobInputError(f"the input directory has no file {path!r}") from None
        except NotAFile:
            raise JobInputError(f"{path!r} in the input directory is not a file") from None

    return b"", read_input
