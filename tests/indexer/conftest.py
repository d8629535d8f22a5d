"""Fixtures for the indexer: session-wide chain activity, a real PostgreSQL server, indexing helpers."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from web3 import HTTPProvider, Web3

from indexer import schema
from indexer.config import IndexerSettings
from indexer.db import make_engine, migrate
from indexer.ingest import Indexer
from tutti.activity import make_activity
from tutti.net import free_port

PG_BIN = Path(os.environ.get("TUTTI_PG_BIN", "/usr/lib/postgresql/15/bin"))


@pytest.fixture(scope="session")
def activity(tutti, governance, chain, stablecoin, deployer, artist, producer, vocalist, fan, voters, operators):
    """Every kind of event, made once per session (ape keeps session fixtures' chain state)."""
    return make_activity(tutti, chain, stablecoin, deployer, artist, producer, vocalist, fan, voters, operators)


@pytest.fixture(scope="session")
def rpc_url(chain):
    return chain.provider.uri


@pytest.fixture(scope="session")
def w3(rpc_url):
    return Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": 60}))


@pytest.fixture(scope="session")
def postgres_server():
    """A throw-away PostgreSQL 15 cluster on a free 127.0.0.1 port, always stopped at the end."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL server binaries not found in {PG_BIN}")
    # Not under pytest's tmp folder: the postgres user cannot enter root's 0700 directories.
    root = Path(tempfile.mkdtemp(prefix="tutti-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    if as_root:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_port()
    subprocess.run([*prefix, str(PG_BIN / "initdb"), "-D", str(data), "-U", "tutti", "--auth=trust",
                    "--no-sync", "-E", "UTF8"], check=True, capture_output=True)
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=off -c max_connections=300"
    subprocess.run([*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"),
                    "-w", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://tutti@127.0.0.1:{port}"
    finally:
        subprocess.run([*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def empty_database(kind: str, folder: Path, request) -> str:
    """The URL of a new, empty database: a SQLite file in ``folder``, or a database on the session's
    PostgreSQL server (started on first use through ``request``)."""
    if kind == "sqlite":
        return f"sqlite:///{folder / f'index-{uuid.uuid4().hex[:8]}.sqlite3'}"
    server = request.getfixturevalue("postgres_server")
    name = f"idx_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return f"{server}/{name}"


@pytest.fixture
def new_database(tmp_path, request):
    """``new_database(kind)``: the URL of an empty database, "sqlite" or "postgresql"."""
    return lambda kind="sqlite": empty_database(kind, tmp_path, request)


def settings_for(url: str, **overrides) -> IndexerSettings:
    return IndexerSettings(database_url=url, **overrides)


def index(w3, tutti, url: str, **overrides):
    """Index the deployment into ``url`` up to the head; returns the engine."""
    engine = make_engine(url, pool_size=2)
    migrate(engine)
    Indexer(w3, engine, tutti.book, settings_for(url, **overrides)).sync()
    return engine


def dump(engine) -> dict:
    """Everything that makes up the index's content, comparable across databases and histories
    (not the off-chain room directory: no reindex rebuilds it)."""
    content = {}
    with engine.connect() as connection:
        for table in schema.CONTENT_TABLES:
            rows = connection.execute(select(table)).mappings().all()
            content[table.name] = sorted(repr(sorted(row.items())) for row in rows)
        checkpoint = connection.execute(select(schema.checkpoint)).mappings().first()
        content["checkpoint"] = checkpoint and (checkpoint["block_number"], checkpoint["block_hash"])
    return content
