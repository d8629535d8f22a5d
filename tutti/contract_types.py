"""The contracts' types (ABIs) wherever Tutti runs: ape's compiled project in a checkout, or the
ABIs shipped as package data in an installed wheel (``tutti/data/abis/<Name>.json``, copied from
the build by ``tools/package_data.py``), so installed commands need no checkout and no compiler.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ape.contracts import ContractContainer

PACKAGED_ABIS = Path(__file__).resolve().parent / "data" / "abis"


def packaged_abis() -> dict[str, list[dict]]:
    """Every shipped ABI by contract name (empty in a checkout that never ran the build step)."""
    return {path.stem: json.loads(path.read_text())["abi"] for path in sorted(PACKAGED_ABIS.glob("*.json"))}


def contract_container(name: str) -> ContractContainer:
    """ape's container for contract ``name``: the local project's when it has one (a checkout, where
    ape compiles), else one built from the shipped ABI."""
    from ape import project

    try:
        return getattr(project, name)
    except AttributeError:  # no ape project here (an installed wheel run from any folder)
        pass
    path = PACKAGED_ABIS / f"{name}.json"
    if not path.is_file():
        raise LookupError(f"no contract type for {name}: not in an ape project and not shipped in {PACKAGED_ABIS}")
    from ape.contracts import ContractContainer
    from ethpm_types import ContractType

    return ContractContainer(ContractType.model_validate_json(path.read_text()))
