"""The Alembic history builds exactly the tables of ``indexer.schema``, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from indexer import schema
from indexer.db import alembic_config, make_engine, migrate

USAGE_TABLES = {"usage_epochs", "usage_pools", "usage_fundings", "usage_claims"}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_migrations_build_the_schema(kind, new_database):
    engine = make_engine(new_database(kind), pool_size=1)
    migrate(engine)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), schema.metadata) == []
    engine.dispose()


def test_revision_0003_upgrades_an_index_at_0002_and_downgrades_cleanly(new_database):
    engine = make_engine(new_database(), pool_size=1)
    config = alembic_config(engine)
    command.upgrade(config, "0002")
    assert not USAGE_TABLES & set(inspect(engine).get_table_names())
    command.upgrade(config, "head")
    assert USAGE_TABLES <= set(inspect(engine).get_table_names())
    command.downgrade(config, "0002")
    assert not USAGE_TABLES & set(inspect(engine).get_table_names())
    engine.dispose()
