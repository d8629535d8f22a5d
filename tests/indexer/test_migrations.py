"""The Alembic history builds exactly the tables of ``indexer.schema``, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from indexer import schema
from indexer.db import alembic_config, make_engine, migrate

#: The tables each revision adds, from the one before it.
REVISIONS = [
    ("0002", "0003", {"usage_epochs", "usage_pools", "usage_fundings", "usage_claims"}),
    ("0003", "0004", {"media_nodes"}),
    ("0005", "0006", {"operator_bonds", "slashes"}),
    ("0007", "0008", {"licence_offers", "licences", "derivative_policies"}),
    ("0008", "0009", {"payee_withdrawals", "registration_commitments", "usage_supersessions"}),
    ("0009", "0010", {"work_metadata"}),
]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_migrations_build_the_schema(kind, new_database):
    engine = make_engine(new_database(kind), pool_size=1)
    migrate(engine)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), schema.metadata) == []
    engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
@pytest.mark.parametrize("before, revision, tables", REVISIONS, ids=[r[1] for r in REVISIONS])
def test_a_revision_upgrades_the_index_before_it_and_downgrades_cleanly(before, revision, tables, kind, new_database):
    engine = make_engine(new_database(kind), pool_size=1)
    config = alembic_config(engine)
    command.upgrade(config, before)
    assert not tables & set(inspect(engine).get_table_names())
    command.upgrade(config, revision)
    assert tables <= set(inspect(engine).get_table_names())
    command.upgrade(config, "head")
    command.downgrade(config, before)
    assert not tables & set(inspect(engine).get_table_names())
    engine.dispose()



@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_revision_0005_puts_event_id_into_the_list_indexes_and_downgrades_cleanly(kind, new_database):
    engine = make_engine(new_database(kind), pool_size=1)
    config = alembic_config(engine)

    def deposit_indexes() -> dict[str, list[str]]:
        return {index["name"]: index["column_names"] for index in inspect(engine).get_indexes("deposits")}

    command.upgrade(config, "0004")
    assert deposit_indexes()["ix_deposits_split_id"] == ["split_id"]
    command.upgrade(config, "0005")
    assert deposit_indexes()["ix_deposits_split_id_event"] == ["split_id", "event_id"]
    assert "ix_deposits_split_id" not in deposit_indexes()
    command.downgrade(config, "0004")
    assert deposit_indexes()["ix_deposits_split_id"] == ["split_id"]
    assert "ix_deposits_split_id_event" not in deposit_indexes()
    engine.dispose()

def test_every_table_is_of_one_kind():
    """A table is chain content (deleted or restored by a reorg), bookkeeping, or off-chain state
    that no reorg or reindex touches: never two of these, never none."""
    kinds = [schema.EVENT_TABLES, schema.ENTITY_TABLES, schema.BOOKKEEPING_TABLES, schema.OFFCHAIN_TABLES]
    names = [table.name for kind in kinds for table in kind]
    assert sorted(names) == sorted(schema.TABLES_BY_NAME)  # each exactly once
    assert schema.media_nodes in schema.OFFCHAIN_TABLES


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_processes_migrating_a_fresh_index_at_once_all_succeed(kind, new_database):
    """`tutti-indexer run` and `serve` started together both migrate the same empty database."""
    import subprocess
    import sys

    url = new_database(kind)
    program = f"from indexer.db import make_engine, migrate; migrate(make_engine({url!r}, pool_size=1))"
    racers = [subprocess.Popen([sys.executable, "-c", program], stderr=subprocess.PIPE, text=True) for _ in range(4)]
    failures = [error for error in (racer.communicate(timeout=120)[1] for racer in racers) if "Error" in error]
    assert failures == []
    engine = make_engine(url, pool_size=1)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), schema.metadata) == []
    engine.dispose()
