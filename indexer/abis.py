"""The contracts' event ABIs, read from ape's compiled output, and log decoding.

Decoding is keyed by (address, topic0), not topic0 alone: the registry's ERC-721 ``Transfer`` and
the token's ERC-20 ``Transfer`` share a signature but not their indexed arguments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import event_abi_to_log_topic, to_checksum_address
from web3 import Web3
from web3._utils.events import get_event_data

from tutti.contract_types import packaged_abis
from tutti.settings import PROJECT_ROOT

DEFAULT_BUILD_FILE = PROJECT_ROOT / ".build" / "__local__.json"


def load_abis(build_file: Path = DEFAULT_BUILD_FILE) -> dict[str, list[dict]]:
    """Every compiled contract's ABI by contract name (``ape compile`` writes the file)."""
    try:
        data = json.loads(Path(build_file).read_text())
    except FileNotFoundError:
        if build_file == DEFAULT_BUILD_FILE and (shipped := packaged_abis()):
            return shipped  # an installed wheel: the ABIs shipped as package data
        raise FileNotFoundError(f"{build_file} is missing; run `ape compile` first") from None
    return {name: ct["abi"] for name, ct in data["contractTypes"].items()}


@dataclass(frozen=True)
class DecodedLog:
    contract: str
    address: str
    name: str
    args: dict[str, Any]
    block_number: int
    block_hash: str
    log_index: int
    tx_hash: str

    @property
    def event_id(self) -> int:
        return event_id(self.block_number, self.log_index)


def event_id(block_number: int, log_index: int) -> int:
    """One integer per log, ordered like the chain (a block has far fewer than a million logs)."""
    return block_number * 1_000_000 + log_index


class EventDecoder:
    """Decodes the logs of a set of named contracts."""

    def __init__(self, contracts: dict[str, str], abis: dict[str, list[dict]]):
        self._w3 = Web3()
        self._events: dict[tuple[str, bytes], tuple[str, dict]] = {}
        self.addresses = [to_checksum_address(a) for a in contracts.values()]
        for name, address in contracts.items():
            for entry in abis[name]:
                if entry["type"] == "event" and not entry.get("anonymous"):
                    self._events[(address.lower(), event_abi_to_log_topic(entry))] = (name, entry)

    def decode(self, log: dict) -> DecodedLog | None:
        """The decoded log, or None for a log of an event the ABIs do not know."""
        topics = log["topics"]
        if not topics:
            return None
        found = self._events.get((log["address"].lower(), bytes(topics[0])))
        if found is None:
            return None
        contract, abi = found
        data = get_event_data(self._w3.codec, abi, log)
        return DecodedLog(
            contract=contract,
            address=to_checksum_address(log["address"]),
            name=data["event"],
            args={k: _plain(v) for k, v in data["args"].items()},
            block_number=log["blockNumber"],
            block_hash=_hex(log["blockHash"]),
            log_index=log["logIndex"],
            tx_hash=_hex(log["transactionHash"]),
        )


def _hex(value: bytes | str) -> str:
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    return value if value.startswith("0x") else "0x" + value


def _plain(value: Any) -> Any:
    """Decoded ABI values as plain Python: bytes as 0x-hex, tuples as lists."""
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def jsonable(value: Any) -> Any:
    """For storage as JSON: integers beyond 53 bits as decimal strings, so every client reads them exactly."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**53 else str(value)
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value
