"""The alert rules pass promtool's checks and unit tests. (The real Prometheus scraping every
service of a running local platform: tests/webapp/test_platform_metrics.py, on the session's
shared platform.)"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tutti.prometheus import ALERT_RULES

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "prometheus"

pytestmark = pytest.mark.skipif(not Path("/usr/bin/promtool").exists(), reason="Debian's prometheus not installed")


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["promtool", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_alert_rules_are_valid_and_pass_their_unit_tests():
    checked = promtool("check", "rules", str(ALERT_RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", str(DEPLOY / "alerts_test.yml"))
    assert tested.returncode == 0 and "SUCCESS" in tested.stdout, tested.stdout + tested.stderr
