"""Following the chain: adaptive ``eth_getLogs`` ranges, reorg detection and rollback, checkpoints.

One batch = one database transaction holding its rows, the undo journal, the block hashes and the
checkpoint: a process killed at any instant leaves either all of a batch or none of it.

Each batch starts by checking that the first new block's parent hash is the hash recorded for the
checkpoint. If not, the chain reorganized: the indexer walks back through the block hashes it
kept until the node agrees (the fork point), undoes everything above it, and ingests again.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import Engine, insert, select, update
from web3 import Web3
from web3.exceptions import Web3Exception

from indexer import handlers, schema, store
from indexer.abis import EventDecoder, load_abis
from indexer.config import IndexerSettings
from tutti.addressbook import AddressBook

logger = logging.getLogger(__name__)

#: The address-book contracts whose events are indexed. A name missing from an older deployment's
#: book is skipped: its tables stay empty.
INDEXED_CONTRACTS = ("TuttiToken", "TuttiGovernor", "TuttiTimelock", "RoyaltySplitter", "ContentRegistry", "OracleHub",
                     "AccessPass", "UsageRoyalties")


class ReorgTooDeep(RuntimeError):
    """The chain changed below the undo history kept (``reorg_window``); reindex from scratch."""


@dataclass
class Checkpoint:
    block_number: int
    block_hash: str
    block_timestamp: int
    journal_floor: int


@dataclass
class BatchResult:
    from_block: int
    to_block: int
    logs: int
    rolled_back_to: int | None = None


def _hex(value) -> str:
    return "0x" + bytes(value).hex() if not isinstance(value, str) else value


def read_checkpoint(engine_or_connection) -> Checkpoint | None:
    query = select(schema.checkpoint).where(schema.checkpoint.c.id == 1)
    if isinstance(engine_or_connection, Engine):
        with engine_or_connection.connect() as connection:
            row = connection.execute(query).mappings().first()
    else:
        row = engine_or_connection.execute(query).mappings().first()
    if row is None:
        return None
    return Checkpoint(row["block_number"], row["block_hash"], row["block_timestamp"], row["journal_floor"])


class Indexer:
    """Follows one deployment's contracts into one database."""

    def __init__(self, w3: Web3, engine: Engine, book: AddressBook, settings: IndexerSettings,
                 abis: dict[str, list[dict]] | None = None, *, on_event: Callable[[], None] | None = None,
                 throttle: float = 0.0):
        self.w3 = w3
        self.engine = engine
        self.book = book
        self.settings = settings
        abis = abis or load_abis()
        contracts = {name: book.contracts[name] for name in INDEXED_CONTRACTS if name in book.contracts}
        self.decoder = EventDecoder(contracts, abis)
        self.batch_blocks = min(100, settings.max_batch_blocks)
        self.on_batch = on_event
        self.throttle = throttle  # seconds per log: only for crash tests and demos
        self.stop_event = threading.Event()
        self.events_ingested = 0
        chain_id = w3.eth.chain_id
        if chain_id != book.chain_id:
            raise RuntimeError(f"the address book is for chain id {book.chain_id}, the node reports {chain_id}")

    # ------------------------------------------------------------------ loop
    def run(self, *, until_head: bool = False) -> None:
        """Follow the chain until stopped (or, with ``until_head``, until caught up)."""
        while not self.stop_event.is_set():
            result = self.step()
            if result is None:
                if until_head:
                    return
                self.stop_event.wait(self.settings.poll_interval)

    def sync(self) -> None:
        """Catch up with the (confirmed) head, then return."""
        self.run(until_head=True)

    def step(self) -> BatchResult | None:
        """Ingest one batch (or undo one reorg); None when already at the confirmed head."""
        checkpoint = read_checkpoint(self.engine)
        head = self.w3.eth.block_number
        target = head - self.settings.confirmations
        last = checkpoint.block_number if checkpoint else self.book.start_block - 1
        if last > target:
            # The node's chain is shorter than what was indexed: it was reorganized (or reset).
            if checkpoint is not None:
                ancestor = self._rollback_to_fork(checkpoint)
                return BatchResult(ancestor + 1, ancestor, 0, rolled_back_to=ancestor)
            return None
        if last == target:
            if checkpoint is not None and self._block_hash(last) != checkpoint.block_hash:
                ancestor = self._rollback_to_fork(checkpoint)
                return BatchResult(ancestor + 1, ancestor, 0, rolled_back_to=ancestor)
            return None
        from_block = last + 1
        to_block = min(target, from_block + self.batch_blocks - 1)
        first = self.w3.eth.get_block(from_block)
        if checkpoint is not None and _hex(first["parentHash"]) != checkpoint.block_hash:
            ancestor = self._rollback_to_fork(checkpoint)
            return BatchResult(from_block, ancestor, 0, rolled_back_to=ancestor)
        logs = self._get_logs(from_block, to_block)
        if logs is None:
            return BatchResult(from_block, from_block - 1, 0)  # range shrank; retry next step
        to_block = logs[0]
        raw_logs = logs[1]
        last_block = first if to_block == from_block else self.w3.eth.get_block(to_block)
        decoded = [d for d in (self.decoder.decode(log) for log in raw_logs) if d is not None]
        # Logs must come from the chain whose edges we hold (a reorg between the calls shows here).
        edge_hashes = {from_block: _hex(first["hash"]), to_block: _hex(last_block["hash"])}
        for log in decoded:
            expected = edge_hashes.get(log.block_number)
            if expected is not None and expected != log.block_hash:
                logger.warning("block %d changed while reading it; retrying", log.block_number)
                return BatchResult(from_block, from_block - 1, 0)
        self._commit(checkpoint, first, last_block, decoded)
        self._adapt(len(raw_logs))
        self.events_ingested += len(decoded)
        if self.on_batch is not None:
            self.on_batch()
        return BatchResult(from_block, to_block, len(decoded))

    # ------------------------------------------------------------------ pieces
    def _get_logs(self, from_block: int, to_block: int) -> tuple[int, list] | None:
        """Logs of the range, shrinking it while the node refuses (too many results, timeouts)."""
        try:
            logs = self.w3.eth.get_logs({"fromBlock": from_block, "toBlock": to_block,
                                         "address": self.decoder.addresses})
        except (Web3Exception, ValueError, TimeoutError, OSError) as exc:
            if to_block == from_block:
                raise
            self.batch_blocks = max(1, (to_block - from_block + 1) // 2)
            logger.info("eth_getLogs %d-%d failed (%s); trying %d blocks", from_block, to_block, exc,
                        self.batch_blocks)
            return None
        return to_block, sorted(logs, key=lambda log: (log["blockNumber"], log["logIndex"]))

    def _adapt(self, log_count: int) -> None:
        """Grow the range while batches are light, shrink it when they are heavy (web3.py's EventScanner)."""
        target = self.settings.target_batch_logs
        if log_count < target // 2:
            self.batch_blocks = min(self.settings.max_batch_blocks, self.batch_blocks * 2)
        elif log_count > target:
            self.batch_blocks = max(1, self.batch_blocks // 2)

    def _commit(self, checkpoint: Checkpoint | None, first, last_block, decoded) -> None:
        to_block = last_block["number"]
        with self.engine.begin() as connection:
            writer = store.Writer(connection)
            for log in decoded:
                handlers.apply(writer, log)
                if self.throttle:
                    time.sleep(self.throttle)
            handlers.refresh_proposal_states(writer, to_block)
            known = {first["number"]: (_hex(first["hash"]), _hex(first["parentHash"])),
                     to_block: (_hex(last_block["hash"]), _hex(last_block["parentHash"]))}
            for log in decoded:
                known.setdefault(log.block_number, (log.block_hash, None))
            connection.execute(insert(schema.blocks), [
                {"number": number, "hash": block_hash, "parent_hash": parent}
                for number, (block_hash, parent) in sorted(known.items())
            ])
            floor = checkpoint.journal_floor if checkpoint else self.book.start_block - 1
            new_floor = max(floor, to_block - self.settings.reorg_window)
            if new_floor > floor:
                store.prune_journal(connection, new_floor)
            values = {"chain_id": self.book.chain_id, "block_number": to_block,
                      "block_hash": _hex(last_block["hash"]), "block_timestamp": last_block["timestamp"],
                      "journal_floor": new_floor}
            if checkpoint is None:
                connection.execute(insert(schema.checkpoint), {"id": 1, **values})
            else:
                connection.execute(update(schema.checkpoint).where(schema.checkpoint.c.id == 1).values(**values))

    def _block_hash(self, number: int) -> str | None:
        block = self.w3.eth.get_block(number) if number <= self.w3.eth.block_number else None
        return _hex(block["hash"]) if block is not None else None

    def _rollback_to_fork(self, checkpoint: Checkpoint) -> int:
        """Find the newest kept block the node still has, undo everything above it; returns it."""
        with self.engine.connect() as connection:
            kept = connection.execute(
                select(schema.blocks.c.number, schema.blocks.c.hash).order_by(schema.blocks.c.number.desc())
            ).all()
        ancestor = self.book.start_block - 1
        for number, block_hash in kept:
            if self._block_hash(number) == block_hash:
                ancestor = number
                break
        if ancestor < checkpoint.journal_floor:
            raise ReorgTooDeep(
                f"the chain changed below block {checkpoint.journal_floor + 1} (fork point {ancestor}), deeper "
                f"than the {self.settings.reorg_window} blocks of undo history; reindex into an empty database"
            )
        logger.warning("reorg: block %d changed; rolling back to block %d", checkpoint.block_number, ancestor)
        with self.engine.begin() as connection:
            replayed = store.rollback(connection, ancestor)
            if ancestor < self.book.start_block:
                connection.execute(schema.checkpoint.delete())
            else:
                block = self.w3.eth.get_block(ancestor)
                connection.execute(update(schema.checkpoint).where(schema.checkpoint.c.id == 1).values(
                    block_number=ancestor, block_hash=_hex(block["hash"]), block_timestamp=block["timestamp"]))
        logger.info("undid %d changes above block %d", replayed, ancestor)
        return ancestor
