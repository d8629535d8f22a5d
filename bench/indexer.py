"""Indexer benchmark: backfill speed and API throughput, on SQLite and on PostgreSQL.

    source bin/env && python bench/indexer.py [--events 100000] [--duration 10]

Starts its own anvil (through ape-foundry, on a free port), deploys the system, makes one round of
every kind of event the indexer follows (``tutti.activity.make_activity``: works, royalties,
governance, oracle jobs, bonds, passes, usage epochs), then about ``--events`` more in full blocks of
mixed transactions (``tutti.activity.send_mixed_activity``: deposits, pass sales, usage fundings,
token transfers with vote changes, withdrawals). Then, for SQLite and for a throw-away PostgreSQL 15
cluster (needs the Debian server binaries): times a backfill from the deployment block into an empty
database (events per second, and per CPU-second of the indexer's process: the machine is shared),
and, after PostgreSQL, runs Ponder (npm ``ponder``, the project in bench/ponder: the mixed chain's
contracts and events into tables like ours) on the same chain and server, printing its events per
second and the ratio (``--no-ponder`` skips it). Then it serves the API with ``tutti-indexer serve``
(2 worker processes) and loads ``/deposits?work_id=1&limit=20`` with wrk (installed with apt-get if
missing) from a separate process at 1,000 and 5,000 concurrent connections (``--connections ""``:
none): requests per second, p50 and p99 latency.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from tutti.net import free_port

ROOT = Path(__file__).resolve().parents[1]
# First on the path even when PYTHONPATH names it too: this file's folder comes before PYTHONPATH,
# and this file is itself called `indexer`.
sys.path.insert(0, str(ROOT))

from bench.processes import start, stop  # noqa: E402

PG_BIN = Path("/usr/lib/postgresql/15/bin")
ETHER = 10**18
PATH = "/deposits?work_id=1&limit=20"


def make_events(count: int, deployments: Path) -> tuple[str, object]:
    """Deploy, make one round of every kind of event (``tutti.activity.make_activity``), then about
    ``count`` more in full blocks of mixed transactions; returns the RPC URL and the address book."""
    from ape import accounts, chain

    from tutti.activity import make_activity, send_mixed_activity
    from tutti.deployment import DeployParams, deploy_system

    test = accounts.test_accounts
    deployer, artist, producer, vocalist, fan = test[:5]
    voters, operators = (test[5], test[6]), (test[7], test[8], test[9])
    tutti = deploy_system(deployer, DeployParams(
        voting_delay_blocks=1, voting_period_blocks=20, quorum_percent=4, timelock_delay_seconds=60,
        registration_fee_wei=0, oracle_operators=tuple(o.address for o in operators), oracle_quorum=2,
        test_token=True))
    tutti.book.save(deployments)
    for voter in voters:  # as the tests' `governance` fixture: two self-delegated holders
        tutti.token.transfer(voter, 300_000 * ETHER, sender=deployer)
        tutti.token.invoke_transaction("delegate", voter.address, sender=voter)
    make_activity(tutti, chain, tutti.extra("TestToken"), deployer, artist, producer, vocalist, fan, voters,
                  operators)
    url = chain.provider.uri
    send_mixed_activity(tutti, chain, url, count, artist=artist, producer=producer, vocalist=vocalist,
                        payers=[fan, *operators, deployer], holders=voters)
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


def stop_postgres(prefix: list[str], data: Path) -> None:
    subprocess.run([*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True)


def backfill(url: str, rpc_url: str, book) -> tuple[int, float, float, str]:
    """(events, seconds, CPU seconds of this process, where the time went) of a backfill into an
    empty database."""
    from indexer.config import IndexerSettings
    from indexer.db import make_engine, migrate
    from indexer.ingest import Indexer

    engine = make_engine(url, pool_size=2)
    migrate(engine)
    indexer = Indexer(rpc_url, engine, book,
                      IndexerSettings(database_url=url, max_batch_blocks=2000, target_batch_logs=5000))
    busy = {"logs": 0.0, "headers": 0.0, "fetch": 0.0, "commit": 0.0}
    batches = []
    for owner, name, stage in ((indexer.rpc, "logs", "logs"), (indexer.rpc, "blocks", "headers"),
                               (indexer, "_fetch", "fetch"), (indexer, "_commit", "commit")):
        setattr(owner, name, _timed(getattr(owner, name), busy, stage))
    commit = indexer._commit
    indexer._commit = lambda checkpoint, headers, decoded: (batches.append(len(decoded)),
                                                            commit(checkpoint, headers, decoded))
    started, cpu = time.perf_counter(), time.process_time()
    indexer.sync()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    engine.dispose()
    stages = (f"{len(batches)} batches of {min(batches):,}-{max(batches):,} events; fetcher threads busy "
              f"{busy['logs']:.2f} s in eth_getLogs (node, transfer, JSON), {busy['headers']:.2f} s in headers, "
              f"{busy['fetch'] - busy['logs'] - busy['headers']:.2f} s decoding; writer {busy['commit']:.2f} s in "
              f"handlers, writes and commits, {elapsed - busy['commit']:.2f} s waiting for ranges and checking them")
    return indexer.events_ingested, elapsed, cpu, stages


def _timed(call, busy: dict, stage: str):
    """``call``, adding its wall time to ``busy[stage]`` (the fetchers' stages overlap the writer's)."""
    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            with _BUSY_LOCK:  # two fetcher threads add to the same stage
                busy[stage] += time.perf_counter() - started
    return timed


_BUSY_LOCK = threading.Lock()


#: The contracts of the mixed chain that the Ponder project (bench/ponder) follows.
PONDER_CONTRACTS = ("TuttiToken", "RoyaltySplitter", "AccessPass", "UsageRoyalties")


def ponder_backfill(work: Path, pg_url: str, rpc_url: str, book) -> tuple[int, float, float, float]:
    """Ponder (npm ``ponder``, bench/ponder) on the same chain into the same PostgreSQL (its own
    schema): (events it indexed, its own backfill seconds, seconds from start to /ready, CPU
    seconds of its process from start to stop, start-up included)."""
    import psycopg

    from indexer.abis import load_abis

    project = work / "ponder"  # a copy: Ponder writes generated files into its project
    shutil.copytree(ROOT / "bench" / "ponder", project)
    (project / "node_modules").symlink_to(ROOT / "node_modules")
    abis = load_abis()
    setup = {"rpc": rpc_url, "chainId": book.chain_id, "startBlock": book.start_block,
             "contracts": {name: {"address": book.contracts[name], "abi": abis[name]} for name in PONDER_CONTRACTS}}
    (work / "ponder-setup.json").write_text(json.dumps(setup))
    database = pg_url.replace("postgresql+psycopg://", "postgresql://")
    port = free_port()
    env = {**os.environ, "TUTTI_PONDER_SETUP": str(work / "ponder-setup.json"), "DATABASE_URL": database,
           "DATABASE_SCHEMA": "ponder_bench", "PONDER_TELEMETRY_DISABLED": "true", "NODE_ENV": "production"}
    log = open(work / "ponder.log", "w")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    server = start([str(ROOT / "node_modules" / ".bin" / "ponder"), "start", "--port", str(port), "--log-format", "json"],
                   cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        while server.poll() is None:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=5)
                break
            except OSError:
                time.sleep(1)
        else:
            raise RuntimeError(f"ponder exited with {server.returncode}: see {work / 'ponder.log'}")
        wall = time.perf_counter() - started
    finally:
        stop(server)
        log.close()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    backfill_ms = [json.loads(line)["duration"] for line in (work / "ponder.log").read_text().splitlines()
                   if "Completed backfill indexing" in line]
    with psycopg.connect(database) as connection:
        events = connection.execute("SELECT count(*) FROM ponder_bench.events").fetchone()[0]
    return events, (backfill_ms[0] / 1000 if backfill_ms else wall), wall, cpu


BASELINE_PROGRAM = """
import sys, time
from web3 import HTTPProvider, Web3
from indexer.config import IndexerSettings
from indexer.db import make_engine, migrate
from indexer.ingest import Indexer
from tutti.addressbook import AddressBook
url, rpc_url, deployments = sys.argv[1:4]
engine = make_engine(url, pool_size=2)
migrate(engine)
indexer = Indexer(Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": 120})), engine,
                  AddressBook.load(deployments, "ethereum", "local"),
                  IndexerSettings(database_url=url, max_batch_blocks=2000, target_batch_logs=5000))
