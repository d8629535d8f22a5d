"""Usage-based royalty epochs, off chain: the Merkle tree of per-work play counts and the commitment
a ``usage`` oracle job attests, byte for byte what ``UsageRoyalties`` checks on chain.

Leaves are OpenZeppelin standard Merkle leaves ``keccak256(keccak256(abi.encode(workId, plays)))``
(the double hash keeps a leaf from ever passing for an inner node); inner nodes hash their two
children in sorted order, as ``MerkleProof.verify`` expects. The attested result hash of a usage
job is ``keccak256(abi.encode(usageContract, epoch, root, totalPlays))``: binding the contract and
the epoch means a report can never settle another epoch or another deployment.

The reporter's side is a **usage report**, one JSON file per epoch (:func:`report_bytes`,
:func:`parse_report`)::

    {"version": 1, "epoch": 7, "plays": [{"listener": "0x…", "work": 12, "count": 40}, ...]}

Operators :func:`tally` it into per-work play counts. A listener's plays of one work in one epoch
count at most :data:`PLAYS_CAP_PER_LISTENER` (100) times, however often they appear: a cheap
defence against one account looping a track to drain the pool towards its own work. Entries for
the same (listener, work) pair are summed before the cap, and listeners are compared by address,
not by spelling (a checksummed and a lower-case address are one listener), so splitting or
re-spelling entries never lifts the cap. The tally depends only on the multiset of entries, never
on their order. A report holds at most :data:`MAX_PLAY_ENTRIES` entries (see there why).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Mapping

from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

from tutti.errors import TuttiError

USAGE_KIND = "usage"
#: The one output file of a usage job: the settlement values and every work's proof.
SETTLEMENT_FILE = "settlement.json"
ZERO_ROOT = bytes(32)
MAX_UINT256 = 2**256 - 1
_HEX_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")

#: The version of the usage report format this module reads and writes.
REPORT_VERSION = 1
#: The most plays a listener's entries for one work count in one epoch.
PLAYS_CAP_PER_LISTENER = 100
#: The most entries a report may hold. Every operator parses and tallies the whole report in
#: memory well within the job's deadline, and every operator must reach the same verdict on it, so
#: the bound is part of the format rather than a per-machine limit. Measured in CPython: a million
#: entries take 4 s (50,000 listeners) to 18 s (a million distinct listeners, one checksum each)
#: and under 800 MB. The reporter sums a listener's plays of a work into one entry, so this is a
#: million (listener, work) pairs per epoch, e.g. 50,000 listeners each playing 20 distinct works;
#: a larger platform needs a sharded report (a new version), not a bigger file.
MAX_PLAY_ENTRIES = 1_000_000
#: The largest report file read, checked before parsing: a million entries fit even indented
#: (about 110 bytes each), and a gigabyte of JSON never reaches the parser.
MAX_REPORT_BYTES = 128 * 1024 * 1024


class SettlementError(TuttiError):
    """A settlement document that is missing, malformed or inconsistent with its own tree."""


class UsageReportError(TuttiError):
    """A usage report that is not in the format :func:`parse_report` reads."""


def checksum_address(text: object) -> str | None:
    """``text`` as a checksummed address if it is a 0x-prefixed hex address, else ``None``. All
    lower or all upper case is accepted as is; mixed case must be the right EIP-55 checksum (a
    typo, most likely, otherwise: eth_utils' ``is_address`` no longer checks it)."""
    if not isinstance(text, str) or not _HEX_ADDRESS.fullmatch(text):
        return None
    digits = text[2:].lower()
    hashed = keccak(text=digits).hex()
    checksummed = "0x" + "".join(c.upper() if int(h, 16) >= 8 else c for c, h in zip(digits, hashed))
    mixed_case = text[2:] not in (digits, digits.upper())
    return None if mixed_case and text != checksummed else checksummed


_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _shallow_json(data: bytes, max_depth: int) -> bool:
    """Whether the brackets in ``data`` balance within about ``max_depth`` levels, checked before
    ``json.loads`` sees untrusted bytes: its C scanner recurses once per level and, in a process
    whose recursion limit was raised (hypothesis, deep-copying libraries), a few thousand levels
    overflow the C stack and kill the process instead of raising. Brackets inside strings count
    too; no string in a report or a settlement can hold one."""
    structure = bytes(data).translate(None, _NOT_BRACKETS)
    for _ in range(max_depth):
        structure = structure.replace(b"{}", b"").replace(b"[]", b"")
    return not structure


def _is_uint256(value: object) -> bool:
    # bool is an int subclass: True must never pass for work 1 or one play.
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_UINT256


def leaf(work_id: int, plays: int) -> bytes:
    return keccak(keccak(abi_encode(["uint256", "uint256"], [work_id, plays])))


def _parent(left: bytes, right: bytes) -> bytes:
    return keccak(min(left, right) + max(left, right))


class PlayTree:
    """The Merkle tree over ``{work_id: plays}``: leaves sorted by hash, paired level by level, an
    odd node carried up unchanged. An empty tree has the zero root."""

    def __init__(self, plays: Mapping[int, int]):
        for work_id, count in plays.items():
            if not _is_uint256(work_id) or not _is_uint256(count):
                raise ValueError(f"work ids and play counts are uint256 integers, not {work_id!r}: {count!r}")
        if any(count <= 0 for count in plays.values()):
            raise ValueError("every work in a play tree needs at least one play")
        if sum(plays.values()) > MAX_UINT256:
            raise ValueError("the total of the play counts does not fit in a uint256")
        self.plays = dict(sorted(plays.items()))
        self._leaf_of = {work_id: leaf(work_id, count) for work_id, count in self.plays.items()}
        level = sorted(self._leaf_of.values())
        # Positions looked up in a dict, not with list.index: a proof per work stays O(log n), and
        # a settlement of n works O(n log n) rather than O(n^2).
        self._position = {node: index for index, node in enumerate(level)}
        self._levels = [level]
        while len(level) > 1:
            level = [_parent(*level[i:i + 2]) if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)]
            self._levels.append(level)

    @property
    def root(self) -> bytes:
        return self._levels[-1][0] if self._levels[0] else ZERO_ROOT

    @property
    def total_plays(self) -> int:
        return sum(self.plays.values())

    def proof(self, work_id: int) -> list[bytes]:
        """The sibling hashes from ``work_id``'s leaf up to the root."""
        if work_id not in self._leaf_of:
            raise KeyError(f"work {work_id} has no plays in this tree")
        index = self._position[self._leaf_of[work_id]]
        siblings = []
        for level in self._levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                siblings.append(level[sibling])
            index //= 2
        return siblings


