"""Exceptions raised by every IPFS backend, so callers never see httpx or OSError details."""

from __future__ import annotations


class IpfsError(Exception):
    """Base class for all IPFS store failures."""


class InvalidCid(IpfsError, ValueError):
    """A string or byte sequence is not a well-formed CID (or CID path)."""


class CidNotFound(IpfsError, LookupError):
    """The CID (or a path below it) is not available from the store."""


class NotPinned(IpfsError):
    """Unpin was asked for a CID that is not pinned recursively."""


class IpfsUnavailable(IpfsError, ConnectionError):
    """The IPFS node could not be reached (after the configured retries)."""


class NotAFile(IpfsError):
    """``cat`` was asked for something that is not a UnixFS file (a directory, say)."""
