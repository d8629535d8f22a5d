"""An operator's fee floor per kind (issue 12, item 8): anyone may post jobs paying the hub's
minimum; a worker with `--min-fee` skips those below its floor and journals why."""

from __future__ import annotations

import subprocess

import click
import pytest

from oracle.cli import parse_min_fees
from oracle.journal import Journal
from tests.worker.conftest import PROJECT, TUTTI_ORACLE
from tests.worker.test_worker_processes import CADENCE
from tutti.jobs import request_job

FLOOR = 5 * 10**16


def test_worker_skipsJobsBelowItsFeeFloorAndJournalsWhy(tutti, workers, job_store, fan, operators, tmp_path):
    cid = job_store.add_bytes(CADENCE, cid_version=1)
    cheap = request_job(tutti, fan, "analyze", cid, fee=tutti.hub.minFeeOf(b"analyze".ljust(32, b"\0")))
    paid = request_job(tutti, fan, "analyze", cid, fee=FLOOR)
    journal = tmp_path / "floor.sqlite"
    done = subprocess.run(
        [TUTTI_ORACLE, "run", "--network", "ethereum:local:foundry", "--account", "TEST::7", "--once",
         "--poll-interval", "0.2", "--journal", str(journal), "--min-fee", "analyze=0.05"],
        cwd=PROJECT, env=workers.env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr

    jobs = {job.job_id: job for job in Journal(journal).jobs()}
    assert jobs[cheap.job_id].state == "skipped"
    assert jobs[cheap.job_id].note == f"fee {10**15} wei below this operator's floor of {FLOOR} wei for analyze"
    assert jobs[paid.job_id].state == "done"
    assert tutti.hub.attestationOf(cheap.job_id, operators[0]) == b"\0" * 32
    assert tutti.hub.attestationOf(paid.job_id, operators[0]) != b"\0" * 32


def test_parseMinFees_readsEthAndWeiAndRefusesNonsense():
    assert parse_min_fees(("analyze=0.001", "render=5000wei")) == {"analyze": 10**15, "render": 5000}
    for bad in ("analyze", "=1", "analyze=cheap", "analyze=-1", "analyze=0.0000000000000000001"):
        with pytest.raises(click.BadParameter):
            parse_min_fees((bad,))
