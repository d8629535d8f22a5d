"""Writes that a reorg can undo, and the undo itself (Ponder's change log, in one SQL table).

Event rows are append-only and carry their block number: undoing blocks deletes them. Entity rows
are changed in place, so :meth:`Writer.put` first copies the previous row (or its absence) into
``journal``, tagged with the block of the event; :func:`rollback` replays the journal backwards.
Off-chain tables (``schema.OFFCHAIN_TABLES``, the room directory) are never written here, so a
rollback never touches them.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, insert, select, update

from indexer import schema


def _where(table: Table, key: dict[str, Any]):
    return and_(*(table.c[name] == value for name, value in key.items()))


class Writer:
    """All writes of one batch, inside the caller's transaction."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.block_number = 0

    def get(self, table: Table, **key: Any) -> dict[str, Any] | None:
        row = self.connection.execute(select(table).where(_where(table, key))).mappings().first()
        return dict(row) if row is not None else None

    def insert(self, table: Table, row: dict[str, Any]) -> None:
        """An event row (append-only; carries ``block_number``)."""
        self.connection.execute(insert(table), row)

    def put(self, table: Table, key: dict[str, Any], values: dict[str, Any],
            old: dict[str, Any] | None | bool = False) -> dict[str, Any]:
        """Create or update the entity row ``key`` with ``values``, journaling what it was.

        ``old`` may pass the row the caller already read (None: known absent) to save a query."""
        previous = self.get(table, **key) if old is False else old
        self.connection.execute(insert(schema.journal), {
            "block_number": self.block_number,
            "table_name": table.name,
            "row_key": json.dumps(key, sort_keys=True),
            "old_row": None if previous is None else json.dumps(previous),
        })
        if previous is None:
            row = {**key, **values}
            self.connection.execute(insert(table), row)
            return row
        self.connection.execute(update(table).where(_where(table, key)).values(**values))
        return {**previous, **values}


def rollback(connection: Connection, ancestor: int) -> int:
    """Undo every change made by blocks above ``ancestor``; returns how many journal entries were replayed."""
    entries = connection.execute(
        select(schema.journal).where(schema.journal.c.block_number > ancestor).order_by(schema.journal.c.id.desc())
    ).mappings().all()
    for entry in entries:
        table = schema.TABLES_BY_NAME[entry["table_name"]]
        key = json.loads(entry["row_key"])
        connection.execute(delete(table).where(_where(table, key)))
        if entry["old_row"] is not None:
            connection.execute(insert(table), json.loads(entry["old_row"]))
    connection.execute(delete(schema.journal).where(schema.journal.c.block_number > ancestor))
    for table in schema.EVENT_TABLES:
        connection.execute(delete(table).where(table.c.block_number > ancestor))
    connection.execute(delete(schema.blocks).where(schema.blocks.c.number > ancestor))
    return len(entries)


def prune_journal(connection: Connection, floor: int) -> None:
    """Forget undo history at or below ``floor`` (those blocks are final for this indexer)."""
    connection.execute(delete(schema.journal).where(schema.journal.c.block_number <= floor))
