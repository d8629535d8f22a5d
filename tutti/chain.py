"""Handles on the deployed Tutti contracts for the network ape is connected to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tutti.addressbook import AddressBook, AddressBookMissing
from tutti.contract_types import contract_container
from tutti.settings import get_settings

if TYPE_CHECKING:
    from ape.contracts import ContractInstance


@dataclass(frozen=True)
class Tutti:
    """The deployed system: one attribute per contract, plus the address book they came from."""

    book: AddressBook
    token: "ContractInstance"
    timelock: "ContractInstance"
    governor: "ContractInstance"
    splitter: "ContractInstance"
    registry: "ContractInstance"
    hub: "ContractInstance"
    passes: "ContractInstance"
    usage: "ContractInstance"
    #: Licence offers and sold licences; None in an address book written before they existed.
    licenses: "ContractInstance | None" = None

    @classmethod
    def from_book(cls, book: AddressBook) -> "Tutti":
        def at(name: str) -> "ContractInstance":
            return contract_container(name).at(book.address(name))

        return cls(
            book=book,
            token=at("TuttiToken"),
            timelock=at("TuttiTimelock"),
            governor=at("TuttiGovernor"),
            splitter=at("RoyaltySplitter"),
            registry=at("ContentRegistry"),
            hub=at("OracleHub"),
            passes=at("AccessPass"),
            usage=at("UsageRoyalties"),
            licenses=at("LicenseOffers") if "LicenseOffers" in book.contracts else None,
        )

    @classmethod
    def connect(cls) -> "Tutti":
        """Load the address book of the connected network and check it is not stale
        (a restarted local chain forgets what was deployed on it)."""
        from ape import chain

        network = chain.provider.network
        book = AddressBook.load(get_settings().deployments_dir, network.ecosystem.name, network.name)
        if book.chain_id != chain.chain_id:
            raise AddressBookMissing(
                f"the address book for {network.ecosystem.name}:{network.name} is for chain id "
                f"{book.chain_id}, but the node reports {chain.chain_id}; run `ape run deploy` again"
            )
        registry = book.address("ContentRegistry")
        if not chain.provider.get_code(registry):
            raise AddressBookMissing(
                f"no contract at the recorded ContentRegistry address {registry} "
                "(was the local chain restarted?); run `ape run deploy` again"
            )
        return cls.from_book(book)

    def extra(self, name: str) -> "ContractInstance":
        """A contract deployed beside the system, such as the local test stablecoin."""
        return contract_container(name).at(self.book.address(name))
