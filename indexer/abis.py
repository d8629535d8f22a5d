"""The contracts' event ABIs, read from ape's compiled output, and log decoding.

Decoding is keyed by (address, topic0), not topic0 alone: the registry's ERC-721 ``Transfer`` and
the token's ERC-20 ``Transfer`` share a signature but not their indexed arguments.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from functools import lru_cache

import orjson
from eth_abi import decode as abi_decode
from eth_utils import event_abi_to_log_topic, to_checksum_address
from eth_utils.abi import collapse_if_tuple

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


class DecodedLog:
    """One decoded log. A slotted class, not a dataclass: a backfill makes one per event, and a
    frozen dataclass's ``__init__`` costs several times as much."""

    __slots__ = ("contract", "address", "name", "args", "block_number", "block_hash", "log_index", "tx_hash",
                 "event_id", "args_json")

    def __init__(self, contract: str, address: str, name: str, args: dict[str, Any], block_number: int,
                 block_hash: str, log_index: int, tx_hash: str, args_json: str | None = None):
        self.contract, self.address, self.name, self.args = contract, address, name, args
        self.block_number, self.block_hash, self.log_index, self.tx_hash = block_number, block_hash, log_index, tx_hash
        self.event_id = event_id(block_number, log_index)
        #: ``args`` as stored in ``events.args`` (JSON, integers beyond 53 bits as decimal strings).
        self.args_json = args_json if args_json is not None else orjson.dumps(jsonable(args)).decode()

    def __repr__(self) -> str:
        return f"DecodedLog({self.contract}.{self.name} at {self.block_number}:{self.log_index} {self.args})"


def event_id(block_number: int, log_index: int) -> int:
    """One integer per log, ordered like the chain (a block has far fewer than a million logs)."""
    return block_number * 1_000_000 + log_index


@lru_cache(maxsize=65_536)
def checksum(address: str) -> str:
    """EIP-55 form (a keccak per call: the few addresses of a chain repeat, so it is cached)."""
    return to_checksum_address(address)


def _word_decoder(kind: str) -> Callable[[bytes], Any] | None:
    """How to read one 32-byte word of a static ABI type (as web3 returns it, made plain), or None."""
    if "[" in kind or "(" in kind:
        return None
    if kind.startswith("uint"):
        return lambda word: int.from_bytes(word, "big")
    if kind.startswith("int"):
        return lambda word: int.from_bytes(word, "big", signed=True)
    if kind == "address":
        return lambda word: checksum("0x" + word[12:].hex())
    if kind == "bool":
        return lambda word: word[31] != 0
    if kind.startswith("bytes") and kind[5:].isdigit():
        size = int(kind[5:])
        return lambda word: "0x" + word[:size].hex()
    return None


def _data_decoder(kind: str) -> Callable[[bytes, int], Any] | None:
    """How to read the value whose head word is at ``offset`` of the data, or None for a type left
    to eth_abi (tuples, fixed arrays, arrays of dynamic types)."""
    word = _word_decoder(kind)
    if word is not None:
        return lambda data, offset: word(data[offset:offset + 32])

    def tail(data: bytes, offset: int) -> tuple[int, int]:
        start = int.from_bytes(data[offset:offset + 32], "big")
        return start + 32, int.from_bytes(data[start:start + 32], "big")

    if kind == "string":  # invalid UTF-8 (any contract may emit it) must not stop the indexer
        return lambda data, offset: (lambda at, n: data[at:at + n].decode("utf-8", "replace"))(*tail(data, offset))
    if kind == "bytes":
        return lambda data, offset: (lambda at, n: "0x" + data[at:at + n].hex())(*tail(data, offset))
    if kind.endswith("[]") and "[" not in kind[:-2]:
        element = _word_decoder(kind[:-2])
        if element is not None:
            return lambda data, offset: (lambda at, n: [element(data[at + 32 * k:at + 32 * k + 32])
                                                        for k in range(n)])(*tail(data, offset))
    return None


