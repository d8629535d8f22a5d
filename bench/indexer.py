"""Indexer benchmark: backfill speed and API throughput, on SQLite and on PostgreSQL.

    cd /work/main && source bin/env && python bench/indexer.py [--events 30000] [--duration 10]

Starts its own anvil (through ape-foundry, on a free port), deploys the system, registers a few
works and then sends tens of thousands of royalty deposits (batched JSON-RPC, 500 transactions per
block), so most events are ``Deposited``. Then, for SQLite and for a throw-away PostgreSQL 15
cluster (needs the Debian server binaries): times a backfill from the deployment block into an empty
database (events per second), serves the API with ``tutti-indexer serve`` (2 worker processes) and
loads ``/deposits?work_id=1&limit=20`` with wrk (installed with apt-get if missing) from a separate
process at 1,000 and 5,000 concurrent connections: requests per second, p50 and p99 latency.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from tutti.net import free_port

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_BIN = Path("/usr/lib/postgresql/15/bin")
ETHER = 10**18
PATH = "/deposits?work_id=1&limit=20"


def rpc(url: str, payload):
    import json

    request = urllib.request.Request(url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.loads(response.read())


def make_events(count: int, deployments: Path) -> tuple[str, object]:
    """Deploy, register works, send ``count`` deposits; returns the RPC URL and the address book."""
    from ape import accounts, chain

    from tutti.deployment import DeployParams, deploy_system
    from tests.indexer.activity import register

    test = accounts.test_accounts
    tutti = deploy_system(test[0], DeployParams())
    tutti.book.save(deployments)
    works = [register(tutti, test[1], f"bench-{i}", [(test[1], 5000), (test[2], 3000), (test[3], 2000)])
             for i in range(10)]
    url = chain.provider.uri
    senders = [a.address for a in test[4:10]]
    nonces = {a: int(rpc(url, {"jsonrpc": "2.0", "id": 1, "method": "eth_getTransactionCount",
                               "params": [a, "pending"]})["result"], 16) for a in senders}
    rpc(url, {"jsonrpc": "2.0", "id": 1, "method": "evm_setAutomine", "params": [False]})
    calldata = {w.split_id: "0x" + tutti.splitter.depositETH.encode_input(w.split_id).hex() for w in works}
    splits = list(calldata)
    sent = 0
    while sent < count:
        batch = []
        for i in range(min(500, count - sent)):
            sender = senders[(sent + i) % len(senders)]
            batch.append({"jsonrpc": "2.0", "id": i, "method": "eth_sendTransaction", "params": [{
                "from": sender, "to": tutti.splitter.address, "value": hex(10**12 + sent + i), "gas": hex(80_000),
                "data": calldata[splits[(sent + i) % len(splits)]], "nonce": hex(nonces[sender]),
                "maxFeePerGas": hex(10**10), "maxPriorityFeePerGas": hex(10**9)}]})
            nonces[sender] += 1
        errors = [r for r in rpc(url, batch) if "error" in r]
        if errors:
            raise RuntimeError(f"anvil refused transactions: {errors[:2]}")
        rpc(url, {"jsonrpc": "2.0", "id": 1, "method": "evm_mine", "params": []})
        sent += len(batch)
    rpc(url, {"jsonrpc": "2.0", "id": 1, "method": "evm_setAutomine", "params": [True]})
    return url, tutti.book


def start_postgres(root: Path) -> tuple[str, list[str], Path]:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if prefix:
        shutil.chown(root, "postgres")
    port = free_port()
    subprocess.run([*prefix, str(PG_BIN / "initdb"), "-D", str(root / "data"), "-U", "tutti", "--auth=trust",
                    "--no-sync"], check=True, capture_output=True)
    subprocess.run([*prefix, str(PG_BIN / "pg_ctl"), "-D", str(root / "data"), "-l", str(root / "log"), "-w", "-o",
                    f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c max_connections=300", "start"],
                   check=True, capture_output=True)
    return f"postgresql+psycopg://tutti@127.0.0.1:{port}/postgres", prefix, root / "data"


def backfill(url: str, rpc_url: str, book) -> tuple[int, float]:
    from web3 import HTTPProvider, Web3

    from indexer.config import IndexerSettings
    from indexer.db import make_engine, migrate
    from indexer.ingest import Indexer

    engine = make_engine(url, pool_size=2)
    migrate(engine)
    indexer = Indexer(Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": 120})), engine, book,
                      IndexerSettings(database_url=url, max_batch_blocks=2000, target_batch_logs=5000))
    started = time.perf_counter()
    indexer.sync()
    elapsed = time.perf_counter() - started
    engine.dispose()
    return indexer.events_ingested, elapsed


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk missing: apt-get install -y wrk", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)
    return shutil.which("wrk")


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def load(wrk: str, db_url: str, connections: list[int], duration: int) -> list[tuple]:
    """Per connection count: (connections, req/s, p50 ms, p99 ms, non-2xx responses, wrk's socket errors)."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "indexer.cli", "serve", "--database-url", db_url,
                               "--port", str(port), "--workers", "2"], cwd=ROOT)
    results = []
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        for count in connections:
            out = subprocess.run([wrk, "-t2", f"-c{count}", f"-d{duration}s", "--timeout", "10s", "--latency",
                                  f"http://127.0.0.1:{port}{PATH}"], capture_output=True, text=True).stdout
            rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
            p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))
            p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))
            errors = re.search(r"Socket errors: (.*)", out)
            non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            results.append((count, rps, p50, p99, int(non2xx.group(1)) if non2xx else 0,
                            errors.group(1).strip() if errors else "none"))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=30_000, help="deposits to send (one event each)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per connection count")
    parser.add_argument("--connections", default="1000,5000")
    args = parser.parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # wrk and uvicorn inherit it
    os.environ["APE_FOUNDRY_HOST"] = f"http://127.0.0.1:{free_port()}"

    from ape import networks
    from ape.logging import logger

    logger.set_level("ERROR")
    wrk = ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="tutti-bench-indexer-"))
    os.chmod(work, 0o755)
    pg_root = work / "pg"
    pg_root.mkdir()
    lines = []
    with networks.parse_network_choice("ethereum:local:foundry"):
        started = time.perf_counter()
        rpc_url, book = make_events(args.events, work / "deployments")
        print(f"made {args.events:,} deposits in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        pg_url, prefix, pg_data = start_postgres(pg_root)
        try:
            for name, db_url in (("SQLite", f"sqlite:///{work / 'index.sqlite3'}"), ("PostgreSQL", pg_url)):
                events, seconds = backfill(db_url, rpc_url, book)
                lines.append(f"{name}: backfill {events:,} events in {seconds:.1f} s = {events / seconds:,.0f} events/s")
                print(lines[-1], file=sys.stderr)
                connections = [int(c) for c in args.connections.split(",")]
                for count, rps, p50, p99, non2xx, errors in load(wrk, db_url, connections, args.duration):
                    lines.append(f"{name}: GET {PATH} with {count:,} connections: {rps:,.0f} req/s, p50 {p50:.1f} ms, "
                                 f"p99 {p99:.1f} ms, non-2xx {non2xx}, socket errors {errors}")
                    print(lines[-1], file=sys.stderr)
        finally:
            subprocess.run([*prefix, str(PG_BIN / "pg_ctl"), "-D", str(pg_data), "-m", "immediate", "stop"],
                           capture_output=True)
            shutil.rmtree(work, ignore_errors=True)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
