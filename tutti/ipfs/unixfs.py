"""UnixFS importer and reader with Kubo's default layout, so CIDs match ``ipfs add``.

Kubo's defaults, reproduced here:

* fixed-size chunks of 256 KiB (``size-262144``);
* a balanced DAG with at most 174 links per node: leaves are grouped 174 at a time into
  parents, parents into grandparents, until one root remains (a one-chunk file *is* its leaf);
* CIDv0: leaves are dag-pb nodes holding a UnixFS ``File`` message with the chunk;
  CIDv1: leaves are ``raw`` blocks (``--raw-leaves``, implied by ``--cid-version=1``);
* a directory is one dag-pb node with UnixFS type ``Directory`` and its links sorted by name.

Blocks are handed to a ``BlockSink`` as they are made, so a large file streams through in
chunk-sized pieces; only the per-leaf metadata (CID and sizes) is kept until the root is built.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .cid import DAG_PB, RAW, Cid
from .dagpb import (
    PBLink,
    PBNode,
    UnixFSData,
    UnixFSType,
    decode_pbnode,
    decode_unixfs,
    encode_pbnode,
    encode_unixfs,
)
from .errors import CidNotFound, IpfsError, NotAFile

logger = logging.getLogger(__name__)

CHUNK_SIZE = 256 * 1024
MAX_LINKS_PER_NODE = 174
# Kubo turns a directory into a HAMT shard once its links' names + CIDs pass 256 KiB; we do not
# build shards, so we refuse rather than silently produce a CID Kubo would not.
HAMT_SHARDING_SIZE = 256 * 1024

BlockSink = Callable[[Cid, bytes], None]
BlockSource = Callable[[Cid], bytes]


@dataclass(frozen=True, slots=True)
class ImportedNode:
    """Root of an imported file or directory: its CID, cumulative DAG size and file size."""

    cid: Cid
    tsize: int
    filesize: int


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """How to build the DAG; the defaults are ``ipfs add`` defaults (CIDv0)."""

    cid_version: int = 0
    chunk_size: int = CHUNK_SIZE
    max_links: int = MAX_LINKS_PER_NODE

    @property
    def raw_leaves(self) -> bool:
        # Kubo switches raw leaves on together with CIDv1, and that is the only pairing we need.
        return self.cid_version == 1


def discard_blocks(_cid: Cid, _block: bytes) -> None:
    """A sink for only-hash imports."""


# --------------------------------------------------------------------------------------------
# importer
# --------------------------------------------------------------------------------------------
def iter_chunks(stream: BinaryIO, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Read ``stream`` in chunks of exactly ``chunk_size`` bytes (the last may be shorter)."""
    while True:
        chunk = stream.read(chunk_size)
        # read() on pipes and sockets may return short; keep filling so chunking stays fixed-size
        while chunk and len(chunk) < chunk_size:
            more = stream.read(chunk_size - len(chunk))
            if not more:
                break
            chunk += more
        if not chunk:
            return
        yield chunk


