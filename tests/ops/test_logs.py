"""One logging set-up for every command: text or JSON lines, fields from extra=, one set of flags."""

import io
import json
import logging
import subprocess
import sys

import pytest
from click.testing import CliRunner

from tutti.logs import JsonFormatter, TextFormatter, configure, fields, level_for, with_fields

COMMANDS = ["tutti.cli", "oracle.cli", "indexer.cli", "media.cli", "oracle.training.cli"]


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_carry_fields_and_tracebacks(restore_logging):
    out = io.StringIO()
    configure(logging.INFO, "json", stream=out)
    log = logging.getLogger("oracle.worker")
    log.info("job %s attested", 7, extra={"job": 7, "block": 1234, "tx": bytes.fromhex("ab" * 32)})
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("failed", extra=fields(job=8, room=None))
    first, second = [json.loads(line) for line in out.getvalue().splitlines()]
    assert first["message"] == "job 7 attested" and first["level"] == "info" and first["logger"] == "oracle.worker"
    assert (first["job"], first["block"], first["tx"]) == (7, 1234, "0x" + "ab" * 32)
    assert second["job"] == 8 and "room" not in second and "RuntimeError: boom" in second["exc"]


def test_text_lines_show_fields_after_the_message(restore_logging):
    out = io.StringIO()
    configure(logging.DEBUG, "text", stream=out)
    with_fields(logging.getLogger("media.room"), room=3).debug("joined", extra={"participant": "p1"})
    line = out.getvalue().strip()
    assert line.endswith("DEBUG media.room: joined room=3 participant=p1")
    configure(logging.INFO, "text", stream=out)  # reconfiguring replaces the handler, never adds a second
    assert sum(isinstance(h.formatter, (TextFormatter, JsonFormatter)) for h in logging.getLogger().handlers) == 1


def test_verbosity_steps():
    assert level_for(0, 0) == logging.INFO
    assert level_for(1, 0) == logging.DEBUG and level_for(5, 0) == logging.DEBUG
    assert level_for(0, 1) == logging.WARNING and level_for(0, 2) == logging.ERROR
    assert level_for(1, 0, base=logging.WARNING) == logging.INFO


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="text or json"):
        configure(fmt="xml")


def test_group_and_subcommand_flags_add_up(restore_logging, tmp_path):
    from oracle.cli import main
    from oracle.journal import Journal

    Journal(tmp_path / "j.sqlite")  # an empty journal to list
    result = CliRunner().invoke(main, ["-q", "--log-format", "json", "jobs", "--journal", str(tmp_path / "j.sqlite")])
    assert result.exit_code == 0, result.output
    root = logging.getLogger()
    assert root.level == logging.WARNING
    assert any(isinstance(h.formatter, JsonFormatter) for h in root.handlers)


@pytest.mark.parametrize("module", COMMANDS)
def test_every_command_takes_the_same_logging_flags(module):
    code = f"from {module} import main; main(prog_name={module!r})"
    run = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    for flag in ("--verbose", "--quiet", "--log-format"):
        assert flag in run.stdout, f"{module} --help lacks {flag}"
