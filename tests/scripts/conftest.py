"""The `run` fixture: an `ape run` script as a separate process, the way a person starts it,
against this session's anvil and its deployment's address book."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from ape import chain

PROJECT = Path(__file__).resolve().parents[2]
APE = str(Path(sys.executable).parent / "ape")


@pytest.fixture
def run(tutti, deployments_dir):
    """``run(NAME, *ARGS, account=..., check=True)``: the finished process."""

    def run_script(name: str, *args: str, account: str | None = None, check: bool = True):
        env = dict(os.environ, APE_FOUNDRY_HOST=chain.provider.uri, TUTTI_DEPLOYMENTS_DIR=str(deployments_dir))
        command = [APE, "run", name, "--network", "ethereum:local:foundry"]
        if account is not None:
            command += ["--account", account]
        done = subprocess.run(command + list(args), cwd=PROJECT, env=env, capture_output=True, text=True,
                              timeout=120)
        if check and done.returncode != 0:
            raise AssertionError(f"ape run {name} failed:\n{done.stdout}\n{done.stderr}")
        return done

    return run_script