def split_bytes(data: bytes, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Chunk an in-memory byte string."""
    view = memoryview(data)
    for start in range(0, len(view), chunk_size):
        yield bytes(view[start : start + chunk_size])


def _put_leaf(chunk: bytes, sink: BlockSink, options: ImportOptions) -> ImportedNode:
    if options.raw_leaves:
        cid = Cid.for_block(chunk, 1, RAW)
        sink(cid, chunk)
        return ImportedNode(cid, len(chunk), len(chunk))
    # Kubo leaves the Data field out of an empty leaf (the empty file) rather than writing b"".
    payload = encode_unixfs(UnixFSData(UnixFSType.FILE, data=chunk or None, filesize=len(chunk)))
    block = encode_pbnode(PBNode(data=payload))
    cid = Cid.for_block(block, options.cid_version, DAG_PB)
    sink(cid, block)
    return ImportedNode(cid, len(block), len(chunk))


def _put_file_parent(children: list[ImportedNode], sink: BlockSink, options: ImportOptions):
    filesize = sum(child.filesize for child in children)
    payload = encode_unixfs(
        UnixFSData(UnixFSType.FILE, filesize=filesize, blocksizes=[c.filesize for c in children])
    )
    links = [PBLink(child.cid, "", child.tsize) for child in children]
    block = encode_pbnode(PBNode(links, payload))
    cid = Cid.for_block(block, options.cid_version, DAG_PB)
    sink(cid, block)
    return ImportedNode(cid, len(block) + sum(child.tsize for child in children), filesize)


def import_file(chunks: Iterable[bytes], sink: BlockSink, options: ImportOptions) -> ImportedNode:
    """Build the balanced UnixFS DAG of a file given as fixed-size chunks; return its root."""
    level = [_put_leaf(chunk, sink, options) for chunk in chunks]
    if not level:  # an empty file is one empty leaf, as in Kubo
        level = [_put_leaf(b"", sink, options)]
    # Grouping level by level gives the same tree as Kubo's depth-first balanced builder:
    # every subtree but the last is full, and the last one is filled left to right.
    while len(level) > 1:
        level = [
            _put_file_parent(level[start : start + options.max_links], sink, options)
            for start in range(0, len(level), options.max_links)
        ]
    return level[0]


def import_bytes(data: bytes, sink: BlockSink, options: ImportOptions) -> ImportedNode:
    """Import an in-memory file."""
    return import_file(split_bytes(data, options.chunk_size), sink, options)


def import_directory(
    entries: dict[str, ImportedNode], sink: BlockSink, options: ImportOptions
) -> ImportedNode:
    """Build a plain UnixFS directory node over already-imported children."""
    links = [PBLink(entries[name].cid, name, entries[name].tsize) for name in sorted(entries)]
    estimated = sum(len(link.name.encode()) + len(link.cid.to_bytes()) for link in links)
    if estimated >= HAMT_SHARDING_SIZE:
        raise IpfsError(
            f"directory with {len(links)} entries needs HAMT sharding, which the embedded "
            "importer does not build (Kubo would give a different CID); split it up"
        )
    block = encode_pbnode(PBNode(links, encode_unixfs(UnixFSData(UnixFSType.DIRECTORY))))
    cid = Cid.for_block(block, options.cid_version, DAG_PB)
    sink(cid, block)
    filesize = sum(entry.filesize for entry in entries.values())
    return ImportedNode(cid, len(block) + sum(link.tsize for link in links), filesize)


# --------------------------------------------------------------------------------------------
# reader
# --------------------------------------------------------------------------------------------
def child_cids(cid: Cid, block: bytes) -> list[Cid]:
    """The CIDs a block links to (none for raw blocks)."""
    if cid.codec == RAW:
        return []
    if cid.codec != DAG_PB:
        raise IpfsError(f"unsupported codec 0x{cid.codec:x} in {cid}")
    return [link.cid for link in decode_pbnode(block).links]


def _unixfs_of(cid: Cid, block: bytes) -> tuple[PBNode, UnixFSData]:
    node = decode_pbnode(block)
    if node.data is None:
        raise IpfsError(f"{cid} is a dag-pb node without UnixFS data")
    return node, decode_unixfs(node.data)


def resolve_path(root: Cid, segments: list[str], get_block: BlockSource) -> Cid:
    """Follow named links from ``root`` through UnixFS directories."""
    cid = root
    walked = [str(root)]
    for segment in segments:
        if cid.codec != DAG_PB:
            raise CidNotFound(f"{'/'.join(walked)} is a file, it has no entry {segment!r}")
        node, unixfs = _unixfs_of(cid, get_block(cid))
        if unixfs.type == UnixFSType.HAMT_SHARD:
            raise IpfsError(f"{'/'.join(walked)} is a HAMT-sharded directory (not supported)")
        if unixfs.type != UnixFSType.DIRECTORY:
            raise CidNotFound(f"{'/'.join(walked)} is not a directory, no entry {segment!r}")
        for link in node.links:
            if link.name == segment:
                cid = link.cid
                break
        else:
            raise CidNotFound(f"no link named {segment!r} under {'/'.join(walked)}")
        walked.append(segment)
    return cid


def read_file(cid: Cid, get_block: BlockSource) -> Iterator[bytes]:
    """Yield a UnixFS file's bytes in order, depth first through its DAG."""
    block = get_block(cid)
    if cid.codec == RAW:
        yield block
        return
    node, unixfs = _unixfs_of(cid, block)
    if unixfs.type not in (UnixFSType.FILE, UnixFSType.RAW):
        raise NotAFile(f"{cid} is a UnixFS {unixfs.type.name.lower()}, not a file")
    if unixfs.data:
        yield unixfs.data
    for link in node.links:
        yield from read_file(link.cid, get_block)


def walk_dag(root: Cid, get_block: BlockSource) -> Iterator[tuple[Cid, bytes]]:
    """Every block of the DAG under ``root``, depth first, each once (CAR export order)."""
    seen: set[bytes] = set()
    stack = [root]
    while stack:
        cid = stack.pop()
        if cid.to_bytes() in seen:
            continue
        seen.add(cid.to_bytes())
        block = get_block(cid)
        yield cid, block
        stack.extend(reversed(child_cids(cid, block)))
