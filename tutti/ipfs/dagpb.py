"""dag-pb and UnixFS protobuf messages, encoded and decoded by hand.

Only the handful of fields UnixFS uses are supported. Encoding follows the canonical dag-pb
form Kubo writes: the ``Links`` (field 2) come before ``Data`` (field 1), and each link carries
``Hash``, ``Name`` and ``Tsize`` in that order (an empty name is still written, as Kubo does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from .cid import Cid, decode_varint, encode_varint

_VARINT = 0
_LENGTH_DELIMITED = 2


class UnixFSType(IntEnum):
    """``Data.DataType`` of the UnixFS protobuf."""

    RAW = 0
    DIRECTORY = 1
    FILE = 2
    METADATA = 3
    SYMLINK = 4
    HAMT_SHARD = 5


@dataclass(frozen=True, slots=True)
class PBLink:
    """One dag-pb link: target CID, name ("" inside files) and cumulative size of the target."""

    cid: Cid
    name: str
    tsize: int


@dataclass(frozen=True, slots=True)
class PBNode:
    """A dag-pb node: links plus an opaque ``data`` payload (a UnixFS message here)."""

    links: list[PBLink] = field(default_factory=list)
    data: bytes | None = None


@dataclass(frozen=True, slots=True)
class UnixFSData:
    """The UnixFS ``Data`` message carried in a dag-pb node's ``data``."""

    type: UnixFSType
    data: bytes | None = None
    filesize: int | None = None
    blocksizes: list[int] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# protobuf primitives
# --------------------------------------------------------------------------------------------
def _key(field_number: int, wire_type: int) -> bytes:
    return encode_varint(field_number << 3 | wire_type)


def _bytes_field(field_number: int, value: bytes) -> bytes:
    return _key(field_number, _LENGTH_DELIMITED) + encode_varint(len(value)) + value


def _varint_field(field_number: int, value: int) -> bytes:
    return _key(field_number, _VARINT) + encode_varint(value)


def _iter_fields(message: bytes | memoryview):
    """Yield ``(field_number, value)``: an int for varints, a memoryview for bytes."""
    view = memoryview(message)
    offset = 0
    while offset < len(view):
        key, offset = decode_varint(view, offset)
        field_number, wire_type = key >> 3, key & 7
        if wire_type == _VARINT:
            value, offset = decode_varint(view, offset)
            yield field_number, value
        elif wire_type == _LENGTH_DELIMITED:
            length, offset = decode_varint(view, offset)
            if offset + length > len(view):
                raise ValueError("truncated protobuf field")
            yield field_number, view[offset : offset + length]
            offset += length
        else:
            raise ValueError(f"unsupported protobuf wire type {wire_type}")


# --------------------------------------------------------------------------------------------
# dag-pb
# --------------------------------------------------------------------------------------------
def encode_pbnode(node: PBNode) -> bytes:
    """Serialize a dag-pb node in canonical form."""
    out = bytearray()
    for link in node.links:
        body = (
            _bytes_field(1, link.cid.to_bytes())
            + _bytes_field(2, link.name.encode("utf-8"))
            + _varint_field(3, link.tsize)
        )
        out += _bytes_field(2, body)
    if node.data is not None:
        out += _bytes_field(1, node.data)
    return bytes(out)


def decode_pbnode(block: bytes | memoryview) -> PBNode:
    """Parse a dag-pb block."""
    links: list[PBLink] = []
    data: bytes | None = None
    for number, value in _iter_fields(block):
        if number == 2:
            cid, name, tsize = None, "", 0
            for link_number, link_value in _iter_fields(value):
                if link_number == 1:
                    cid, _ = Cid.decode(link_value)
                elif link_number == 2:
                    name = bytes(link_value).decode("utf-8")
                elif link_number == 3:
                    tsize = link_value
            if cid is None:
                raise ValueError("dag-pb link without a hash")
            links.append(PBLink(cid, name, tsize))
        elif number == 1:
            data = bytes(value)
    return PBNode(links, data)


# --------------------------------------------------------------------------------------------
# UnixFS
# --------------------------------------------------------------------------------------------
def encode_unixfs(message: UnixFSData) -> bytes:
    """Serialize a UnixFS ``Data`` message (blocksizes unpacked, as Go's proto2 code does)."""
    out = bytearray(_varint_field(1, message.type))
    if message.data is not None:
        out += _bytes_field(2, message.data)
    if message.filesize is not None:
        out += _varint_field(3, message.filesize)
    for size in message.blocksizes:
        out += _varint_field(4, size)
    return bytes(out)


def decode_unixfs(payload: bytes | memoryview) -> UnixFSData:
    """Parse a UnixFS ``Data`` message (fields other than type/data/sizes are ignored)."""
    kind, data, filesize, blocksizes = UnixFSType.RAW, None, None, []
    for number, value in _iter_fields(payload):
        if number == 1:
            kind = UnixFSType(value)
        elif number == 2:
            data = bytes(value)
        elif number == 3:
            filesize = value
        elif number == 4:
            if isinstance(value, int):
                blocksizes.append(value)
            else:  # tolerate a packed encoding from other writers
                offset = 0
                while offset < len(value):
                    size, offset = decode_varint(value, offset)
                    blocksizes.append(size)
    return UnixFSData(kind, data, filesize, blocksizes)
