"""Fixtures for the media node: a stand-in AccessPass on the test anvil, nodes as processes.

Everything is real: the node is ``python -m media.cli serve`` in its own process, its pass checks
are ``eth_call``s to a contract deployed on the session's anvil, and musicians are separate
``python -m media.cli join`` processes (or aiortc clients in the test process for refusals). The
room directory's tests add the real indexer (``python -m indexer.cli run`` and ``serve``) over the
session's full deployment, reached over HTTP only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
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


def start_node(tmp: Path, args: list[str], name: str, room: int = ROOM, env: dict[str, str] | None = None) -> Node:
    port = free_port()
    log = tmp / f"{name}.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
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
    """A node reading the AccessPass address from an address book, with the default pass re-checks
    (at every new block, else every 15 s)."""
    from ape import chain
    tmp = tmp_path_factory.mktemp("media")
    book = tmp / "deployments" / "ethereum" / "local.json"
    book.parent.mkdir(parents=True)
    book.write_text(json.dumps({"ecosystem": "ethereum", "network": "local",
                                "chain_id": chain.chain_id, "deployer": stub_pass.address,
                                "start_block": 0, "contracts": {"AccessPass": stub_pass.address}}))
    node = start_node(tmp, ["--rpc-url", rpc_url, "--deployments-dir", str(tmp / "deployments"),
                            "--join-burst", "30", "--join-rate", "10"],
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


def run_client(node: Node | None, account, *, send: str = "noise:1", seconds: float = 4.0,
               record: Path | None = None, indexer: str | None = None, room: int | None = None,
               extra: list[str] = (), env: dict[str, str] | None = None) -> subprocess.Popen:
    """A musician in its own process (``tutti-media join``); its stdout is one JSON line.

    With ``indexer``, the client finds room ``room``'s node in that indexer's room directory."""
    where = ["--indexer", indexer] if indexer else ["--url", node.url]
    room = node.room if room is None else room
    args = [sys.executable, "-m", "media.cli", "--log-level", "WARNING", "join", *where,
            "--room", str(room), "--send", send, "--seconds", str(seconds)]
    if record is not None:
        args += ["--record", str(record)]
    args += list(extra)
    return subprocess.Popen(args, cwd=ROOT, env={**os.environ, **(env or {}), "TUTTI_MEDIA_KEY": account.key.hex()},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def client_result(process: subprocess.Popen, timeout: float = 60) -> dict:
    out, err = process.communicate(timeout=timeout)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert lines, f"client printed no result (exit {process.returncode}):\n{err[-3000:]}"
    return json.loads(lines[-1])


# --------------------------------------------------------------------------- the indexer, as a service
@dataclass
class IndexerService:
    """``tutti-indexer run`` (following the chain) and ``tutti-indexer serve`` over one SQLite index.

    The media node only ever talks to it over HTTP, so the tests do the same."""

    url: str
    processes: list[subprocess.Popen]
    logs: list[Path]

    def get(self, path: str) -> tuple[int, object]:
        try:
            with urllib.request.urlopen(f"{self.url}{path}", timeout=5) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def media_nodes(self, room: int) -> list[dict]:
        status, body = self.get(f"/rooms/{room}/media-nodes")
        assert status == 200, (status, body)
        return body["items"] if isinstance(body, dict) else body

    def wait_for_room(self, room: int, timeout: float = 60) -> None:
        """Until the index holds room ``room`` (the directory refuses announcements before)."""
        wait_until(lambda: self.get(f"/rooms/{room}")[0] == 200, timeout, f"room {room} indexed", self)

    def tail(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-2000:]}" for log in self.logs)


def wait_until(condition, timeout: float, what: str, service: IndexerService | None = None):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}" + (f"\n{service.tail()}" if service else ""))
        time.sleep(0.2)
    return result


@pytest.fixture
def indexer_service(tutti, deployments_dir, tmp_path):
    """``start(port=None)``: index the session's deployment from its address book into a fresh SQLite
    file, then follow the chain and serve the API on ``port``; everything is stopped after the test."""
    from ape import chain

    services: list[IndexerService] = []

    def start(port: int | None = None) -> IndexerService:
        port = port or free_port()
        folder = tmp_path / f"indexer-{port}"
        folder.mkdir()
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "TUTTI_DEPLOYMENTS_DIR": str(deployments_dir),
               "TUTTI_INDEXER_DATABASE_URL": f"sqlite:///{folder / 'index.sqlite3'}",
               "TUTTI_INDEXER_RPC_URL": chain.provider.uri}
        indexer = [sys.executable, "-m", "indexer.cli"]
        follow = [*indexer, "run", "--network", "ethereum:local", "--poll-interval", "0.2"]
        # Migrate and catch up first, so the two processes below never migrate the same file at once.
        subprocess.run([*follow, "--until-head"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
        logs = [folder / "run.log", folder / "serve.log"]
        processes = [
            subprocess.Popen(follow, cwd=ROOT, env=env, stdout=logs[0].open("w"), stderr=subprocess.STDOUT),
            subprocess.Popen([*indexer, "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                             stdout=logs[1].open("w"), stderr=subprocess.STDOUT),
        ]
        service = IndexerService(f"http://127.0.0.1:{port}", processes, logs)
        services.append(service)
        wait_until(lambda: _answers(f"{service.url}/health") or any(p.poll() is not None for p in processes),
                   60, "the indexer's API", service)
        assert all(p.poll() is None for p in processes), f"the indexer stopped:\n{service.tail()}"
        return service

    yield start
    for service in services:
        for process in service.processes:
            process.terminate()
        for process in service.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False
