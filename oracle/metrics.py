"""Prometheus metrics and readiness of an oracle worker (``tutti-oracle run --metrics-port N``).

:class:`MeteredWorker` is the :class:`~oracle.worker.Worker` with its steps counted and timed; every
metric is updated in the worker's own thread (the journal's SQLite connection and ape's provider
stay single-threaded), and the HTTP thread only reads them. Series (all prefixed ``tutti_oracle_``):

* ``jobs_seen_total{kind}``, ``jobs_computed_total{kind}``, ``jobs_attested_total{kind}``
* ``step_failures_total{step}``    a scan or a job step that failed and will be retried
* ``compute_seconds{kind}``        histogram of the job kinds' compute time
* ``gas_used_total``, ``gas_spent_wei_total``   of the worker's attestation transactions
* ``bond_wei``, ``min_bond_wei``, ``balance_wei``  the operator's bond, the hub's minimum, its ETH
* ``chain_head_block``, ``scanned_block``, ``last_scan_timestamp_seconds``
* ``open_jobs``, ``oldest_open_job_age_seconds``  what alerting calls a stuck worker
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from oracle.journal import JournaledJob
from oracle.worker import Worker
from tutti.metrics import Readiness, ipfs_unreachable, serve_metrics

COMPUTE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
#: Chain-state gauges (bond, balance) are read at most this often, in the worker's thread.
CHAIN_REFRESH_SECONDS = 5.0


class WorkerMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        r = self.registry = registry or CollectorRegistry()
        self.seen = Counter("tutti_oracle_jobs_seen", "Jobs found in JobRequested events", ["kind"], registry=r)
        self.computed = Counter("tutti_oracle_jobs_computed", "Jobs computed and pinned", ["kind"], registry=r)
        self.attested = Counter("tutti_oracle_jobs_attested", "Attestations landed on chain", ["kind"], registry=r)
        self.failures = Counter("tutti_oracle_step_failures", "Steps that failed (retried with backoff)", ["step"],
                                registry=r)
        self.compute_seconds = Histogram("tutti_oracle_compute_seconds", "Compute time per job", ["kind"],
                                         buckets=COMPUTE_BUCKETS, registry=r)
        self.gas_used = Counter("tutti_oracle_gas_used", "Gas used by attestation transactions", registry=r)
        self.gas_spent = Counter("tutti_oracle_gas_spent_wei", "Wei paid for attestation gas", registry=r)
        self.bond = Gauge("tutti_oracle_bond_wei", "The operator's bond in the hub", registry=r)
        self.min_bond = Gauge("tutti_oracle_min_bond_wei", "The hub's minimum bond to attest", registry=r)
        self.balance = Gauge("tutti_oracle_balance_wei", "The operator account's ETH balance", registry=r)
        self.head = Gauge("tutti_oracle_chain_head_block", "Chain head at the last scan", registry=r)
        self.scanned = Gauge("tutti_oracle_scanned_block", "Last block scanned for jobs", registry=r)
        self.last_scan = Gauge("tutti_oracle_last_scan_timestamp_seconds", "Unix time of the last good scan",
                               registry=r)
        self.open_jobs = Gauge("tutti_oracle_open_jobs", "Jobs not yet done or skipped", registry=r)
        self.oldest_open = Gauge("tutti_oracle_oldest_open_job_age_seconds",
                                 "How long the oldest open job has been open (0: none)", registry=r)


@dataclass
class MeteredWorker(Worker):
    """A worker that records :class:`WorkerMetrics` as it goes; behaves exactly like :class:`Worker`."""

    metrics: WorkerMetrics = field(default_factory=WorkerMetrics)
    _open_since: dict[int, float] = field(default_factory=dict)
    _chain_read_at: float = 0.0
    _last_scan: float = 0.0  # unix time of the last good scan (read by the HTTP thread)

    def __post_init__(self) -> None:
        super().__post_init__()
        record_scan = self.journal.record_scan

        def counting_record_scan(chain_id: int, hub: str, jobs: list[dict], next_block: int) -> None:
            record_scan(chain_id, hub, jobs, next_block)
            for job in jobs:
                self.metrics.seen.labels(job["kind"]).inc()

        self.journal.record_scan = counting_record_scan  # type: ignore[method-assign]

    def step(self) -> None:
        super().step()
        now = time.monotonic()
        open_ids = {job.job_id for job in self.journal.open_jobs()}
        self._open_since = {i: self._open_since.get(i, now) for i in open_ids}
        self.metrics.open_jobs.set(len(open_ids))
        self.metrics.oldest_open.set(now - min(self._open_since.values()) if self._open_since else 0)
        if now - self._chain_read_at >= CHAIN_REFRESH_SECONDS:
            self._chain_read_at = now
            self._guarded("metrics", self._read_chain_state)

    def scan(self) -> None:
        from ape import chain

        head = chain.blocks.head.number
        super().scan()
        self.metrics.head.set(head)
        self.metrics.scanned.set(max(head - self.config.confirmations, 0))
        self._last_scan = time.time()
        self.metrics.last_scan.set(self._last_scan)

    def _compute(self, job: JournaledJob, kind) -> dict[str, bytes]:
        started = time.perf_counter()
        files = super()._compute(job, kind)
        self.metrics.compute_seconds.labels(job.kind).observe(time.perf_counter() - started)
        self.metrics.computed.labels(job.kind).inc()
        return files

    def _from_submitting(self, job: JournaledJob) -> None:
        super()._from_submitting(job)
        after = self.journal.job(job.job_id)
        if after.state == "done" and self._already_attested(after):
            self.metrics.attested.labels(job.kind).inc()
            self._count_gas(after)

    def _guarded(self, key: object, action) -> None:
        super()._guarded(key, action)
        if key in self._backoff:  # the action raised and is now backing off
            self.metrics.failures.labels("scan" if key == "scan" else "metrics" if key == "metrics" else "job").inc()

    def _count_gas(self, job: JournaledJob) -> None:
        from ape import chain

        if not job.tx_hash:
            return
        receipt = chain.provider.web3.eth.get_transaction_receipt(job.tx_hash)
        if receipt["from"].lower() != self.operator.address.lower():
            return
        self.metrics.gas_used.inc(receipt["gasUsed"])
        self.metrics.gas_spent.inc(receipt["gasUsed"] * receipt.get("effectiveGasPrice", 0))

    def _read_chain_state(self) -> None:
        self.metrics.bond.set(self.hub.bondOf(self.operator.address))
        self.metrics.min_bond.set(self.hub.minBond())
        self.metrics.balance.set(self.operator.balance)

    def readiness(self, max_scan_age: float | None = None) -> Readiness:
        """Ready = scanned the chain recently (so connected and caught up to its confirmation
        depth) and its IPFS store answers."""
        bound = max_scan_age or max(30.0, 10 * self.config.poll_interval)

        def chain_check() -> str | None:
            last = self._last_scan
            if last == 0:
                return "no successful scan of the chain yet"
            if time.time() - last > bound:
                return f"last successful scan {time.time() - last:.0f} s ago (bound {bound:.0f} s)"
            return None

        readiness = Readiness()
        readiness.add("chain", chain_check)
        readiness.add("ipfs", lambda: ipfs_unreachable(self.store))
        return readiness


def serve_worker_metrics(worker: MeteredWorker, port: int, host: str = "127.0.0.1"):
    """Serve the worker's /metrics, /healthz and /readyz (see :mod:`tutti.metrics`)."""
    return serve_metrics(port, worker.metrics.registry, worker.readiness(), host=host)
