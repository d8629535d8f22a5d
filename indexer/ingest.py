"""Following the chain: adaptive ``eth_getLogs`` ranges, reorg detection and rollback, checkpoints.

One batch = one database transaction holding its rows, the undo journal, the block hashes and the
checkpoint: a process killed at any instant leaves either all of a batch or none of it.

A batch proves that what it read is one chain descending from the checkpoint: after
``eth_getLogs`` it reads the header of every block of the range, and commits only if each header's
parent hash is the hash of the block before it (the checkpoint's for the first one) and every log's
block hash is its block's. A reorg landing while the batch reads shows as a broken link and the
batch is read again. If the first block's parent is not the checkpoint, the chain reorganized
below it: the indexer walks back through the block hashes it kept until the node agrees (the fork
point), undoes everything above it, and ingests again. A fork point below the undo history marks
the index unhealthy (``checkpoint.problem``, shown by /health) until ``tutti-indexer reindex``.

Ranges are read ahead: while one batch is written, fetcher threads read the next few ranges (each
its logs, then its headers, then decodes the logs), so the node's time and the sockets' waits
overlap this process's work. Batches still commit strictly in order, each checked against the
checkpoint the one before it left; a range that fails a check drops everything read after it.
"""

from __future__ import annotations

import gc
import logging
import threading
from contextlib import contextmanager
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from operator import attrgetter
from dataclasses import dataclass, field
from typing import Callable, Iterator

from sqlalchemy import Engine, insert, select, update
from web3 import Web3

from indexer import handlers, schema, store
from indexer.abis import EventDecoder, load_abis
from indexer.config import IndexerSettings
from indexer.db import writer
from indexer.rpc import NodeRefused, Rpc
from tutti.addressbook import AddressBook

logger = logging.getLogger(__name__)

#: The address-book contracts whose events are indexed. A name missing from an older deployment's
#: book is skipped: its tables stay empty.
INDEXED_CONTRACTS = ("TuttiToken", "TuttiGovernor", "TuttiTimelock", "RoyaltySplitter", "ContentRegistry", "OracleHub",
                     "AccessPass", "UsageRoyalties",
                     "LicenseOffers")


#: Headers per JSON-RPC batch request (public nodes cap batches at a few hundred calls).
HEADER_BATCH = 500

REINDEX_ADVICE = "run `tutti-indexer reindex` (same --database-url), then start `tutti-indexer run` again"


class ReorgTooDeep(RuntimeError):
    """The chain changed below the undo history kept (``reorg_window``); reindex from scratch."""


class IndexUnhealthy(RuntimeError):
    """The index was marked unusable (``checkpoint.problem``); only a reindex clears it."""


@dataclass
class Checkpoint:
    block_number: int
    block_hash: str
    block_timestamp: int
    journal_floor: int
    problem: str | None = None


@dataclass
class Fetched:
    """One range as a fetcher read it: decoded logs in chain order and every header (read after the
    logs), or why not (the node refused the range; ``headers`` None: a block vanished meanwhile)."""
    logs: list = field(default_factory=list)
    headers: list[dict] | None = None
    raw_logs: int = 0
    refused: NodeRefused | None = None


@dataclass
class BatchResult:
    from_block: int
    to_block: int
    logs: int
    rolled_back_to: int | None = None
    #: The chain changed while the batch read it (or the head went back): nothing was written.
    retry: bool = False


def read_checkpoint(engine_or_connection) -> Checkpoint | None:
    query = select(schema.checkpoint).where(schema.checkpoint.c.id == 1)
    if isinstance(engine_or_connection, Engine):
        with engine_or_connection.connect() as connection:
            row = connection.execute(query).mappings().first()
    else:
        row = engine_or_connection.execute(query).mappings().first()
    if row is None:
        return None
    return Checkpoint(row["block_number"], row["block_hash"], row["block_timestamp"], row["journal_floor"],
                      row["problem"])


