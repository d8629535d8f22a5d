"""Tutti's one settings model: the environment (``TUTTI_*``) or a ``.env`` file, with safe local defaults.

One prefix scheme for every command: ``TUTTI_<NAME>`` for what the whole platform shares
(:class:`SharedSettings`: address books, data folder, IPFS, the chain, ICE), and
``TUTTI_<SERVICE>_<NAME>`` for one service's own settings: :class:`OracleSettings`
(``tutti-oracle``), :class:`IndexerSettings` (``tutti-indexer``), :class:`MediaSettings`
(``tutti-media``), :class:`IpfsServeSettings` (``tutti ipfs serve``), :class:`TrainSettings`
(``tutti-train``) and :class:`LogSettings` (every command). :class:`Settings` holds them all
(``get_settings().media.pass_url``). Every variable is listed with its meaning in ``.env.example``
(tests/ops/test_settings.py keeps the two in step, from :func:`variables`). Command-line options
override non-secret values: the commands take their option defaults from this model.

Secrets (private keys, TURN credentials) are :class:`~pydantic.SecretStr` fields, read only from
the environment, ``.env``, or a file named by ``<VAR>_FILE`` (Docker and Kubernetes secrets), never
from arguments, which other users of the machine can read in the process list and which stay in
shell history: see :func:`secret_option`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import click
from click.core import ParameterSource
from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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


def _is_secret(field: FieldInfo) -> bool:
    return SecretStr in (field.annotation, *getattr(field.annotation, "__args__", ()))


def _variable(model: type[BaseSettings], name: str, field: FieldInfo) -> str:
    alias = field.validation_alias
    return alias if isinstance(alias, str) else model.model_config.get("env_prefix", "") + name.upper()


class _SecretFiles(PydanticBaseSettingsSource):
    """Secret fields from the file named by ``<VAR>_FILE`` (after the variable itself and .env)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values = {}
        for name, field in self.settings_cls.model_fields.items():
            variable = _variable(self.settings_cls, name, field)
            if _is_secret(field) and not os.environ.get(variable) and os.environ.get(f"{variable}_FILE"):
                values[name] = secret_from_environment(variable)
        return values


