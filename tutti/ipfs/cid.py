"""Content identifiers: varints, multihash (sha2-256), CIDv0/CIDv1 and their text forms.

Hand-written on the stdlib on purpose: the importer needs only sha2-256, dag-pb and raw, and
the text forms Kubo prints (base58btc for CIDv0, base32 lower-case multibase ``b`` for CIDv1).
Parsing also accepts base58btc CIDv1 (``z...``) because js-ipfs prints those by default.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from .errors import InvalidCid

DAG_PB = 0x70
RAW = 0x55
SHA2_256 = 0x12
IDENTITY = 0x00
CIDV1 = 0x01

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {char: value for value, char in enumerate(_B58_ALPHABET)}


# --------------------------------------------------------------------------------------------
# varint (unsigned LEB128, as used by multiformats and protobuf)
# --------------------------------------------------------------------------------------------
def encode_varint(value: int) -> bytes:
    """Encode a non-negative integer as an unsigned LEB128 varint."""
    if value < 0:
        raise ValueError(f"varint must be non-negative, got {value}")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def decode_varint(data: bytes | memoryview, offset: int = 0) -> tuple[int, int]:
    """Decode a varint at ``offset``; return ``(value, offset_after)``."""
    value = shift = 0
    while True:
        if offset >= len(data):
            raise ValueError("truncated varint")
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, offset
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 9 bytes")


# --------------------------------------------------------------------------------------------
# bases
# --------------------------------------------------------------------------------------------
def b58encode(data: bytes) -> str:
    """base58btc (Bitcoin alphabet), leading zero bytes kept as ``1``."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    chars = []
    while number:
        number, remainder = divmod(number, 58)
        chars.append(_B58_ALPHABET[remainder])
    return "1" * zeros + "".join(reversed(chars))


def b58decode(text: str) -> bytes:
    """Inverse of :func:`b58encode`; raises ValueError on a character outside the alphabet."""
    number = 0
    for char in text:
        try:
            number = number * 58 + _B58_INDEX[char]
        except KeyError:
            raise ValueError(f"invalid base58btc character {char!r}") from None
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def b32encode(data: bytes) -> str:
    """RFC 4648 base32, lower case, no padding (multibase ``b``)."""
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def b32decode(text: str) -> bytes:
    """Inverse of :func:`b32encode`."""
    padded = text.upper() + "=" * (-len(text) % 8)
    return base64.b32decode(padded)


# --------------------------------------------------------------------------------------------
# multihash and CID
# --------------------------------------------------------------------------------------------
def sha256_multihash(data: bytes | memoryview) -> bytes:
    """The sha2-256 multihash of ``data``: code 0x12, length 32, digest."""
    return bytes((SHA2_256, 32)) + hashlib.sha256(data).digest()


def _split_multihash(data: bytes | memoryview, offset: int) -> tuple[bytes, int]:
    """Read one multihash (code, length, digest) at ``offset``; return it and the end offset."""
    start = offset
    _code, offset = decode_varint(data, offset)
    length, offset = decode_varint(data, offset)
    end = offset + length
    if end > len(data):
        raise ValueError("truncated multihash digest")
    return bytes(data[start:end]), end


@dataclass(frozen=True, slots=True)
class Cid:
    """A CID: ``version`` 0 or 1, multicodec ``codec`` (dag-pb or raw) and a multihash."""

    version: int
    codec: int
    multihash: bytes

    def __post_init__(self) -> None:
        if self.version == 0 and (self.codec != DAG_PB or self.multihash[:2] != b"\x12\x20"):
            raise InvalidCid("CIDv0 must be dag-pb with a sha2-256 multihash")
        if self.version not in (0, 1):
            raise InvalidCid(f"unsupported CID version {self.version}")

    # --- construction ---------------------------------------------------------------------
    @classmethod
    def for_block(cls, block: bytes | memoryview, version: int, codec: int) -> Cid:
        """The CID of ``block`` hashed with sha2-256."""
        return cls(version, codec, sha256_multihash(block))

    @classmethod
    def parse(cls, text: str) -> Cid:
        """Parse a CID in text form (CIDv0 ``Qm...``, multibase ``b...`` or ``z...``)."""
        if not isinstance(text, str) or not text:
            raise InvalidCid(f"not a CID: {text!r}")
        try:
            if text.startswith("Qm"):
                if len(text) != 46:
                    raise ValueError(f"a CIDv0 has 46 characters, this one {len(text)}")
                return cls(0, DAG_PB, b58decode(text))
            prefix, body = text[0], text[1:]
            if prefix in "bB":
                raw = b32decode(body)
            elif prefix == "z":
                raw = b58decode(body)
            else:
                raise ValueError(f"unsupported multibase prefix {prefix!r}")
            cid, end = cls.decode(raw)
            if end != len(raw):
                raise ValueError("trailing bytes after CID")
            return cid
        except InvalidCid:
            raise
        except (ValueError, TypeError) as exc:
            raise InvalidCid(f"malformed CID {text!r}: {exc}") from None

    @classmethod
    def decode(cls, data: bytes | memoryview, offset: int = 0) -> tuple[Cid, int]:
        """Decode a binary CID at ``offset`` (as found in dag-pb links and CAR sections)."""
        try:
            if data[offset : offset + 2] == b"\x12\x20":  # CIDv0 is a bare sha2-256 multihash
                end = offset + 34
                if end > len(data):
                    raise ValueError("truncated CIDv0")
                return cls(0, DAG_PB, bytes(data[offset:end])), end
            version, offset = decode_varint(data, offset)
            if version != CIDV1:
                raise ValueError(f"unsupported CID version {version}")
            codec, offset = decode_varint(data, offset)
            multihash, offset = _split_multihash(data, offset)
            return cls(1, codec, multihash), offset
        except (ValueError, IndexError) as exc:
            raise InvalidCid(f"malformed binary CID: {exc}") from None

    # --- output -----------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """Binary form: the bare multihash for v0, ``<version><codec><multihash>`` for v1."""
        if self.version == 0:
            return self.multihash
        return encode_varint(CIDV1) + encode_varint(self.codec) + self.multihash

    def encode(self) -> str:
        """Text form as Kubo prints it: base58btc for v0, base32 (``b...``) for v1."""
        if self.version == 0:
            return b58encode(self.multihash)
        return "b" + b32encode(self.to_bytes())

    def __str__(self) -> str:
        return self.encode()

    def verify(self, block: bytes | memoryview) -> bool:
        """True when ``block`` hashes to this CID's multihash (sha2-256 and identity only)."""
        if self.multihash[0] == SHA2_256:
            return sha256_multihash(block) == self.multihash
        if self.multihash[0] == IDENTITY:
            return self.multihash[2:] == bytes(block)
        return False

    @property
    def block_key(self) -> str:
        """Name under which the block is stored: base32 of the multihash (codec-independent)."""
        return b32encode(self.multihash)


def split_cid_path(cid_path: str) -> tuple[Cid, list[str]]:
    """Split ``[/ipfs/]CID[/a/b]`` into the root CID and the path segments below it."""
    if not isinstance(cid_path, str):
        raise InvalidCid(f"not a CID path: {cid_path!r}")
    text = cid_path.strip()
    if text.startswith("/ipfs/"):
        text = text[len("/ipfs/") :]
    root, _, rest = text.partition("/")
    return Cid.parse(root), [segment for segment in rest.split("/") if segment]
