"""Ranges read ahead by several fetcher threads: committed strictly in order whatever order the node
answers in, a fault in any fetcher retried there, and ranges sized by the log density seen."""

from __future__ import annotations

import threading
import time

from indexer.db import make_engine, migrate
from indexer.ingest import Indexer
from tests.indexer.conftest import dump, index, settings_for
from tests.indexer.rpc_proxy import RpcProxy


def reader(rpc_url, tutti, url, **overrides) -> Indexer:
    engine = make_engine(url, pool_size=2)
    migrate(engine)
    return Indexer(rpc_url, engine, tutti.book, settings_for(url, **overrides), read_ahead=4, fetchers=3)


def committed_ranges(live: Indexer) -> list[tuple[int, int]]:
    """Record the (first, last) block of every batch ``live`` commits, in commit order."""
    ranges: list[tuple[int, int]] = []
    commit = live._commit

    def recording(checkpoint, headers, decoded):
        commit(checkpoint, headers, decoded)
        ranges.append((headers[0]["number"], headers[-1]["number"]))

    live._commit = recording
    return ranges


def get_logs_from(payload) -> int | None:
    if isinstance(payload, dict) and payload.get("method") == "eth_getLogs":
        return int(payload["params"][0]["fromBlock"], 16)
    return None


def test_ranges_answered_out_of_order_are_committed_in_order(activity, w3, tutti, rpc_url, new_database):
    """Every third eth_getLogs answer is held back 0.3 s, so later ranges arrive before earlier ones;
    the batches still commit one after another, each starting where the last one ended."""
    asked: list[int] = []
    answered: list[int] = []  # first block of each eth_getLogs, in the order the answers left
    lock = threading.Lock()
    with RpcProxy(rpc_url) as proxy:
        def hold_back_some(payload, answer):
            start = get_logs_from(payload)
            if start is not None:
                with lock:
                    asked.append(start)
                    hold = len(asked) % 3 == 1
                if hold:
                    time.sleep(0.3)
                with lock:
                    answered.append(start)
            return answer

        proxy.after = hold_back_some
        live = reader(proxy.url, tutti, new_database(), max_batch_blocks=3, target_batch_logs=4)
        ranges = committed_ranges(live)
        live.sync()
    assert answered != sorted(answered), "no range was answered out of order"
    assert len(ranges) > 10
    assert all(later[0] == earlier[1] + 1 for earlier, later in zip(ranges, ranges[1:])), ranges
    assert dump(live.engine) == dump(index(w3, tutti, new_database()))


def test_a_fault_in_a_read_ahead_fetch_is_retried_in_its_thread(activity, w3, tutti, rpc_url, new_database,
                                                                 caplog):
    """The first attempt of every eth_getLogs loses its connection: each fetcher retries its own range
    (logged, counted) and the index is the same as a clean one."""
    seen: set[int] = set()
    with RpcProxy(rpc_url) as proxy:
        def drop_first_attempt(payload):
            start = get_logs_from(payload)
            if start is None or start in seen:
                return None
            seen.add(start)
            return "drop"

        proxy.fault = drop_first_attempt
        live = reader(proxy.url, tutti, new_database(), max_batch_blocks=5, target_batch_logs=8)
        live.rpc.backoff = 0.01
        with caplog.at_level("WARNING", logger="indexer.rpc"):
            live.sync()
    assert len(seen) > 5 and proxy.injected == len(seen)
    assert live.rpc.faults == proxy.injected
    retried = [r for r in caplog.records if r.name == "indexer.rpc" and "eth_getLogs failed" in r.getMessage()]
    assert len(retried) == proxy.injected
    assert dump(live.engine) == dump(index(w3, tutti, new_database()))


def test_ranges_are_sized_by_the_log_density_seen(activity, tutti, rpc_url, new_database):
    live = reader(rpc_url, tutti, new_database(), max_batch_blocks=1000, target_batch_logs=100)
    live.batch_blocks = 10
    live._adapt(1000, 10)  # 100 logs a block: one block holds the target
    assert live.batch_blocks == 1
    live._adapt(0, 1)  # an empty range says little: double
    assert live.batch_blocks == 2
    live._adapt(5, 2)  # 40 blocks would fit, but a range at most doubles
    assert live.batch_blocks == 4
    live._adapt(150, 4)  # too dense: shrink at once, to what fits
    assert live.batch_blocks == 2
    live.batch_blocks = 800
    live._adapt(0, 800)
    assert live.batch_blocks == 1000  # never past max_batch_blocks


def test_ranges_no_fetcher_started_are_queued_again_at_a_new_size(activity, tutti, rpc_url, new_database):
    """A batch far denser than the ranges were sized for: the queued ranges not yet started are cut
    again at the new size; the one being fetched is kept; the queue stays contiguous."""
    release = threading.Event()
    with RpcProxy(rpc_url) as proxy:
        def hold_get_logs(payload, answer):
            if get_logs_from(payload) is not None:
                release.wait(10)
            return answer

        proxy.after = hold_get_logs
        engine = make_engine(url := new_database(), pool_size=2)
        migrate(engine)
        live = Indexer(proxy.url, engine, tutti.book, settings_for(url), read_ahead=4, fetchers=1)
        start = tutti.book.start_block
        live.batch_blocks, live._target, live._next_block = 8, start + 13, start
        live._fill()  # four ranges of 8 blocks are asked for; the one fetcher holds the first
        for _ in range(100):
            if proxy.count("eth_getLogs"):
                break
            time.sleep(0.05)
        live.batch_blocks = 2
        live._requeue()
        queued = [(first, last) for first, last, _future in live._ahead]
        live.stop_event.set()  # the fetch under way ends (its node, the proxy, goes away next)
        release.set()
        live._drop_ahead()
    assert queued == [(start, start + 7), (start + 8, start + 9), (start + 10, start + 11), (start + 12, start + 13)]