started = time.perf_counter()
indexer.sync()
print(indexer.events_ingested, time.perf_counter() - started)
"""


def baseline_backfill(tree: Path, url: str, rpc_url: str, deployments: Path) -> tuple[int, float]:
    """The same backfill by another checkout's indexer (e.g. the main branch before a change), run
    from that tree in a subprocess on the same chain; ``Indexer(web3, ...)`` as it was before."""
    out = subprocess.run([sys.executable, "-c", BASELINE_PROGRAM, url, rpc_url, str(deployments)], cwd=tree,
                         env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True, check=True)
    events, seconds = out.stdout.split()[-2:]
    return int(events), float(seconds)


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
    server = start([sys.executable, "-m", "indexer.cli", "serve", "--database-url", db_url, "--port", str(port),
                    "--workers", "2"])
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
        stop(server)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="events to make beyond one round of every kind")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per connection count")
    parser.add_argument("--connections", default="1000,5000")
    parser.add_argument("--no-ponder", dest="ponder", action="store_false",
                        help="skip Ponder (npm ponder, bench/ponder) on the same chain and PostgreSQL")
    parser.add_argument("--baseline", type=Path, metavar="TREE",
                        help="also time the SQLite backfill of another checkout (e.g. the main branch) on the same chain")
    args = parser.parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # wrk and uvicorn inherit it
    os.environ["APE_FOUNDRY_HOST"] = f"http://127.0.0.1:{free_port()}"

    from ape import networks
    from ape.logging import logger
    from ape_foundry.provider import FoundryProvider

    # ape-foundry always starts anvil with --steps-tracing, which keeps every opcode of every
    # transaction: over 100,000 transactions anvil grew past 20 GB and was killed.
    build_command = FoundryProvider.build_command
    FoundryProvider.build_command = lambda self: [arg for arg in build_command(self) if arg != "--steps-tracing"]

    logger.set_level("ERROR")
    wrk = ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="tutti-bench-indexer-"))
    os.chmod(work, 0o755)
    pg_root = work / "pg"
    pg_root.mkdir()
    lines = []
    rates: dict[str, float] = {}
    cpu_rates: dict[str, float] = {}  # events per CPU-second of the indexer's process
    with networks.parse_network_choice("ethereum:local:foundry"):
        started = time.perf_counter()
        rpc_url, book = make_events(args.events, work / "deployments")
        print(f"made about {args.events:,} mixed events in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        pg_url, prefix, pg_data = start_postgres(pg_root)
        try:
            for name, db_url in (("SQLite", f"sqlite:///{work / 'index.sqlite3'}"), ("PostgreSQL", pg_url)):
                events, seconds, cpu, stages = backfill(db_url, rpc_url, book)
                rates[name], cpu_rates[name] = events / seconds, events / cpu
                lines.append(f"{name}: backfill {events:,} events in {seconds:.2f} s = {events / seconds:,.0f} events/s "
                             f"(indexer CPU {cpu:.2f} s = {events / cpu:,.0f} events per CPU-second; "
                             f"load average {os.getloadavg()[0]:.1f})")
                lines.append(f"{name}: {stages}")
                print("\n".join(lines[-2:]), file=sys.stderr)
                if name == "PostgreSQL" and args.ponder:
                    events, seconds, wall, cpu = ponder_backfill(work, pg_url, rpc_url, book)
                    lines.append(f"Ponder (PostgreSQL): backfill {events:,} events in {seconds:.1f} s = "
                                 f"{events / seconds:,.0f} events/s ({wall:.1f} s from start to /ready; CPU {cpu:.1f} s "
                                 f"= {events / cpu:,.0f} events per CPU-second, start-up included; load average "
                                 f"{os.getloadavg()[0]:.1f}); tutti-indexer is {rates['SQLite'] * seconds / events:.1f}x "
                                 f"(SQLite) and {rates['PostgreSQL'] * seconds / events:.1f}x (PostgreSQL) as fast, "
                                 f"{cpu_rates['SQLite'] * cpu / events:.1f}x and {cpu_rates['PostgreSQL'] * cpu / events:.1f}x "
                                 f"per CPU-second")
                    print(lines[-1], file=sys.stderr)
                if args.baseline and name == "SQLite":  # PostgreSQL's baseline would take minutes more
                    other = f"sqlite:///{work / 'baseline.sqlite3'}"
                    events, seconds = baseline_backfill(args.baseline, other, rpc_url, work / "deployments")
                    lines.append(f"{name}: baseline ({args.baseline}) backfill {events:,} events in {seconds:.1f} s = "
                                 f"{events / seconds:,.0f} events/s (load average {os.getloadavg()[0]:.1f})")
                    print(lines[-1], file=sys.stderr)
                connections = [int(c) for c in args.connections.split(",") if c]  # "": no API load
                for count, rps, p50, p99, non2xx, errors in load(wrk, db_url, connections, args.duration) \
                        if connections else ():
                    lines.append(f"{name}: GET {PATH} with {count:,} connections: {rps:,.0f} req/s, p50 {p50:.1f} ms, "
                                 f"p99 {p99:.1f} ms, non-2xx {non2xx}, socket errors {errors}")
                    print(lines[-1], file=sys.stderr)
        finally:
            stop_postgres(prefix, pg_data)
            shutil.rmtree(work, ignore_errors=True)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
