"""The room directory's signed data: a room's host announces which media node serves the room.

Media nodes run one room each, on any machine; clients find a room's node through the indexer's
directory instead of being told a URL. An announcement is the EIP-712 message
``MediaNode(uint256 roomId,string url,uint64 expiresAt)`` in the domain
``{name: "Tutti media directory", version: "1", chainId, verifyingContract: AccessPass}``, signed by
the room's host (the account that created the room on chain). Binding the AccessPass address and
the chain id keeps an announcement from being replayed for another deployment; the expiry (at most
:data:`MAX_TTL_SECONDS` ahead) makes a node that stops announcing drop out of the directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_utils import to_checksum_address

from tutti.attestations import EIP712_DOMAIN_TYPE
from tutti.errors import TuttiError

DOMAIN_NAME = "Tutti media directory"
DOMAIN_VERSION = "1"
#: The longest an announcement may stay valid: a node that dies leaves the directory within this.
MAX_TTL_SECONDS = 3_600
MAX_URL_LENGTH = 200

MEDIA_NODE_TYPE = [
    {"name": "roomId", "type": "uint256"},
    {"name": "url", "type": "string"},
    {"name": "expiresAt", "type": "uint64"},
]


class InvalidAnnouncement(TuttiError):
    """An announcement that cannot be listed: a bad URL, an expiry in the past or too far ahead."""


def check_url(url: str) -> str:
    """A media node's public base URL: ``http(s)://host[:port][/path]``, without credentials, query
    or fragment, at most :data:`MAX_URL_LENGTH` characters. Returned without a trailing slash."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise InvalidAnnouncement(f"a media node URL is 1 to {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise InvalidAnnouncement(f"{url!r} is not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidAnnouncement(f"{url!r} is not an http(s) URL with a host")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise InvalidAnnouncement(f"{url!r} may not carry credentials, a query or a fragment")
    if any(character.isspace() for character in url):
        raise InvalidAnnouncement(f"{url!r} contains white space")
    if not (url.isascii() and url.isprintable()):
        raise InvalidAnnouncement(f"{url!r} must be printable ASCII (punycode for international host names)")
    return url.rstrip("/")


@dataclass(frozen=True)
class NodeAnnouncement:
    """Room ``room_id`` is served at ``url`` until ``expires_at`` (unix seconds)."""

    room_id: int
    url: str
    expires_at: int

    def message(self) -> dict[str, Any]:
        return {"roomId": int(self.room_id), "url": self.url, "expiresAt": int(self.expires_at)}

    def check(self, now: int) -> None:
        """Refuse what no directory should list at time ``now``."""
        check_url(self.url)
        if not 0 <= self.room_id < 2**256:
            raise InvalidAnnouncement(f"room id {self.room_id} is out of range")
        if self.expires_at <= now:
            raise InvalidAnnouncement(f"the announcement expired at {self.expires_at} (now {now})")
        if self.expires_at > now + MAX_TTL_SECONDS:
            raise InvalidAnnouncement(f"the announcement expires {self.expires_at - now} s from now; "
                                      f"at most {MAX_TTL_SECONDS} s are accepted")


def domain(chain_id: int, passes_address: str) -> dict[str, Any]:
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": int(chain_id),
        "verifyingContract": to_checksum_address(passes_address),
    }


def typed_data(announcement: NodeAnnouncement, chain_id: int, passes_address: str) -> dict[str, Any]:
    """The full EIP-712 document, as a wallet's ``eth_signTypedData_v4`` takes it."""
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, "MediaNode": MEDIA_NODE_TYPE},
        "primaryType": "MediaNode",
        "domain": domain(chain_id, passes_address),
        "message": announcement.message(),
    }


def signable(announcement: NodeAnnouncement, chain_id: int, passes_address: str) -> SignableMessage:
    return encode_typed_data(full_message=typed_data(announcement, chain_id, passes_address))


def sign_announcement(private_key: bytes | str, announcement: NodeAnnouncement, chain_id: int,
                      passes_address: str) -> bytes:
    """A 65-byte ``r || s || v`` signature by the room's host."""
    return bytes(Account.sign_message(signable(announcement, chain_id, passes_address), private_key).signature)


def announcement_signer(announcement: NodeAnnouncement, signature: bytes, chain_id: int, passes_address: str) -> str:
    """Who signed ``announcement`` (compare with the room's host). A signature that recovers to no
    one raises ``ValueError``, or eth_keys' ``BadSignature`` when r or s is out of range."""
    return Account.recover_message(signable(announcement, chain_id, passes_address), signature=signature)
