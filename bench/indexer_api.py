"""Indexer API under users, not a flood: 5,000 users reading pages while 1,000 more hold the live stream.

    source bin/env && python bench/indexer_api.py [--users 5000] [--listeners 1000] [--think 5] [--workers 2]

Starts its own anvil (ape-foundry, free port), deploys, makes one round of every kind of event and
about ``--events`` more (``tutti.activity``), indexes them into SQLite (``--postgresql``: a throw-away
PostgreSQL 15 cluster), then runs, for ``--duration`` seconds, all at once:

* the writer: ``tutti-indexer run`` following the chain, while this script sends a royalty deposit
  every ``--tx-interval`` seconds (and notes when each new event is first readable in the index);
* the API: ``tutti-indexer serve --workers N``;
* ``--listeners`` connections holding ``GET /stream`` open (one asyncio process,
  ``bench/stream_listeners.py``): the delivery delay of every event to every listener is the time
  it was received less the time it was first readable in the index;
* ``--users`` wrk connections, each a user who reads a page, thinks for 0 to 2x ``--think`` seconds
  (``--think`` on average) and reads another: about users / think requests per second, a mix of
  lists (works, deposits, events), items (a work) and balances (an address), each user's browser
  revalidating what it has seen with If-None-Match (bench/user_model.lua).

``--baseline TREE`` runs the same against another checkout's writer and API (its own backfill
of the same chain, SQLite) in the same run. Then the same mix as a flood (no think time) from 1,000 and from 5,000 connections: the most
requests per second.
Prints p50 / p99 latency, errors, 304 share, and stream delivery delay p50 / p99 and losses; the CPU
time the API, wrk and the listeners used on the shared cores during the user phase, and one
worker's garbage-collector pauses and response-cache outcomes (its /metrics); with ``--baseline``,
the ratios of the two checkouts' figures. Load averages are printed beside each figure.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# This file's folder holds `indexer.py`: the package must win.
sys.path.insert(0, str(ROOT))

from bench.indexer import backfill, ensure_wrk, make_events, start_postgres, stop_postgres, _ms  # noqa: E402
from bench.processes import start, stop  # noqa: E402
from tutti.net import free_port  # noqa: E402

LUA = Path(__file__).with_name("user_model.lua")
LISTENERS = Path(__file__).with_name("stream_listeners.py")


def rpc(url: str, method: str, params: list) -> dict:
    request = urllib.request.Request(url, json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                                                      "params": params}).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class CommitClock:
    """When each new event was first readable in the index (polled every 10 ms, in a thread)."""

    def __init__(self, db_url: str):
        from indexer.db import make_engine

        self.engine = make_engine(db_url, pool_size=1)
        self.seen: dict[int, float] = {}
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        from sqlalchemy import func, select

        from indexer import schema

        events = schema.events
        with self.engine.connect() as connection:
            last = connection.execute(select(func.coalesce(func.max(events.c.event_id), 0))).scalar()
        while not self.stopped.is_set():
            with self.engine.connect() as connection:
                ids = connection.execute(select(events.c.event_id).where(events.c.event_id > last)).scalars().all()
            now = time.time()
            for event_id in ids:
                self.seen.setdefault(event_id, now)
                last = max(last, event_id)
            time.sleep(0.01)


def user_paths(base: str) -> list[str]:
    """The pages users read (lists, items and balances of what the index holds), each with the ETag
    it has now ("path<TAB>etag"): returning users revalidate what they saw."""
    works = json.loads(urllib.request.urlopen(f"{base}/works?limit=500").read())["items"]
    accounts = sorted({w["artist"] for w in works} | {w["owner"] for w in works})
    paths = ["/works?limit=20", "/events?limit=20", "/deposits?limit=20", "/epochs?limit=10", "/proposals"]
    paths += [f"/works/{w['work_id']}" for w in works]
    paths += [f"/deposits?work_id={w['work_id']}&limit=20" for w in works[:3]]
    paths += [f"/balances/{a}" for a in accounts]
    return [f"{path}\t{urllib.request.urlopen(base + path).headers.get('etag', '')}" for path in paths]


def workers(pid: int) -> set[int]:
    """The API supervisor's worker processes now (a changed set: uvicorn killed and restarted one)."""
    try:
        return {int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    except OSError:
        return set()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and all its descendants (the API's supervisor and workers)."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            pending += [int(c) for c in Path(f"/proc/{current}/task/{current}/children").read_text().split()]
        except (OSError, IndexError):
            continue
    return total


def children_cpu() -> float:
    """User + system CPU time of this process's waited-for children (wrk's, once it has exited)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def worker_metrics(base: str) -> str:
    """Garbage-collector pauses and cache outcomes of the worker that answers ``/metrics`` (one of
    the workers, since its start), or why not."""
    try:
        text = urllib.request.urlopen(f"{base}/metrics", timeout=10).read().decode()
    except OSError as exc:
        return f"worker metrics not read ({exc})"
    pauses = {}
    for generation in "012":
        count = re.search(rf'tutti_api_gc_pause_seconds_count{{generation="{generation}"}} (\S+)', text)
        total = re.search(rf'tutti_api_gc_pause_seconds_sum{{generation="{generation}"}} (\S+)', text)
        quick = re.search(rf'tutti_api_gc_pause_seconds_bucket{{generation="{generation}",le="0.01"}} (\S+)', text)
        if count:
            pauses[generation] = (float(count.group(1)), float(total.group(1)) * 1000, float(quick.group(1)))
    outcomes = dict(re.findall(r'tutti_api_cache_total{outcome="(\w+)"} (\S+)', text))
    gc_line = ("GC pauses: " + ", ".join(f"gen{g} {c:.0f} ({ms:.0f} ms, {c - q:.0f} over 10 ms)"
                                         for g, (c, ms, q) in pauses.items())) if pauses else "GC pauses not measured"
    cache_line = ("cache: " + ", ".join(f"{k} {float(v):,.0f}" for k, v in outcomes.items())) if outcomes else \
        "cache outcomes not counted"
    return f"one worker since its start: {gc_line}; {cache_line}"


def wrk(wrk_bin: str, base: str, connections: int, duration: int, paths: list[str], think_ms: int) -> dict:
    env = {**os.environ, "TUTTI_PATHS": "\n".join(paths), "TUTTI_THINK_MS": str(think_ms)}
    cpu_before = children_cpu()
    out = subprocess.run([wrk_bin, "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "--latency",
                          "-s", str(LUA), base], capture_output=True, text=True, env=env).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Socket errors: (.*)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    not_modified = re.search(r"not modified: (\d+)", out)
    return {"requests": requests, "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": _ms(re.search(r"\s50%\s+(\S+)", out).group(1)), "p99": _ms(re.search(r"\s99%\s+(\S+)", out).group(1)),
            "non2xx": int(non2xx.group(1)) if non2xx else 0, "errors": errors.group(1).strip() if errors else "none",
            "not_modified": int(not_modified.group(1)) if not_modified else 0, "cpu": children_cpu() - cpu_before}


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def measure(args, wrk_bin: str, db_url: str, rpc_url: str, deployments: Path, splitter: str, deposit: str,
            payer: str, work: Path, tree: Path = ROOT, name: str = "") -> tuple[list[str], dict]:
    """The user-model run, then the floods, against the indexer (writer and API) of checkout ``tree``:
    the lines to print and the figures to compare."""
    label = f"{args.database}{name}"
    env = {**os.environ, "PYTHONPATH": str(tree), "TUTTI_INDEXER_DATABASE_URL": db_url,
           "TUTTI_INDEXER_RPC_URL": rpc_url, "TUTTI_DEPLOYMENTS_DIR": str(deployments)}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    writer = start([sys.executable, "-m", "indexer.cli", "run", "--poll-interval", "0.1"], cwd=tree, env=env)
    api = start([sys.executable, "-m", "indexer.cli", "serve", "--port", str(port), "--workers", str(args.workers)],
                cwd=tree, env=env)
    processes = [writer, api]
    lines = []
    figures = {}
    try:
        wait_for(f"{base}/health")
        paths = user_paths(base)
        received = work / "received.json"
        listeners = start([sys.executable, str(LISTENERS), base, str(args.listeners), str(received)],
                          stdout=subprocess.PIPE, text=True)
        processes.append(listeners)
        assert listeners.stdout.readline().startswith("connected"), "stream listeners did not connect"
        clock = CommitClock(db_url)
        clock.thread.start()
        sending = threading.Event()

        def send_deposits() -> None:
            while not sending.is_set():
                rpc(rpc_url, "eth_sendTransaction", [{"from": payer, "to": splitter, "value": hex(10**12),
                                                      "data": deposit}])
                sending.wait(args.tx_interval)

        sender = threading.Thread(target=send_deposits, daemon=True)
        sender.start()
        cpu_before, workers_before = cpu_seconds(api.pid), workers(api.pid)
        listeners_cpu, load_before = cpu_seconds(listeners.pid), os.getloadavg()[0]
        users = wrk(wrk_bin, base, args.users, args.duration, paths, int(args.think * 1000))
        api_cpu = cpu_seconds(api.pid) - cpu_before
        listeners_cpu = cpu_seconds(listeners.pid) - listeners_cpu
        worker = worker_metrics(base)
        restarted = len(workers_before - workers(api.pid))
        sending.set()
        sender.join()
        time.sleep(5)  # the last events reach the index and the listeners
        listeners.send_signal(signal.SIGTERM)
        listeners.wait(timeout=30)
        clock.stopped.set()
        clock.thread.join()
        deliveries = json.loads(received.read_text())
        delays = [(t - clock.seen[int(i)]) * 1000 for i, times in deliveries["events"].items() if int(i) in clock.seen
                  for t in times]
        live = [i for i in clock.seen]
        expected = len(live) * deliveries["connected"]
        got = sum(len(deliveries["events"].get(str(i), [])) for i in live)
        load = os.getloadavg()[0]
        delay_p50, delay_p99 = (percentile(delays, 50), percentile(delays, 99)) if delays else (None, None)
        figures.update(p50=users["p50"], p99=users["p99"], rps=users["rps"], delay_p50=delay_p50, delay_p99=delay_p99,
                       load=(load_before, load))
        lines.append(
            f"{label}: {args.users:,} users (think {args.think:g} s) for {args.duration} s, {args.workers} API "
            f"workers: {users['rps']:,.0f} req/s, p50 {users['p50']:.1f} ms, p99 {users['p99']:.1f} ms, "
            f"{users['requests']:,} requests ({users['not_modified'] / max(users['requests'], 1):.0%} 304), "
            f"non-2xx/3xx {users['non2xx']}, socket errors {users['errors']}, workers restarted {restarted}; API CPU {api_cpu:.1f} s = "
            f"{api_cpu * 1000 / max(users['requests'], 1):.2f} ms a request, streams included (load average "
            f"{load_before:.1f} -> {load:.1f})")
        lines.append(
            f"{label}: CPU on the 2 shared cores during those {args.duration} s: API {api_cpu:.1f} s, wrk {users['cpu']:.1f} s, "
            f"stream listeners {listeners_cpu:.1f} s (of {2 * args.duration} core-seconds); {worker}")
        lines.append(
            f"{label}: {deliveries['connected']:,} stream listeners: {len(live)} new events, {got:,} of "
            f"{expected:,} deliveries, delay indexed->received p50 {delay_p50:.0f} ms, "
            f"p99 {delay_p99:.0f} ms, listener errors {deliveries['errors']} (load average {load:.1f})"
            if delays else f"{label}: stream listeners received nothing: {deliveries}")
        for line in lines:
            print(line, file=sys.stderr)
        for connections in (1000, 5000):
            cpu_before, workers_before = cpu_seconds(api.pid), workers(api.pid)
            flood = wrk(wrk_bin, base, connections, args.flood_duration, paths, 0)
            api_cpu = cpu_seconds(api.pid) - cpu_before
            restarted = len(workers_before - workers(api.pid))
            figures[f"flood{connections}"] = flood["rps"]
            lines.append(f"{label}: flood, same mix, {connections:,} connections: {flood['rps']:,.0f} req/s, "
                         f"p50 {flood['p50']:.1f} ms, p99 {flood['p99']:.1f} ms, non-2xx/3xx {flood['non2xx']}, "
                         f"socket errors {flood['errors']}, workers restarted {restarted}, {flood['not_modified'] / max(flood['requests'], 1):.0%} 304; "
                         f"API CPU {api_cpu * 1000 / max(flood['requests'], 1):.2f} ms a request, wrk CPU {flood['cpu']:.1f} s "
                         f"(load average {os.getloadavg()[0]:.1f})")
            print(lines[-1], file=sys.stderr)
    finally:
        for process in reversed(processes):
            stop(process)
    return lines, figures


def compare(ours: dict, theirs: dict) -> str:
    """This checkout's figures against the baseline's, as ratios (load beside them: they ran in turn)."""
    def ratio(key: str) -> str:
        a, b = ours.get(key), theirs.get(key)
        return f"{a:,.1f} vs {b:,.1f} ({b / a:.1f}x)" if a and b else f"{a} vs {b}"

    return (f"this checkout vs baseline (baseline / this): users p99 ms {ratio('p99')}, p50 ms {ratio('p50')}; "
            f"stream delay p50 ms {ratio('delay_p50')}, p99 ms {ratio('delay_p99')}; flood req/s at 1,000 "
            f"{ratio('flood1000')}, at 5,000 {ratio('flood5000')}; load average during users "
            f"{ours.get('load', (0, 0))[1]:.1f} vs {theirs.get('load', (0, 0))[1]:.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=5_000, help="events to make beyond one round of every kind")
    parser.add_argument("--users", type=int, default=5_000)
    parser.add_argument("--think", type=float, default=5.0, help="mean seconds between a user's page reads")
    parser.add_argument("--listeners", type=int, default=1_000, help="connections holding /stream open")
    parser.add_argument("--workers", type=int, default=2, help="API worker processes")
    parser.add_argument("--duration", type=int, default=30, help="seconds of user load")
    parser.add_argument("--flood-duration", type=int, default=10)
    parser.add_argument("--tx-interval", type=float, default=0.5, help="seconds between deposits sent meanwhile")
    parser.add_argument("--baseline", type=Path, metavar="TREE",
                        help="also run the same load against another checkout's indexer (e.g. the main branch)")
    parser.add_argument("--postgresql", dest="database", action="store_const", const="PostgreSQL", default="SQLite")
    args = parser.parse_args(argv)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # wrk, uvicorn and the listeners inherit it
    os.environ["APE_FOUNDRY_HOST"] = f"http://127.0.0.1:{free_port()}"

    from ape import accounts, networks
    from ape.logging import logger
    from ape_foundry.provider import FoundryProvider

    build_command = FoundryProvider.build_command  # no --steps-tracing (see bench/indexer.py)
    FoundryProvider.build_command = lambda self: [arg for arg in build_command(self) if arg != "--steps-tracing"]
    logger.set_level("ERROR")
    wrk_bin = ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="tutti-bench-api-"))
    os.chmod(work, 0o755)  # noqa: S103 - the postgres user enters it (a PostgreSQL run)
    lines = []
    postgres = None
    with networks.parse_network_choice("ethereum:local:foundry"):
        rpc_url, book = make_events(args.events, work / "deployments")
        try:
            if args.database == "PostgreSQL":
                (work / "pg").mkdir()
                db_url, prefix, data = start_postgres(work / "pg")
                postgres = (prefix, data)
            else:
                db_url = f"sqlite:///{work / 'index.sqlite3'}"
            events, seconds, _cpu, _stages = backfill(db_url, rpc_url, book)
            print(f"indexed {events:,} events in {seconds:.0f} s", file=sys.stderr)
            from ape import project

            splitter = project.RoyaltySplitter.at(book.address("RoyaltySplitter"))
            song_split = project.ContentRegistry.at(book.address("ContentRegistry")).work(1).splitId
            deposit = "0x" + splitter.depositETH.encode_input(song_split).hex().removeprefix("0x")
            common = (wrk_bin, rpc_url, work / "deployments", splitter.address, deposit,
                      accounts.test_accounts[4].address, work)
            lines, ours = measure(args, wrk_bin, db_url, *common[1:])
            if args.baseline:
                from bench.indexer import baseline_backfill

                other = f"sqlite:///{work / 'baseline.sqlite3'}"
                baseline_backfill(args.baseline, other, rpc_url, work / "deployments")
                more, theirs = measure(args, wrk_bin, other, *common[1:], tree=args.baseline,
                                       name=f" (baseline {args.baseline})")
                lines += [*more, compare(ours, theirs)]
        finally:
            if postgres:
                stop_postgres(*postgres)
            shutil.rmtree(work, ignore_errors=True)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
