"""The API at scale: answers cached per indexed block with ETags and 304s, `serve --workers`, and
two API processes beside one writer on one PostgreSQL database."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
from fastapi.testclient import TestClient

from sqlalchemy import select

from indexer import schema
from indexer.api import create_app
from indexer.api.cache import REFRESH_CONCURRENCY, BlockCache
from indexer.api.main import VERSION_TTL_SECONDS
from tests.indexer.conftest import index
from tests.indexer.test_api import serving
from tests.indexer.test_faults import follower
from tutti import royalties
from tutti.activity import ETHER
from tutti.net import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_answers_carry_an_etag_and_revalidate_to_304_until_the_index_moves(
        activity, w3, tutti, rpc_url, new_database, fan):
    song = activity["works"][0]
    live = follower(rpc_url, tutti, new_database())
    live.sync()
    path = f"/deposits?work_id={song.work_id}&limit=500"
    with TestClient(create_app(engine=live.engine)) as client:
        first = client.get(path)
        etag = first.headers["etag"]
        assert first.status_code == 200 and etag.startswith('"') and first.headers["cache-control"] == "public, no-cache"
        again = client.get(path)  # from the cache: the same bytes
        assert again.content == first.content and again.headers["etag"] == etag
        for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            revalidated = client.get(path, headers={"If-None-Match": header})
            assert revalidated.status_code == 304 and revalidated.content == b"", header
            assert revalidated.headers["etag"] == etag
        assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
        # Neither errors nor the off-chain room directory are cached or tagged.
        assert "etag" not in client.get("/works/999999").headers
        assert "etag" not in client.get("/rooms").headers

        royalties.pay(tutti, fan, song.work_id, ETHER)
        live.sync()
        time.sleep(VERSION_TTL_SECONDS * 1.5)
        moved = client.get(path, headers={"If-None-Match": etag})  # a client alone reads the new block
        assert moved.status_code == 200 and moved.headers["etag"] != etag
        assert len(moved.json()["items"]) == len(first.json()["items"]) + 1
        # A block that changes nothing this answer holds keeps its ETag: still a 304.
        unchanged = client.get(f"/works/{song.work_id}/contributors")
        w3.provider.make_request("evm_mine", [])
        live.sync()
        time.sleep(VERSION_TTL_SECONDS * 1.5)
        assert client.get(f"/works/{song.work_id}/contributors",
                          headers={"If-None-Match": unchanged.headers["etag"]}).status_code == 304


def refreshed(client: TestClient, path: str, etag: str) -> httpx.Response:
    """The answer at ``path`` once its ETag is no longer ``etag`` (the background refresh is done)."""
    deadline = time.monotonic() + 10
    while (answer := client.get(path, headers={"If-None-Match": etag})).status_code == 304:
        assert time.monotonic() < deadline, f"{path} still answers {etag}"
        time.sleep(0.02)
    return answer


@contextmanager
def refreshes_held(client: TestClient) -> Iterator[None]:
    """No background refresh of the response cache completes meanwhile: the URLs they re-read stay
    'being re-read' (their permits are taken on the app's own event loop)."""
    cache = client.app.middleware_stack
    while not isinstance(cache, BlockCache):
        cache = cache.app
    for _ in range(REFRESH_CONCURRENCY):
        client.portal.call(cache.refreshing.acquire)
    try:
        yield
    finally:
        for _ in range(REFRESH_CONCURRENCY):
            client.portal.call(cache.refreshing.release)


def cache_outcome(client: TestClient, outcome: str) -> float:
    return float(re.search(rf'tutti_api_cache_total{{outcome="{outcome}"}} (\S+)', client.get("/metrics").text)[1])


def test_a_url_being_re_read_after_a_block_answers_the_previous_block_meanwhile(
        activity, tutti, rpc_url, new_database, fan):
    """The first request after a block reads its URL itself and starts re-reading the others served
    during the last block; a request for one of those meanwhile gets the last block's answer (and a
    304 for its ETag) at once, and the new one once it is read."""
    song = activity["works"][0]
    live = follower(rpc_url, tutti, new_database())
    live.sync()
    first, other = (f"/deposits?work_id={song.work_id}&limit={n}" for n in (500, 499))
    with TestClient(create_app(engine=live.engine)) as client:
        count = len(client.get(first).json()["items"])
        etag = client.get(other).headers["etag"]
        royalties.pay(tutti, fan, song.work_id, ETHER)
        live.sync()
        time.sleep(VERSION_TTL_SECONDS * 1.5)
        with refreshes_held(client):
            assert len(client.get(first).json()["items"]) == count + 1  # it noticed the block: read now
            assert client.get(other, headers={"If-None-Match": etag}).status_code == 304  # being re-read
            assert cache_outcome(client, "stale") == 1
        moved = refreshed(client, other, etag)
        assert len(moved.json()["items"]) == count + 1
        assert cache_outcome(client, "refresh") == 1  # (the polling may have got a stale answer or two more)


def test_stale_answers_are_served_for_one_block_only(activity, w3, tutti, rpc_url, new_database, fan):
    """Two blocks before the URL is asked again: its entry is two versions old, so the request waits
    for the fresh answer rather than getting one two blocks behind."""
    song = activity["works"][0]
    live = follower(rpc_url, tutti, new_database())
    live.sync()
    path = f"/deposits?work_id={song.work_id}&limit=500"
    with TestClient(create_app(engine=live.engine)) as client:
        count = len(client.get(path).json()["items"])
        with refreshes_held(client):  # the re-read of `path` the first block starts waits
            for _ in range(2):  # two new blocks, each seen by the API (through another URL)
                royalties.pay(tutti, fan, song.work_id, ETHER)
                live.sync()
                time.sleep(VERSION_TTL_SECONDS * 1.5)
                client.get("/works")
        # Still being re-read, but two blocks behind: the request waits for that read.
        assert len(client.get(path).json()["items"]) == count + 2


def test_a_reorg_is_never_answered_from_the_abandoned_branch(activity, chain, w3, tutti, rpc_url, new_database, fan):
    """A block replaced by another (anvil_reorg) and one more on top. The cached answers of the
    replaced block are one version behind but not the new checkpoint's ancestors: nothing is served
    from them while being re-read, every request waits for the new branch's answer."""
    song = activity["works"][0]
    live = follower(rpc_url, tutti, new_database())
    live.sync()
    first, other = (f"/deposits?work_id={song.work_id}&limit={n}" for n in (500, 499))
    with TestClient(create_app(engine=live.engine)) as client:
        etag = client.get(other).headers["etag"]
        royalties.pay(tutti, fan, song.work_id, ETHER)
        live.sync()
        time.sleep(VERSION_TTL_SECONDS * 1.5)
        assert client.get(first).json()["items"][-1]["amount"] == str(ETHER)
        abandoned = refreshed(client, other, etag)
        assert abandoned.json()["items"][-1]["amount"] == str(ETHER)
        split = tutti.registry.work(song.work_id).splitId
        payment = {"from": fan.address, "to": tutti.splitter.address, "value": hex(5 * ETHER),
                   "data": "0x" + tutti.splitter.depositETH.encode_input(split).hex().removeprefix("0x")}
        chain.provider.make_request("anvil_reorg", [1, [[payment, 0]]])
        chain.mine(1)
        live.sync()
        time.sleep(VERSION_TTL_SECONDS * 1.5)
        with refreshes_held(client):
            assert client.get(first).json()["items"][-1]["amount"] == str(5 * ETHER)
            after = client.get(other, headers={"If-None-Match": abandoned.headers["etag"]})
            assert after.status_code == 200 and after.json()["items"][-1]["amount"] == str(5 * ETHER)
        assert cache_outcome(client, "stale") == 0


def test_every_live_listener_gets_each_new_event_once_in_order(activity, tutti, rpc_url, new_database, fan):
    """150 listeners of one process's feed, over real sockets: each receives every event indexed
    while it listens, once, in order."""
    song = activity["works"][0]
    live = follower(rpc_url, tutti, new_database())
    live.sync()
    app = create_app(engine=live.engine, stream_poll=0.02)
    count = 150

    def index_three_deposits() -> list[int]:
        with live.engine.connect() as connection:
            last = connection.execute(select(schema.events.c.event_id).order_by(schema.events.c.event_id.desc())).first()[0]
        for _ in range(3):
            royalties.pay(tutti, fan, song.work_id, ETHER)
            live.sync()
        with live.engine.connect() as connection:
            return list(connection.execute(select(schema.events.c.event_id).where(schema.events.c.event_id > last)
                                           .order_by(schema.events.c.event_id)).scalars())

    async def listen(client: httpx.AsyncClient, ids: list[int]) -> None:
        async with client.stream("GET", "/stream") as response:
            async for line in response.aiter_lines():
                if line.startswith("id:"):
                    ids.append(int(line[3:]))

    async def run(url: str) -> tuple[list[int], list[list[int]]]:
        limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
            received: list[list[int]] = [[] for _ in range(count)]
            tasks = [asyncio.create_task(listen(client, ids)) for ids in received]
            deadline = time.monotonic() + 30
            while len(app.state.event_feed.subscribers) < count:
                assert time.monotonic() < deadline, "listeners did not subscribe"
                await asyncio.sleep(0.05)
            expected = await asyncio.to_thread(index_three_deposits)
            while any(len(ids) < len(expected) for ids in received) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.2)  # nothing more (no event twice)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            return expected, received

    with serving(app) as url:
        expected, received = asyncio.run(run(url))
    assert len(expected) >= 3
    assert all(ids == expected for ids in received), [ids for ids in received if ids != expected][:3]