class Indexer:
    """Follows one deployment's contracts into one database."""

    def __init__(self, rpc: Rpc | Web3 | str, engine: Engine, book: AddressBook, settings: IndexerSettings,
                 abis: dict[str, list[dict]] | None = None, *, on_event: Callable[[], None] | None = None,
                 throttle: float = 0.0, read_ahead: int = 3, fetchers: int = 2):
        self.stop_event = threading.Event()
        if isinstance(rpc, Web3):
            rpc = rpc.provider.endpoint_uri
        self.rpc = rpc if isinstance(rpc, Rpc) else Rpc(rpc, stop=self.stop_event)
        self.engine = engine
        self.writes = writer(engine)
        self.book = book
        self.settings = settings
        abis = abis or load_abis()
        contracts = {name: book.contracts[name] for name in INDEXED_CONTRACTS if name in book.contracts}
        self.decoder = EventDecoder(contracts, abis)
        # Ranges are queued before any density is known; a dense one comes back whole (100 full
        # blocks: 30,000 logs), then the ranges not yet started are cut again (``_requeue``).
        self.batch_blocks = min(100, settings.max_batch_blocks)
        self.on_batch = on_event
        self.throttle = throttle  # seconds per log: only for crash tests and demos
        self.events_ingested = 0
        #: Ranges read ahead, in order: (first block, last block, future ``Fetched``). While one batch
        #: is decoded and written, the next ``read_ahead`` ranges are fetched by ``fetchers`` threads
        #: (the node's time and the sockets' waits overlap this process's work); they are committed
        #: strictly in order, each checked against the checkpoint the one before it left.
        self.read_ahead = read_ahead
        self._ahead: deque[tuple[int, int, Future]] = deque()
        self._fetcher = ThreadPoolExecutor(max_workers=fetchers, thread_name_prefix="indexer-fetch")
        self._target = self._next_block = 0
        chain_id = self.rpc.chain_id()
        if chain_id != book.chain_id:
            raise RuntimeError(f"the address book is for chain id {book.chain_id}, the node reports {chain_id}")

    # ------------------------------------------------------------------ loop
    def run(self, *, until_head: bool = False) -> None:
        """Follow the chain until stopped (or, with ``until_head``, until caught up)."""
        with _few_collections():
            while not self.stop_event.is_set():
                try:
                    result = self.step()
                except InterruptedError:  # stop requested while an RPC call was being retried
                    return
                if result is None or result.retry:
                    if until_head and result is None:
                        return
                    self.stop_event.wait(self.settings.poll_interval)

    def sync(self) -> None:
        """Catch up with the (confirmed) head, then return."""
        self.run(until_head=True)

    def step(self) -> BatchResult | None:
        """Ingest one batch (or undo one reorg); None when already at the confirmed head."""
        checkpoint = read_checkpoint(self.engine)
        if checkpoint is not None and checkpoint.problem:
            raise IndexUnhealthy(checkpoint.problem)
        last = checkpoint.block_number if checkpoint else self.book.start_block - 1
        if not self._ahead or self._ahead[0][0] != last + 1:
            # Nothing read ahead for this checkpoint: ask for the head (only here: while ranges are
            # queued the head is not asked again; a head that went back shows as vanished blocks).
            self._drop_ahead()
            target = self.rpc.head() - self.settings.confirmations
            if last >= target:
                if checkpoint is None:
                    return None
                # At (or, after the head moved back, past) the confirmed head: wait while the node still
                # has the checkpoint's block; otherwise the chain was reorganized (or reset).
                current = self.rpc.block(last)
                if current is not None and current["hash"] == checkpoint.block_hash:
                    return None
                return self._reorganized(checkpoint)
            self._target, self._next_block = target, last + 1
            self._fill()
        from_block, to_block, future = self._ahead.popleft()
        self._fill()
        fetched: Fetched = future.result()
        if fetched.refused is not None:
            self._drop_ahead()
            if to_block == from_block:
                logger.warning("eth_getLogs for block %d refused (%s); retrying", from_block, fetched.refused)
                self.stop_event.wait(self.settings.poll_interval)
            else:
                self.batch_blocks = max(1, (to_block - from_block + 1) // 2)
                logger.info("eth_getLogs %d-%d refused (%s); trying %d blocks", from_block, to_block,
                            fetched.refused, self.batch_blocks)
            return BatchResult(from_block, from_block - 1, 0)  # range shrank; retry next step
        headers = fetched.headers
        if headers is None:
            self._drop_ahead()
            logger.warning("blocks %d-%d vanished while reading them (the head went back); retrying",
                           from_block, to_block)
            return BatchResult(from_block, from_block - 1, 0, retry=True)
        if checkpoint is not None and headers[0]["parentHash"] != checkpoint.block_hash:
            self._drop_ahead()
            return self._reorganized(checkpoint)
        broken = _broken_link(headers)
        if broken is not None:
            self._drop_ahead()
            logger.warning("block %d changed while reading blocks %d-%d; reading them again", broken,
                           from_block, to_block)
            return BatchResult(from_block, from_block - 1, 0, retry=True)
        decoded = fetched.logs
        hashes = [header["hash"] for header in headers]
        for log in decoded:
            if hashes[log.block_number - from_block] != log.block_hash:
                self._drop_ahead()
                logger.warning("block %d changed while reading it; reading blocks %d-%d again", log.block_number,
                               from_block, to_block)
                return BatchResult(from_block, from_block - 1, 0, retry=True)
        self._adapt(fetched.raw_logs, to_block - from_block + 1)
        if fetched.raw_logs > 2 * self.settings.target_batch_logs:
            self._requeue()  # the ranges not yet started were sized for a sparser stretch
        self._commit(checkpoint, headers, decoded)
        self.events_ingested += len(decoded)
        if self.on_batch is not None:
            self.on_batch()
        return BatchResult(from_block, to_block, len(decoded))

    # ------------------------------------------------------------------ pieces
    def _fill(self) -> None:
        """Queue the next ranges up to the target, ``read_ahead`` of them in flight (one while throttled)."""
        depth = 1 if self.throttle else self.read_ahead
        while len(self._ahead) < depth and self._next_block <= self._target:
            from_block = self._next_block
            to_block = min(self._target, from_block + self.batch_blocks - 1)
            self._ahead.append((from_block, to_block, self._fetcher.submit(self._fetch, from_block, to_block)))
            self._next_block = to_block + 1

    def _requeue(self) -> None:
        """Queue again, at the current range size, the ranges read ahead that no fetcher has started."""
        while self._ahead and self._ahead[-1][2].cancel():
            self._next_block = self._ahead.pop()[0]
        self._fill()

    def _drop_ahead(self) -> None:
        """Forget the ranges read ahead (the chain or the range size changed): they are read again."""
        for _from, _to, future in self._ahead:
            future.cancel()  # one already running finishes in the background; its answer is dropped
        self._ahead.clear()

    def _fetch(self, from_block: int, to_block: int) -> Fetched:
        """One range's logs, then (after them: they prove what the logs came from) its headers, and the
        logs decoded in chain order. Runs in a fetcher thread; nothing here writes."""
        try:
            raw_logs = self.rpc.logs(from_block, to_block, self.decoder.addresses)
        except NodeRefused as exc:
            return Fetched(refused=exc)
        headers = self._headers(from_block, to_block)
        if headers is None:
            return Fetched()
        decoded = [d for d in map(self.decoder.decode, raw_logs) if d is not None]
        decoded.sort(key=_event_order)  # nodes answer in chain order: a pass over sorted data
        return Fetched(decoded, headers, len(raw_logs))

    def _headers(self, from_block: int, to_block: int) -> list[dict] | None:
        """Every header of the range, or None if the node no longer has one of them."""
        headers: list[dict] = []
        for start in range(from_block, to_block + 1, HEADER_BATCH):
            chunk = self.rpc.blocks(list(range(start, min(to_block, start + HEADER_BATCH - 1) + 1)))
            if any(header is None for header in chunk):
                return None
            headers.extend(chunk)
        return headers

    def _adapt(self, log_count: int, blocks: int) -> None:
        """Size the next ranges for ``target_batch_logs`` at the density just seen (logs per block),
        at most doubling at a time (an empty stretch says little about the next one)."""
        target = self.settings.target_batch_logs
        fit = blocks * target // log_count if log_count else 2 * self.batch_blocks
        self.batch_blocks = max(1, min(self.settings.max_batch_blocks, 2 * self.batch_blocks, fit))

    def _commit(self, checkpoint: Checkpoint | None, headers: list[dict], decoded) -> None:
        first, last_block = headers[0], headers[-1]
        to_block = last_block["number"]
        with self.writes.begin() as connection:
            writer = store.Writer(connection)
            for log in decoded:
                handlers.apply(writer, log)
                if self.throttle:
                    time.sleep(self.throttle)
            writer.flush()
            handlers.refresh_proposal_states(writer, to_block)
            writer.flush()
            # Kept: the batch's edges and every block with a log (the fork-point search walks them).
            kept = {first["number"], to_block} | {log.block_number for log in decoded}
            store.BulkWriter(connection).insert(schema.blocks.name, ("number", "hash", "parent_hash"), [
                (number, headers[number - first["number"]]["hash"], headers[number - first["number"]]["parentHash"])
                for number in sorted(kept)
            ])
            floor = checkpoint.journal_floor if checkpoint else self.book.start_block - 1
            new_floor = max(floor, to_block - self.settings.reorg_window)
            if new_floor > floor:
                store.prune_journal(connection, new_floor)
            values = {"chain_id": self.book.chain_id, "block_number": to_block,
                      "block_hash": last_block["hash"], "block_timestamp": last_block["timestamp"],
                      "journal_floor": new_floor}
            if checkpoint is None:
                connection.execute(insert(schema.checkpoint), {"id": 1, **values})
            else:
                connection.execute(update(schema.checkpoint).where(schema.checkpoint.c.id == 1).values(**values))

    def _block_hash(self, number: int) -> str | None:
        block = self.rpc.block(number)
        return block["hash"] if block is not None else None

    def _reorganized(self, checkpoint: Checkpoint) -> BatchResult:
        ancestor = self._rollback_to_fork(checkpoint)
        if ancestor is None:  # the node moved again while we looked: look again after a pause
            return BatchResult(checkpoint.block_number + 1, checkpoint.block_number, 0, retry=True)
        return BatchResult(ancestor + 1, ancestor, 0, rolled_back_to=ancestor)

    def _rollback_to_fork(self, checkpoint: Checkpoint) -> int | None:
        """Find the newest kept block the node still has, undo everything above it; returns it
        (None if the node's answers changed meanwhile and nothing was undone)."""
        with self.engine.connect() as connection:
            kept = connection.execute(
                select(schema.blocks.c.number, schema.blocks.c.hash).order_by(schema.blocks.c.number.desc())
            ).all()
        ancestor = self.book.start_block - 1
        for number, block_hash in kept:
            if self._block_hash(number) == block_hash:
                ancestor = number
                break
        if ancestor >= checkpoint.block_number:
            return None
        if ancestor < checkpoint.journal_floor:
            problem = (f"the chain changed below block {checkpoint.journal_floor + 1} (fork point {ancestor}), "
                       f"deeper than the {self.settings.reorg_window} blocks of undo history: the index still "
                       f"holds the abandoned branch; {REINDEX_ADVICE}")
            with self.writes.begin() as connection:
                connection.execute(update(schema.checkpoint).where(schema.checkpoint.c.id == 1).values(problem=problem))
            logger.error("index unhealthy: %s", problem)
            raise ReorgTooDeep(problem)
        block = self.rpc.block(ancestor) if ancestor >= self.book.start_block else None
        if ancestor >= self.book.start_block and block is None:
            return None
        logger.warning("reorg: block %d changed; rolling back to block %d", checkpoint.block_number, ancestor)
        with self.writes.begin() as connection:
            replayed = store.rollback(connection, ancestor)
            if block is None:
                connection.execute(schema.checkpoint.delete())
            else:
                connection.execute(update(schema.checkpoint).where(schema.checkpoint.c.id == 1).values(
                    block_number=ancestor, block_hash=block["hash"], block_timestamp=block["timestamp"]))
        logger.info("undid %d changes above block %d", replayed, ancestor)
        return ancestor


_event_order = attrgetter("event_id")

#: Allocations between two young-generation collections while indexing (Python's default: 700).
GC_YOUNG_THRESHOLD = 100_000


@contextmanager
def _few_collections() -> Iterator[None]:
    """Collect cycles rarely while indexing. A batch allocates a few objects per log (the decoded
    log, its arguments, rows, journal entries), none of them in cycles, and keeps them until the
    commit; at the default threshold the cycle collector ran every 700 allocations and rescanned
    them all, a quarter of a backfill's CPU. Cycles are still collected, just less often; the
    process's thresholds are restored after."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], GC_YOUNG_THRESHOLD), *thresholds[1:])
    try:
        yield
    finally:
        if gc.get_threshold()[0] == max(thresholds[0], GC_YOUNG_THRESHOLD):
            gc.set_threshold(*thresholds)


def _broken_link(headers: list[dict]) -> int | None:
    """The first block whose parent hash is not its predecessor's hash, or None for one chain."""
    for previous, header in zip(headers, headers[1:]):
        if header["parentHash"] != previous["hash"]:
            return header["number"]
    return None


def reindex(engine: Engine) -> None:
    """Forget every block-derived row (events, entities, undo history, checkpoint) in one transaction,
    so the next ``run`` reads the chain again from the deployment's start block. The off-chain room
    directory stays."""
    with writer(engine).begin() as connection:
        for table in (*schema.CONTENT_TABLES, *schema.BOOKKEEPING_TABLES):
            connection.execute(table.delete())
