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

from sqlalchemy import Connection, Table, and_, bindparam, delete, insert, select, update

from indexer import schema


def _where(table: Table, key: dict[str, Any]):
    return and_(*(table.c[name] == value for name, value in key.items()))


class Writer:
    """All writes of one batch, inside the caller's transaction, kept in memory until :meth:`flush`.

    Handlers read and change entity rows through :meth:`get` and :meth:`put` one event at a time;
    the rows live in a per-batch cache, so an aggregate changed by 500 deposits is read once and
    written once. Event rows, journal entries and changed entities go to the database in one
    ``executemany`` per table. The undo journal keeps one entry per row and block (the row as it
    was before the block's first change): a rollback to any block of the batch still restores
    exactly the state after that block.
    """

    def __init__(self, connection: Connection):
        self.connection = connection
        self.block_number = 0
        self._rows: dict[tuple, dict[str, Any] | None] = {}      # current state of every row touched
        self._dirty: dict[tuple, tuple[Table, dict[str, Any], bool]] = {}  # changed: table, key, existed
        self._journaled: set[tuple] = set()
        self._journal: list[dict[str, Any]] = []
        self._inserts: dict[Table, list[dict[str, Any]]] = {}

    @staticmethod
    def _id(table: Table, key: dict[str, Any]) -> tuple:
        return (table.name, *sorted(key.items()))

    def get(self, table: Table, **key: Any) -> dict[str, Any] | None:
        ident = self._id(table, key)
        if ident not in self._rows:
            row = self.connection.execute(select(table).where(_where(table, key))).mappings().first()
            self._rows[ident] = dict(row) if row is not None else None
        row = self._rows[ident]
        return dict(row) if row is not None else None

    def insert(self, table: Table, row: dict[str, Any]) -> None:
        """An event row (append-only; carries ``block_number``)."""
        self._inserts.setdefault(table, []).append(row)

    def put(self, table: Table, key: dict[str, Any], values: dict[str, Any],
            old: dict[str, Any] | None | bool = False) -> dict[str, Any]:
        """Create or update the entity row ``key`` with ``values``, journaling what it was.

        ``old`` may pass the row the caller already read (None: known absent) to save a query."""
        ident = self._id(table, key)
        previous = self.get(table, **key) if old is False else old
        if ident not in self._rows:  # ``old`` told us; remember it as the database's state
            self._rows[ident] = None if previous is None else dict(previous)
        if (ident, self.block_number) not in self._journaled:
            self._journaled.add((ident, self.block_number))
            self._journal.append({
                "block_number": self.block_number,
                "table_name": table.name,
                "row_key": json.dumps(key, sort_keys=True),
                "old_row": None if previous is None else json.dumps(previous),
            })
        row = {**key, **values} if previous is None else {**previous, **values}
        if ident not in self._dirty:
            self._dirty[ident] = (table, key, previous is not None)
        self._rows[ident] = row
        return dict(row)

    def flush(self) -> None:
        """Write everything buffered (one statement per table); the cache stays valid."""
        for table, rows in self._inserts.items():
            self.connection.execute(insert(table), rows)
        self._inserts = {}
        if self._journal:
            self.connection.execute(insert(schema.journal), self._journal)
            self._journal = []
        created: dict[Table, list[dict[str, Any]]] = {}
        changed: dict[Table, list[dict[str, Any]]] = {}
        for ident, (table, _key, existed) in self._dirty.items():
            (changed if existed else created).setdefault(table, []).append(self._rows[ident])
        self._dirty = {}
        for table, rows in created.items():
            by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}  # omitted columns keep their defaults
            for row in rows:
                by_columns.setdefault(tuple(sorted(row)), []).append(row)
            for group in by_columns.values():
                self.connection.execute(insert(table), group)
        for table, rows in changed.items():
            keys = [column.name for column in table.primary_key.columns]
            others = [column.name for column in table.columns if column.name not in keys]
            statement = update(table).where(*(table.c[k] == bindparam(f"key_{k}") for k in keys)).values(
                {name: bindparam(f"new_{name}") for name in others})
            self.connection.execute(statement, [
                {**{f"key_{k}": row[k] for k in keys}, **{f"new_{n}": row.get(n) for n in others}} for row in rows])


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
