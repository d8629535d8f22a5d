"""IPFS storage for Tutti: one interface, an embedded store and a Kubo RPC client.

>>> from tutti.ipfs import open_store
>>> store = open_store()                         # embedded, in .tutti/ipfs
>>> store = open_store("http://127.0.0.1:5001")  # a Kubo node

See docs/ipfs.md.
"""

from .cid import Cid
from .errors import CidNotFound, InvalidCid, IpfsError, IpfsUnavailable, NotAFile, NotPinned
from .store import IpfsStore, open_store

__all__ = [
    "Cid",
    "CidNotFound",
    "InvalidCid",
    "IpfsError",
    "IpfsStore",
    "IpfsUnavailable",
    "NotAFile",
    "NotPinned",
    "open_store",
]
