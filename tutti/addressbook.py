"""The deployment address book: which contract lives where on which network.

``ape run deploy`` writes one JSON file per network (``deployments/<ecosystem>/<network>.json``);
scripts, the oracle, the indexer and the media node read it instead of taking addresses by hand.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tutti.errors import TuttiError

CONTRACT_NAMES = (
    "TuttiToken",
    "TuttiTimelock",
    "TuttiGovernor",
    "RoyaltySplitter",
    "ContentRegistry",
    "OracleHub",
    "AccessPass",
    "UsageRoyalties",
    "LicenseOffers",
)


class AddressBookMissing(TuttiError):
    """No deployment is recorded for the network."""


@dataclass(frozen=True)
class AddressBook:
    """Addresses of one deployment of the whole system."""

    ecosystem: str
    network: str
    chain_id: int
    deployer: str
    start_block: int
    contracts: dict[str, str]
    extras: dict[str, str] = field(default_factory=dict)

    def address(self, name: str) -> str:
        """Address of contract ``name`` (a Tutti contract or an extra such as a test token)."""
        if name in self.contracts:
            return self.contracts[name]
        if name in self.extras:
            return self.extras[name]
        raise AddressBookMissing(f"the {self.network} deployment has no contract named {name!r}")

    @staticmethod
    def path_for(directory: Path, ecosystem: str, network: str) -> Path:
        return Path(directory) / ecosystem / f"{network}.json"

    def save(self, directory: Path) -> Path:
        """Write the book atomically (a crash never leaves half a file behind)."""
        path = self.path_for(directory, self.ecosystem, self.network)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, directory: Path, ecosystem: str, network: str) -> "AddressBook":
        path = cls.path_for(directory, ecosystem, network)
        if not path.exists():
            raise AddressBookMissing(
                f"no Tutti deployment recorded for {ecosystem}:{network} ({path} is missing); "
                "run `ape run deploy` first"
            )
        data = json.loads(path.read_text())
        return cls(**data)
