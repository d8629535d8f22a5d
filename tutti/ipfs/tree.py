"""Directory sources for ``add_directory``: a nested mapping or a filesystem path, normalized.

Both backends import the same normalized tree, so a directory gets the same CID whichever
backend adds it. A tree is a ``dict`` from entry name to either file content (``bytes``, or a
``Path`` read lazily) or a sub-tree. Mapping keys may contain ``/`` to mean sub-directories:
``{"a/b.txt": b"..."}`` equals ``{"a": {"b.txt": b"..."}}``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TypeAlias

from .errors import IpfsError

FileContent: TypeAlias = bytes | Path
Tree: TypeAlias = dict[str, "FileContent | Tree"]
DirectorySource: TypeAlias = Mapping[str, object] | str | os.PathLike


def _check_name(name: str) -> None:
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        raise IpfsError(f"invalid directory entry name {name!r}")


def _insert(tree: Tree, parts: list[str], value: object, full_name: str) -> None:
    for part in parts[:-1]:
        _check_name(part)
        child = tree.setdefault(part, {})
        if not isinstance(child, dict):
            raise IpfsError(f"{full_name!r}: {part!r} is both a file and a directory")
        tree = child
    leaf = parts[-1]
    _check_name(leaf)
    if leaf in tree:
        raise IpfsError(f"duplicate directory entry {full_name!r}")
    tree[leaf] = _normalize_value(value, full_name)


def _normalize_value(value: object, full_name: str) -> FileContent | Tree:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, Mapping):
        return _from_mapping(value)
    if isinstance(value, (str, os.PathLike)):
        path = Path(value)
        if path.is_dir():
            return _from_path(path)
        if path.is_file():
            return path
        raise IpfsError(f"{full_name!r}: {path} is neither a file nor a directory")
    raise IpfsError(f"{full_name!r}: unsupported content type {type(value).__name__}")


def _from_mapping(mapping: Mapping[str, object]) -> Tree:
    tree: Tree = {}
    for name, value in mapping.items():
        if not isinstance(name, str):
            raise IpfsError(f"directory entry names must be str, got {name!r}")
        _insert(tree, [part for part in name.split("/") if part] or [""], value, name)
    return tree


def _from_path(root: Path) -> Tree:
    tree: Tree = {}
    for entry in sorted(root.iterdir()):
        # Symlinks are refused: following them can loop or escape the tree, and storing them as
        # UnixFS symlinks is not something Tutti needs.
        if entry.is_symlink():
            raise IpfsError(f"symlinks are not supported: {entry}")
        if entry.is_dir():
            tree[entry.name] = _from_path(entry)
        elif entry.is_file():
            tree[entry.name] = entry
        else:
            raise IpfsError(f"not a regular file or directory: {entry}")
    return tree


def directory_tree(source: DirectorySource) -> Tree:
    """Normalize a mapping or a directory path into a :data:`Tree`."""
    if isinstance(source, Mapping):
        return _from_mapping(source)
    path = Path(source)
    if not path.is_dir():
        raise IpfsError(f"not a directory: {path}")
    return _from_path(path)


def iter_entries(tree: Tree, prefix: str = "") -> Iterator[tuple[str, FileContent | None]]:
    """Walk a tree parents-first, names sorted: ``(relative path, content or None for a dir)``."""
    for name in sorted(tree):
        value = tree[name]
        path = f"{prefix}{name}"
        if isinstance(value, dict):
            yield path, None
            yield from iter_entries(value, path + "/")
        else:
            yield path, value
