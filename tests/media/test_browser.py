"""The web client in headless Chromium (Debian's package), driven by npm playwright-core."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from eth_account import Account

from .conftest import ROOT, run_client

CHROMIUM = Path("/usr/bin/chromium")
DRIVER = Path(__file__).with_name("browser_e2e.mjs")


def ensure_chromium() -> None:
    """Install Debian's chromium if it is missing; skip (saying why) only if that is impossible."""
    if not CHROMIUM.exists():
        try:
            subprocess.run(["apt-get", "install", "-y", "chromium"], check=True, capture_output=True,
                           timeout=600)
        except (OSError, subprocess.SubprocessError) as exc:
            pytest.skip(f"headless Chromium unavailable: `apt-get install -y chromium` failed ({exc})")
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the browser test runs playwright-core on node")
    if not (ROOT / "node_modules" / "playwright-core").is_dir():
        pytest.skip("npm playwright-core is not installed: run `npm install` in the project root")


def test_browser_client_signs_in_hears_the_mix_and_places_a_musician(node, musicians, grant, tmp_path):
    ensure_chromium()
    browser_account = Account.create()
    grant(browser_account)
    player = musicians[0]
    grant(player)
    python_musician = run_client(node, player, send="noise:3", seconds=25, record=tmp_path / "player.npz")
    time.sleep(1.0)
    driver = subprocess.run(["node", str(DRIVER), node.url, browser_account.key.hex(), str(tmp_path / "profile")],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    lines = [line for line in driver.stdout.splitlines() if line.startswith("{")]
    assert lines, driver.stderr[-3000:]
    found = json.loads(lines[-1])
    python_musician.terminate()
    assert "failure" not in found, found
    assert found["address"] == browser_account.address
    assert {p["address"] for p in found["participants"]} == {browser_account.address, player.address}
    assert found["playingShown"] == 1  # the Python musician is shown as playing
    assert found["signInLocked"], found  # no switching accounts in the middle of a session
    left, right = found["before"]
    assert 0.5 < left / right < 2.0, found  # straight ahead: both ears alike
    assert found["placement"]["azimuth"] < -60, found
    left, right = found["after"]
    assert left > 2.0 * right, found  # dragged to the far left: the left ear dominates
    assert not found["console"], found["console"]


def test_browser_refusal_explains_how_to_get_a_pass(node, tmp_path):
    ensure_chromium()
    stranger = Account.create()  # no pass
    driver = subprocess.run(["node", str(DRIVER), node.url, stranger.key.hex(), str(tmp_path / "profile"), "refusal"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    lines = [line for line in driver.stdout.splitlines() if line.startswith("{")]
    assert lines, driver.stderr[-3000:]
    found = json.loads(lines[-1])
    assert "failure" not in found, found
    assert found["refused"] == 403 and "no valid access pass" in found["error"], found
    assert found["joinDisabled"] and "access pass" in found["passHelp"], found  # says how to get one
    assert found["signInEnabled"], found  # the musician can switch accounts
    assert found["joinEnabledAfterNewKey"] and found["helpHiddenAfterNewKey"], found
