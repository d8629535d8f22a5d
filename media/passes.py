"""The on-chain access-pass check, behind a small interface.

:class:`PassChecker` is what the node needs; :class:`Web3PassChecker` answers it with an
``eth_call`` of ``hasValidPass(uint256 roomId, address account) returns (bool)`` on the
AccessPass contract (contracts/interfaces/IAccessPass.sol), whose address comes from the
deployment address book or ``--pass-contract``. It also reads a room's host (``room(uint256)``),
which a node that announces itself to the room directory must be signing for.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.exceptions import ContractLogicError

from tutti.addressbook import AddressBook

logger = logging.getLogger(__name__)

HAS_VALID_PASS_ABI = [{
    "type": "function", "name": "hasValidPass", "stateMutability": "view",
    "inputs": [{"name": "roomId", "type": "uint256"}, {"name": "account", "type": "address"}],
    "outputs": [{"name": "", "type": "bool"}],
}]
#: ``room(uint256) returns (Room)``: IAccessPass.Room, field for field (only ``host`` is used).
ROOM_ABI = [{
    "type": "function", "name": "room", "stateMutability": "view",
    "inputs": [{"name": "roomId", "type": "uint256"}],
    "outputs": [{"name": "", "type": "tuple", "components": [
        {"name": "host", "type": "address"}, {"name": "hostSplitId", "type": "uint256"},
        {"name": "price", "type": "uint256"}, {"name": "supplyCap", "type": "uint32"},
        {"name": "sold", "type": "uint32"}, {"name": "validFrom", "type": "uint64"},
        {"name": "validUntil", "type": "uint64"}, {"name": "transferable", "type": "bool"},
        {"name": "metadataCid", "type": "string"},
    ]}],
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
        self.contract = self.web3.eth.contract(address=self.contract_address, abi=HAS_VALID_PASS_ABI + ROOM_ABI)

    async def has_valid_pass(self, room_id: int, address: str) -> bool:
        try:
            return bool(await self.contract.functions.hasValidPass(
                int(room_id), AsyncWeb3.to_checksum_address(address)).call())
        except Exception as exc:  # noqa: BLE001 - any RPC/ABI failure means "could not ask"
            raise PassCheckError(f"hasValidPass call to {self.contract_address} via {self.rpc_url} "
                                 f"failed: {exc}") from exc

    async def block_number(self) -> int:
        """The chain's head; the node re-checks passes whenever it moves (a revocation's block)."""
        try:
            return int(await self.web3.eth.block_number)
        except Exception as exc:  # noqa: BLE001
            raise PassCheckError(f"cannot read the block number from {self.rpc_url}: {exc}") from exc

    async def room_valid_until(self, room_id: int) -> float | None:
        """When every pass of room ``room_id`` expires, on this machine's clock (``time.time()``),
        or None if unknown. The chain's clock may run apart from ours either way (a test chain
        fast-forwarded, or one whose snapshot reverts left it behind): the room's ``validUntil`` is
        moved by the offset of the chain's clock, read as the pending block's timestamp (what the
        next block will carry; the latest block's may be minutes old on an idle chain)."""
        try:
            room = await self.contract.functions.room(int(room_id)).call()
            try:
                clock = await self.web3.eth.get_block("pending")
            except Exception:  # noqa: BLE001 - a node without a pending block: the head's time
                clock = await self.web3.eth.get_block("latest")
        except Exception:  # noqa: BLE001 - a stand-in without room(): per-block re-checks still apply
            return None
        if not room[6]:
            return None
        return int(room[6]) - (int(clock["timestamp"]) - time.time())

    async def room_host(self, room_id: int) -> str:
        """The checksummed address that created room ``room_id``."""
        try:
            room = await self.contract.functions.room(int(room_id)).call()
        except ContractLogicError as exc:  # UnknownRoom, or a contract without room() (a stand-in)
            raise PassCheckError(f"AccessPass {self.contract_address} has no room {room_id} ({exc})") from exc
        except Exception as exc:  # noqa: BLE001
            raise PassCheckError(f"room({room_id}) call to {self.contract_address} via {self.rpc_url} "
                                 f"failed: {exc}") from exc
        return AsyncWeb3.to_checksum_address(room[0])

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


class RecheckClock:
    """When to re-check the passes of a room's sessions: at every new block (a revocation, a
    transfer, a pass expiring at that block's time), and at the latest every ``seconds``."""

    def __init__(self, passes: PassChecker, seconds: float) -> None:
        self._block_number = getattr(passes, "block_number", None)
        self._seconds = seconds
        self._last_block: int | None = None
        self._last_check = time.monotonic()

    async def due(self) -> bool:
        block = None
        if self._block_number is not None:
            try:
                block = await self._block_number()
            except PassCheckError as exc:
                logger.warning("%s", exc)
        now = time.monotonic()
        if block != self._last_block or now - self._last_check >= self._seconds:
            self._last_block, self._last_check = block, now
            return True
        return False


async def recheck_holders(passes: PassChecker, room_id: int, holders: Sequence[Any], grace: int,
                          end: Callable[[str, str], Awaitable[None]]) -> None:
    """Ask the chain again for every holder (an object with ``id``, ``address`` and
    ``pass_check_failures``) and ``end(id, reason)`` the sessions whose pass is gone, or that
    could not be verified ``grace`` times in a row."""
    results = await asyncio.gather(*(passes.has_valid_pass(room_id, holder.address) for holder in holders),
                                   return_exceptions=True)
    for holder, result in zip(holders, results):
        if isinstance(result, PassCheckError):
            holder.pass_check_failures += 1
            logger.warning("pass re-check for %s failed (%d in a row): %s", holder.address,
                           holder.pass_check_failures, result)
            if holder.pass_check_failures >= grace:
                await end(holder.id, "the access pass could not be verified on chain")
        elif isinstance(result, BaseException):
            logger.error("pass re-check crashed: %r", result)
        elif not result:
            await end(holder.id, "access pass no longer valid (expired or revoked)")
        else:
            holder.pass_check_failures = 0


def pass_contract_from_book(deployments_dir: Path, network: str) -> tuple[str, int]:
    """AccessPass address and chain id from the address book of ``ecosystem:network``."""
    ecosystem, _, name = network.partition(":")
    book = AddressBook.load(Path(deployments_dir), ecosystem, name or "local")
    return book.address("AccessPass"), book.chain_id