def verify(root: bytes, work_id: int, plays: int, proof: list[bytes]) -> bool:
    """What ``MerkleProof.verify`` answers on chain."""
    node = leaf(work_id, plays)
    for sibling in proof:
        node = _parent(node, sibling)
    return node == root


def commitment(usage_address: str, epoch: int, root: bytes, total_plays: int) -> bytes:
    """The result hash a usage job attests (``UsageRoyalties.commitmentOf``)."""
    return keccak(abi_encode(["address", "uint256", "bytes32", "uint256"],
                             [to_checksum_address(usage_address), epoch, root, total_plays]))


@dataclass(frozen=True)
class Settlement:
    """An epoch's settlement values with every work's proof: the content of ``settlement.json``."""

    usage: str
    epoch: int
    tree: PlayTree

    @property
    def root(self) -> bytes:
        return self.tree.root

    @property
    def total_plays(self) -> int:
        return self.tree.total_plays

    @property
    def commitment(self) -> bytes:
        return commitment(self.usage, self.epoch, self.root, self.total_plays)

    def to_json(self) -> dict:
        return {
            "usage": to_checksum_address(self.usage),
            "epoch": self.epoch,
            "root": "0x" + self.root.hex(),
            "total_plays": self.total_plays,
            "works": [
                {"work": work_id, "plays": count, "proof": ["0x" + node.hex() for node in self.tree.proof(work_id)]}
                for work_id, count in self.tree.plays.items()
            ],
        }

    @classmethod
    def from_json(cls, document: object) -> "Settlement":
        """Rebuild a settlement from its document, checking that the stated root and total are
        what its play counts give (the proofs are recomputed, never trusted)."""
        try:
            if not isinstance(document, dict):
                raise TypeError("it is not a JSON object")
            usage = checksum_address(document["usage"])
            if usage is None:
                raise ValueError(f"usage {document['usage']!r} is not an address")
            epoch, stated_total = document["epoch"], document["total_plays"]
            if not _is_uint256(epoch) or not _is_uint256(stated_total):
                raise ValueError("epoch and total_plays must be uint256 integers")
            works = document["works"]
            if not isinstance(works, list):
                raise TypeError("works is not a list")
            plays: dict[int, int] = {}
            for entry in works:
                if not isinstance(entry, dict):
                    raise TypeError("a works entry is not a JSON object")
                work_id, count = entry["work"], entry["plays"]
                if work_id in plays:
                    raise ValueError(f"work {work_id} is listed twice")
                plays[work_id] = count
            settlement = cls(usage, epoch, PlayTree(plays))
            stated_root = document["root"]
            if not isinstance(stated_root, str) or len(stated_root) != 66 or not stated_root.startswith("0x"):
                raise ValueError(f"root {stated_root!r} is not a 0x-prefixed bytes32")
            stated_root = bytes.fromhex(stated_root[2:])
        except KeyError as exc:
            raise SettlementError(f"not a usage settlement document: it has no {exc} field") from None
        except (TypeError, ValueError) as exc:
            raise SettlementError(f"not a usage settlement document: {exc}") from None
        if (stated_root, stated_total) != (settlement.root, settlement.total_plays):
            raise SettlementError("the settlement's root or total does not match its play counts")
        return settlement

    @classmethod
    def from_files(cls, files: Mapping[str, bytes]) -> "Settlement":
        if SETTLEMENT_FILE not in files:
            raise SettlementError(f"the result has no {SETTLEMENT_FILE}")
        data = files[SETTLEMENT_FILE]
        if not _shallow_json(data, max_depth=4):  # {works: [{proof: [...]}]}
            raise SettlementError(f"{SETTLEMENT_FILE} is not a settlement document (its brackets nest wrongly)")
        try:
            document = json.loads(data)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise SettlementError(f"{SETTLEMENT_FILE} is not JSON") from None
        return cls.from_json(document)


