"""SIGKILL in the middle of batches, then a restart: nothing lost, nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from indexer import schema
from indexer.db import make_engine
from tests.indexer.conftest import dump, index

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def start(url, rpc_url, deployments_dir, *extra):
    env = {**os.environ, "TUTTI_INDEXER_DATABASE_URL": url, "TUTTI_INDEXER_RPC_URL": rpc_url,
           "TUTTI_DEPLOYMENTS_DIR": str(deployments_dir)}
    return subprocess.Popen([sys.executable, "-m", "indexer.cli", "run", "--until-head", *extra],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def progress(engine) -> tuple[int, int]:
    with engine.connect() as connection:
        block = connection.execute(select(schema.checkpoint.c.block_number)).scalar() or 0
        journaled = connection.execute(select(func.count()).select_from(schema.journal)).scalar()
    return block, journaled


def test_sigkill_mid_batch_then_restart_equals_fresh_reindex(activity, w3, tutti, rpc_url, deployments_dir,
                                                              new_database):
    url = new_database()
    head = w3.eth.block_number
    engine = make_engine(url, pool_size=1)
    kills, last_block = 0, -1
    # Slow each event down (hidden --throttle) so the kill lands inside a batch's open transaction.
    while kills < 4:
        process = start(url, rpc_url, deployments_dir, "--max-batch-blocks", "6", "--throttle", "0.01")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                block, _ = progress(engine)
            except Exception:  # tables not created yet
                block = -1
            if block > last_block:
                break
            time.sleep(0.05)
        if process.poll() is not None:
            break  # caught up before we could kill it
        time.sleep(0.07)  # inside the next batch
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
        last_block, _ = progress(engine)
        assert last_block < head
    assert kills >= 2, "the indexer finished before it could be killed twice"
    finisher = start(url, rpc_url, deployments_dir)
    assert finisher.wait(timeout=120) == 0, finisher.stderr.read().decode()[-2000:]

    fresh = index(w3, tutti, new_database())
    assert dump(engine) == dump(fresh)
