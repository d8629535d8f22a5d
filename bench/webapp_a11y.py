"""Accessibility audit of every web app page: axe-core (web/app's dev dependency) run in Debian's
headless Chromium against a freshly started local platform, violations counted per page and
impact, plus sideways overflow at phone width (390 px). Same driver as the browser tests
(tests/webapp/e2e.mjs, scenario "audit").

    source bin/env && python bench/webapp_a11y.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.webapp.conftest import DRIVER, ROLES, _closed_url  # noqa: E402
from tutti.platform import Platform, anvil_address  # noqa: E402

IMPACTS = ("critical", "serious", "moderate", "minor")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, Platform(Path(folder) / "platform", quiet=True) as platform:
        description = {"urls": platform.urls, "chainId": platform.app_config()["chainId"], "closedUrl": _closed_url(),
                       "accounts": {role: {"index": i, "address": anvil_address(i)} for role, i in ROLES.items()}}
        (Path(folder) / "platform.json").write_text(json.dumps(description))
        run = subprocess.run(["node", str(DRIVER), str(Path(folder) / "platform.json"), str(Path(folder) / "shots"), "audit"],
                             cwd=ROOT, capture_output=True, text=True, timeout=900)
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    if not lines:
        sys.exit(f"the browser driver printed no findings:\n{run.stderr[-2000:]}")
    found = json.loads(lines[-1])
    audit = found["audit"]
    if "error" in audit:
        sys.exit(f"audit failed: {audit['error']}")
    print(f"{'page':<16} " + " ".join(f"{impact:>9}" for impact in IMPACTS) + "  rules (nodes)          phone overflow px")
    total = Counter()
    for page, violations in audit["violations"].items():
        counts = Counter(v["impact"] for v in violations)
        total.update(counts)
        rules = ", ".join(f"{v['id']} ({v['nodes']})" for v in violations) or "-"
        print(f"{page:<16} " + " ".join(f"{counts[impact]:>9}" for impact in IMPACTS) + f"  {rules:<22} {audit['overflow'][page]}")
    print(f"{'all pages':<16} " + " ".join(f"{total[impact]:>9}" for impact in IMPACTS))
    print(f"console errors: {len(found['console'])}")


if __name__ == "__main__":
    main()
