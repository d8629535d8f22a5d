"""One settings scheme: every TUTTI_* variable the code reads is documented in .env.example (and
nothing documented there is dead); secrets are refused on the command line."""

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from indexer.config import IndexerSettings
from tutti.settings import Settings, _read, secret_option, secret_variables, setting, variables

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["tutti", "oracle", "indexer", "media", "scripts"]
# Set by the project's own shell scripts for themselves, not settings a person gives.
INTERNAL = {"TUTTI_ROOT", "TUTTI_EXTRAS", "TUTTI_MEDIA_PROG"}
SCHEME = re.compile(r"TUTTI_(?:(?:INDEXER|ORACLE|MEDIA|LOG|SPARK|TRAIN)_)?[A-Z0-9_]+")


def documented() -> set[str]:
    names = set()
    for line in (ROOT / ".env.example").read_text().splitlines():
        if match := re.match(r"#?\s?(TUTTI_[A-Z0-9_]+)=", line):
            names.add(match.group(1))
    return names


def read_by_the_code() -> set[str]:
    names = set()
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*.py"):
            names |= set(re.findall(r"\b(TUTTI_[A-Z0-9_]*[A-Z0-9])\b", path.read_text()))
    names |= set(variables())
    return {n for n in names if n not in INTERNAL and not n.endswith("_FILE") and n != "TUTTI_INDEXER"}


def test_every_variable_the_code_reads_is_documented_and_nothing_documented_is_dead():
    code, docs = read_by_the_code(), documented()
    assert code - docs == set(), f"document these in .env.example: {sorted(code - docs)}"
    assert docs - code == set(), f".env.example lists variables nothing reads: {sorted(docs - code)}"
    assert all(SCHEME.fullmatch(name) for name in code)


def test_the_example_file_is_valid_settings(tmp_path, monkeypatch):
    # The uncommented lines, read as a .env by both settings classes, give valid settings.
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    monkeypatch.chdir(tmp_path)
    assert IndexerSettings().confirmations == 0 and IndexerSettings().rpc_url.startswith("http://")
    assert Settings().deployments_dir == Path("deployments")


def test_keys_are_refused_on_the_command_line_and_read_from_a_file(tmp_path):
    key = "0x" + "11" * 32
    typed = subprocess.run([sys.executable, "-m", "media.cli", "join", "--room", "1", "--key", key],
                           capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert typed.returncode == 2 and "never taken from the command line" in typed.stderr
    assert key not in typed.stderr  # not echoed back either
    missing = subprocess.run([sys.executable, "-m", "media.cli", "join", "--room", "1"], capture_output=True,
                             text=True, timeout=60, cwd=ROOT, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert missing.returncode != 0 and "TUTTI_MEDIA_KEY_FILE" in missing.stderr


def test_a_secret_file_is_read(tmp_path, monkeypatch):
    from tutti.settings import secret_from_environment

    (tmp_path / "key").write_text("0xabc\n")
    monkeypatch.delenv("TUTTI_MEDIA_KEY", raising=False)
    monkeypatch.setenv("TUTTI_MEDIA_KEY_FILE", str(tmp_path / "key"))
    assert secret_from_environment("TUTTI_MEDIA_KEY") == "0xabc"
    monkeypatch.setenv("TUTTI_MEDIA_KEY", "0xdef")  # the variable itself wins over the file
    assert secret_from_environment("TUTTI_MEDIA_KEY") == "0xdef"


def test_every_secret_is_marked_as_one_in_the_example():
    lines = (ROOT / ".env.example").read_text().splitlines()
    for variable in secret_variables():
        index = next(i for i, line in enumerate(lines) if re.match(rf"#?\s?{variable}=", line))
        assert any("Secret" in line for line in lines[max(index - 3, 0):index]), variable


def test_one_model_holds_every_service_and_reads_env_dotenv_and_secret_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("TUTTI_ORACLE_METRICS_PORT=9101\nTUTTI_MEDIA_PASS_URL=http://app/#/rooms\n")
    (tmp_path / "host_key").write_text("0x" + "22" * 32 + "\n")
    monkeypatch.setenv("TUTTI_MEDIA_HOST_KEY_FILE", str(tmp_path / "host_key"))
    monkeypatch.setenv("TUTTI_MEDIA_PASS_URL", "http://env/#/rooms")  # the environment wins over .env
    monkeypatch.setenv("TUTTI_INDEXER_CONFIRMATIONS", "5")
    monkeypatch.setenv("TUTTI_LOG_FORMAT", "JSON")
    settings = Settings()
    assert settings.oracle.metrics_port == 9101
    assert settings.media.pass_url == "http://env/#/rooms"
    assert settings.media.host_key.get_secret_value() == "0x" + "22" * 32
    assert "22" * 32 not in repr(settings)  # a secret is never printed with the settings
    assert settings.indexer.confirmations == 5 and settings.log.format == "json"
    monkeypatch.setenv("TUTTI_INDEXER_CONFIRMATIONS", "-1")
    with pytest.raises(ValueError, match="confirmations"):
        Settings()


def test_options_default_to_the_settings_and_override_them(monkeypatch):
    @click.command()
    @click.option("--metrics-port", type=int, default=setting("oracle.metrics_port"))
    @click.option("--key", default=None, callback=secret_option("TUTTI_MEDIA_KEY"))
    def command(metrics_port, key):
        click.echo(f"{metrics_port} {key}")

    monkeypatch.setenv("TUTTI_ORACLE_METRICS_PORT", "9101")
    monkeypatch.setenv("TUTTI_MEDIA_KEY", "0xabc")
    assert CliRunner().invoke(command, []).output == "9101 0xabc\n"
    assert CliRunner().invoke(command, ["--metrics-port", "9200"]).output == "9200 0xabc\n"
    typed = CliRunner().invoke(command, ["--key", "0xdef"])
    assert typed.exit_code == 2 and "never taken from the command line" in typed.output
    with pytest.raises(ValueError, match="not a secret"):
        secret_option("TUTTI_MEDIA_PASS_URL")
    monkeypatch.setenv("TUTTI_ORACLE_METRICS_PORT", "99999")  # a bad setting: a message, no traceback
    bad = CliRunner().invoke(command, [])
    assert bad.exit_code == 2 and "invalid setting" in bad.output and "TUTTI_ORACLE_METRICS_PORT" in bad.output
    assert "Traceback" not in bad.output
    monkeypatch.delenv("TUTTI_ORACLE_METRICS_PORT")
    monkeypatch.setenv("TUTTI_INDEXER_CONFIRMATIONS", "-1")  # named by its variable from the whole model too
    with pytest.raises(click.UsageError, match="TUTTI_INDEXER_CONFIRMATIONS: Input should be greater"):
        _read(Settings)
