"""CARv1 encoding, decoding and integrity checks (no node needed)."""

from __future__ import annotations

import io

import pytest

from tutti.ipfs.car import CarError, decode_header, encode_header, read_car, write_car
from tutti.ipfs.cid import RAW, Cid, encode_varint
from tutti.ipfs.embedded import EmbeddedStore


def test_header_round_trips_v0_and_v1_roots() -> None:
    roots = [
        Cid.parse("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"),
        Cid.parse("bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"),
    ]
    assert decode_header(encode_header(roots)) == roots


def test_header_bytes_are_canonical_dag_cbor() -> None:
    root = Cid.for_block(b"x", 1, RAW)
    raw = b"\0" + root.to_bytes()
    expected = b"\xa2eroots\x81\xd8\x2a" + bytes([0x58, len(raw)]) + raw + b"gversion\x01"
    assert encode_header([root]) == expected


def test_corrupt_block_is_rejected() -> None:
    cid = Cid.for_block(b"right", 1, RAW)
    out = io.BytesIO()
    write_car(out, [cid], [(cid, b"wrong")])
    _, blocks = read_car(io.BytesIO(out.getvalue()))
    with pytest.raises(CarError, match="does not match"):
        list(blocks)


def test_truncated_car_is_rejected(embedded_store: EmbeddedStore) -> None:
    cid = embedded_store.add_bytes(b"some music" * 1000)
    out = io.BytesIO()
    embedded_store.export_car(cid, out)
    with pytest.raises(CarError):
        embedded_store.import_car(out.getvalue()[:-10])


def test_car_of_version_2_is_rejected() -> None:
    header = b"\xa1gversion\x02"
    with pytest.raises(CarError, match="CARv1"):
        read_car(io.BytesIO(encode_varint(len(header)) + header))


def test_export_then_import_into_a_fresh_store(embedded_store: EmbeddedStore, tmp_path) -> None:
    cid = embedded_store.add_directory(
        {"a/b.mid": b"MThd" * 100_000, "c.json": b"{}"}, cid_version=1
    )
    car_path = tmp_path / "dir.car"
    written = embedded_store.export_car(cid, car_path)
    assert written == car_path.stat().st_size
    other = EmbeddedStore(tmp_path / "other")
    assert other.import_car(car_path) == [cid]
    assert other.pins() == [cid]
    assert other.cat(f"{cid}/a/b.mid") == b"MThd" * 100_000
