"""CID codecs and the UnixFS importer against golden CIDs (agreed by js-ipfs, Kubo, ipfs_cid)."""

from __future__ import annotations

import random

import pytest

from tutti.ipfs.cid import (
    DAG_PB,
    RAW,
    Cid,
    b58decode,
    b58encode,
    decode_varint,
    encode_varint,
    split_cid_path,
)
from tutti.ipfs.errors import InvalidCid
from tutti.ipfs.unixfs import ImportOptions, discard_blocks, import_bytes, import_directory

# (content or size of random.Random(n).randbytes(n), CIDv0, CIDv1 raw leaves base32)
GOLDEN = [
    (
        b"hello world\n",
        "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o",
        "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4",
    ),
    (
        b"",
        "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH",
        "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
    ),
    (
        307200,
        "QmZ8u8B7QyESYxvHnS44vZtvoGS9voPiG9NPVjfpuPZn46",
        "bafybeihzon7mcfadzxq6cv6v6m5yh3qo3oloqdw2auamcx5s2rsdyq5ud4",
    ),
    (
        1048576,
        "QmcZSDJuXeCkUq2BQyEwNZW5F4x5FxzQNUuav8XyceEBsS",
        "bafybeigxrbq7fuchvgd6onff4gbsw5a2p2723maltvtkbglz3l5sak37gm",
    ),
    (
        1572871,
        "QmRBJmdLxXYC38tDVhga4cnTbvXW4av2NzuZgyG5soF9r6",
        "bafybeid7z52bjvagfkn4nklalyyk6mj2mm2u3vqluuwazmzxw6i4blqx3e",
    ),
    # 201 chunks: more than 174 links, so a two-level DAG (about 0.3 s)
    (
        52428923,
        "Qmdx4gmcJ9j3Xhv3PDVg7FsSjU1s9aW98vW6Thx6LtHnBh",
        "bafybeihmthtjwhucvlrjwvvzor2qi4pw6wrn2crgseqvlgby5ynunvpb5q",
    ),
]


def content_of(spec: bytes | int) -> bytes:
    return spec if isinstance(spec, bytes) else random.Random(spec).randbytes(spec)


@pytest.mark.parametrize(
    ("spec", "cid_v0", "cid_v1"),
    GOLDEN,
    ids=[f"{len(content_of(s))}B" for s, _, _ in GOLDEN[:2]] + [f"{s}B" for s, _, _ in GOLDEN[2:]],
)
def test_import_matches_golden_cids(spec: bytes | int, cid_v0: str, cid_v1: str) -> None:
    data = content_of(spec)
    assert str(import_bytes(data, discard_blocks, ImportOptions(0)).cid) == cid_v0
    assert str(import_bytes(data, discard_blocks, ImportOptions(1)).cid) == cid_v1


def test_empty_directory_has_the_well_known_cid() -> None:
    node = import_directory({}, discard_blocks, ImportOptions(0))
    assert str(node.cid) == "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"


@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 2**32, 2**63 - 1])
def test_varint_round_trips(value: int) -> None:
    encoded = encode_varint(value)
    assert decode_varint(encoded) == (value, len(encoded))


def test_base58_keeps_leading_zeros() -> None:
    assert b58encode(b"\0\0\x01") == "112"
    assert b58decode("112") == b"\0\0\x01"


@pytest.mark.parametrize("text", [cid for _, v0, v1 in GOLDEN for cid in (v0, v1)])
def test_cid_text_round_trips(text: str) -> None:
    cid = Cid.parse(text)
    assert str(cid) == text
    assert Cid.decode(cid.to_bytes())[0] == cid


def test_base58_cidv1_from_js_ipfs_is_reencoded_in_base32() -> None:
    # js-ipfs prints this for `hello world\n` added with cid-version=1
    cid = Cid.parse("zb2rhi36Gc9GJWijLEL6zW45MBux5FcFv5gJmjXA7VAMozEXY")
    assert cid.codec == RAW
    assert str(cid) == "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Qm",
        "Qmnotacid",
        "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5O0",
        "bafy!!!",
        "xyz",
        "b",
        "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2deve",
    ],
)
def test_malformed_cids_raise_invalid_cid(text: str) -> None:
    with pytest.raises(InvalidCid):
        Cid.parse(text)


def test_cid_path_splits_root_and_segments() -> None:
    root, segments = split_cid_path("/ipfs/QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn/a/b.txt")
    assert (root.version, root.codec, segments) == (0, DAG_PB, ["a", "b.txt"])
