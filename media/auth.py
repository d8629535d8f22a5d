"""Sign-In with Ethereum (EIP-4361) for the media node, with the ``siwe`` package.

The node hands out single-use nonces; a client signs a SIWE message carrying one, the node's
domain and its chain id; :meth:`SignInVerifier.verify` checks all three plus the signature and
the validity window, then burns the nonce so the same signed message can never be used again.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone

from siwe import SiweMessage, VerificationError

logger = logging.getLogger(__name__)


class SignInError(Exception):
    """A sign-in that must be refused; ``reason`` is safe to show to the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NonceStore:
    """Single-use nonces with a time to live; the oldest are forgotten beyond ``capacity``."""

    def __init__(self, ttl_seconds: float = 300.0, capacity: int = 10_000) -> None:
        self.ttl = ttl_seconds
        self.capacity = capacity
        self._issued: OrderedDict[str, float] = OrderedDict()

    def issue(self) -> str:
        self._expire()
        nonce = secrets.token_hex(16)  # EIP-4361: at least 8 alphanumeric characters
        self._issued[nonce] = time.monotonic() + self.ttl
        while len(self._issued) > self.capacity:
            self._issued.popitem(last=False)
        return nonce

    def is_live(self, nonce: str) -> bool:
        self._expire()
        return nonce in self._issued

    def consume(self, nonce: str) -> bool:
        """Burn ``nonce``; False if it was never issued, expired or already used."""
        self._expire()
        return self._issued.pop(nonce, None) is not None

    def _expire(self) -> None:
        now = time.monotonic()
        while self._issued:
            nonce, deadline = next(iter(self._issued.items()))
            if deadline > now:
                break
            self._issued.popitem(last=False)

    def __len__(self) -> int:
        return len(self._issued)


@dataclass(frozen=True)
class SignedIn:
    address: str  # EIP-55 checksummed
    message: SiweMessage


class SignInVerifier:
    """Verifies SIWE messages addressed to this node (``domain``) on this chain (``chain_id``)."""

    MAX_MESSAGE_BYTES = 4096

    def __init__(self, domain: str, chain_id: int, nonces: NonceStore | None = None,
                 max_age_seconds: float = 600.0) -> None:
        self.domain = domain
        self.chain_id = int(chain_id)
        self.nonces = nonces or NonceStore()
        self.max_age = max_age_seconds

    def verify(self, message: object, signature: object) -> SignedIn:
        if not isinstance(message, str) or not isinstance(signature, str):
            raise SignInError("a SIWE sign-in needs a message and a signature, both strings")
        if len(message.encode()) > self.MAX_MESSAGE_BYTES:
            raise SignInError(f"SIWE message longer than {self.MAX_MESSAGE_BYTES} bytes")
        try:
            parsed = SiweMessage.from_message(message=message)
        except Exception as exc:  # noqa: BLE001 - the grammar raises many kinds
            raise SignInError(f"malformed SIWE message: {str(exc)[:200]}") from exc
        if parsed.domain != self.domain:
            raise SignInError(f"SIWE message is for domain {parsed.domain!r}, this node is "
                              f"{self.domain!r}")
        if int(parsed.chain_id) != self.chain_id:
            raise SignInError(f"SIWE message is for chain {parsed.chain_id}, this node checks "
                              f"passes on chain {self.chain_id}")
        if not self.nonces.is_live(parsed.nonce):
            raise SignInError("SIWE nonce unknown, expired or already used (replay refused): "
                              "ask for a fresh nonce")
        issued = datetime.fromisoformat(str(parsed.issued_at).replace("Z", "+00:00"))
        age = (datetime.now(timezone.utc) - issued).total_seconds()
        if age > self.max_age:
            raise SignInError(f"SIWE message issued {age:.0f} s ago; at most {self.max_age:.0f} s")
        try:
            parsed.verify(signature, domain=self.domain, nonce=parsed.nonce)
        except VerificationError as exc:
            raise SignInError(f"SIWE verification failed: {type(exc).__name__}"
                              f"{': ' + str(exc) if str(exc) else ''}") from exc
        except Exception as exc:  # noqa: BLE001 - e.g. a signature that is not hex
            raise SignInError(f"SIWE signature unreadable: {str(exc)[:200]}") from exc
        if not self.nonces.consume(parsed.nonce):  # lost a race with a concurrent replay
            raise SignInError("SIWE nonce already used (replay refused)")
        return SignedIn(address=parsed.address, message=parsed)


def build_message(*, domain: str, uri: str, address: str, chain_id: int, nonce: str,
                  statement: str = "Join the Tutti jam session.") -> str:
    """The EIP-4361 text a client signs (used by the Python client and the tests)."""
    return SiweMessage(
        domain=domain, address=address, statement=statement, uri=uri, version="1",
        chain_id=chain_id, nonce=nonce,
        issued_at=datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    ).prepare_message()
