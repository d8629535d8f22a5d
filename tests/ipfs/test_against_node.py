"""The embedded importer gives the node's CIDs, and CAR files move DAGs between backends."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from tutti.ipfs.embedded import EmbeddedStore
from tutti.ipfs.kubo import KuboStore
from tutti.ipfs.unixfs import CHUNK_SIZE

SIZES = {
    "empty": 0,
    "one byte": 1,
    "one chunk": CHUNK_SIZE,
    "one chunk + 1": CHUNK_SIZE + 1,
    "1.5 MB": 1_572_871,
    # 175 chunks: one more than fits under a single node, so the DAG gets a second level
    "two levels": 174 * CHUNK_SIZE + 1,
}


@pytest.mark.parametrize("cid_version", [0, 1])
@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_file_cids_equal_the_nodes(
    embedded_store: EmbeddedStore, kubo_store: KuboStore, size: int, cid_version: int
) -> None:
    data = random.Random(size).randbytes(size)
    expected = kubo_store.add_bytes(data, cid_version=cid_version, pin=False)
    assert embedded_store.add_bytes(data, cid_version=cid_version) == expected


def nested_tree() -> dict:
    rng = random.Random(42)
    return {
        "README.md": b"# Session 1\n",
        "score/part-1.mid": rng.randbytes(1_000),
        "score/part-2.mid": rng.randbytes(2_000),
        "audio/mix.flac": rng.randbytes(CHUNK_SIZE * 2 + 17),
        "audio/stems/drums.wav": rng.randbytes(300),
        "audio/stems/vocals take+2 (final).wav": rng.randbytes(301),
        "audio/stems/nested/deeper/empty.txt": b"",
        "empty-dir": {},
        "Zeta": b"upper case sorts before lower",
    }


@pytest.mark.parametrize("cid_version", [0, 1])
def test_directory_cids_equal_the_nodes(
    embedded_store: EmbeddedStore, kubo_store: KuboStore, cid_version: int
) -> None:
    expected = kubo_store.add_directory(nested_tree(), cid_version=cid_version, pin=False)
    assert embedded_store.add_directory(nested_tree(), cid_version=cid_version) == expected


def test_directory_from_disk_equals_the_nodes(
    embedded_store: EmbeddedStore, kubo_store: KuboStore, tmp_path: Path
) -> None:
    for name, content in nested_tree().items():
        path = tmp_path / "src" / name
        if isinstance(content, dict):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
    assert embedded_store.add_directory(tmp_path / "src") == kubo_store.add_directory(
        tmp_path / "src", pin=False
    )


@pytest.mark.parametrize("cid_version", [0, 1])
def test_car_from_embedded_imports_into_the_node(
    embedded_store: EmbeddedStore, kubo_store: KuboStore, cid_version: int
) -> None:
    tree = nested_tree()
    tree["only-here.bin"] = random.randbytes(CHUNK_SIZE + 5)  # content the node cannot have yet
    cid = embedded_store.add_directory(tree, cid_version=cid_version)
    car = io.BytesIO()
    embedded_store.export_car(cid, car)
    assert kubo_store.import_car(car.getvalue()) == [cid]
    assert cid in kubo_store.pins()
    assert kubo_store.cat(f"{cid}/only-here.bin") == tree["only-here.bin"]
    assert kubo_store.cat(f"{cid}/audio/mix.flac") == tree["audio/mix.flac"]


@pytest.mark.parametrize("cid_version", [0, 1])
def test_car_from_the_node_imports_into_embedded(
    embedded_store: EmbeddedStore, kubo_store: KuboStore, tmp_path: Path, cid_version: int
) -> None:
    data = random.randbytes(3 * CHUNK_SIZE + 11)
    cid = kubo_store.add_directory(
        {"take/1.wav": data, "notes.txt": b"ok"}, cid_version=cid_version
    )
    car_path = tmp_path / "from-node.car"
    kubo_store.export_car(cid, car_path)
    assert embedded_store.import_car(car_path) == [cid]
    assert embedded_store.cat(f"{cid}/take/1.wav") == data
    assert embedded_store.cat(f"{cid}/notes.txt") == b"ok"
