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
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from operator import attrgetter
from dataclasses import dataclass
from typing import Callable

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
                 throttle: float = 0.0):
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
        self.batch_blocks = min(100, settings.max_batch_blocks)
        self.on_batch = on_event
        self.throttle = throttle  # seconds per log: only for crash tests and demos
        self.events_ingested = 0
        self._prefetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="indexer-prefetch")
        self._prefetched: tuple[int, int, Future] | None = None
        chain_id = self.rpc.chain_id()
        if chain_id != book.chain_id:
            raise RuntimeError(f"the address book is for chain id {book.chain_id}, the node reports {chain_id}")

    # ------------------------------------------------------------------ loop
    def run(self, *, until_head: bool = False) -> None:
        """Follow the chain until stopped (or, with ``until_head``, until caught up)."""
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
        target = self.rpc.head() - self.settings.confirmations
        last = checkpoint.block_number if checkpoint else self.book.start_block - 1
        if last >= target:
            if checkpoint is None:
                return None
            # At (or, after the head moved back, past) the confirmed head: wait while the node still
            # has the checkpoint's block; otherwise the chain was reorganized (or reset).
            current = self.rpc.block(last)
            if current is not None and current["hash"] == checkpoint.block_hash:
                return None
            return self._reorganized(checkpoint)
        from_block = last + 1
        to_block = min(target, from_block + self.batch_blocks - 1)
        prefetched = self._take_prefetched(from_block, to_block)
        if prefetched is not None:
            to_block, raw_logs = prefetched
        else:
            raw_logs = self._get_logs(from_block, to_block)
        if raw_logs is None:
            return BatchResult(from_block, from_block - 1, 0)  # range shrank; retry next step
        # Read after the logs: the headers prove what the logs came from (see the module's docstring).
        headers = self._headers(from_block, to_block)
        if headers is None:
            logger.warning("blocks %d-%d vanished while reading them (the head went back); retrying",
                           from_block, to_block)
            return BatchResult(from_block, from_block - 1, 0, retry=True)
        if checkpoint is not None and headers[0]["parentHash"] != checkpoint.block_hash:
            return self._reorganized(checkpoint)
        broken = _broken_link(headers)
        if broken is not None:
            logger.warning("block %d changed while reading blocks %d-%d; reading them again", broken,
                           from_block, to_block)
            return BatchResult(from_block, from_block - 1, 0, retry=True)
        decode = self.decoder.decode
        decoded = [d for d in map(decode, raw_logs) if d is not None]
        decoded.sort(key=_event_order)  # nodes answer in chain order: a pass over sorted data
        hashes = [header["hash"] for header in headers]
        for log in decoded:
            if hashes[log.block_number - from_block] != log.block_hash:
                logger.warning("block %d changed while reading it; reading blocks %d-%d again", log.block_number,
                               from_block, to_block)
                return BatchResult(from_block, from_block - 1, 0, retry=True)
        self._adapt(len(raw_logs))
        # The next range's logs are read while this batch is written (they are checked like any
        # others: its headers are read after them).
        self._prefetch(to_block + 1, min(target, to_block + self.batch_blocks))
        self._commit(checkpoint, headers, decoded)
        self.events_ingested += len(decoded)
        if self.on_batch is not None:
            self.on_batch()
        return BatchResult(from_block, to_block, len(decoded))

    # ------------------------------------------------------------------ pieces
    def _get_logs(self, from_block: int, to_block: int) -> list | None:
        """Logs of the range, shrinking it while the node refuses (too many results)."""
        try:
            logs = self.rpc.logs(from_block, to_block, self.decoder.addresses)
        except NodeRefused as exc:
            if to_block == from_block:
                logger.warning("eth_getLogs for block %d refused (%s); retrying", from_block, exc)
                self.stop_event.wait(self.settings.poll_interval)
                return None
            self.batch_blocks = max(1, (to_block - from_block + 1) // 2)
            logger.info("eth_getLogs %d-%d refused (%s); trying %d blocks", from_block, to_block, exc,
                        self.batch_blocks)
            return None
        return logs

    def _prefetch(self, from_block: int, to_block: int) -> None:
        """Start reading the logs of ``from_block``-``to_block`` in the background."""
        if from_block > to_block or self.throttle:
            return
        self._prefetched = (from_block, to_block, self._prefetcher.submit(self._logs_or_none, from_block, to_block))

    def _logs_or_none(self, from_block: int, to_block: int) -> list | None:
        try:
            return self.rpc.logs(from_block, to_block, self.decoder.addresses)
        except (NodeRefused, InterruptedError):
            return None  # the next step asks again, in the foreground (and shrinks the range if refused)

    def _take_prefetched(self, from_block: int, to_block: int) -> tuple[int, list] | None:
        """The prefetched (last block, logs) if they start at ``from_block`` and end at or before ``to_block``."""
        prefetched, self._prefetched = self._prefetched, None
        if prefetched is None:
            return None
        start, end, future = prefetched
        logs = future.result()
        if start != from_block or end > to_block or logs is None:
            return None
        return end, logs

    def _headers(self, from_block: int, to_block: int) -> list[dict] | None:
        """Every header of the range, or None if the node no longer has one of them."""
        headers: list[dict] = []
        for start in range(from_block, to_block + 1, HEADER_BATCH):
            chunk = self.rpc.blocks(list(range(start, min(to_block, start + HEADER_BATCH - 1) + 1)))
            if any(header is None for header in chunk):
                return None
            headers.extend(chunk)
        return headers

    def _adapt(self, log_count: int) -> None:
        """Grow the range while batches are light, shrink it when they are heavy (web3.py's EventScanner)."""
        target = self.settings.target_batch_logs
        if log_count < target // 2:
            self.batch_blocks = min(self.settings.max_batch_blocks, self.batch_blocks * 2)
        elif log_count > target:
            self.batch_blocks = max(1, self.batch_blocks // 2)

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
