"""A reader's side of gated content: ask operators for key shares, check them, rebuild, decrypt.

All operators are asked at once (purchase-to-playable time is one round trip, not k); each answer
is opened with the request's ephemeral key and checked against the manifest's commitment for its
index, so a lying operator is named and skipped, never combined into a wrong key. The rebuilt key
is checked against the manifest's key commitment before any file is decrypted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from eth_account.messages import SignableMessage

from tutti.errors import TuttiError
from tutti.gated.envelope import decrypt_stream
from tutti.gated.manifest import OperatorKey
from tutti.gated.requests import KeyRequest, request_digest, signable, verify_identity
from tutti.gated.sealing import SealError, new_private_key, open_sealed, public_bytes
from tutti.gated.sharing import KeyShare, combine_key, key_commitment

logger = logging.getLogger(__name__)

Signer = Callable[[SignableMessage], bytes]


class AccessDenied(TuttiError):
    """Fewer than k operators released a valid share; carries each operator's answer."""

    def __init__(self, message: str, answers: dict[str, str]):
        super().__init__(message)
        self.answers = answers


@dataclass
class KeyGathering:
    key: bytes
    answers: dict[str, str] = field(default_factory=dict)  # service URL -> "ok" or why not
    liars: list[str] = field(default_factory=list)


def ape_signer(account) -> Signer:
    """Sign with an ape account (a test account, or one ape unlocks)."""
    return lambda message: bytes(account.sign_message(message).encode_rsv())


def fetch_operator_keys(urls: Sequence[str], chain_id: int,
                        is_operator: Callable[[str], bool] = lambda address: True) -> list[OperatorKey]:
    """Each key service's X25519 key, refused unless signed by the operator it names and that
    account is an operator (``is_operator``, e.g. ``tutti.hub.isOperator``)."""
    keys = []
    for url in urls:
        identity = httpx.get(f"{url.rstrip('/')}/v1/identity", timeout=10).json()
        public = _hex(identity["public_key"])
        if not verify_identity(identity["operator"], public, chain_id, _hex(identity["signature"])):
            raise TuttiError(f"{url}: the key is not signed by operator {identity['operator']}")
        if not is_operator(identity["operator"]):
            raise TuttiError(f"{url}: {identity['operator']} is not an oracle operator")
        keys.append(OperatorKey(identity["operator"], public, url))
    return keys


def gather_key(manifest: dict[str, Any], work_id: int, requester: str, sign: Signer, services: Sequence[str],
               chain_id: int, verifying_contract: str, *, room_id: int = 0, timeout: float = 10.0) -> KeyGathering:
    """Ask every service for its share of work ``work_id``'s key and rebuild the key from k good ones."""
    threshold = int(manifest["threshold"])
    commitments = {int(s["index"]): (s["operator"], _hex(s["commitment"])) for s in manifest["shares"]}
    ephemeral = new_private_key()
    request = KeyRequest.new(work_id, requester, public_bytes(ephemeral), room_id=room_id)
    message = signable(request, chain_id, verifying_contract)
    signature = sign(message)
    context = request_digest(request, chain_id, verifying_contract)
    body = {**request.to_json(), "signature": "0x" + signature.hex()}

    def ask(url: str) -> tuple[str, KeyShare | None, str]:
        try:
            response = httpx.post(f"{url.rstrip('/')}/v1/keys/{work_id}", json=body, timeout=timeout)
        except httpx.HTTPError as exc:
            return url, None, f"unreachable: {exc}"
        if response.status_code != 200:
            return url, None, f"HTTP {response.status_code}: {_detail(response)}"
        answer = response.json()
        index = int(answer["index"])
        try:
            value = open_sealed(ephemeral, _hex(answer["sealed"]), context)
        except SealError as exc:
            return url, None, f"LIAR: {exc}"
        expected = commitments.get(index)
        share = KeyShare(index, value)
        if expected is None or expected[0] != answer["operator"] or share.commitment() != expected[1]:
            return url, None, f"LIAR: operator {answer['operator']}'s share {index} does not match its commitment"
        return url, share, "ok"

    with ThreadPoolExecutor(max_workers=max(1, len(services))) as pool:
        results = list(pool.map(ask, services))
    answers = {url: verdict for url, _, verdict in results}
    shares = [share for _, share, _ in results if share is not None]
    liars = [url for url, verdict in answers.items() if verdict.startswith("LIAR")]
    for url in liars:
        logger.warning("key service %s sent a share that fails its commitment; ignored", url)
    if len({s.index for s in shares}) < threshold:
        raise AccessDenied(f"{len(shares)} valid key shares of {threshold} needed: "
                           + "; ".join(f"{u}: {v}" for u, v in answers.items()), answers)
    key = combine_key(shares, threshold)
    if key_commitment(key) != _hex(manifest["key_commitment"]):
        raise TuttiError("the rebuilt key does not match the manifest's key commitment")
    return KeyGathering(key, answers, liars)


def decrypt_file(store, manifest: dict[str, Any], key: bytes, name: str, destination: Path) -> Path:
    """Fetch a file's ciphertext, decrypt it to ``destination`` and check both hashes."""
    import io

    entry = next((f for f in manifest["files"] if f["name"] == name), None)
    if entry is None:
        raise TuttiError(f"the manifest has no file {name!r}")
    ciphertext = store.cat(entry["cid"])
    partial = destination.with_suffix(destination.suffix + ".partial")
    with open(partial, "wb") as sink:
        digests = decrypt_stream(key, io.BytesIO(ciphertext), sink)
    if digests.ciphertext_hash != _hex(entry["ciphertext_hash"]) or digests.plaintext_hash != _hex(
            entry["plaintext_hash"]):
        partial.unlink()
        raise TuttiError(f"{name} decrypted, but its hashes differ from the manifest's")
    partial.replace(destination)
    return destination


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text))
    except ValueError:
        return response.text[:200]


def _hex(text: str) -> bytes:
    return bytes.fromhex(str(text).removeprefix("0x"))
