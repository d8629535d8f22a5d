"""Faults reproduced from outside: reorgs landing inside a batch, a head that goes back, a node that
drops connections or answers garbage, a reorg deeper than the undo history, a kill during the first
migration, API reads racing the indexer's commits, and inputs no database can store."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from fastapi.testclient import TestClient

from indexer import handlers, schema, store
from indexer.abis import DecodedLog
from indexer.api import create_app
from indexer.cli import main as cli
from indexer.db import make_engine, migrate, writer
from indexer.ingest import Indexer, ReorgTooDeep
from tutti.activity import ETHER
from tests.indexer.conftest import dump, index, settings_for
from tests.indexer.rpc_proxy import RpcProxy
from tutti import royalties
from tutti.royalties import ETH

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def follower(rpc_url, tutti, url, **overrides) -> Indexer:
    engine = make_engine(url, pool_size=2)
    migrate(engine)
    return Indexer(rpc_url, engine, tutti.book, settings_for(url, **overrides))


def test_a_reorg_inside_one_batch_is_detected(activity, chain, w3, tutti, rpc_url, new_database, fan):
    """anvil_reorg lands right after the batch's eth_getLogs: the logs it read belong to blocks the
    chain no longer has, though the batch's first and last blocks (the last one empty) look fine."""
    song, remix, solo = activity["works"]
    with RpcProxy(rpc_url) as proxy:
        live = follower(proxy.url, tutti, new_database(), poll_interval=0.05)
        live.sync()
        for work in (song, remix, solo, song):  # four blocks with deposits, then two empty ones
            royalties.pay(tutti, fan, work.work_id, ETHER)
        chain.mine(2)
        payment = {"from": fan.address, "to": tutti.splitter.address, "value": hex(7 * ETHER),
                   "data": "0x" + tutti.splitter.depositETH.encode_input(
                       tutti.registry.work(remix.work_id).splitId).hex()}
        reorged = []

        def reorg_after_get_logs(payload, answer):
            if not reorged and payload.get("method") == "eth_getLogs" and answer.get("result"):
                reorged.append(chain.provider.make_request("anvil_reorg", [4, [[payment, 0]]]))
            return answer

        proxy.after = reorg_after_get_logs
        live.sync()
    assert reorged, "the reorg was not injected"
    assert dump(live.engine) == dump(index(w3, tutti, new_database()))


def test_a_head_moving_backwards_neither_crashes_nor_spins(activity, chain, w3, tutti, rpc_url, new_database):
    """A node behind a load balancer: one answer says the head is 3 blocks further than the node has
    (the next block lookups find nothing); then the chain really goes back (evm_revert) by less than
    the confirmations, and the indexer must wait, polling, not roll back in a loop."""
    chain.mine(12)
    with RpcProxy(rpc_url) as proxy:
        live = follower(proxy.url, tutti, new_database(), confirmations=5, poll_interval=0.1)
        live.sync()
        snapshot = chain.snapshot()
        chain.mine(3)
        live.sync()
        inflated = []

        def ahead_once(payload, answer):
            if not inflated and payload.get("method") == "eth_blockNumber":
                inflated.append(answer["result"])
                answer = {**answer, "result": hex(int(answer["result"], 16) + 8)}
            return answer

        proxy.after = ahead_once
        chain.restore(snapshot)  # back 3 blocks: the indexed blocks are all still there
        failures = []

        def follow_chain() -> None:
            try:
                live.run()
            except Exception as exc:  # noqa: BLE001 - the test reports it
                failures.append(exc)

        follow = threading.Thread(target=follow_chain)
        follow.start()
        time.sleep(1.5)
        live.stop_event.set()
        follow.join(timeout=30)
        polls = proxy.count("eth_blockNumber")
        assert inflated
        assert failures == [] and not follow.is_alive()
        assert polls < 40, f"{polls} polls in 1.5 s: the follower spins instead of waiting"
        chain.mine(10)
        live.stop_event.clear()
        live.sync()
    assert dump(live.engine) == dump(index(w3, tutti, new_database(), confirmations=5))


def test_rpc_faults_are_retried_until_the_node_answers(activity, w3, tutti, rpc_url, new_database, caplog):
    """Dropped connections, half a JSON document and 502s, over and over: indexing still completes."""
    faults = iter(["drop", None, "garbage", "bad gateway", None, "drop", "drop", None] * 6)
    with RpcProxy(rpc_url) as proxy:
        proxy.fault = lambda payload: next(faults, None)
        live = follower(proxy.url, tutti, new_database(), max_batch_blocks=5)
        live.rpc.backoff = 0.01
        with caplog.at_level("WARNING", logger="indexer.rpc"):
            live.sync()
    assert proxy.injected >= 30
    assert live.rpc.faults == proxy.injected
    retries = [r for r in caplog.records if r.name == "indexer.rpc" and "retrying" in r.getMessage()]
    assert len(retries) == proxy.injected
    assert dump(live.engine) == dump(index(w3, tutti, new_database()))


