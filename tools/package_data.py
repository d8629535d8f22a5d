"""Build step: copy what installed commands need from the checkout into the packages, before a
wheel or sdist is built (``make wheel`` runs it after ``ape compile``):

* the compiled contracts' ABIs (``.build/__local__.json``) -> ``tutti/data/abis/<Name>.json``
* the browser jam client (``web/``) -> ``media/web/``, served by ``tutti-media serve``
* the Prometheus alert rules (``deploy/prometheus/alerts.yml``) -> ``tutti/data/prometheus/``

The destinations are build output (git-ignored); the model bundles already live in their package.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tutti.addressbook import CONTRACT_NAMES  # noqa: E402  (after the path set-up)

#: Beside the system's contracts: the local test stablecoin, whose ABI any ERC-20 is read through.
EXTRA_CONTRACTS = ("TestToken",)


def copy_abis(build_file: Path = ROOT / ".build" / "__local__.json", target: Path = ROOT / "tutti" / "data" / "abis") -> list[str]:
    manifest = json.loads(build_file.read_text())
    types = manifest["contractTypes"]
    missing = [n for n in (*CONTRACT_NAMES, *EXTRA_CONTRACTS) if n not in types]
    if missing:
        raise SystemExit(f"{build_file} lacks {missing}: run `ape compile` first")
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for name in (*CONTRACT_NAMES, *EXTRA_CONTRACTS):
        (target / f"{name}.json").write_text(json.dumps({"contractName": name, "abi": types[name]["abi"]}))
    return [*CONTRACT_NAMES, *EXTRA_CONTRACTS]


def copy_alert_rules(source: Path = ROOT / "deploy" / "prometheus" / "alerts.yml",
                     target: Path = ROOT / "tutti" / "data" / "prometheus" / "alerts.yml") -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)


def copy_web_client(source: Path = ROOT / "web", target: Path = ROOT / "media" / "web") -> None:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("node_modules", "*.map"))


if __name__ == "__main__":
    names = copy_abis()
    copy_web_client()
    copy_alert_rules()
    print(f"package data: {len(names)} ABIs -> tutti/data/abis/, web/ -> media/web/, alert rules -> tutti/data/prometheus/")
