"""Fixtures for the media node: a stand-in AccessPass on the test anvil, nodes as processes.

Everything is real: the node is ``python -m media.cli serve`` in its own process, its pass checks
are ``eth_call``s to a contract deployed on the session's anvil, and musicians are separate
``python -m media.cli join`` processes (or aiortc clients in the test process for refusals).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from tutti.net import free_port

ROOT = Path(__file__).resolve().parents[2]
ROOM = 7


@dataclass
class Node:
    url: str
    room: int
    process: subprocess.Popen
    log: Path

    def stats(self) -> dict:
        with urllib.request.urlopen(f"{self.url}/api/stats", timeout=5) as response:
            return json.load(response)

    def alive(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False


def start_node(tmp: Path, args: list[str], name: str, room: int = ROOM) -> Node:
    port = free_port()
    log = tmp / f"{name}.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "media.cli", "serve", "--room", str(room),
                                "--host", "127.0.0.1", "--port", str(port), *args],
                               cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    node = Node(f"http://127.0.0.1:{port}", room, process, log)
    deadline = time.monotonic() + 60
    while not node.alive():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"media node did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    return node


def stop_node(node: Node) -> None:
    node.process.terminate()
    try:
        node.process.wait(10)
    except subprocess.TimeoutExpired:
        node.process.kill()


@pytest.fixture(scope="session")
def stub_pass(project, deployer):
    """StubAccessPass on the test anvil (the real AccessPass's hasValidPass view, settable)."""
    return project.StubAccessPass.deploy(sender=deployer)


@pytest.fixture(scope="session")
def rpc_url(stub_pass):
    from ape import chain
    return chain.provider.uri


@pytest.fixture(scope="session")
def musicians():
    """Fresh keys for musicians (signing only, they need no ether)."""
    return [Account.create() for _ in range(6)]


@pytest.fixture
def grant(stub_pass, deployer):
    def grant(account, valid: bool = True, room: int = ROOM):
        stub_pass.setValid(room, account.address, valid, sender=deployer)
    return grant


@pytest.fixture(scope="module")
def node(tmp_path_factory, stub_pass, rpc_url):
    """A node reading the AccessPass address from an address book, re-checking passes twice a second."""
    from ape import chain
    tmp = tmp_path_factory.mktemp("media")
    book = tmp / "deployments" / "ethereum" / "local.json"
    book.parent.mkdir(parents=True)
    book.write_text(json.dumps({"ecosystem": "ethereum", "network": "local",
                                "chain_id": chain.chain_id, "deployer": stub_pass.address,
                                "start_block": 0, "contracts": {"AccessPass": stub_pass.address}}))
    node = start_node(tmp, ["--rpc-url", rpc_url, "--deployments-dir", str(tmp / "deployments"),
                            "--pass-check-seconds", "0.5", "--join-burst", "30", "--join-rate", "10"],
                      "node")
    yield node
    stop_node(node)


@pytest.fixture(scope="module")
def small_node(tmp_path_factory, stub_pass, rpc_url):
    """A node for two participants at most, with the default join rate limit."""
    tmp = tmp_path_factory.mktemp("media-small")
    node = start_node(tmp, ["--rpc-url", rpc_url, "--pass-contract", stub_pass.address,
                            "--max-participants", "2", "--pass-check-seconds", "0.5"], "small-node")
    yield node
    stop_node(node)


def run_client(node: Node, account, *, send: str = "noise:1", seconds: float = 4.0,
               record: Path | None = None) -> subprocess.Popen:
    """A musician in its own process (``tutti-media join``); its stdout is one JSON line."""
    args = [sys.executable, "-m", "media.cli", "--log-level", "WARNING", "join", "--url", node.url,
            "--room", str(node.room), "--send", send, "--seconds", str(seconds)]
    if record is not None:
        args += ["--record", str(record)]
    return subprocess.Popen(args, cwd=ROOT, env={**os.environ, "TUTTI_MEDIA_KEY": account.key.hex()},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def client_result(process: subprocess.Popen, timeout: float = 60) -> dict:
    out, err = process.communicate(timeout=timeout)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert lines, f"client printed no result (exit {process.returncode}):\n{err[-3000:]}"
    return json.loads(lines[-1])
