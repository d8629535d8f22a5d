"""Engines and migrations: SQLite (WAL) by default, PostgreSQL by URL, one Alembic history for both."""

from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int | None = None, pool_timeout: float = 30) -> Engine:
    """An engine for ``url``; SQLite files get WAL (readers never block the writer) and a busy timeout."""
    parsed = make_url(url)
    overflow = 2 * pool_size if max_overflow is None else max_overflow
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               pool_size=pool_size, max_overflow=overflow, pool_timeout=pool_timeout)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # noqa: ANN001
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # NORMAL is safe against a killed process in WAL mode (only power loss can drop the
            # last commits, never corrupt them), and much faster than FULL.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
            # Python's sqlite3 begins transactions on its own, and only before INSERT/UPDATE/DELETE:
            # a CREATE TABLE ran outside any transaction (a migration killed halfway left half a
            # schema) and each SELECT saw its own snapshot (an API response could mix two commits).
            # Taken out of its hands, every SQLAlchemy transaction is a real SQLite one (below).
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection):  # noqa: ANN001
            # Writers begin IMMEDIATE (the write lock first): a deferred transaction that read and
            # then writes fails at once if another writer committed in between.
            connection.exec_driver_sql(connection.get_execution_options().get("sqlite_begin", "BEGIN"))

        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=overflow, pool_timeout=pool_timeout,
                         pool_pre_ping=True)


#: Execution options of a connection (or engine) that writes: SQLite takes the write lock at BEGIN.
WRITE = {"sqlite_begin": "BEGIN IMMEDIATE"}
#: Execution options of a read-only request: one snapshot for all its statements (SQLite's
#: transactions are snapshots; PostgreSQL needs REPEATABLE READ for that).
READ_SNAPSHOT = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}


def writer(engine: Engine) -> Engine:
    """``engine`` for transactions that write (shares its pool)."""
    return engine.execution_options(**WRITE)


def alembic_config(engine: Engine):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


#: Any fixed 64-bit key: PostgreSQL advisory locks are named by numbers.
_MIGRATION_LOCK_KEY = 0x7475_7474_6920_6462  # "tutti db"


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent). Processes started together (`run` and
    `serve` on a fresh database) take turns: without the lock both would create the same tables."""
    from alembic import command

    config = alembic_config(engine)
    # One transaction for all revisions, DDL included (SQLite and PostgreSQL both roll DDL back):
    # a process killed while migrating leaves the database as it was.
    with _migration_lock(engine), writer(engine).begin() as connection:
        if connection.dialect.name == "postgresql":
            # Held until this transaction ends, i.e. until the migration is committed.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """An exclusive lock file beside a SQLite database (SQLite has no lock a migration can hold
    across its DDL); nothing for other databases, which lock inside the transaction."""
    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
