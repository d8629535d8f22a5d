"""Slither on the project's contracts, compared with the triaged findings in slither-accepted.toml.

Slither is fed the project's own compiler (the solc shim in `.solcx/`, the one ape uses) through
crytic-compile's standard-JSON path, with the OpenZeppelin remappings from ape-config.yaml, and
every detector enabled. Findings located only in dependencies (node_modules), test doubles
(contracts/testing) or the benchmark baseline (contracts/baselines, never deployed) are dropped.

Run it by hand to see what is new and a ready-to-edit TOML entry for each:

    source bin/env; python -m tests.static.slither_findings
"""

from __future__ import annotations

import glob
import inspect
import json
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ACCEPTED_FILE = Path(__file__).with_name("slither-accepted.toml")
# Paths whose findings are not ours to fix (dependencies) or never deployed (doubles, baselines).
FILTERED_PATHS = ["node_modules", "contracts/testing", "contracts/baselines"]


@dataclass(frozen=True)
class Finding:
    check: str
    impact: str
    where: str  # Contract, Contract.function(sig), Contract.function(sig).variable, Contract.member
    file: str
    description: str


@dataclass(frozen=True)
class Accepted:
    check: str
    where: str | None  # None: the whole detector is accepted project-wide
    reason: str

    def covers(self, finding: Finding) -> bool:
        if finding.check != self.check:
            return False
        return self.where is None or finding.where == self.where or finding.where.startswith(self.where + ".")


def _where(element: dict) -> str:
    fields = element.get("type_specific_fields", {})
    name = fields.get("signature") or element["name"]
    parent = fields.get("parent")
    if element["type"] == "contract" or not parent:
        return name
    return f"{_where(parent)}.{name}"


def _remappings() -> list[str]:
    config = yaml.safe_load((ROOT / "ape-config.yaml").read_text())
    return list(config["solidity"]["import_remapping"])


def run_slither() -> list[Finding]:
    """Compile the contracts with the project's solc and return every finding outside FILTERED_PATHS."""
    from crytic_compile import CryticCompile
    from crytic_compile.platform.solc_standard_json import SolcStandardJson
    from slither import Slither
    from slither.detectors import all_detectors
    from slither.detectors.abstract_detector import AbstractDetector

    sources = SolcStandardJson()
    sources.add_source_files(sorted(glob.glob("contracts/**/*.sol", root_dir=ROOT, recursive=True)))
    compilation = CryticCompile(
        sources,
        solc=str(ROOT / ".solcx" / "solc-v0.8.37"),
        solc_remaps=_remappings(),
        solc_working_dir=str(ROOT),
        solc_disable_warnings=True,
    )
    slither = Slither(compilation, filter_paths=FILTERED_PATHS, exclude_dependencies=True)
    for _, detector in inspect.getmembers(all_detectors, inspect.isclass):
        if issubclass(detector, AbstractDetector):
            slither.register_detector(detector)
    findings = []
    for results in slither.run_detectors():
        for result in results:
            first = result["elements"][0] if result["elements"] else {"type": "contract", "name": "?"}
            findings.append(Finding(
                check=result["check"],
                impact=result["impact"],
                where=_where(first),
                file=first.get("source_mapping", {}).get("filename_relative", "?"),
                description=result["description"].strip().splitlines()[0],
            ))
    return findings


def load_accepted(path: Path = ACCEPTED_FILE) -> list[Accepted]:
    entries = tomllib.loads(path.read_text())["accepted"]
    return [Accepted(e["check"], e.get("where"), e["reason"]) for e in entries]


def new_findings(findings: list[Finding], accepted: list[Accepted]) -> list[Finding]:
    return [f for f in findings if not any(a.covers(f) for a in accepted)]


def stale_entries(findings: list[Finding], accepted: list[Accepted]) -> list[Accepted]:
    """Accepted entries that no longer match any finding (fixed, renamed or removed code)."""
    return [a for a in accepted if not any(a.covers(f) for f in findings)]


def as_toml(finding: Finding) -> str:
    return (f'[[accepted]]  # {finding.impact}: {finding.description}\ncheck = "{finding.check}"\n'
            f'where = "{finding.where}"\nreason = ""\n')


def main() -> int:
    findings = run_slither()
    accepted = load_accepted()
    if "--json" in sys.argv:
        json.dump({"findings": [f.__dict__ for f in findings]}, sys.stdout)
        return 0
    fresh = new_findings(findings, accepted)
    for finding in fresh:
        print(as_toml(finding))
    for entry in stale_entries(findings, accepted):
        print(f"# stale entry (matches nothing now): {entry.check} {entry.where}")
    print(f"# {len(findings)} findings, {len(findings) - len(fresh)} accepted, {len(fresh)} new", file=sys.stderr)
    return 1 if fresh else 0


if __name__ == "__main__":
    sys.exit(main())