class TuttiSettings(BaseSettings):
    """Common behaviour: ``.env`` in the working folder, unknown variables ignored, empty values
    meaning unset, secret fields also from ``<VAR>_FILE``; never from command-line arguments."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, dotenv_settings, _SecretFiles(settings_cls)


class SharedSettings(TuttiSettings):
    """What every command shares: where the deployment, the IPFS store and local state are."""

    model_config = SettingsConfigDict(env_prefix="TUTTI_")

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
    rpc_url: str = Field(default="http://127.0.0.1:8545",
                         description="JSON-RPC endpoint of the chain for the media node.")
    show_trace: bool = Field(default=False, description="Show ape's full call trace on a revert.")
    ice_servers: str = Field(default="", description="STUN/TURN servers: JSON list or space-separated URLs.")
    ice_relay_only: bool = Field(default=False, description="Relay (TURN) candidates only.")
    turn_username: str | None = Field(default=None, description="Static TURN user name.")
    turn_credential: SecretStr | None = Field(default=None, description="Secret: static TURN password.")
    turn_secret: SecretStr | None = Field(default=None, description="Secret: coturn's static-auth-secret.")
    key_services: str = Field(default="", description="Operators' key-release services, comma-separated.")


class LogSettings(TuttiSettings):
    """How every command logs (``-v``/``-q``/``--log-format`` override it)."""

    model_config = SettingsConfigDict(env_prefix="TUTTI_LOG_")

    format: Literal["text", "json"] = Field(default="text", description="text (a terminal) or json (JSON lines).")

    @field_validator("format", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


class OracleSettings(TuttiSettings):
    """``tutti-oracle run``: the operator's key is an ape account (passphrase in ape's own
    ``APE_ACCOUNTS_<NAME>_PASSPHRASE``), never a setting here."""

    model_config = SettingsConfigDict(env_prefix="TUTTI_ORACLE_")

    metrics_port: int | None = Field(default=None, ge=0, le=65535,
                                     description="Serve /metrics, /healthz, /readyz on this port (0: any free one).")
    metrics_host: str = Field(default="127.0.0.1", description="Address the metrics port binds.")


class MediaSettings(TuttiSettings):
    """``tutti-media serve`` / ``join``."""

    model_config = SettingsConfigDict(env_prefix="TUTTI_MEDIA_")

    announce: str = Field(default="", description="Indexer URLs to announce the node to, space-separated.")
    pass_url: str | None = Field(default=None, description="Where the jam page sends a musician without a pass.")
    host_key: SecretStr | None = Field(default=None, description="Secret: the room host's key (signs announcements).")
    key: SecretStr | None = Field(default=None, description="Secret: a musician's key for `tutti-media join`.")


class JanusSettings(TuttiSettings):
    """The Janus SFU a media node feeds its audience through (``tutti-media serve --janus``)."""

    model_config = SettingsConfigDict(env_prefix="TUTTI_JANUS_")

    binary: str = Field(default="/usr/bin/janus", description="The Janus binary `--janus auto` starts.")
    lib_dir: Path = Field(default=Path("/usr/lib/x86_64-linux-gnu/janus"),
                          description="Janus' plugin and transport folders (Debian's layout).")
    admin_secret: SecretStr | None = Field(default=None,
                                           description="Secret: the Admin API secret of a Janus run elsewhere.")
    streaming_admin_key: SecretStr | None = Field(
        default=None, description="Secret: that Janus' streaming plugin admin_key (creates mountpoints).")


class IpfsServeSettings(TuttiSettings):
    """``tutti ipfs serve``: the embedded store's HTTP face."""

    model_config = SettingsConfigDict(env_prefix="TUTTI_IPFS_")

    host: str = Field(default="127.0.0.1", description="Address `tutti ipfs serve` listens on.")
    port: int = Field(default=5001, ge=0, le=65535, description="Its port (0: a free one, printed).")


class TrainSettings(TuttiSettings):
    """``tutti-train``."""

    model_config = SettingsConfigDict(env_prefix="TUTTI_TRAIN_")

    threads: int = Field(default=1, ge=1, description="Torch threads (1: results reproducible across machines).")
    spark_master: str | None = Field(default=None, validation_alias="TUTTI_SPARK_MASTER",
                                     description="Spark master for prepare/train (default local[N]).")


def default_database_url() -> str:
    return f"sqlite:///{SharedSettings().data_dir / 'indexer.sqlite3'}"


class IndexerSettings(TuttiSettings):
    """Where the indexer reads the chain, where it writes the index, how cautious to be about reorgs."""

    model_config = SettingsConfigDict(env_prefix="TUTTI_INDEXER_")

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
    url: str | None = Field(default=None, description="The API's URL for its clients (`ape run demo`).")

    @field_validator("database_url")
    @classmethod
    def _no_sqlite_memory(cls, value: str) -> str:
        # An in-memory database would be a fresh, empty index for every connection of the API pool.
        if value.startswith("sqlite") and (":memory:" in value or value.rstrip("/") in ("sqlite:", "sqlite:")):
            raise ValueError("an in-memory SQLite database cannot be shared; give a file path")
        return value


class Settings(SharedSettings):
    """Every setting of every command, one sub-model per service."""

    log: LogSettings = Field(default_factory=LogSettings)
    oracle: OracleSettings = Field(default_factory=OracleSettings)
    indexer: IndexerSettings = Field(default_factory=IndexerSettings)
    media: MediaSettings = Field(default_factory=MediaSettings)
    janus: JanusSettings = Field(default_factory=JanusSettings)
    ipfs: IpfsServeSettings = Field(default_factory=IpfsServeSettings)
    train: TrainSettings = Field(default_factory=TrainSettings)


