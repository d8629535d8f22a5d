"""Slither finds nothing on the contracts beyond the findings triaged in slither-accepted.toml."""

import json
import subprocess
import sys

from tests.static.slither_findings import ROOT, Finding, load_accepted, new_findings, stale_entries


def test_no_untriaged_slither_findings():
    # A separate process: Slither's compile and analysis keep large state and configure logging.
    run = subprocess.run([sys.executable, "-m", "tests.static.slither_findings", "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    findings = [Finding(**f) for f in json.loads(run.stdout)["findings"]]
    accepted = load_accepted()
    assert findings, "Slither reported nothing at all: the analysis did not see the contracts"
    fresh = new_findings(findings, accepted)
    assert not fresh, "new Slither findings (fix them or triage them in slither-accepted.toml):\n" + "\n".join(
        f"{f.check} [{f.impact}] {f.where}: {f.description}" for f in fresh)
    stale = stale_entries(findings, accepted)
    assert not stale, "slither-accepted.toml entries that match nothing any more (remove them):\n" + "\n".join(
        f"{a.check} {a.where}" for a in stale)
