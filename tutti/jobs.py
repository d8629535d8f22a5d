"""Requesting oracle jobs and reading their results (the requester's side)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tutti.attestations import kind_id, kind_name
from tutti.chain import Tutti
from tutti.errors import TuttiError
from tutti.results import METADATA_FILE, attested_hash

if TYPE_CHECKING:
    from ape.api import AccountAPI

    from tutti.ipfs import IpfsStore

JOB_OPEN, JOB_FULFILLED, JOB_REFUNDED = 1, 2, 3


@dataclass(frozen=True)
class RequestedJob:
    job_id: int
    deadline: int
    tx_hash: str


@dataclass(frozen=True)
class FulfilledJob:
    job_id: int
    result_cid: str
    result_hash: bytes
    model_id: bytes
    operators: list[str]
    dissenters: list[str]
    files: dict[str, bytes]


def request_job(tutti: Tutti, requester: "AccountAPI", kind: str, input_cid: str, params: dict | None = None,
                fee: int | None = None, input_work_id: int = 0) -> RequestedJob:
    """Escrow ``fee`` (default: the hub's minimum for the kind) and ask the operators for a job."""
    kind_bytes = kind_id(kind)
    fee = tutti.hub.minFeeOf(kind_bytes) if fee is None else fee
    encoded = json.dumps(params or {}, sort_keys=True, separators=(",", ":")).encode()
    receipt = tutti.hub.requestJob(kind_bytes, input_cid, encoded, input_work_id, sender=requester, value=fee)
    event = next(iter(receipt.decode_logs(tutti.hub.JobRequested)))
    return RequestedJob(event.jobId, event.deadline, receipt.txn_hash)


def wait_for_result(tutti: Tutti, store: "IpfsStore", job_id: int, timeout: float = 120.0,
                    poll: float = 0.5) -> FulfilledJob:
    """Wait until the quorum agrees, then fetch the result files and check them against the attested
    hash (:func:`tutti.results.attested_hash` for the job's kind)."""
    from ape import chain

    give_up = time.monotonic() + timeout
    while True:
        job = tutti.hub.job(job_id)
        if job.status == JOB_FULFILLED:
            break
        if job.status == JOB_REFUNDED:
            raise TuttiError(f"job {job_id} expired unfulfilled and was refunded")
        if chain.blocks.head.timestamp > job.deadline:
            raise TuttiError(f"job {job_id} passed its deadline unfulfilled; `refund` returns the fee")
        if time.monotonic() > give_up:
            raise TuttiError(f"job {job_id} is not fulfilled after {timeout:.0f} s; still waiting for a quorum")
        time.sleep(poll)
    result_cid, attested, model_id, _input_work = tutti.hub.fulfilledResult(job_id)
    files = read_result(store, result_cid)
    if attested_hash(kind_name(job.kind), files) != bytes(attested):
        raise TuttiError(f"the files at {result_cid} do not match the attested result hash")
    agreeing = list(tutti.hub.agreeingOperators(job_id, job.outcome))
    dissenters = list(tutti.hub.dissentersOf(job_id)[0])
    return FulfilledJob(job_id, result_cid, bytes(attested), bytes(model_id), agreeing, dissenters, files)


def read_result(store: "IpfsStore", result_cid: str) -> dict[str, bytes]:
    """The files of a result directory: ``metadata.json`` and the outputs it lists."""
    metadata_bytes = store.cat(f"{result_cid}/{METADATA_FILE}")
    try:
        outputs = json.loads(metadata_bytes)["outputs"]
    except (ValueError, KeyError, TypeError):
        raise TuttiError(f"{result_cid}/{METADATA_FILE} is not a Tutti result's metadata") from None
    files = {name: store.cat(f"{result_cid}/{name}") for name in outputs}
    files[METADATA_FILE] = metadata_bytes
    return files
