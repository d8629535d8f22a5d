"""The indexer's own log decoder (prepared slicing per event type) reads every event of every
compiled contract exactly as web3.py's ``get_event_data`` does, on random values of every type."""

from __future__ import annotations

import json
import random

import pytest
from eth_abi import encode
from eth_utils import event_abi_to_log_topic, keccak, to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3._utils.events import get_event_data

from indexer.abis import EventDecoder, _plain, load_abis

ADDRESS = "0x" + "ab" * 20


def random_value(kind: str, rnd: random.Random):
    if kind.endswith("[]"):
        return [random_value(kind[:-2], rnd) for _ in range(rnd.randint(0, 3))]
    if kind.startswith("uint"):
        return rnd.randint(0, 2 ** int(kind[4:]) - 1)
    if kind.startswith("int"):
        bits = int(kind[3:])
        return rnd.randint(-2 ** (bits - 1), 2 ** (bits - 1) - 1)
    if kind == "address":
        return "0x" + rnd.randbytes(20).hex()
    if kind == "bool":
        return rnd.random() < 0.5
    if kind == "string":
        return "héllo ♫" * rnd.randint(0, 3)
    if kind == "bytes":
        return rnd.randbytes(rnd.randint(0, 70))
    return rnd.randbytes(int(kind[5:]))  # bytesN


def events():
    for contract, abi in sorted(load_abis().items()):
        for entry in abi:
            if entry["type"] == "event" and not entry.get("anonymous"):
                yield pytest.param(contract, abi, entry, id=f"{contract}.{entry['name']}")


@pytest.mark.parametrize("contract, abi, event", list(events()))
def test_the_decoder_reads_events_as_web3_does(contract, abi, event):
    rnd = random.Random(event["name"])
    decoder = EventDecoder({contract: ADDRESS}, {contract: abi})
    codec = Web3().codec
    for _ in range(5):
        topics, kinds, values = ["0x" + event_abi_to_log_topic(event).hex()], [], []
        for field in event["inputs"]:
            value = random_value(field["type"], rnd)
            if not field.get("indexed"):
                kinds.append(field["type"])
                values.append(value)
            elif field["type"] in ("string", "bytes") or field["type"].endswith("]"):
                topics.append("0x" + keccak(text=str(value)).hex())  # only the hash is logged
            else:
                topics.append("0x" + encode([field["type"]], [value]).hex())
        data = "0x" + encode(kinds, values).hex()
        raw = {"address": ADDRESS, "topics": topics, "data": data, "blockNumber": "0x5", "logIndex": "0x1",
               "blockHash": "0x" + "11" * 32, "transactionHash": "0x" + "22" * 32}
        web3_log = {"address": to_checksum_address(ADDRESS), "topics": [HexBytes(t) for t in topics],
                    "data": HexBytes(data), "blockNumber": 5, "logIndex": 1, "transactionIndex": 0,
                    "blockHash": HexBytes(raw["blockHash"]), "transactionHash": HexBytes(raw["transactionHash"])}
        expected = {name: _plain(value) for name, value in get_event_data(codec, event, web3_log)["args"].items()}
        decoded = decoder.decode(raw)
        assert json.dumps(decoded.args) == json.dumps(expected)
        assert (decoded.block_number, decoded.log_index, decoded.name) == (5, 1, event["name"])