def _word_expression(kind: str, word: str) -> str | None:
    """Python source reading the static ``kind`` from ``word``, source of a 64-digit hex string
    (as ``_word_decoder`` reads it from bytes), or None."""
    if "[" in kind or "(" in kind:
        return None
    if kind.startswith("uint"):
        return f"int({word}, 16)"
    if kind.startswith("int"):
        return f"_signed(int({word}, 16))"
    if kind == "address":
        return f"checksum('0x' + {word}[24:])"
    if kind == "bool":
        return f"{word}[62:] != '00'"
    if kind.startswith("bytes") and kind[5:].isdigit():
        return f"'0x' + {word}[:{2 * int(kind[5:])}].lower()"
    return None


def _signed(value: int) -> int:
    return value - (1 << 256) if value >> 255 else value


def _compile_reader(event: "_Event") -> Callable[[list[str], str], dict[str, Any]]:
    """One function per event type, generated once, that reads every argument by slicing the
    log's hex text (no per-field calls): decoding is most of a backfill's per-event work."""
    fields, readers = [], {}
    for position, ((_name, read), (_same, kind)) in enumerate(zip(event.topic_fields, event.topic_kinds)):
        topic = f"topics[{position + 1}]"
        fields.append(f"{topic}.lower()" if read is None else _word_expression(kind, f"{topic}[2:]"))
    dynamic = False
    for _name, read, offset in event.data_fields:
        expression = _word_expression(event.data_types[offset // 32], f"data[{2 * offset}:{2 * offset + 64}]")
        if expression is None:
            readers[f"_read{offset}"] = read
            expression = f"_read{offset}(raw, {offset})"
            dynamic = True
        fields.append(expression)
    names = [name for name, _read in event.topic_fields] + [name for name, _read, _offset in event.data_fields]
    body = ["def read(topics, data_hex):"]
    if event.data_fields:
        size = 64 * len(event.data_fields)
        body += ["    data = data_hex[2:]",
                 f"    if len(data) < {size}:",
                 f"        raise ValueError('{event.name}: ' + str(len(data) // 2) + ' bytes of data, too short for its fields')"]
        if dynamic:
            body.append("    raw = bytes.fromhex(data)")
    body.append("    return {" + ", ".join(f"{name!r}: {expr}" for name, expr in zip(names, fields)) + "}")
    namespace = {"checksum": checksum, "_signed": _signed, **readers}
    exec("\n".join(body), namespace)  # noqa: S102 -- source built above from the ABI's types only
    return namespace["read"]


class _Event:
    """One event ABI prepared for decoding, once: a reader per topic and per data field (plain
    slicing of the log's bytes), or eth_abi for types without one."""

    __slots__ = ("contract", "name", "topic_count", "topic_fields", "data_fields", "data_names", "data_types",
                 "slow", "address_fields", "wide_ints", "args", "topic_kinds")

    def __init__(self, contract: str, abi: dict):
        self.contract, self.name = contract, abi["name"]
        indexed = [i for i in abi["inputs"] if i.get("indexed")]
        data = [i for i in abi["inputs"] if not i.get("indexed")]
        self.topic_count = 1 + len(indexed)
        # An indexed value of a dynamic type is stored as its hash: kept as the 32 bytes.
        self.topic_fields = [(i["name"], None if _dynamic(i) else collapse_if_tuple(i)) for i in indexed]
        self.topic_kinds = list(self.topic_fields)
        self.data_names = [i["name"] for i in data]
        self.data_types = [collapse_if_tuple(i) for i in data]
        topic_words = [(name, kind and _word_decoder(kind)) for name, kind in self.topic_fields]
        data_readers = [_data_decoder(kind) for kind in self.data_types]
        self.slow = any(kind is not None and read is None for (_n, kind), (_m, read) in
                        zip(self.topic_fields, topic_words)) or None in data_readers
        self.topic_fields = topic_words if not self.slow else self.topic_fields
        self.data_fields = [(name, read, 32 * position) for position, (name, read) in
                            enumerate(zip(self.data_names, data_readers))]
        self.address_fields = {i["name"]: _address_shape(i) for i in abi["inputs"] if _address_shape(i)}
        # Integer fields that may pass 53 bits (stored in JSON as decimal strings then): (name, is a list).
        self.wide_ints = [(i["name"], i["type"].endswith("[]")) for i in abi["inputs"]
                          if not (i.get("indexed") and _dynamic(i)) and _wide_int(i["type"])]
        #: ``args(topics, data_hex)``: the decoded arguments by name.
        self.args = self._args_by_eth_abi if self.slow else _compile_reader(self)

    def json(self, args: dict[str, Any]) -> str:
        """``jsonable(args)`` as JSON text, with the conversions found once per event type."""
        if self.slow:
            return orjson.dumps(jsonable(args)).decode()
        copied = False  # copied only when a value needs converting (most amounts fit in 53 bits)
        for name, many in self.wide_ints:
            value = args[name]
            if many:
                value = [v if -_EXACT < v < _EXACT else str(v) for v in value]
            elif -_EXACT < value < _EXACT:
                continue
            else:
                value = str(value)
            if not copied:
                args, copied = dict(args), True
            args[name] = value
        return orjson.dumps(args).decode()

    def _args_by_eth_abi(self, topics: list[str], data_hex: str) -> dict[str, Any]:
        args: dict[str, Any] = {}
        for (name, kind), topic in zip(self.topic_fields, topics[1:]):
            args[name] = topic.lower() if kind is None else _plain(abi_decode([kind], bytes.fromhex(topic[2:]))[0])
        if self.data_types:
            values = abi_decode(self.data_types, bytes.fromhex(data_hex[2:]))
            args.update(zip(self.data_names, (_plain(v) for v in values)))
        for name, shape in self.address_fields.items():
            args[name] = checksum(args[name]) if shape == "address" else [checksum(a) for a in args[name]]
        return args


class EventDecoder:
    """Decodes the raw (hex) logs of a set of named contracts, as web3's ``get_event_data`` would."""

    def __init__(self, contracts: dict[str, str], abis: dict[str, list[dict]]):
        self._events: dict[tuple[str, str], _Event] = {}
        self._seen: dict[tuple[str, str], tuple[_Event | None, str | None]] = {}
        self.addresses = [to_checksum_address(a) for a in contracts.values()]
        for name, address in contracts.items():
            for entry in abis[name]:
                if entry["type"] == "event" and not entry.get("anonymous"):
                    topic = "0x" + event_abi_to_log_topic(entry).hex()
                    self._events[(address.lower(), topic)] = _Event(name, entry)

    def decode(self, log: dict) -> DecodedLog | None:
        """The decoded log, or None for a log of an event the ABIs do not know (or not shaped like it)."""
        topics = log["topics"]
        if not topics:
            return None
        address = log["address"]
        # (address, topic0) as the node spelled them -> (event, EIP-55 address): one dict lookup a log.
        found = self._seen.get((address, topics[0]))
        if found is None:
            event = self._events.get((address.lower(), topics[0].lower()))
            found = self._seen[(address, topics[0])] = (event, checksum(address)) if event else (None, None)
        event, checksummed = found
        if event is None or len(topics) != event.topic_count:
            return None
        args = event.args(topics, log["data"])
        block_number, log_index = log["blockNumber"], log["logIndex"]
        return DecodedLog(
            event.contract, checksummed, event.name, args,
            int(block_number, 16) if block_number.__class__ is str else block_number,
            log["blockHash"].lower(),
            int(log_index, 16) if log_index.__class__ is str else log_index,
            log["transactionHash"].lower(),
            event.json(args),
        )


#: Integers below this (in absolute value) are exact in every JSON reader (a double's 53 bits).
_EXACT = 2**53


def _wide_int(kind: str) -> bool:
    """A (u)int type of more than 53 bits, or a one-dimensional array of one."""
    base = kind[:-2] if kind.endswith("[]") else kind
    bits = base[4:] if base.startswith("uint") else base[3:] if base.startswith("int") else None
    return bits is not None and (bits == "" or (bits.isdigit() and int(bits) > 53))


def _dynamic(abi_input: dict) -> bool:
    kind = abi_input["type"]
    return kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("tuple")


def _address_shape(abi_input: dict) -> str | None:
    """Which decoded values get EIP-55 checksums (web3 checksums addresses and address arrays)."""
    if abi_input.get("indexed") and _dynamic(abi_input):
        return None
    if abi_input["type"] == "address":
        return "address"
    if abi_input["type"] in ("address[]",) or (abi_input["type"].startswith("address[") and
                                                abi_input["type"].count("[") == 1):
        return "address[]"
    return None


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