def serve(url: str, *args: str) -> tuple[subprocess.Popen, str]:
    """`tutti-indexer serve` on a free port, once it answers; returns the process and its base URL."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "indexer.cli", "serve", "--database-url", url,
                                "--port", str(port), *args], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    stop(process)
    raise AssertionError(f"serve {args} did not answer within 60 s")


def stop(process: subprocess.Popen) -> int:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        return process.wait()


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_serve_with_several_workers_answers_from_each(activity, w3, tutti, tmp_path):
    url = f"sqlite:///{tmp_path / 'index.sqlite3'}"
    index(w3, tutti, url).dispose()
    process, base = serve(url, "--workers", "2")
    try:
        assert len(children(process.pid)) >= 2  # uvicorn's supervisor and its two worker processes
        with httpx.Client(base_url=base, timeout=30) as session:
            answers = [session.get(path) for path in ("/works", "/deposits?limit=5", "/events?limit=3") * 20]
        assert {a.status_code for a in answers} == {200}
        assert len({a.headers["etag"] for a in answers}) == 3  # every worker answers the same bytes
    finally:
        assert stop(process) == 0


def test_two_api_processes_and_one_writer_share_one_postgresql(
        activity, tutti, rpc_url, deployments_dir, new_database, fan):
    """The deployment of docs/indexer.md on one machine: `run` writes, two `serve` processes (they
    could be on other machines) read the same database; both serve the same advancing index."""
    song = activity["works"][0]
    url = new_database("postgresql")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TUTTI_INDEXER_DATABASE_URL": url,
           "TUTTI_INDEXER_RPC_URL": rpc_url, "TUTTI_DEPLOYMENTS_DIR": str(deployments_dir)}
    writer = subprocess.Popen([sys.executable, "-m", "indexer.cli", "run", "--poll-interval", "0.1"], cwd=ROOT,
                              env=env, start_new_session=True)
    apis = []
    try:
        apis = [serve(url), serve(url)]
        path = f"/deposits?work_id={song.work_id}&limit=500"

        def read_all() -> list[tuple[int, int]]:
            seen = []
            for _, base in apis:
                health = httpx.get(f"{base}/health", timeout=10).json()
                deposits = httpx.get(f"{base}{path}", timeout=10).json()["items"]
                seen.append((health["block_number"] or 0, len(deposits)))
            return seen

        history = [read_all()]
        head = None
        for _ in range(4):
            receipt = royalties.pay(tutti, fan, song.work_id, ETHER)
            head = receipt.block_number
            deadline = time.monotonic() + 30
            while (seen := read_all()) and min(block for block, _ in seen) < head:
                assert time.monotonic() < deadline, f"the APIs stayed at {seen}, head {head}"
                time.sleep(0.1)
            history.append(seen)
        for api in range(2):  # each API's view only moves forward, block and deposits alike
            blocks = [step[api][0] for step in history]
            counts = [step[api][1] for step in history]
            assert blocks == sorted(blocks) and counts == sorted(counts) and counts[-1] == counts[0] + 4
        first, second = (httpx.get(f"{base}{path}", timeout=10) for _, base in apis)
        assert first.content == second.content and first.headers["etag"] == second.headers["etag"]
    finally:
        for process, _ in apis:
            stop(process)
        stop(writer)
