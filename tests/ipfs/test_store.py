"""Behaviour every IpfsStore backend must share; each test runs on embedded and on the node."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from tutti.ipfs import CidNotFound, InvalidCid, IpfsStore, NotAFile, NotPinned, open_store
from tutti.ipfs.embedded import EmbeddedStore
from tutti.ipfs.kubo import KuboStore

# A valid CIDv0 for content nobody has added (sha2-256 of nothing in particular).
UNKNOWN_CID = "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQX"


def test_backends_satisfy_the_interface(store: IpfsStore) -> None:
    assert isinstance(store, IpfsStore)


@pytest.mark.parametrize("cid_version", [0, 1])
def test_add_bytes_then_cat(store: IpfsStore, cid_version: int) -> None:
    data = random.Random(7).randbytes(600_000)
    cid = store.add_bytes(data, cid_version=cid_version)
    assert cid.startswith("Qm" if cid_version == 0 else "bafy")
    assert store.cat(cid) == data
    assert store.cat(f"/ipfs/{cid}") == data


def test_add_file_streams_from_disk(store: IpfsStore, tmp_path: Path) -> None:
    path = tmp_path / "take1.wav"
    path.write_bytes(random.Random(3).randbytes(300_000))
    cid = store.add_file(path)
    assert cid == store.add_bytes(path.read_bytes())
    assert store.cat(cid) == path.read_bytes()


def test_add_directory_and_cat_paths(store: IpfsStore) -> None:
    tree = {
        "metadata.json": b'{"title": "Fugue"}',
        "audio/mix.flac": random.Random(1).randbytes(300_000),
        "audio/stems/bass track.wav": b"bass",
        "empty": {},
    }
    cid = store.add_directory(tree, cid_version=1)
    assert store.cat(f"{cid}/metadata.json") == tree["metadata.json"]
    assert store.cat(f"{cid}/audio/stems/bass track.wav") == b"bass"
    assert store.cat(f"{cid}/audio/mix.flac") == tree["audio/mix.flac"]


def test_add_directory_from_a_path_equals_the_mapping(store: IpfsStore, tmp_path: Path) -> None:
    (tmp_path / "src" / "sub").mkdir(parents=True)
    (tmp_path / "src" / "a.txt").write_bytes(b"a")
    (tmp_path / "src" / "sub" / "b.txt").write_bytes(b"b")
    assert store.add_directory(tmp_path / "src") == store.add_directory(
        {"a.txt": b"a", "sub/b.txt": b"b"}
    )


def test_pin_unpin_and_list(store: IpfsStore) -> None:
    cid = store.add_bytes(b"pin me " + random.randbytes(16), pin=False)
    assert cid not in store.pins()
    store.pin(cid)
    assert cid in store.pins()
    store.unpin(cid)
    assert cid not in store.pins()
    with pytest.raises(NotPinned):
        store.unpin(cid)


def test_add_pins_by_default(store: IpfsStore) -> None:
    cid = store.add_bytes(b"pinned on add " + random.randbytes(16), cid_version=1)
    assert cid in store.pins()


def test_car_round_trip_within_backend(store: IpfsStore) -> None:
    cid = store.add_directory({"x.bin": random.Random(5).randbytes(700_000)})
    car = io.BytesIO()
    store.export_car(cid, car)
    store.unpin(cid)
    assert store.import_car(car.getvalue()) == [cid]
    assert cid in store.pins()


def test_unknown_cid_raises_cid_not_found(store: IpfsStore) -> None:
    with pytest.raises(CidNotFound, match=UNKNOWN_CID):
        store.cat(UNKNOWN_CID)
    with pytest.raises(CidNotFound):
        store.export_car(UNKNOWN_CID, io.BytesIO())


def test_unknown_path_raises_cid_not_found(store: IpfsStore) -> None:
    cid = store.add_directory({"a/b.txt": b"b"})
    with pytest.raises(CidNotFound, match="nope"):
        store.cat(f"{cid}/a/nope")


def test_cat_of_a_directory_raises_not_a_file(store: IpfsStore) -> None:
    cid = store.add_directory({"a/b.txt": b"b"})
    with pytest.raises(NotAFile):
        store.cat(f"{cid}/a")


@pytest.mark.parametrize(
    "bad", ["", "Qmnotacid", "hello", "bafy!!", "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5"]
)
def test_malformed_cid_raises_invalid_cid(store: IpfsStore, bad: str) -> None:
    with pytest.raises(InvalidCid, match="CID"):
        store.cat(bad)
    with pytest.raises(InvalidCid):
        store.pin(bad)


def test_open_store_picks_backend_by_url(tmp_path: Path) -> None:
    assert isinstance(open_store(None, root=tmp_path), EmbeddedStore)
    assert open_store("embedded", root=tmp_path).directory == tmp_path / ".tutti" / "ipfs"
    assert open_store(f"file://{tmp_path}/s").directory == tmp_path / "s"
    with open_store("http://127.0.0.1:5001") as kubo:
        assert isinstance(kubo, KuboStore)
    with pytest.raises(ValueError):
        open_store("ftp://127.0.0.1")