SERVICE_MODELS: dict[str, type[TuttiSettings]] = {
    "log": LogSettings, "oracle": OracleSettings, "indexer": IndexerSettings, "media": MediaSettings,
    "janus": JanusSettings, "ipfs": IpfsServeSettings, "train": TrainSettings,
}


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (read once); a bad value is a :class:`click.UsageError`."""
    return _read(Settings)


def _fields(model: type[BaseSettings]) -> Iterator[tuple[str, str, FieldInfo]]:
    for name, field in model.model_fields.items():
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            continue  # a service's sub-model: listed by its own class
        yield _variable(model, name, field), name, field


def variables() -> dict[str, FieldInfo]:
    """Every environment variable of the model (``TUTTI_MEDIA_HOST_KEY`` ...) and its field."""
    found = {}
    for model in (SharedSettings, *SERVICE_MODELS.values()):
        found |= {variable: field for variable, _name, field in _fields(model)}
    return found


def secret_variables() -> set[str]:
    return {variable for variable, field in variables().items() if _is_secret(field)}


def environment(settings: Settings | None = None) -> dict[str, str]:
    """The settings as ``{VARIABLE: text}`` (secrets revealed; unset ones left out), for code that
    takes an environment-like mapping (:func:`media.ice.ice_settings`)."""
    settings = settings or _read(Settings)
    values: dict[str, str] = {}
    for model, instance in ((SharedSettings, settings),
                            *((cls, getattr(settings, key)) for key, cls in SERVICE_MODELS.items())):
        for variable, name, _field in _fields(model):
            value = getattr(instance, name)
            if value is None or value == "":
                continue
            value = value.get_secret_value() if isinstance(value, SecretStr) else value
            values[variable] = ("1" if value else "0") if isinstance(value, bool) else str(value)
    return values


def secret_option(variable: str, required: bool = False) -> Callable[[click.Context, click.Parameter, str | None], str | None]:
    """A click callback for an option that holds a secret: it refuses a value typed on the command
    line and reads the setting ``variable`` instead (from the environment, ``.env`` or
    ``$VARIABLE_FILE``). Declare the option without ``envvar`` (this callback reads it) and
    without ``required`` (pass it here)."""
    if variable not in secret_variables():
        raise ValueError(f"{variable} is not a secret of the settings model")

    model, name = next((model, name) for model in (SharedSettings, *SERVICE_MODELS.values())
                       for var, name, _field in _fields(model) if var == variable)

    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if ctx.get_parameter_source(param.name) == ParameterSource.COMMANDLINE:
            raise click.BadParameter(
                f"a secret is never taken from the command line (other users see it in the process list): "
                f"set {variable} or {variable}_FILE", param=param)
        secret = getattr(_read(model), name)
        value = secret.get_secret_value() if secret is not None else None
        if value is None and required:
            raise click.UsageError(f"set {variable} (or {variable}_FILE, a file holding it)")
        return value

    return callback


def setting(path: str) -> Callable[[], Any]:
    """A click ``default=`` that reads the settings at call time: ``setting("media.pass_url")``.
    An option given on the command line overrides it."""

    *service, name = path.split(".")
    model = SERVICE_MODELS[service[0]] if service else SharedSettings

    def read() -> Any:
        return getattr(_read(model), name)

    return read


def _read(model: type[TuttiSettings]) -> TuttiSettings:
    """One model's settings, a bad value reported as a command-line error (no traceback)."""
    from pydantic import ValidationError

    try:
        return model()
    except ValidationError as exc:
        problems = []
        # A service's sub-model fails in its own constructor: the error's title names its class.
        models = {cls.__name__: cls for cls in (Settings, SharedSettings, *SERVICE_MODELS.values())}
        for error in exc.errors():
            owner, loc = models.get(exc.title, model), list(error["loc"])
            field = owner.model_fields.get(str(loc[0])) if loc else None
            name = _variable(owner, str(loc[0]), field) if field else ".".join(map(str, loc))
            problems.append(f"{name}: {error['msg']}")
        raise click.UsageError(f"invalid setting (environment or .env): {'; '.join(problems)}") from None
