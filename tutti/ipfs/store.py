"""The ``IpfsStore`` interface every backend implements, and ``open_store`` to pick one by URL."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import BinaryIO, Protocol, TypeAlias, runtime_checkable
from urllib.parse import urlparse

from .tree import DirectorySource

logger = logging.getLogger(__name__)

CarSource: TypeAlias = bytes | BinaryIO | str | os.PathLike
CarDestination: TypeAlias = BinaryIO | str | os.PathLike

#: Where the embedded store lives, relative to the project root, when no URL is given.
DEFAULT_EMBEDDED_DIR = Path(".tutti") / "ipfs"


@runtime_checkable
class IpfsStore(Protocol):
    """Content-addressed storage: add, read, pin and move DAGs as CAR files.

    CIDs are returned as text exactly as Kubo prints them: base58btc ``Qm...`` for CIDv0 and
    base32 ``b...`` for CIDv1. ``cid_version=0`` (the default, as in ``ipfs add``) makes dag-pb
    leaves; ``cid_version=1`` makes raw leaves. Everything added is pinned unless ``pin=False``.
    Failures raise :class:`tutti.ipfs.errors.IpfsError` subclasses.
    """

    def add_bytes(self, data: bytes, *, cid_version: int = 0, pin: bool = True) -> str:
        """Add one file given in memory; return its CID."""
        ...

    def add_file(self, path: str | os.PathLike, *, cid_version: int = 0, pin: bool = True) -> str:
        """Add one file from disk, streamed in 256 KiB chunks; return its CID."""
        ...

    def add_directory(
        self, source: DirectorySource, *, cid_version: int = 0, pin: bool = True
    ) -> str:
        """Add a UnixFS directory from a mapping (name -> bytes | mapping) or a path."""
        ...

    def cat(self, cid_path: str) -> bytes:
        """Bytes of the file at ``CID`` or ``CID/path/in/dir`` (``/ipfs/`` prefix allowed)."""
        ...

    def pin(self, cid: str) -> None:
        """Pin the DAG under ``cid`` recursively (all of it must be available)."""
        ...

    def unpin(self, cid: str) -> None:
        """Remove a recursive pin; raises NotPinned if there is none."""
        ...

    def pins(self) -> list[str]:
        """CIDs pinned recursively, sorted."""
        ...

    def export_car(self, cid: str, destination: CarDestination) -> int:
        """Write the DAG under ``cid`` as a CARv1 file or stream; return the bytes written."""
        ...

    def import_car(self, source: CarSource, *, pin: bool = True) -> list[str]:
        """Store every block of a CARv1 (bytes, stream or path); pin and return its roots."""
        ...

    def close(self) -> None:
        """Release connections or files."""
        ...


def open_store(
    url: str | None = None, *, root: str | os.PathLike | None = None, **options
) -> IpfsStore:
    """Open a store by URL.

    * ``None``, ``""`` or ``"embedded"``: the embedded store in ``<root>/.tutti/ipfs`` (``root``
      defaults to ``$TUTTI_ROOT`` or the current directory);
    * ``"file:///some/dir"`` or ``"file://relative/dir"``: the embedded store in that directory;
    * ``"http://127.0.0.1:5001"`` (or https): the Kubo RPC API at that address.

    Extra keyword ``options`` go to the backend's constructor (e.g. ``retry=`` for Kubo).
    """
    # imported here so that each backend's dependencies (httpx) load only when chosen
    if url in (None, "", "embedded"):
        from .embedded import EmbeddedStore

        base = Path(root if root is not None else os.environ.get("TUTTI_ROOT", "."))
        return EmbeddedStore(base / DEFAULT_EMBEDDED_DIR, **options)
    parsed = urlparse(url)
    if parsed.scheme == "file":
        from .embedded import EmbeddedStore

        # file:///abs/dir has an empty netloc; file://rel/dir puts "rel" in netloc
        return EmbeddedStore(Path(parsed.netloc + parsed.path), **options)
    if parsed.scheme in ("http", "https"):
        from .kubo import KuboStore

        return KuboStore(url, **options)
    raise ValueError(
        f"unsupported IPFS store URL {url!r}: use embedded, file://DIR or http://HOST:PORT"
    )
