"""The embedded store: a block store in a local directory, no daemon needed.

Layout under the store directory::

    blocks/<xy>/<KEY>   one file per block; KEY is the base32 multihash, xy its next-to-last
                        two characters (Kubo's flatfs sharding), so CIDv0 and CIDv1 of the same
                        dag-pb block share one file
    pins.json           sorted list of recursively pinned CIDs
    pins.lock           flock(2) guard so several processes can pin at once

Blocks are written to a temporary file then renamed, so a crash never leaves half a block under
its final name. Unpinning does not delete blocks (there is no garbage collector yet).
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .car import read_car, write_car
from .cid import Cid, split_cid_path
from .errors import CidNotFound, IpfsError, NotPinned
from .store import CarDestination, CarSource
from .tree import DirectorySource, Tree, directory_tree
from .unixfs import (
    ImportedNode,
    ImportOptions,
    import_bytes,
    import_directory,
    import_file,
    iter_chunks,
    read_file,
    resolve_path,
    walk_dag,
)

logger = logging.getLogger(__name__)


class EmbeddedStore:
    """:class:`~tutti.ipfs.store.IpfsStore` backed by files in ``directory``."""

    def __init__(self, directory: str | os.PathLike, *, verify_reads: bool = True) -> None:
        self.directory = Path(directory)
        self.verify_reads = verify_reads
        self._blocks = self.directory / "blocks"
        self._pins_file = self.directory / "pins.json"
        self._blocks.mkdir(parents=True, exist_ok=True)
        logger.debug("embedded IPFS store at %s", self.directory)

    def __repr__(self) -> str:
        return f"EmbeddedStore({str(self.directory)!r})"

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to release: every operation opens and closes its own files."""

    # --- blocks ---------------------------------------------------------------------------
    def _block_path(self, cid: Cid) -> Path:
        key = cid.block_key
        return self._blocks / key[-3:-1] / key

    def has_block(self, cid: Cid) -> bool:
        """True when the block is stored locally."""
        return self._block_path(cid).exists()

    def put_block(self, cid: Cid, block: bytes) -> None:
        """Store one block (idempotent); the caller vouches that ``cid`` matches ``block``."""
        path = self._block_path(cid)
        if path.exists():
            return
        path.parent.mkdir(exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(block)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    def get_block(self, cid: Cid) -> bytes:
        """Read one block; CidNotFound if absent, IpfsError if it no longer matches its hash."""
        try:
            block = self._block_path(cid).read_bytes()
        except FileNotFoundError:
            raise CidNotFound(
                f"block {cid} is not in the embedded store {self.directory}"
            ) from None
        if self.verify_reads and not cid.verify(block):
            raise IpfsError(f"block {cid} in {self.directory} is corrupt (hash mismatch)")
        return block

    # --- add ------------------------------------------------------------------------------
    def _finish_add(self, node: ImportedNode, pin: bool) -> str:
        if pin:
            self._update_pins(add=node.cid)
        logger.info("added %s (%d bytes)", node.cid, node.filesize)
        return str(node.cid)

    def add_bytes(self, data: bytes, *, cid_version: int = 0, pin: bool = True) -> str:
        node = import_bytes(bytes(data), self.put_block, ImportOptions(cid_version))
        return self._finish_add(node, pin)

    def add_file(self, path: str | os.PathLike, *, cid_version: int = 0, pin: bool = True) -> str:
        options = ImportOptions(cid_version)
        with open(path, "rb") as handle:
            node = import_file(iter_chunks(handle, options.chunk_size), self.put_block, options)
        return self._finish_add(node, pin)

    def add_directory(
        self, source: DirectorySource, *, cid_version: int = 0, pin: bool = True
    ) -> str:
        node = self._import_tree(directory_tree(source), ImportOptions(cid_version))
        return self._finish_add(node, pin)

    def _import_tree(self, tree: Tree, options: ImportOptions) -> ImportedNode:
        children: dict[str, ImportedNode] = {}
        for name, value in tree.items():
            if isinstance(value, dict):
                children[name] = self._import_tree(value, options)
            elif isinstance(value, bytes):
                children[name] = import_bytes(value, self.put_block, options)
            else:
                with open(value, "rb") as handle:
                    chunks = iter_chunks(handle, options.chunk_size)
                    children[name] = import_file(chunks, self.put_block, options)
        return import_directory(children, self.put_block, options)

    # --- read -----------------------------------------------------------------------------
    def cat(self, cid_path: str) -> bytes:
        root, segments = split_cid_path(cid_path)
        target = resolve_path(root, segments, self.get_block)
        return b"".join(read_file(target, self.get_block))

    # --- pins -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def _pins_locked(self) -> Iterator[set[str]]:
        """Hold the pin lock, yield the pin set, write it back atomically on success."""
        with open(self.directory / "pins.lock", "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            pins = set(self._read_pins())
            before = set(pins)
            yield pins
            if pins != before:
                temporary = self._pins_file.with_suffix(".json.tmp")
                temporary.write_text(json.dumps(sorted(pins), indent=0))
                os.replace(temporary, self._pins_file)

    def _read_pins(self) -> list[str]:
        try:
            return json.loads(self._pins_file.read_text())
        except FileNotFoundError:
            return []

    def _update_pins(self, *, add: Cid | None = None, remove: Cid | None = None) -> None:
        with self._pins_locked() as pins:
            if add is not None:
                pins.add(str(add))
            if remove is not None:
                if str(remove) not in pins:
                    raise NotPinned(f"{remove} is not pinned in {self.directory}")
                pins.discard(str(remove))

    def pin(self, cid: str) -> None:
        root = Cid.parse(cid)
        # Walk the whole DAG first: a pin promises every block is here.
        for _ in walk_dag(root, self.get_block):
            pass
        self._update_pins(add=root)

    def unpin(self, cid: str) -> None:
        self._update_pins(remove=Cid.parse(cid))

    def pins(self) -> list[str]:
        return sorted(self._read_pins())

    # --- CAR ------------------------------------------------------------------------------
    def export_car(self, cid: str, destination: CarDestination) -> int:
        root = Cid.parse(cid)
        self.get_block(root)  # fail before creating an output file for an unknown CID
        with _open_for_writing(destination) as out:
            return write_car(out, [root], walk_dag(root, self.get_block))

    def import_car(self, source: CarSource, *, pin: bool = True) -> list[str]:
        with _open_for_reading(source) as stream:
            roots, blocks = read_car(stream)
            count = 0
            for block in blocks:
                self.put_block(block.cid, block.data)
                count += 1
        logger.info("imported %d blocks, roots %s", count, [str(root) for root in roots])
        if pin:
            for root in roots:
                self.pin(str(root))
        return [str(root) for root in roots]


@contextlib.contextmanager
def _open_for_writing(destination: CarDestination) -> Iterator[BinaryIO]:
    if hasattr(destination, "write"):
        yield destination  # type: ignore[misc]
    else:
        with open(destination, "wb") as handle:  # type: ignore[arg-type]
            yield handle


@contextlib.contextmanager
def _open_for_reading(source: CarSource) -> Iterator[BinaryIO]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield io.BytesIO(bytes(source))
    elif hasattr(source, "read"):
        yield source  # type: ignore[misc]
    else:
        with open(source, "rb") as handle:  # type: ignore[arg-type]
            yield handle
