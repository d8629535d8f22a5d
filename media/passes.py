"""The on-chain access-pass check, behind a small interface.

:class:`PassChecker` is what the node needs; :class:`Web3PassChecker` answers it with an
``eth_call`` of ``hasValidPass(uint256 roomId, address account) returns (bool)`` on the
AccessPass contract (contracts/interfaces/IAccessPass.sol), whose address comes from the
deployment address book or ``--pass-contract``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol, runtime_checkable

from web3 import AsyncHTTPProvider, AsyncWeb3

from tutti.addressbook import AddressBook

logger = logging.getLogger(__name__)

HAS_VALID_PASS_ABI = [{
    "type": "function", "name": "hasValidPass", "stateMutability": "view",
    "inputs": [{"name": "roomId", "type": "uint256"}, {"name": "account", "type": "address"}],
    "outputs": [{"name": "", "type": "bool"}],
}]


class PassCheckError(RuntimeError):
    """The chain could not be asked (RPC down, wrong address): not the same as "no pass"."""


@runtime_checkable
class PassChecker(Protocol):
    """Answers whether ``address`` may be in room ``room_id`` right now."""

    async def has_valid_pass(self, room_id: int, address: str) -> bool: ...


class Web3PassChecker:
    """Asks the AccessPass contract through an ``eth_call`` (web3.py, async HTTP provider)."""

    def __init__(self, rpc_url: str, contract_address: str, timeout: float = 5.0) -> None:
        self.rpc_url = rpc_url
        self.web3 = AsyncWeb3(AsyncHTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))
        self.contract_address = AsyncWeb3.to_checksum_address(contract_address)
        self.contract = self.web3.eth.contract(address=self.contract_address, abi=HAS_VALID_PASS_ABI)

    async def has_valid_pass(self, room_id: int, address: str) -> bool:
        try:
            return bool(await self.contract.functions.hasValidPass(
                int(room_id), AsyncWeb3.to_checksum_address(address)).call())
        except Exception as exc:  # noqa: BLE001 - any RPC/ABI failure means "could not ask"
            raise PassCheckError(f"hasValidPass call to {self.contract_address} via {self.rpc_url} "
                                 f"failed: {exc}") from exc

    async def chain_id(self) -> int:
        try:
            return int(await self.web3.eth.chain_id)
        except Exception as exc:  # noqa: BLE001
            raise PassCheckError(f"cannot read the chain id from {self.rpc_url}: {exc}") from exc

    async def check_contract(self) -> None:
        """Fail early if nothing is deployed at the configured address."""
        try:
            code = await self.web3.eth.get_code(self.contract_address)
        except Exception as exc:  # noqa: BLE001
            raise PassCheckError(f"cannot reach {self.rpc_url}: {exc}") from exc
        if not code:
            raise PassCheckError(f"no contract at {self.contract_address} on {self.rpc_url}")


def pass_contract_from_book(deployments_dir: Path, network: str) -> tuple[str, int]:
    """AccessPass address and chain id from the address book of ``ecosystem:network``."""
    ecosystem, _, name = network.partition(":")
    book = AddressBook.load(Path(deployments_dir), ecosystem, name or "local")
    return book.address("AccessPass"), book.chain_id
