"""Sign-In with Ethereum (EIP-4361) for the media node, with the ``siwe`` package.

The node hands out single-use nonces; a client signs a SIWE message carrying one, the node's
domain, its origin (``URI``) and its chain id; :meth:`SignInVerifier.verify` checks all of them
plus the signature and the validity window, and burns the nonce so the same signed message can
never be used again.

Nothing here may stall the audio on the node's event loop: the message is bounded in size and
its nonce must be live (a dict lookup) before any parsing; parsing and signature recovery run in
a worker process (:func:`check_signed_message`), with the siwe package's linear regular-expression
parser (its ABNF parser takes seconds of CPU for a few KiB of statement).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import re
import secrets
import time
from collections import OrderedDict
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone

from siwe import SiweMessage, VerificationError

logger = logging.getLogger(__name__)

#: A SIWE message with our statement is ~400 bytes; EIP-4361 leaves room for resources, not essays.
MAX_MESSAGE_BYTES = 1024
MAX_SIGNATURE_CHARS = 2 + 2 * 65 + 16  # 0x + r, s, v (slack for a few stray characters)
_NONCE_LINE = re.compile(r"^Nonce: ([A-Za-z0-9]{8,64})$", re.MULTILINE)
_SIGNATURE = re.compile(r"0x[0-9a-fA-F]{130}")  # r, s, v: 65 bytes


class SignInError(Exception):
    """A sign-in that must be refused; ``reason`` is safe to show to the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NonceStore:
    """Single-use nonces with a time to live; the oldest are forgotten beyond ``capacity``."""

    # Large: a flood of nonce requests must not evict the nonce a musician is about to sign.
    def __init__(self, ttl_seconds: float = 300.0, capacity: int = 200_000) -> None:
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
    nonce: str
    issued_at: str


def check_signed_message(message: str, signature: str) -> dict:
    """Parse ``message`` and check ``signature`` (and Expiration Time / Not Before) over it.

    Runs in the verifier's worker process; returns the fields the node checks itself."""
    try:
        parsed = SiweMessage.from_message(message=message, abnf=False)
    except Exception as exc:  # noqa: BLE001 - the parser raises many kinds
        raise SignInError(f"malformed SIWE message: {str(exc)[:200]}") from None
    try:
        parsed.verify(signature)
    except VerificationError as exc:
        raise SignInError(f"SIWE verification failed: {type(exc).__name__}"
                          f"{': ' + str(exc) if str(exc) else ''}") from None
    except Exception as exc:  # noqa: BLE001 - e.g. a signature that is not hex
        raise SignInError(f"SIWE signature unreadable: {str(exc)[:200]}") from None
    return {"address": parsed.address, "domain": parsed.domain, "uri": str(parsed.uri),
            "chain_id": int(parsed.chain_id), "nonce": parsed.nonce, "issued_at": str(parsed.issued_at)}


def _yield_to_audio() -> None:
    """The worker's initializer: the lowest CPU priority (nice 19). On a busy host a flood of
    sign-ins (a few ms of CPU each: parsing, ``ecrecover``) then takes only the CPU the audio does
    not want, instead of an equal share of the cores the node's audio loop needs."""
    try:
        os.nice(19)
    except OSError:  # not allowed here: equal priority, still another process
        pass


def sign_in_pool() -> ProcessPoolExecutor:
    """One worker process for sign-in work, so parsing and ``ecrecover`` never hold the audio loop's
    GIL (a thread would), at the lowest CPU priority. ``spawn``: the node process runs threads
    (aiortc, HRTF preparation)."""
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_yield_to_audio)


class SignInVerifier:
    """Verifies SIWE messages addressed to this node (``domain`` and ``uri``) on ``chain_id``."""

    MAX_MESSAGE_BYTES = MAX_MESSAGE_BYTES

    def __init__(self, domain: str, chain_id: int, nonces: NonceStore | None = None,
                 max_age_seconds: float = 600.0, *, uri: str | None = None,
                 future_skew_seconds: float = 30.0, executor: Executor | None = None) -> None:
        self.domain = domain
        self.uri = uri or f"http://{domain}"
        self.chain_id = int(chain_id)
        self.nonces = nonces or NonceStore()
        self.max_age = max_age_seconds
        self.future_skew = future_skew_seconds
        self.executor = executor or sign_in_pool()

    async def warm_up(self) -> None:
        """Start the worker (a second of imports) before the first musician waits for it."""
        try:
            await asyncio.get_running_loop().run_in_executor(self.executor, check_signed_message, "", "")
        except SignInError:
            pass

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)

    async def verify(self, message: object, signature: object) -> SignedIn:
        if not isinstance(message, str) or not isinstance(signature, str):
            raise SignInError("a SIWE sign-in needs a message and a signature, both strings")
        if len(message) > MAX_MESSAGE_BYTES or len(message.encode()) > MAX_MESSAGE_BYTES:
            raise SignInError(f"SIWE message longer than {MAX_MESSAGE_BYTES} bytes")
        if len(signature) > MAX_SIGNATURE_CHARS:
            raise SignInError("SIWE signature too long (65 bytes, hex)")
        nonce = _NONCE_LINE.search(message)
        if nonce is None:
            raise SignInError("malformed SIWE message: no Nonce line")
        if _SIGNATURE.fullmatch(signature) is None:  # cannot verify: no trip to the worker
            raise SignInError("SIWE signature unreadable: 0x and 65 bytes of hex expected")
        # Burnt before any costly work: each issued nonce buys at most one trip to the worker,
        # and a concurrent replay of the same message loses here.
        if not self.nonces.consume(nonce.group(1)):
            raise SignInError("SIWE nonce unknown, expired or already used (replay refused): "
                              "ask for a fresh nonce")
        fields = await asyncio.get_running_loop().run_in_executor(
            self.executor, check_signed_message, message, signature)
        if fields["nonce"] != nonce.group(1):
            raise SignInError("malformed SIWE message: two Nonce lines")
        if fields["domain"] != self.domain:
            raise SignInError(f"SIWE message is for domain {fields['domain']!r}, this node is "
                              f"{self.domain!r}")
        if fields["uri"].rstrip("/") != self.uri.rstrip("/"):
            raise SignInError(f"SIWE message is for URI {fields['uri']!r}, this node is {self.uri!r}")
        if fields["chain_id"] != self.chain_id:
            raise SignInError(f"SIWE message is for chain {fields['chain_id']}, this node checks "
                              f"passes on chain {self.chain_id}")
        issued = datetime.fromisoformat(fields["issued_at"].replace("Z", "+00:00"))
        age = (datetime.now(timezone.utc) - issued).total_seconds()
        if age > self.max_age:
            raise SignInError(f"SIWE message issued {age:.0f} s ago; at most {self.max_age:.0f} s")
        if -age > self.future_skew:
            raise SignInError(f"SIWE message issued {-age:.0f} s in the future; clocks may differ "
                              f"by at most {self.future_skew:.0f} s")
        return SignedIn(address=fields["address"], nonce=fields["nonce"], issued_at=fields["issued_at"])


def build_message(*, domain: str, uri: str, address: str, chain_id: int, nonce: str,
                  statement: str = "Join the Tutti jam session.") -> str:
    """The EIP-4361 text a client signs (used by the Python client and the tests)."""
    return SiweMessage(
        domain=domain, address=address, statement=statement, uri=uri, version="1",
        chain_id=chain_id, nonce=nonce,
        issued_at=datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    ).prepare_message()
