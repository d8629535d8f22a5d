"""One logging set-up for every Tutti command: readable lines on a terminal, JSON lines when asked.

Every CLI group takes the same flags through :func:`logging_options`:

    -v / -vv        more (info, then debug and the libraries' own chatter)
    -q / -qq        less (warnings only, then errors only)
    --log-format    text (default) or json; also TUTTI_LOG_FORMAT=json

Services put what a line is about in fields rather than in the text, with the standard library's
``extra=``: ``logger.info("attested", extra={"job": 7, "block": 1234, "tx": "0x..."})``. The text
format shows them as ``key=value`` after the message; the JSON format makes them keys of the
line, so a log pipeline can filter by job, room, block or transaction.

(The module is ``tutti.logs``, not ``tutti.logging``, so it never shadows the standard library.)
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import logging
import sys
from collections.abc import Callable, Mapping
from typing import IO, Any

import click

# Fields services attach with extra=; shown first and in this order. Any other extra key is kept too.
KNOWN_FIELDS = ("job", "kind", "room", "participant", "block", "tx", "operator", "epoch", "work", "url")
# Libraries that log every request or packet at INFO: quiet unless -vv asks for everything.
NOISY_LIBRARIES = ("aioice", "aiortc", "web3", "urllib3", "asyncio", "httpx", "httpcore", "py4j",
                   "ape", "uvicorn.access", "multipart", "sqlalchemy.engine")
# Attributes every LogRecord has; anything else on a record came from extra=.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_HANDLER_MARK = "_tutti_handler"


def record_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The extra= fields of a record, known ones first."""
    extra = {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRIBUTES and not k.startswith("_")}
    ordered = {k: extra.pop(k) for k in KNOWN_FIELDS if k in extra}
    ordered.update(sorted(extra.items()))
    return ordered


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


class TextFormatter(logging.Formatter):
    """``2026-12-05 10:00:00,123 INFO oracle.worker: job attested job=7 block=1234``"""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = record_fields(record)
        if not fields:
            return line
        head, sep, tail = line.partition("\n")  # keep a traceback below the fields
        return head + " " + " ".join(f"{k}={_plain(v)}" for k, v in fields.items()) + sep + tail


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the fields, exc."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _dt.datetime.fromtimestamp(record.created, _dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({k: _plain(v) for k, v in record_fields(record).items()})
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def level_for(verbose: int = 0, quiet: int = 0, base: int = logging.INFO) -> int:
    """Each -v lowers the level by one step (INFO -> DEBUG), each -q raises it (-> WARNING -> ERROR)."""
    return min(max(base - 10 * verbose + 10 * quiet, logging.DEBUG), logging.CRITICAL)


def configure(level: int = logging.INFO, fmt: str | None = None, stream: IO[str] | None = None,
              libraries_level: int | None = None) -> logging.Handler:
    """Install the one Tutti handler on the root logger (replacing a previous one; idempotent).

    ``fmt`` is ``"text"`` or ``"json"``; unset, ``TUTTI_LOG_FORMAT`` decides (text by default).
    The noisy libraries stay at WARNING unless ``level`` is DEBUG or ``libraries_level`` is given."""
    if not fmt:
        from tutti.settings import LogSettings

        fmt = LogSettings().format
    fmt = fmt.lower()
    if fmt not in ("text", "json"):
        raise ValueError(f"log format must be text or json, not {fmt!r}")
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)
    root.setLevel(level)
    if libraries_level is None:
        libraries_level = logging.DEBUG if level <= logging.DEBUG else max(level, logging.WARNING)
    for name in NOISY_LIBRARIES:
        logging.getLogger(name).setLevel(libraries_level)
    return handler


def logging_options(base: int = logging.INFO) -> Callable[[Callable], Callable]:
    """Click decorator: the same -v/-q/--log-format options on a command group (and, where a
    command always took them, on its sub-command too: the counts add up), applied on entry."""

    def decorate(command: Callable) -> Callable:
        @click.option("-v", "--verbose", count=True, help="More logging (repeat for more; -vv adds the libraries').")
        @click.option("-q", "--quiet", count=True, help="Less logging (repeat for less).")
        @click.option("--log-format", type=click.Choice(["text", "json"]),
                      help="Log lines as text or JSON lines [default: TUTTI_LOG_FORMAT, else text].")
        @click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
                      hidden=True, help="An explicit level instead of -v/-q (kept for older scripts).")
        @functools.wraps(command)
        def wrapper(*args: Any, verbose: int, quiet: int, log_format: str | None, log_level: str | None,
                    **kwargs: Any) -> Any:
            # ctx.meta is shared by a group and its sub-command: flags given at either level add up.
            state = click.get_current_context().meta.setdefault("tutti.logs", {"verbose": 0, "quiet": 0})
            state["verbose"] += verbose
            state["quiet"] += quiet
            state["format"] = log_format or state.get("format")
            state["level"] = log_level or state.get("level")
            state.setdefault("base", base)
            level = (logging.getLevelName(state["level"].upper()) if state["level"]
                     else level_for(state["verbose"], state["quiet"], state["base"]))
            configure(level, state["format"], libraries_level=logging.DEBUG if state["verbose"] >= 2 else None)
            return command(*args, **kwargs)

        return wrapper

    return decorate


class FieldsAdapter(logging.LoggerAdapter):
    """A logger that adds fixed fields (a room, a job) to every line, merged with each call's extra=."""

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        kwargs["extra"] = {**(self.extra or {}), **kwargs.get("extra", {})}
        return msg, kwargs


def with_fields(logger: logging.Logger, **fields: Any) -> FieldsAdapter:
    """``log = with_fields(logger, room=3); log.info("joined", extra={"participant": p})``."""
    return FieldsAdapter(logger, fields)


def fields(**values: Any) -> Mapping[str, Any]:
    """Fields for ``extra=`` with the None ones dropped: ``extra=fields(job=job_id, tx=tx_hash)``."""
    return {k: v for k, v in values.items() if v is not None}