# -- the usage report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Play:
    """``count`` plays of work ``work`` by ``listener`` (a checksummed address) during the epoch."""

    listener: str
    work: int
    count: int


@dataclass(frozen=True)
class UsageReport:
    """A parsed usage report: the epoch it covers and its entries, in the order given."""

    epoch: int
    plays: tuple[Play, ...]


@dataclass(frozen=True)
class Tally:
    """What a report's plays count for: ``plays`` per work (sorted by work id), the number of
    distinct listeners, and how many reported plays the per-listener cap dropped."""

    plays: dict[int, int]
    listeners: int
    capped_plays: int

    @property
    def total_plays(self) -> int:
        return sum(self.plays.values())


_REPORT_FIELDS = {"version", "epoch", "plays"}
_PLAY_FIELDS = {"listener", "work", "count"}


def report_bytes(epoch: int, plays: Iterable[Play | Mapping[str, object]]) -> bytes:
    """A usage report's file, for the reporter to pin: JSON with sorted keys and no whitespace, the
    same bytes on every machine (compact, as a report can hold a million entries). Entries keep
    their order and are not checked here: :func:`parse_report` says what is wrong with them."""
    entries = [
        {"listener": play.listener, "work": play.work, "count": play.count} if isinstance(play, Play) else dict(play)
        for play in plays
    ]
    document = {"version": REPORT_VERSION, "epoch": epoch, "plays": entries}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def parse_report(data: bytes) -> UsageReport:
    """Read a usage report, refusing anything but exactly the format :func:`report_bytes` writes
    (any whitespace allowed). Listeners come back checksummed."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise UsageReportError(f"a usage report is bytes, not {type(data).__name__}")
    if len(data) > MAX_REPORT_BYTES:
        raise UsageReportError(f"the usage report is {len(data):,} bytes; at most {MAX_REPORT_BYTES:,} are read")
    if not _shallow_json(data, max_depth=3):  # {plays: [{...}]}
        raise UsageReportError("the usage report is not JSON of the report's shape (its brackets do not balance "
                               "within three levels)")
    try:
        text = bytes(data).decode("utf-8")
        document = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)
    except UsageReportError:
        raise
    except UnicodeDecodeError:
        raise UsageReportError("the usage report is not UTF-8 text") from None
    except (ValueError, RecursionError) as exc:
        raise UsageReportError(f"the usage report is not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise UsageReportError("a usage report is a JSON object with version, epoch and plays")
    _check_fields(document, _REPORT_FIELDS, "the usage report")
    version = document["version"]
    if type(version) is not int or version != REPORT_VERSION:
        raise UsageReportError(f"usage report version {version!r} is not supported; this reader reads "
                               f"version {REPORT_VERSION}")
    epoch = document["epoch"]
    if not _is_uint256(epoch):
        raise UsageReportError(f"epoch must be a non-negative integer, not {epoch!r}")
    entries = document["plays"]
    if not isinstance(entries, list):
        raise UsageReportError("plays must be a list of {listener, work, count} objects")
    if len(entries) > MAX_PLAY_ENTRIES:
        raise UsageReportError(f"the usage report has {len(entries):,} play entries; at most "
                               f"{MAX_PLAY_ENTRIES:,} are allowed (sum each listener's plays of a work into one)")
    # Listeners recur across entries; their checksums (a keccak each) are computed once.
    listeners: dict[str, str | None] = {}
    return UsageReport(epoch, tuple(_parse_play(entry, index, listeners) for index, entry in enumerate(entries)))


def _parse_play(entry: object, index: int, listeners: dict[str, str | None]) -> Play:
    where = f"plays[{index}]"
    if not isinstance(entry, dict):
        raise UsageReportError(f"{where} is not a {{listener, work, count}} object")
    _check_fields(entry, _PLAY_FIELDS, where)
    listener, work, count = entry["listener"], entry["work"], entry["count"]
    checksummed = None
    if isinstance(listener, str):
        if listener not in listeners:
            listeners[listener] = checksum_address(listener)
        checksummed = listeners[listener]
    if checksummed is None:
        raise UsageReportError(f"{where}.listener {listener!r} is not a 0x-prefixed 20-byte hex address "
                               "(in mixed case, with a valid EIP-55 checksum)")
    if not _is_uint256(work) or work == 0:
        raise UsageReportError(f"{where}.work must be a positive integer work id, not {work!r}")
    if not _is_uint256(count) or count == 0:
        raise UsageReportError(f"{where}.count must be a positive integer, not {count!r}")
    return Play(checksummed, work, count)


def _check_fields(document: dict, expected: set[str], where: str) -> None:
    if missing := expected - set(document):
        raise UsageReportError(f"{where} has no {', '.join(sorted(missing))}")
    if unknown := set(document) - expected:
        raise UsageReportError(f"{where} has unknown fields: {', '.join(sorted(unknown))}")


def _refuse_constant(name: str) -> object:
    raise UsageReportError(f"the usage report is not JSON ({name} is not a JSON number)")


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    # Parsers disagree on which of two equal keys wins; a report that depends on it is refused.
    document = dict(pairs)
    if len(document) != len(pairs):
        keys = [key for key, _ in pairs]
        duplicate = next(key for key in keys if keys.count(key) > 1)
        raise UsageReportError(f"the usage report repeats the key {duplicate!r} in one object")
    return document


def tally(report: UsageReport, cap: int = PLAYS_CAP_PER_LISTENER) -> Tally:
    """Count a report's plays per work: each (listener, work) pair's entries summed, then capped at
    ``cap``. The result does not depend on the order of the entries."""
    if not _is_uint256(cap) or cap == 0:
        raise ValueError(f"the cap must be a positive integer, not {cap!r}")
    per_pair: dict[tuple[str, int], int] = defaultdict(int)
    for play in report.plays:
        per_pair[(play.listener.lower(), play.work)] += play.count
    per_work: dict[int, int] = defaultdict(int)
    capped = 0
    for (_listener, work), count in per_pair.items():
        counted = min(count, cap)
        per_work[work] += counted
        capped += count - counted
    listeners = len({listener for listener, _work in per_pair})
    return Tally(dict(sorted(per_work.items())), listeners, capped)
