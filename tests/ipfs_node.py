"""A real Kubo-RPC node for tests: js-ipfs 0.66.1 from node_modules (no Go Kubo can be installed
here), started once per session, offline, on a free 127.0.0.1 port, in a fresh repo under pytest's
tmp dir, and always stopped. Set ``TUTTI_TEST_IPFS_URL=http://127.0.0.1:5001`` to use a Kubo
daemon you started yourself instead (the tests add and pin content there).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tutti.net import free_port

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
JSIPFS = PROJECT_ROOT / "node_modules" / ".bin" / "jsipfs"
POLYFILL = PROJECT_ROOT / "tools" / "jsipfs" / "promise-with-resolvers.cjs"
NODE_START_TIMEOUT = 60.0
# js-ipfs searches forever for a block it lacks, even offline: give up on a root quickly here.
LOOKUP_TIMEOUT = 1.0
PR_SET_PDEATHSIG = 1


def _jsipfs_env(repo: Path) -> dict[str, str]:
    env = dict(os.environ, IPFS_PATH=str(repo))
    env["NODE_OPTIONS"] = f"{env.get('NODE_OPTIONS', '')} --require {POLYFILL}".strip()
    return env


def _configure(repo: Path, api_port: int) -> None:
    """Edit the repo config directly (one jsipfs call per key would cost a second each)."""
    config_path = repo / "config"
    config = json.loads(config_path.read_text())
    addresses = config.setdefault("Addresses", {})
    addresses["API"] = f"/ip4/127.0.0.1/tcp/{api_port}"
    addresses["Gateway"] = "/ip4/127.0.0.1/tcp/0"
    addresses["RPC"] = f"/ip4/127.0.0.1/tcp/{free_port()}"
    addresses["Swarm"] = []  # with any swarm address js-ipfs 0.66 never opens its API
    addresses["Delegates"] = []
    config["Bootstrap"] = []
    config_path.write_text(json.dumps(config, indent=2))


def _die_with_parent() -> None:
    """In the child before exec: have Linux SIGKILL the node if pytest itself gets killed."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the node's process group, then SIGKILL the group to catch any straggler."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=10.0)
    except subprocess.TimeoutExpired:
        logger.warning("js-ipfs ignored SIGTERM; killing it")
    # The leader may be gone while children it spawned linger in the group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=5.0)


def _wait_until_ready(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + NODE_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"js-ipfs exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.post(f"{url}/api/v0/version", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"js-ipfs API not up after {NODE_START_TIMEOUT}s:\n{log_path.read_text()}")


@pytest.fixture(scope="session")
def ipfs_node_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a running Kubo RPC API: ``$TUTTI_TEST_IPFS_URL`` or a js-ipfs node we start."""
    external = os.environ.get("TUTTI_TEST_IPFS_URL")
    if external:
        url = external.rstrip("/")
        try:
            httpx.post(f"{url}/api/v0/version", timeout=10.0).raise_for_status()
        except httpx.HTTPError as exc:
            pytest.fail(f"TUTTI_TEST_IPFS_URL={url} does not answer /api/v0/version: {exc}")
        yield url
        return
    if not JSIPFS.exists() or shutil.which("node") is None:
        pytest.skip("js-ipfs not installed (npm install) and TUTTI_TEST_IPFS_URL not set")
    repo = tmp_path_factory.mktemp("jsipfs") / "repo"
    env = _jsipfs_env(repo)
    subprocess.run(
        [str(JSIPFS), "init", "--profile", "test"],
        env=env,
        check=True,
        capture_output=True,
        timeout=NODE_START_TIMEOUT,
    )
    port = free_port()
    _configure(repo, port)
    log_path = repo.parent / "daemon.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(JSIPFS), "daemon", "--offline"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so teardown reaches every child
            preexec_fn=_die_with_parent,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_ready(url, process, log_path)
        logger.info("js-ipfs ready at %s (repo %s)", url, repo)
        yield url
    finally:
        _stop(process)
