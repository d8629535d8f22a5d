"""Writes that a reorg can undo, and the undo itself (Ponder's change log, in one SQL table).

Event rows are append-only and carry their block number: undoing blocks deletes them. Entity rows
are changed in place, so :meth:`Writer.put` first copies the previous row (or its absence) into
``journal``, tagged with the block of the event; :func:`rollback` replays the journal backwards.
Off-chain tables (``schema.OFFCHAIN_TABLES``, the room directory) are never written here, so a
rollback never touches them.
"""

from __future__ import annotations

import json
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, insert, select

from indexer import schema


#: Each table's primary-key values from a key dict (filled on first use).
_KEY_GETTERS: dict[Table, tuple[itemgetter, int]] = {}


def _where(table: Table, key: dict[str, Any]):
    return and_(*(table.c[name] == value for name, value in key.items()))


class Writer:
    """All writes of one batch, inside the caller's transaction, kept in memory until :meth:`flush`.

    Handlers read and change entity rows through :meth:`get` and :meth:`put` one event at a time;
    the rows live in a per-batch cache, so an aggregate changed by 500 deposits is read once and
    written once. Event rows, journal entries and changed entities go to the database in one
    statement per table and column set, through the driver itself (``executemany`` on SQLite, COPY
    on PostgreSQL): SQLAlchemy's per-row parameter processing cost more than the database's work.
    The undo journal keeps one entry per row and block (the row as it was before the block's first
    change): a rollback to any block of the batch still restores exactly the state after that block.
    """

    def __init__(self, connection: Connection):
        self.connection = connection
        self.block_number = 0
        self._rows: dict[tuple, dict[str, Any] | None] = {}      # current state of every row touched
        self._dirty: dict[tuple, tuple[Table, dict[str, Any], bool]] = {}  # changed: table, key, existed
        self._journaled: set[tuple] = set()
        self._journal: list[tuple] = []
        self._inserts: dict[Table, list[dict[str, Any]]] = {}
        self._events: list[tuple] = []

    @staticmethod
    def _id(table: Table, key: dict[str, Any]) -> tuple:
        """The cache key of a row: its table and primary-key values (one C-level itemgetter call)."""
        try:
            getter, size = _KEY_GETTERS[table]
        except KeyError:
            names = [column.name for column in table.primary_key.columns]
            getter, size = _KEY_GETTERS[table] = itemgetter(*names), len(names)
        if len(key) == size:
            try:
                return (table, getter(key))
            except KeyError:
                pass
        return (table, "by-name", *sorted(key.items()))  # a key that is not the primary key

    def get(self, table: Table, **key: Any) -> dict[str, Any] | None:
        ident = self._id(table, key)
        try:
            row = self._rows[ident]
        except KeyError:
            found = self.connection.execute(select(table).where(_where(table, key))).mappings().first()
            row = self._rows[ident] = dict(found) if found is not None else None
        return dict(row) if row is not None else None

    def insert(self, table: Table, row: dict[str, Any]) -> None:
        """An event row (append-only; carries ``block_number``)."""
        self._inserts.setdefault(table, []).append(row)

    def insert_event(self, row: tuple) -> None:
        """A row of ``events``, its values in the order of :data:`EVENT_COLUMNS`."""
        self._events.append(row)

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
            self._journal.append((self.block_number, table.name, json.dumps(key, sort_keys=True),
                                  None if previous is None else json.dumps(previous)))
        row = {**key, **values} if previous is None else {**previous, **values}
        if ident not in self._dirty:
            self._dirty[ident] = (table, key, previous is not None)
        self._rows[ident] = row
        return dict(row)

    def flush(self) -> None:
        """Write everything buffered; the cache stays valid."""
        bulk = BulkWriter(self.connection)
        if self._events:
            bulk.insert(schema.events.name, EVENT_COLUMNS, self._events)
            self._events = []
        for table, rows in self._inserts.items():
            bulk.insert_dicts(table.name, rows)
        self._inserts = {}
        if self._journal:
            bulk.insert(schema.journal.name, JOURNAL_COLUMNS, self._journal)
            self._journal = []
        created: dict[Table, list[dict[str, Any]]] = {}
        changed: dict[Table, list[dict[str, Any]]] = {}
        for ident, (table, _key, existed) in self._dirty.items():
            (changed if existed else created).setdefault(table, []).append(self._rows[ident])
        self._dirty = {}
        for table, rows in created.items():
            bulk.insert_dicts(table.name, rows)  # omitted columns keep their defaults
        for table, rows in changed.items():
            keys = tuple(column.name for column in table.primary_key.columns)
            others = tuple(column.name for column in table.columns if column.name not in keys)
            bulk.update(table.name, keys, others, [tuple(row.get(n) for n in others) + tuple(row[k] for k in keys)
                                                   for row in rows])


#: Columns of ``events``, in the order of :meth:`Writer.insert_event`'s tuples.
EVENT_COLUMNS = ("event_id", "block_number", "tx_hash", "block_hash", "log_index", "contract", "address", "name",
                 "args")
JOURNAL_COLUMNS = ("block_number", "table_name", "row_key", "old_row")


def _quote(name: str) -> str:
    return f'"{name}"'  # some columns are SQL words (``to``)


class BulkWriter:
    """Many rows in one statement, through the DB-API connection of ``connection``'s transaction:
    ``executemany`` on SQLite, COPY on PostgreSQL (psycopg)."""

    def __init__(self, connection: Connection):
        self.postgres = connection.dialect.name == "postgresql"
        self.cursor = connection.connection.cursor()

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        names = ", ".join(map(_quote, columns))
        if self.postgres:
            with self.cursor.copy(f"COPY {_quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            # Names from indexer.schema, values bound: nothing from outside reaches the SQL text.
            self.cursor.executemany(f"INSERT INTO {_quote(table)} ({names}) VALUES ({marks})", rows)  # noqa: S608

    def insert_dicts(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Rows as dicts; rows naming other columns go in separate statements."""
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            by_columns.setdefault(tuple(row), []).append(row)
        for columns, group in by_columns.items():
            self.insert(table, columns, [tuple(row.values()) for row in group])

    def update(self, table: str, keys: tuple[str, ...], others: tuple[str, ...], rows: list[tuple]) -> None:
        """``rows``: the new values of ``others``, then the key's values."""
        mark = "%s" if self.postgres else "?"
        sets = ", ".join(f"{_quote(name)} = {mark}" for name in others)
        where = " AND ".join(f"{_quote(name)} = {mark}" for name in keys)
        self.cursor.executemany(f"UPDATE {_quote(table)} SET {sets} WHERE {where}", rows)  # noqa: S608


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
