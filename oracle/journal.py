"""The worker's journal (SQLite): every step of every job, so a worker killed at any moment
resumes where it stopped without redoing paid work or sending a second transaction.

A job moves through ``seen -> computed -> signed -> submitting -> done`` (or ``skipped``).
The attestation transaction is signed locally and its raw bytes stored *before* broadcast:
after a crash the same bytes are broadcast again, which can only land once (same nonce, same hash).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

SCHEMA = """
CREATE TABLE IF NOT EXISTS checkpoint (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    chain_id INTEGER NOT NULL,
    hub TEXT NOT NULL,
    next_block INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    input_cid TEXT NOT NULL,
    params BLOB NOT NULL,
    seed TEXT NOT NULL,
    deadline INTEGER NOT NULL,
    block INTEGER NOT NULL,
    state TEXT NOT NULL,
    result_cid TEXT,
    result_hash TEXT,
    model_id TEXT,
    signature TEXT,
    raw_tx TEXT,
    tx_hash TEXT,
    note TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state);
"""

OPEN_STATES = ("seen", "computed", "signed", "submitting")


@dataclass(frozen=True)
class JournaledJob:
    job_id: int
    kind: str
    input_cid: str
    params: bytes
    seed: int
    deadline: int
    block: int
    state: str
    result_cid: str | None
    result_hash: str | None
    model_id: str | None
    signature: str | None
    raw_tx: str | None
    tx_hash: str | None
    note: str | None
    attempts: int


class Journal:
    def __init__(self, path: Path):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a step recorded is a step that survives power loss
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    # -- scanning -------------------------------------------------------------------------

    def next_block(self, chain_id: int, hub: str, start_block: int) -> int:
        """Where scanning resumes; a journal from another chain or hub is refused, not mixed in."""
        row = self._db.execute("SELECT chain_id, hub, next_block FROM checkpoint WHERE id = 1").fetchone()
        if row is None:
            return start_block
        if (row[0], row[1].lower()) != (chain_id, hub.lower()):
            raise RuntimeError(
                f"this journal belongs to hub {row[1]} on chain {row[0]}, not {hub} on chain {chain_id}; "
                "use another --journal file"
            )
        return row[2]

    def record_scan(self, chain_id: int, hub: str, jobs: list[dict], next_block: int) -> None:
        """New jobs and the advanced checkpoint in one transaction: both or neither."""
        now = time.time()
        with self._transaction():
            for job in jobs:
                self._db.execute(
                    "INSERT OR IGNORE INTO jobs (job_id, kind, input_cid, params, seed, deadline, block, state,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'seen', ?)",
                    (str(job["job_id"]), job["kind"], job["input_cid"], job["params"], str(job["seed"]),
                     job["deadline"], job["block"], now),
                )
            self._db.execute(
                "INSERT INTO checkpoint (id, chain_id, hub, next_block) VALUES (1, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET next_block = excluded.next_block",
                (chain_id, hub, next_block),
            )

    # -- job steps ------------------------------------------------------------------------

    def open_jobs(self) -> list[JournaledJob]:
        marks = ", ".join("?" for _ in OPEN_STATES)
        rows = self._db.execute(
            f"SELECT * FROM jobs WHERE state IN ({marks}) ORDER BY block, CAST(job_id AS INTEGER)", OPEN_STATES
        ).fetchall()
        return [self._job(row) for row in rows]

    def job(self, job_id: int) -> JournaledJob | None:
        row = self._db.execute("SELECT * FROM jobs WHERE job_id = ?", (str(job_id),)).fetchone()
        return self._job(row) if row else None

    def jobs(self) -> list[JournaledJob]:
        return [self._job(r) for r in self._db.execute("SELECT * FROM jobs ORDER BY CAST(job_id AS INTEGER)")]

    def advance(self, job_id: int, state: str, **fields: object) -> None:
        """Move a job to ``state`` and record the step's outputs."""
        allowed = {"result_cid", "result_hash", "model_id", "signature", "raw_tx", "tx_hash", "note"}
        if not set(fields) <= allowed:
            raise ValueError(f"unknown journal fields: {set(fields) - allowed}")
        assignments = "".join(f", {name} = ?" for name in fields)
        self._db.execute(
            f"UPDATE jobs SET state = ?, updated_at = ?{assignments} WHERE job_id = ?",
            (state, time.time(), *fields.values(), str(job_id)),
        )

    def count_attempt(self, job_id: int, note: str) -> int:
        self._db.execute(
            "UPDATE jobs SET attempts = attempts + 1, note = ?, updated_at = ? WHERE job_id = ?",
            (note, time.time(), str(job_id)),
        )
        return self.job(job_id).attempts

    # -- helpers --------------------------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @staticmethod
    def _job(row) -> JournaledJob:
        (job_id, kind, input_cid, params, seed, deadline, block, state, result_cid, result_hash, model_id,
         signature, raw_tx, tx_hash, note, attempts, _updated) = row
        return JournaledJob(int(job_id), kind, input_cid, bytes(params), int(seed), deadline, block, state,
                            result_cid, result_hash, model_id, signature, raw_tx, tx_hash, note, attempts)

    def __iter__(self) -> Iterator[JournaledJob]:
        return iter(self.jobs())
