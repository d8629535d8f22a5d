"""One started platform (tutti.platform: chain, samples, IPFS, oracle, indexer, media node, web
app) for the whole session, and one browser run of every scenario against it (tests/webapp/e2e.mjs):
the tests then check each scenario's findings."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tutti.platform import APP_DIST, Platform, anvil_address

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("e2e.mjs")
# jam runs before governance: its "skip 2 days" would end the sample room the media node serves.
SCENARIOS = ["works", "wrongChain", "jam", "register", "rejected", "reverted", "pay", "payPermit", "withdraw", "metadata",
             "governance", "rooms", "revoke", "compose", "licences", "operator", "phone", "audit", "indexerDown"]
ROLES = {"artist": 1, "producer": 2, "vocalist": 3, "fan": 4, "holderA": 5, "holderB": 6, "operator": 7}


def _require_browser() -> None:
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("headless Chromium is not installed (bin/system-packages installs it)")
    if shutil.which("node") is None or not (ROOT / "node_modules" / "playwright-core").is_dir():
        pytest.skip("node or npm playwright-core is missing: run bin/setup")
    if not (APP_DIST / "index.html").exists():
        pytest.skip("the web app is not built: run bin/setup")


def _closed_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    _require_browser()
    with Platform(tmp_path_factory.mktemp("platform"), quiet=True) as started:
        yield started


@pytest.fixture(scope="session")
def findings(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every scenario's findings from one browser session (screenshots into
    $TUTTI_WEBAPP_SCREENSHOTS, e.g. docs/webapp, else a temp folder)."""
    folder = tmp_path_factory.mktemp("webapp")
    description = {
        "urls": platform.urls, "chainId": platform.app_config()["chainId"], "closedUrl": _closed_url(),
        "accounts": {role: {"index": index, "address": anvil_address(index)} for role, index in ROLES.items()},
    }
    (folder / "platform.json").write_text(json.dumps(description))
    shots = os.environ.get("TUTTI_WEBAPP_SCREENSHOTS") or str(folder / "shots")
    # TUTTI_WEBAPP_SCENARIOS=governance,rooms runs only those (the tests of the others then fail with KeyError).
    chosen = os.environ.get("TUTTI_WEBAPP_SCENARIOS") or ",".join(SCENARIOS)
    run = subprocess.run(["node", str(DRIVER), str(folder / "platform.json"), shots, chosen],
                         cwd=ROOT, capture_output=True, text=True, timeout=1200)
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    assert lines, f"the browser driver printed no findings:\n{run.stderr[-4000:]}"
    return json.loads(lines[-1])


@pytest.fixture
def scenario(findings: dict, request: pytest.FixtureRequest):
    """The findings of the scenario named by the test's `scenario_name` marker argument."""
    def get(name: str) -> dict:
        found = findings[name]
        assert "error" not in found, f"{name}: {found['error']}"
        return found
    return get
