"""The whole compose platform (deploy/compose.yaml) running under podman-compose: a dev chain, the
IPFS service, PostgreSQL, the indexer with two API replicas, three oracle workers, a media node,
the web client and Prometheus, every image built from a Debian root. Each service's own health
check passes, and Prometheus scrapes every target with its key series.

Building the images takes longer than the suite may (`bin/compose-images`; `make compose-test`
builds them, then runs this test); the test reuses them when present and is skipped otherwise."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.http import get as http_get
from tutti.net import free_port

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose.yaml"
PROJECT = "tutti-ci"
IMAGES = ["localhost/tutti:latest", "localhost/tutti-dev:latest", "localhost/tutti-postgres:latest",
          "localhost/tutti-prometheus:latest"]
SERVICES = ["chain", "ipfs", "postgres", "indexer", "indexer-api-1", "indexer-api-2", "oracle-1", "oracle-2",
            "oracle-3", "media", "web", "prometheus"]
PUBLISHED = ["INDEXER_1", "INDEXER_2", "MEDIA", "WEB", "PROMETHEUS"]


def _missing_images() -> list[str]:
    if shutil.which("podman") is None or shutil.which("podman-compose") is None:
        return ["podman and podman-compose"]
    return [image for image in IMAGES if subprocess.run(["podman", "image", "exists", image]).returncode != 0]


pytestmark = pytest.mark.skipif(bool(_missing_images()), reason="the compose images are not built "
                                "(`make compose-test` builds them with bin/compose-images, then runs this test)")


def podman(*args: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout, **kwargs)


def container(service: str) -> str:
    return f"{PROJECT}_{service}_1"


def get(url: str) -> tuple[int, bytes]:
    return http_get(url, unreachable=(0, b""))


@pytest.fixture(scope="module")
def platform():
    env = {**os.environ, "CONTAINERS_CONF": os.environ.get("CONTAINERS_CONF", str(ROOT / "deploy/podman/containers.conf"))}
    ports = {name: free_port() for name in PUBLISHED}
    env.update({f"TUTTI_PUBLISH_{name}": str(port) for name, port in ports.items()})
    compose = ["podman-compose", "-p", PROJECT, "-f", str(COMPOSE)]
    subprocess.run([*compose, "down", "-v"], env=env, capture_output=True, timeout=300)  # a previous run's leftovers
    up = subprocess.run([*compose, "up", "-d", "--no-build"], env=env, capture_output=True, text=True, timeout=600)
    try:
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        yield ports, env
    finally:
        if os.environ.get("TUTTI_COMPOSE_LOGS"):  # a folder: every container's log, for a failed run
            folder = Path(os.environ["TUTTI_COMPOSE_LOGS"])
            folder.mkdir(parents=True, exist_ok=True)
            for service in ["deploy", *SERVICES]:
                logs = podman("logs", container(service), env=env)
                (folder / f"{service}.log").write_text(logs.stdout + logs.stderr)
        subprocess.run([*compose, "down", "-v"], env=env, capture_output=True, timeout=300)


def test_the_contracts_deploy_and_every_service_passes_its_health_check(platform):
    _ports, env = platform
    deployed = podman("wait", container("deploy"), timeout=600, env=env)
    logs = podman("logs", container("deploy"), env=env)
    assert deployed.stdout.strip() == "0", logs.stdout[-3000:] + logs.stderr[-3000:]
    # Podman runs health checks from systemd timers, absent here: run each service's own check.
    waiting, deadline = set(SERVICES), time.monotonic() + 600
    while waiting and time.monotonic() < deadline:
        for service in sorted(waiting):
            if podman("healthcheck", "run", container(service), env=env, timeout=60).returncode == 0:
                waiting.discard(service)
        time.sleep(3)
    assert not waiting, f"unhealthy after 10 min: {sorted(waiting)}"


def test_prometheus_scrapes_every_service(platform):
    ports, _env = platform
    url = f"http://127.0.0.1:{ports['PROMETHEUS']}"

    def query(expression: str) -> list[dict]:
        status, body = get(f"{url}/api/v1/query?" + urllib.parse.urlencode({"query": expression}))
        return json.loads(body)["data"]["result"] if status == 200 else []

    def value(expression: str) -> float | None:
        result = query(expression)
        return float(result[0]["value"][1]) if result else None

    deadline = time.monotonic() + 180
    while value("count(up == 1)") != 7 and time.monotonic() < deadline:  # 3 workers, 2 APIs, media, IPFS
        time.sleep(3)
    assert value("count(up == 1)") == 7, query("up")
    assert value("count(tutti_oracle_bond_wei)") == 3
    assert value("count(tutti_oracle_scanned_block)") == 3
    assert len(query("tutti_indexer_block")) == 2 and value("min(tutti_indexer_chain_head_block)") > 0
    assert value("tutti_ipfs_store_up") == 1
    assert value("tutti_media_rooms") == 1
    for name in ("INDEXER_1", "INDEXER_2", "MEDIA"):
        status, body = get(f"http://127.0.0.1:{ports[name]}/readyz")
        assert status == 200, f"{name}: {body!r}"
    assert get(f"http://127.0.0.1:{ports['WEB']}/")[0] == 200
