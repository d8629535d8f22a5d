"""Settings read from the environment (``TUTTI_*``) or a ``.env`` file, with safe local defaults.

One prefix scheme for every command: ``TUTTI_<NAME>`` for what the whole platform shares (this
class: address books, data folder, IPFS), ``TUTTI_<SERVICE>_<NAME>`` for one service's settings
(``TUTTI_INDEXER_*`` in :class:`indexer.config.IndexerSettings`, ``TUTTI_ORACLE_*``,
``TUTTI_MEDIA_*``, ``TUTTI_LOG_*``). Every variable is listed with its meaning in ``.env.example``
(tests/ops/test_settings.py keeps the two in step). Command-line options override the environment.

Secrets (private keys) come only from the environment or from a file named by ``<VAR>_FILE``
(Docker and Kubernetes secrets), never from arguments, which other users of the machine can read
in the process list and which stay in shell history: see :func:`secret_option`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import click
from click.core import ParameterSource

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


def secret_from_environment(variable: str) -> str | None:
    """``$VARIABLE``, else the contents of the file ``$VARIABLE_FILE`` (stripped), else None."""
    value = os.environ.get(variable)
    if value:
        return value
    path = os.environ.get(f"{variable}_FILE")
    if path:
        try:
            return Path(path).read_text().strip() or None
        except OSError as exc:
            raise click.UsageError(f"{variable}_FILE={path}: cannot read it ({exc.strerror})") from None
    return None


def secret_option(variable: str, required: bool = False) -> Callable[[click.Context, click.Parameter, str | None], str | None]:
    """A click callback for an option that holds a secret: it refuses a value typed on the command
    line and reads ``$VARIABLE`` or ``$VARIABLE_FILE`` instead. Declare the option without
    ``envvar`` (this callback reads it) and without ``required`` (pass it here)."""

    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if ctx.get_parameter_source(param.name) == ParameterSource.COMMANDLINE:
            raise click.BadParameter(
                f"a secret is never taken from the command line (other users see it in the process list): "
                f"set {variable} or {variable}_FILE", param=param)
        value = secret_from_environment(variable)
        if value is None and required:
            raise click.UsageError(f"set {variable} (or {variable}_FILE, a file holding it)")
        return value

    return callback
