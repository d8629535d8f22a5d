"""Settings read from the environment (``TUTTI_*``) or a ``.env`` file, with safe local defaults."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Where Tutti finds its deployment, its IPFS store and its local state."""

    model_config = SettingsConfigDict(env_prefix="TUTTI_", env_file=".env", extra="ignore")

    deployments_dir: Path = Field(
        default=PROJECT_ROOT / "deployments",
        description="Folder of address books written by `ape run deploy`, one per network.",
    )
    data_dir: Path = Field(
        default=PROJECT_ROOT / ".tutti",
        description="Local state: the embedded IPFS block store, journals, databases.",
    )
    ipfs_url: str | None = Field(
        default=None,
        description="Kubo RPC API URL (e.g. http://127.0.0.1:5001); unset means the embedded store.",
    )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
