"""Web app figures: the JavaScript the first page (the works list) loads, raw and gzip -9, from
esbuild's metafile (web/app/dist/meta.json), against the goal of 300 KB compressed; and the time to
first render of the works list with 10,000 works indexed, in headless Chromium.

    source bin/env && python bench/webapp.py [--works 10000] [--runs 5] [--baseline OTHER_BUILD/web/app/dist]

The 10,000 works (with their metadata: titles, artists, AI-made flags; every tenth a derivative)
are written straight into a fresh SQLite index through the indexer's own tables (``indexer.schema``),
not made on a chain: registering 10,000 works would take an hour of transactions and measure the
chain, not the page. ``tutti-indexer serve`` answers; the built app is served as static files
(config.json beside it, as the platform writes it); bench/webapp_first_render.mjs opens the list in
a fresh browser context per run and times, from navigation start, the first row on screen and the
first row with its title, then a title search. ``--baseline`` times another build of the app (e.g.
the main branch's, which lists works 500 at a time and reads titles from IPFS one by one) against
the same API in the same run; it has no IPFS gateway here, so its titles never come.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the indexer package, not bench/indexer.py

from bench.processes import start, stop  # noqa: E402

DIST = ROOT / "web" / "app" / "dist"
GOAL = 300 * 1024
DRIVER = Path(__file__).with_name("webapp_first_render.mjs")
SEARCH = "No. 7777"
ADJECTIVES = ["Blue", "Quiet", "Electric", "Golden", "Broken", "Northern", "Slow"]
NOUNS = ["Morning", "River", "Machine", "Waltz", "Signal", "Harbour", "Echo", "Garden", "Orbit", "Lantern", "Tide"]
LICENCES = ["CC-BY-4.0", "CC-BY-NC-4.0", "CC0-1.0", "All rights reserved"]


def first_page_files(meta: dict) -> list[str]:
    """app.js and every chunk it imports statically (dynamic imports load with later pages)."""
    outputs = meta["outputs"]
    entry = next(name for name in outputs if name.endswith("/app.js") or name == "app.js")
    seen, todo = [], [entry]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.append(name)
        todo += [item["path"] for item in outputs[name].get("imports", []) if item["kind"] == "import-statement"]
    return seen


def fill_index(url: str, count: int) -> None:
    """``count`` works with metadata (and every tenth a derivative of the work before it)."""
    from indexer import schema
    from indexer.db import make_engine, migrate, writer

    engine = make_engine(url, pool_size=1)
    migrate(engine)
    works, metadata, parents = [], [], []
    for i in range(1, count + 1):
        account = f"0x{i:040x}"
        cid = f"bafkbenchwork{i:08d}"
        works.append({"work_id": i, "artist": account, "owner": account, "content_hash": f"0x{i:064x}",
                      "metadata_cid": cid, "license": LICENCES[i % len(LICENCES)], "royalty_bps": 1000,
                      "split_id": i, "wallet": account, "wallet_deployed": False, "registered_block": i,
                      "registered_tx": f"0x{i:064x}"})
        metadata.append({"cid": cid, "status": "ok", "seq": i, "attempts": 1, "next_attempt_at": 0, "fetched_at": 0,
                         "title": f"{ADJECTIVES[i % 7]} {NOUNS[i % 11]} No. {i}", "artist_name": f"Artist {i % 997}",
                         "description": None, "ai": i % 5 == 0, "error": None})
        if i % 10 == 0:
            parents.append({"event_id": i * 1_000_000, "block_number": i, "tx_hash": f"0x{i:064x}", "work_id": i,
                            "parent_work_id": i - 1, "share_bps": 1000})
    with writer(engine).begin() as connection:
        connection.execute(schema.works.insert(), works)
        connection.execute(schema.work_metadata.insert(), metadata)
        connection.execute(schema.work_parents.insert(), parents)
    engine.dispose()


def _wait(url: str) -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def _start(argv: list[str], **kwargs) -> subprocess.Popen:
    return start(argv, stdout=subprocess.DEVNULL, **kwargs)


def _median(results: list[dict], key: str) -> float | None:
    values = [r[key] for r in results]
    return statistics.median(values) if None not in values else None


def first_render(count: int, runs: int, baseline: Path | None) -> list[str]:
    """Time to first render of the works list (this build, and ``baseline`` if given)."""
    from tutti.net import free_port

    work = Path(tempfile.mkdtemp(prefix="tutti-bench-webapp-"))
    processes = []
    lines = []
    try:
        url = f"sqlite:///{work / 'index.sqlite3'}"
        started = time.perf_counter()
        fill_index(url, count)
        print(f"filled an index with {count:,} works in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        api_port = free_port()
        api = f"http://127.0.0.1:{api_port}"
        processes.append(_start([sys.executable, "-m", "indexer.cli", "serve", "--database-url", url, "--port",
                                 str(api_port)], env={**os.environ, "PYTHONPATH": str(ROOT),
                                                      "TUTTI_INDEXER_CORS_ORIGINS": "*"}))
        _wait(f"{api}/health")
        builds = [("this build", DIST)] + ([("baseline " + str(baseline), baseline)] if baseline else [])
        for name, dist in builds:
            site = work / f"site-{len(lines)}"
            shutil.copytree(dist, site)
            # No chain: the works list reads only the indexer (the RPC URL points at a closed port).
            (site / "config.json").write_text(json.dumps({"indexerUrl": api, "chainId": 31337,
                                                          "rpcUrl": "http://127.0.0.1:9"}))
            port = free_port()
            server = _start([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory",
                             str(site)], stderr=subprocess.DEVNULL)
            processes.append(server)
            _wait(f"http://127.0.0.1:{port}/index.html")
            out = subprocess.run(["node", str(DRIVER), f"http://127.0.0.1:{port}", str(runs), SEARCH], cwd=ROOT,
                                 capture_output=True, text=True, timeout=900)
            results = json.loads(out.stdout.strip().splitlines()[-1]) if out.stdout.strip() else None
            if not results:
                lines.append(f"{name}: the browser driver failed: {out.stderr[-500:]}")
                continue
            titled, searched = _median(results, "titled"), _median(results, "searchMs")
            lines.append(
                f"works list, {count:,} works indexed, {name}: first row {_median(results, 'firstRow'):.0f} ms, "
                f"first title {'%.0f ms' % titled if titled is not None else 'never (no IPFS gateway)'}, "
                f"{results[0]['rows']} rows on the first screen, search {SEARCH!r} "
                f"{'%.0f ms' % searched if searched is not None else 'never narrowed'} "
                f"(median of {runs} cold loads in headless Chromium; load average {os.getloadavg()[0]:.1f})")
            print(lines[-1], file=sys.stderr)
    finally:
        for process in reversed(processes):
            stop(process, timeout=20)
        shutil.rmtree(work, ignore_errors=True)
    return lines


def bundle_size() -> None:
    meta_file = DIST / "meta.json"
    if not meta_file.exists():
        sys.exit("build the app first: (cd web/app && npm run build)")
    meta = json.loads(meta_file.read_text())
    files = first_page_files(meta)
    root = DIST.parent
    raw = sum((root / name).stat().st_size for name in files)
    packed = sum(len(gzip.compress((root / name).read_bytes(), 9)) for name in files)
    every = [name for name in meta["outputs"] if name.endswith(".js")]
    all_packed = sum(len(gzip.compress((root / name).read_bytes(), 9)) for name in every)
    print(f"first page: {len(files)} JS files, {raw / 1024:.0f} KiB raw, {packed / 1024:.0f} KiB gzip -9 "
          f"(goal < {GOAL // 1024} KiB: {'met' if packed < GOAL else 'NOT met'})")
    print(f"whole app:  {len(every)} JS files, {all_packed / 1024:.0f} KiB gzip -9")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--works", type=int, default=10_000, help="works in the index for the first-render figure")
    parser.add_argument("--runs", type=int, default=5, help="cold loads of the works list")
    parser.add_argument("--baseline", type=Path, metavar="DIST", help="another build of the app to time alike")
    args = parser.parse_args()
    bundle_size()
    if args.works:
        print("\n".join(first_render(args.works, args.runs, args.baseline)))


if __name__ == "__main__":
    main()