def test_a_reorg_below_the_undo_history_marks_the_index_unhealthy_until_reindexed(
        activity, chain, w3, tutti, rpc_url, deployments_dir, new_database, fan):
    song = activity["works"][0]
    url = new_database()
    live = follower(rpc_url, tutti, url, reorg_window=2)
    snapshot = chain.snapshot()
    royalties.pay(tutti, fan, song.work_id, ETHER)
    chain.mine(6)
    live.sync()
    chain.restore(snapshot)
    royalties.pay(tutti, fan, song.work_id, 3 * ETHER)
    chain.mine(8)
    with pytest.raises(ReorgTooDeep):
        live.sync()

    with TestClient(create_app(engine=live.engine)) as client:
        health = client.get("/health")
    assert health.status_code == 503
    assert health.json()["status"] == "unhealthy" and "tutti-indexer reindex" in health.json()["problem"]

    env = {"TUTTI_INDEXER_DATABASE_URL": url, "TUTTI_INDEXER_RPC_URL": rpc_url,
           "TUTTI_DEPLOYMENTS_DIR": str(deployments_dir)}
    # The folder as an option: tutti's settings are read once per process (get_settings), possibly
    # before this test, so the environment variable alone does not reach an in-process CLI run.
    run = ["run", "--until-head", "--deployments-dir", str(deployments_dir)]
    refused = CliRunner().invoke(cli, run, env=env)
    assert refused.exit_code == 1 and "index unhealthy" in refused.output and "reindex" in refused.output
    emptied = CliRunner().invoke(cli, ["reindex", "--yes"], env=env)
    assert emptied.exit_code == 0, emptied.output
    assert CliRunner().invoke(cli, run, env=env).exit_code == 0
    with TestClient(create_app(engine=live.engine)) as client:
        assert client.get("/health").json()["status"] == "ok"
    assert dump(live.engine) == dump(index(w3, tutti, new_database()))


KILL_AT_TABLE = """
import os, signal
from alembic.operations import Operations
from indexer.db import make_engine, migrate
created, create_table = [], Operations.create_table
def dying_create_table(self, *args, **kwargs):
    created.append(args[0] if args else kwargs.get("table_name"))
    if len(created) == {n}:
        os.kill(os.getpid(), signal.SIGKILL)
    return create_table(self, *args, **kwargs)
Operations.create_table = dying_create_table
migrate(make_engine({url!r}, pool_size=1))
"""


@pytest.mark.parametrize("tables_before_kill", [3, 12])
def test_a_kill_during_the_first_migration_leaves_a_usable_database(tables_before_kill, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    killed = subprocess.run([sys.executable, "-c", KILL_AT_TABLE.format(n=tables_before_kill + 1, url=url)],
                            cwd=ROOT, capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr[-2000:]
    engine = make_engine(url, pool_size=1)
    migrate(engine)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), schema.metadata) == []
    engine.dispose()


def funding(epoch: int, block: int, index_in_block: int, amount: int) -> DecodedLog:
    return DecodedLog(contract="UsageRoyalties", address="0x" + "11" * 20, name="EpochFunded",
                      args={"epoch": epoch, "token": ETH, "from": "0x" + "22" * 20, "amount": amount},
                      block_number=block, block_hash="0x" + f"{block:064x}", log_index=index_in_block,
                      tx_hash="0x" + f"{block * 1000 + index_in_block:064x}")

def commit_fundings(engine, epoch: int, stop: threading.Event) -> None:
    """Commit batches of five fundings of ``epoch``, a block each, until ``stop`` is set (a writer
    under which reads must never see half a commit)."""
    block = 1
    while not stop.is_set():
        with writer(engine).begin() as connection:
            batch = store.Writer(connection)
            for position in range(5):
                handlers.apply(batch, funding(epoch, block, position, 1 + position))
            batch.flush()
        block += 1



@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_an_api_response_never_mixes_two_commits(kind, new_database):
    """The indexer commits batches of fundings while the API answers /epochs/7: the pool's `funded`
    must always be the sum of the fundings listed beside it."""
    engine = make_engine(new_database(kind), pool_size=4)
    migrate(engine)
    stop = threading.Event()

    indexing = threading.Thread(target=commit_fundings, args=(engine, 7, stop))
    indexing.start()
    torn = []
    try:
        with TestClient(create_app(engine=engine)) as client:
            deadline = time.monotonic() + 4
            while time.monotonic() < deadline and len(torn) < 3:
                response = client.get("/epochs/7")
                if response.status_code == 404:
                    continue
                epoch = response.json()
                listed = sum(int(f["amount"]) for f in epoch["fundings"])
                funded = int(epoch["pools"][0]["funded"])
                if listed != funded:
                    torn.append((listed, funded))
    finally:
        stop.set()
        indexing.join()
        engine.dispose()
    assert torn == []


def cursor_of(value) -> str:
    return base64.urlsafe_b64encode(json.dumps([value]).encode()).decode().rstrip("=")


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_inputs_no_database_stores_get_a_4xx_with_a_reason(kind, new_database):
    engine = make_engine(new_database(kind), pool_size=2)
    migrate(engine)
    bad = [
        ("GET", "/operators", {"cursor": cursor_of("\ud800")}, None),   # a lone surrogate in a string key
        ("GET", "/operators", {"cursor": cursor_of("0x\x00")}, None),   # a NUL in a string key
        ("GET", "/holders", {"cursor": cursor_of("\udfff")}, None),
        ("GET", "/events", {"contract": "Tutti\x00Token"}, None),
        ("GET", "/events", {"name": "x" * 65}, None),                    # the filter's own limits hold
        ("GET", "/events", {"contract": "not a name!"}, None),
        ("GET", "/jobs", {"kind": "analyze\x00"}, None),
        ("POST", "/rooms/1/media-nodes", None, '{"url": "https://\\ud800.example", "expires_at": 1, '
                                                '"signature": "0x\\ud800"}'),  # the 422 echoes the input
    ]
    with TestClient(create_app(engine=engine), raise_server_exceptions=False) as client:
        for method, path, params, body in bad:
            response = client.request(method, path, params=params, content=body,
                                      headers={"Content-Type": "application/json"} if body else None)
            assert 400 <= response.status_code < 500, (path, params, body, response.status_code, response.text)
            assert response.json()["detail"], (path, params)
    engine.dispose()
