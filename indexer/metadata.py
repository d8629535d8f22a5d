"""Works' metadata JSON, read from IPFS beside the indexer and kept in ``work_metadata``.

The web app used to fetch every work's metadata from IPFS one by one to show titles and to search
them; the index now holds title, artist name, description and the AI-made flag, so lists filter and
search on them in one query. A fetcher thread of ``tutti-indexer run`` (or ``tutti-indexer
metadata``) reads the CIDs of indexed works that have no row yet, a few at a time, never inside an
ingest batch: a slow or absent IPFS node delays titles, never blocks. Rows are keyed by CID (by
content), so reorgs never invalidate them. A CID that cannot be read now (node down, not found yet)
is retried with exponential backoff up to an hour apart; one that holds no JSON object is kept as
``invalid`` and not asked again.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from sqlalchemy import Engine, func, or_, select

from indexer import schema
from indexer.db import writer

logger = logging.getLogger(__name__)
M, W = schema.work_metadata, schema.works
MAX_BYTES = 256 * 1024
MAX_TEXT = {"title": 300, "artist_name": 300, "description": 5_000}
FIRST_RETRY_SECONDS = 2
LAST_RETRY_SECONDS = 3_600


def _text(value: Any, limit: int) -> str | None:
    """A string field as every database stores it: no NUL, no lone surrogate, at most ``limit`` characters."""
    if not isinstance(value, str):
        return None
    cleaned = value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8").strip()
    return cleaned[:limit] or None


def parse(document: bytes) -> dict[str, Any]:
    """The columns of ``work_metadata`` from a metadata JSON (``name`` or ``title``, ``artist``,
    ``description``, ``ai``); ValueError if it is not a JSON object."""
    if len(document) > MAX_BYTES:
        raise ValueError(f"larger than {MAX_BYTES} bytes")
    value = json.loads(document)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return {"title": _text(value.get("name", value.get("title")), MAX_TEXT["title"]),
            "artist_name": _text(value.get("artist"), MAX_TEXT["artist_name"]),
            "description": _text(value.get("description"), MAX_TEXT["description"]),
            "ai": value.get("ai") is True}


class MetadataFetcher:
    """Reads missing metadata of indexed works from ``store`` (a ``tutti.ipfs`` store) into the index."""

    def __init__(self, engine: Engine, store, *, batch: int = 64, parallel: int = 8,
                 clock: Callable[[], float] = time.time):
        self.engine, self.store, self.batch, self.parallel, self.clock = engine, store, batch, parallel, clock
        self.stop_event = threading.Event()

    def pending(self) -> list[str]:
        """CIDs of indexed works never read, or due for another try."""
        now = int(self.clock())
        query = (select(W.c.metadata_cid).distinct()
                 .outerjoin(M, M.c.cid == W.c.metadata_cid)
                 .where(or_(M.c.cid.is_(None), (M.c.status == "retrying") & (M.c.next_attempt_at <= now)))
                 .limit(self.batch))
        with self.engine.connect() as connection:
            return list(connection.execute(query).scalars())

    def _read(self, cid: str) -> tuple[str, dict[str, Any]]:
        """(status, columns) for one CID: ok, invalid (no use asking again) or retrying."""
        from tutti.ipfs.errors import InvalidCid

        try:
            document = self.store.cat(cid)
        except InvalidCid as exc:
            return "invalid", {"error": f"not a CID: {exc}"[:500]}
        except Exception as exc:  # noqa: BLE001 - any failure to read (node away, not found yet) is retried
            return "retrying", {"error": f"{type(exc).__name__}: {exc}"[:500]}
        try:
            return "ok", parse(document)
        except ValueError as exc:  # a JSONDecodeError is a ValueError
            return "invalid", {"error": f"not metadata JSON: {exc}"[:500]}

    def run_once(self) -> int:
        """Reads one batch of pending CIDs; returns how many were asked."""
        cids = self.pending()
        if not cids:
            return 0
        with ThreadPoolExecutor(self.parallel) as pool:
            results = list(pool.map(self._read, cids))
        now = int(self.clock())
        with writer(self.engine).begin() as connection:
            previous = {r.cid: r.attempts for r in connection.execute(
                select(M.c.cid, M.c.attempts).where(M.c.cid.in_(cids)))}
            seq = connection.execute(select(func.coalesce(func.max(M.c.seq), 0))).scalar()
            connection.execute(M.delete().where(M.c.cid.in_(cids)))
            rows = []
            for cid, (status, columns) in zip(cids, results):
                attempts = previous.get(cid, 0) + 1
                row = {"cid": cid, "status": status, "seq": None, "title": None, "artist_name": None,
                       "description": None, "ai": None, "error": None, "attempts": attempts,
                       "next_attempt_at": now, "fetched_at": None, **columns}
                if status == "retrying":
                    row["next_attempt_at"] = now + min(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), LAST_RETRY_SECONDS)
                    logger.info("metadata %s: %s; retrying in %d s", cid, row["error"], row["next_attempt_at"] - now)
                else:
                    seq += 1
                    row.update(seq=seq, fetched_at=now)
                rows.append(row)
            connection.execute(M.insert(), rows)
        return len(cids)

    def follow(self, interval: float = 1.0) -> None:
        """Reads pending metadata until ``stop_event`` is set, resting ``interval`` s when none is due."""
        while not self.stop_event.is_set():
            try:
                asked = self.run_once()
            except Exception:  # noqa: BLE001 - a database hiccup must not end the fetcher
                logger.warning("metadata fetcher: cannot reach the index; retrying", exc_info=True)
                asked = 0
            if not asked:
                self.stop_event.wait(interval)

    def start(self, interval: float = 1.0) -> threading.Thread:
        thread = threading.Thread(target=self.follow, args=(interval,), name="metadata-fetcher", daemon=True)
        thread.start()
        return thread
