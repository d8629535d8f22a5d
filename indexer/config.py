"""The indexer's settings: ``TUTTI_INDEXER_*`` environment variables (or ``.env``), overridable by CLI options."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tutti.settings import get_settings


def default_database_url() -> str:
    data_dir = get_settings().data_dir
    return f"sqlite:///{data_dir / 'indexer.sqlite3'}"


class IndexerSettings(BaseSettings):
    """Where to read the chain, where to write the index, how cautious to be about reorgs."""

    model_config = SettingsConfigDict(env_prefix="TUTTI_INDEXER_", env_file=".env", extra="ignore")

    rpc_url: str = Field(default="http://127.0.0.1:8545", description="JSON-RPC endpoint of the node.")
    database_url: str = Field(default_factory=default_database_url,
                              description="SQLAlchemy URL: sqlite:///path (default) or postgresql+psycopg://...")
    ecosystem: str = Field(default="ethereum", description="Address book ecosystem (as in ape's network choice).")
    network: str = Field(default="local", description="Address book network (as in ape's network choice).")
    confirmations: int = Field(default=0, ge=0, le=10_000,
                               description="Blocks behind the head the indexer stays (0 on a local anvil).")
    max_batch_blocks: int = Field(default=2_000, ge=1, description="Largest eth_getLogs block range.")
    target_batch_logs: int = Field(default=2_000, ge=1, description="Ranges grow while batches hold fewer logs.")
    reorg_window: int = Field(default=1_000, ge=1,
                              description="Blocks of undo history kept; a deeper reorg needs a reindex.")
    poll_interval: float = Field(default=1.0, gt=0, description="Seconds between polls once at the head.")
    cors_origins: str = Field(default="", description="Comma-separated origins browsers may read the API from "
                                                      "(e.g. the web app's), or * for any; empty: none.")

    @field_validator("database_url")
    @classmethod
    def _no_sqlite_memory(cls, value: str) -> str:
        # An in-memory database would be a fresh, empty index for every connection of the API pool.
        if value.startswith("sqlite") and (":memory:" in value or value.rstrip("/") in ("sqlite:", "sqlite:")):
            raise ValueError("an in-memory SQLite database cannot be shared; give a file path")
        return value
