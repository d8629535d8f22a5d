"""One settings scheme: every TUTTI_* variable the code reads is documented in .env.example (and
nothing documented there is dead); secrets are refused on the command line."""

import re
import subprocess
import sys
from pathlib import Path

from indexer.config import IndexerSettings
from tutti.settings import Settings

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
    for model in (Settings, IndexerSettings):
        prefix = model.model_config["env_prefix"]
        names |= {prefix + name.upper() for name in model.model_fields}
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
