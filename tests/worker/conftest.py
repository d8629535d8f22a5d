"""Oracle workers as separate processes (`tutti-oracle run`) against the session's anvil, sharing
an IPFS store with the requester; every worker started is killed at teardown."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ape import chain

from tutti.ipfs import open_store

PROJECT = Path(__file__).resolve().parents[2]
TUTTI_ORACLE = str(Path(sys.executable).parent / "tutti-oracle")


class Workers:
    def __init__(self, env: dict[str, str], journals: Path, logs: Path):
        self.env, self.journals, self.logs = env, journals, logs
        self.processes: list[subprocess.Popen] = []

    def start(self, account: str, *options: str, journal: str | None = None, ipfs: str | None = None):
        name = journal or account.replace(":", "")
        command = [TUTTI_ORACLE, "run", "--network", "ethereum:local:foundry", "--account", account,
                   "--poll-interval", "0.2", "--journal", str(self.journals / f"{name}.sqlite"), "-v", *options]
        if ipfs:
            command += ["--ipfs", ipfs]
        log = open(self.logs / f"{name}.log", "ab")
        process = subprocess.Popen(command, cwd=PROJECT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def log(self, account: str) -> str:
        return (self.logs / f"{account.replace(':', '')}.log").read_text()

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)


@pytest.fixture
def shared_data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def job_store(shared_data_dir):
    """The embedded IPFS store the requester and the workers share (the default set-up)."""
    return open_store(f"file://{shared_data_dir / 'ipfs'}")


@pytest.fixture
def workers(tutti, deployments_dir, shared_data_dir, tmp_path):
    env = dict(os.environ, APE_FOUNDRY_HOST=chain.provider.uri, TUTTI_DEPLOYMENTS_DIR=str(deployments_dir),
               TUTTI_DATA_DIR=str(shared_data_dir))
    (tmp_path / "journals").mkdir()
    (tmp_path / "logs").mkdir()
    pool = Workers(env, tmp_path / "journals", tmp_path / "logs")
    yield pool
    pool.stop_all()


def wait_until(condition, timeout: float = 60.0, what: str = "condition"):
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        if value := condition():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
