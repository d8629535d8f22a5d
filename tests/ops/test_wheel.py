"""The built wheel, installed into a fresh venv and run outside the checkout, gives working commands
with their data: --help of each, and one real action each against the session's chain.

The venv reuses the shared site-packages for the dependencies (a .pth line; their .pth files and
the checkout's editable install are not activated that way), so nothing is downloaded again and
only the wheel's own files provide tutti, oracle, indexer and media.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest
from ape import chain

from tutti.net import free_port

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ["tutti", "tutti-oracle", "tutti-indexer", "tutti-media", "tutti-train"]
HELLO_CID = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"  # "hello world\n", Kubo's default import


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv holding only the wheel (dependencies through the shared site-packages)."""
    tmp = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([str(ROOT / "bin" / "build-wheel"), str(tmp / "dist")], cwd=ROOT, capture_output=True,
                           text=True, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    wheel = next((tmp / "dist").glob("tutti-*.whl"))
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "--quiet", "--disable-pip-version-check", str(wheel)], check=True, timeout=300,
                   capture_output=True)
    site = Path(subprocess.check_output([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        text=True).strip())
    (site / "shared-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    work = tmp / "elsewhere"  # not the checkout: nothing may resolve through the project folder
    work.mkdir()
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp), "APE_DATA_FOLDER": str(tmp / "ape"),
           "MPLCONFIGDIR": str(tmp / "mpl"), "TUTTI_DATA_DIR": str(tmp / "data"), "PYTHONUNBUFFERED": "1"}
    return venv, work, env


def run(installed, *args: str, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    venv, work, base = installed
    return subprocess.run([str(venv / "bin" / args[0]), *args[1:]], cwd=work, env={**base, **(env or {})},
                          capture_output=True, text=True, timeout=timeout)


def test_the_packages_come_from_the_wheel_not_the_checkout(installed):
    venv, work, env = installed
    where = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import tutti, oracle, indexer, media; print(tutti.__file__, oracle.__file__, "
                            "indexer.__file__, media.__file__)"], cwd=work, env=env, capture_output=True, text=True)
    assert where.returncode == 0, where.stderr
    assert all(path.startswith(str(venv)) for path in where.stdout.split()), where.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_answers_help(installed, command):
    result = run(installed, command, "--help")
    assert result.returncode == 0 and "Usage:" in result.stdout, result.stdout + result.stderr


def test_tutti_adds_a_file_to_the_embedded_ipfs_store(installed):
    _, work, _ = installed
    (work / "hello.txt").write_text("hello world\n")
    result = run(installed, "tutti", "ipfs", "add", "hello.txt")
    assert result.returncode == 0 and HELLO_CID in result.stdout, result.stdout + result.stderr


def test_the_shipped_model_bundles_load(installed):
    venv, work, env = installed
    code = ("from oracle.models.bundles import load_bundle, CHECKPOINTS; import sys; "
            "b = load_bundle('composer'); print(CHECKPOINTS, sorted(b)[:3])")
    result = subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=work, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0 and str(venv) in result.stdout, result.stdout + result.stderr


def test_the_worker_connects_with_the_shipped_abis(installed, tutti, deployments_dir):
    result = run(installed, "tutti-oracle", "run", "--network", "ethereum:local:foundry", "--account", "TEST::7",
                 "--kinds", "analyze", "--once", env={"APE_FOUNDRY_HOST": chain.provider.uri,
                                                      "TUTTI_DEPLOYMENTS_DIR": str(deployments_dir)})
    assert result.returncode == 0 and "worker stopped" in result.stdout, result.stdout + result.stderr


def test_the_indexer_catches_up_with_the_shipped_abis_and_migrations(installed, tutti, deployments_dir, tmp_path):
    database = tmp_path / "index.sqlite3"
    result = run(installed, "tutti-indexer", "run", "--network", "ethereum:local", "--until-head",
                 env={"TUTTI_INDEXER_RPC_URL": chain.provider.uri, "TUTTI_DEPLOYMENTS_DIR": str(deployments_dir),
                      "TUTTI_INDEXER_DATABASE_URL": f"sqlite:///{database}"})
    assert result.returncode == 0, result.stdout + result.stderr
    with sqlite3.connect(database) as db:
        (events,) = db.execute("SELECT count(*) FROM events").fetchone()
    assert events > 0  # the session's deployment (ownership, roles, mints) was decoded


def test_the_media_node_serves_the_shipped_web_client(installed, tutti, deployments_dir):
    venv, work, env = installed
    port = free_port()
    node = subprocess.Popen([str(venv / "bin" / "tutti-media"), "serve", "--room", "1", "--port", str(port),
                             "--rpc-url", chain.provider.uri, "--deployments-dir", str(deployments_dir)],
                            cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        page = b""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and node.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    page = response.read()
                break
            except OSError:
                time.sleep(0.3)
        assert b"<html" in page.lower(), node.stdout.read().decode()[-3000:] if node.poll() is not None else page
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10) as response:
            assert response.status == 200
    finally:
        node.terminate()
        node.wait(15)
