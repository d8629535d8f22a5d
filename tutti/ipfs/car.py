"""CARv1 (Content Addressable aRchive) reading and writing.

Layout: ``varint(len(header)) header`` where the header is the dag-cbor map
``{"roots": [CID, ...], "version": 1}``, then one section per block:
``varint(len(cid) + len(block)) cid block``. The tiny CBOR subset the header needs is written
here (keys in dag-cbor canonical order: shorter first, so ``roots`` precedes ``version``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .cid import Cid, encode_varint
from .errors import IpfsError

_CID_TAG = 42


class CarError(IpfsError):
    """A CAR stream is malformed or a block does not match its CID."""


@dataclass(frozen=True, slots=True)
class CarBlock:
    """One section of a CAR file."""

    cid: Cid
    data: bytes


# --------------------------------------------------------------------------------------------
# minimal CBOR
# --------------------------------------------------------------------------------------------
def _cbor_head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * size):
            return bytes([major << 5 | extra]) + value.to_bytes(size, "big")
    raise ValueError("CBOR integer too large")


def _cbor_text(text: str) -> bytes:
    raw = text.encode("utf-8")
    return _cbor_head(3, len(raw)) + raw


def _cbor_cid(cid: Cid) -> bytes:
    # dag-cbor links: tag 42 over a byte string holding 0x00 (identity multibase) + binary CID
    raw = b"\0" + cid.to_bytes()
    return _cbor_head(6, _CID_TAG) + _cbor_head(2, len(raw)) + raw


def encode_header(roots: list[Cid]) -> bytes:
    """dag-cbor bytes of a CARv1 header."""
    body = bytearray(_cbor_head(5, 2))
    body += _cbor_text("roots") + _cbor_head(4, len(roots))
    for root in roots:
        body += _cbor_cid(root)
    body += _cbor_text("version") + _cbor_head(0, 1)
    return bytes(body)


def _cbor_decode(data: bytes, offset: int = 0):
    """Decode one CBOR item (the subset dag-cbor headers use); return ``(value, offset)``."""
    initial = data[offset]
    offset += 1
    major, info = initial >> 5, initial & 0x1F
    if info < 24:
        value = info
    elif info <= 27:
        size = 1 << (info - 24)
        value = int.from_bytes(data[offset : offset + size], "big")
        offset += size
    else:
        raise CarError("indefinite-length CBOR is not valid dag-cbor")
    if major == 0:
        return value, offset
    if major in (2, 3):
        raw = data[offset : offset + value]
        if len(raw) != value:
            raise CarError("truncated CBOR string")
        return (raw if major == 2 else raw.decode("utf-8")), offset + value
    if major == 4:
        items = []
        for _ in range(value):
            item, offset = _cbor_decode(data, offset)
            items.append(item)
        return items, offset
    if major == 5:
        mapping = {}
        for _ in range(value):
            key, offset = _cbor_decode(data, offset)
            mapping[key], offset = _cbor_decode(data, offset)
        return mapping, offset
    if major == 6 and value == _CID_TAG:
        raw, offset = _cbor_decode(data, offset)
        if not isinstance(raw, bytes) or raw[:1] != b"\0":
            raise CarError("malformed CID link in CAR header")
        cid, end = Cid.decode(raw, 1)
        if end != len(raw):
            raise CarError("trailing bytes after CID in CAR header")
        return cid, offset
    raise CarError(f"unsupported CBOR item (major type {major}) in CAR header")


def decode_header(data: bytes) -> list[Cid]:
    """Roots of a CARv1 header; rejects other versions."""
    try:
        header, end = _cbor_decode(data)
    except (IndexError, ValueError) as exc:
        raise CarError(f"malformed CAR header: {exc}") from None
    if end != len(data) or not isinstance(header, dict):
        raise CarError("CAR header is not a single CBOR map")
    if header.get("version") != 1:
        raise CarError(f"only CARv1 is supported, got version {header.get('version')!r}")
    roots = header.get("roots")
    if not isinstance(roots, list) or not all(isinstance(root, Cid) for root in roots):
        raise CarError("CAR header roots must be a list of CIDs")
    return roots


# --------------------------------------------------------------------------------------------
# streams
# --------------------------------------------------------------------------------------------
def write_car(out: BinaryIO, roots: list[Cid], blocks: Iterable[tuple[Cid, bytes]]) -> int:
    """Write a CARv1 stream; return the number of bytes written."""
    header = encode_header(roots)
    written = out.write(encode_varint(len(header)) + header)
    for cid, block in blocks:
        raw_cid = cid.to_bytes()
        written += out.write(encode_varint(len(raw_cid) + len(block)) + raw_cid)
        written += out.write(block)
    return written


def _read_varint(stream: BinaryIO) -> int | None:
    """Read a varint from a stream; None at a clean end of stream."""
    value = shift = 0
    while True:
        byte = stream.read(1)
        if not byte:
            if shift:
                raise CarError("truncated varint in CAR stream")
            return None
        value |= (byte[0] & 0x7F) << shift
        if not byte[0] & 0x80:
            return value
        shift += 7
        if shift > 63:
            raise CarError("varint too long in CAR stream")


def _read_exact(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise CarError(f"truncated CAR stream: wanted {size} bytes, got {len(data)}")
    return data


def read_car(stream: BinaryIO) -> tuple[list[Cid], Iterator[CarBlock]]:
    """Parse a CARv1 stream: the roots now, the blocks lazily (each checked against its CID)."""
    header_length = _read_varint(stream)
    if not header_length:
        raise CarError("empty or malformed CAR stream")
    roots = decode_header(_read_exact(stream, header_length))

    def blocks() -> Iterator[CarBlock]:
        while (section_length := _read_varint(stream)) is not None:
            section = _read_exact(stream, section_length)
            cid, offset = Cid.decode(section)
            data = section[offset:]
            if not cid.verify(data):
                raise CarError(f"block {cid} in CAR does not match its hash")
            yield CarBlock(cid, data)

    return roots, blocks()
