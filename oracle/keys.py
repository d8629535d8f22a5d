"""An operator's key-release service: ``tutti-oracle keys serve``.

``GET /v1/identity`` gives the operator's X25519 key-release key with the operator's EIP-191
signature over it (artists seal shares to it). ``POST /v1/keys/{work_id}`` takes a signed
:class:`tutti.gated.requests.KeyRequest` and, after checking in this order:

1. the request is well formed, for this work, not expired, and not valid for longer than
   ``MAX_REQUEST_TTL_SECONDS`` (400 / 410);
2. its EIP-712 signature recovers the requester (401);
3. its nonce was never used here (409: a replay);
4. on chain, the requester may read the work now (403, with the reason);
5. the work's manifest (found through its metadata) holds a share for this operator and is
   bound to the work's registered content hash (404 / 409),

returns this operator's share sealed to the request's ephemeral key. Nothing else is ever sent.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from tutti.errors import TuttiError
from tutti.gated.access import AccessChecker
from tutti.gated.manifest import load_manifest, manifest_cid_of, share_context
from tutti.gated.requests import (
    MAX_REQUEST_TTL_SECONDS,
    KeyRequest,
    recover_requester,
    request_digest,
)
from tutti.gated.sealing import (
    SealError,
    new_private_key,
    open_sealed,
    private_bytes,
    private_from_bytes,
    public_bytes,
)
from tutti.gated.sealing import seal as seal_to

logger = logging.getLogger(__name__)


def load_or_create_key(path: Path):
    """The operator's X25519 key-release private key, created (mode 0600) on first use."""
    if path.exists():
        return private_from_bytes(path.read_bytes())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = new_private_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(private_bytes(key))
    return key


class SpentNonces:
    """Nonces seen, kept until their request expires (requests live at most MAX_REQUEST_TTL_SECONDS)."""

    def __init__(self):
        self._expiry: dict[bytes, int] = {}
        self._lock = threading.Lock()

    def spend(self, nonce: bytes, expiry: int, now: int) -> bool:
        """False if ``nonce`` was spent already; otherwise remember it and return True."""
        with self._lock:
            if len(self._expiry) > 10_000:
                self._expiry = {n: e for n, e in self._expiry.items() if e >= now}
            if nonce in self._expiry:
                return False
            self._expiry[nonce] = expiry
            return True


class KeyRequestBody(BaseModel):
    work_id: int = Field(gt=0)
    requester: str
    ephemeral_key: str = Field(description="0x + 64 hex digits: the X25519 key to seal the share to")
    room_id: int = Field(0, ge=0, description="A room whose pass grants access (0: none)")
    nonce: str = Field(description="0x + 64 hex digits, random, never reused")
    expiry: int = Field(description="Unix time after which the request is void")
    signature: str = Field(description="EIP-712 signature by the requester")


class ShareAnswer(BaseModel):
    operator: str
    index: int
    sealed: str = Field(description="The share sealed to the ephemeral key, bound to the request's digest")


class Identity(BaseModel):
    operator: str
    public_key: str
    chain_id: int
    signature: str


@dataclass
class KeyService:
    operator: str
    identity_signature: bytes
    private_key: object
    checker: AccessChecker
    store: object
    nonces: SpentNonces

    def release(self, work_id: int, body: KeyRequestBody) -> ShareAnswer:
        try:
            request = KeyRequest.from_json(body.model_dump())
            signature = bytes.fromhex(body.signature.removeprefix("0x"))
        except (TuttiError, ValueError) as exc:
            raise HTTPException(400, f"malformed request: {exc}") from None
        if request.work_id != work_id:
            raise HTTPException(400, f"the request is for work {request.work_id}, not {work_id}")
        now = int(time.time())
        if request.expiry < now:
            raise HTTPException(410, f"the request expired at {request.expiry} (now {now})")
        if request.expiry > now + MAX_REQUEST_TTL_SECONDS:
            raise HTTPException(400, f"a request may be valid for at most {MAX_REQUEST_TTL_SECONDS} s")
        chain_id, verifying = self.checker.chain_id, self.checker.licenses_address
        try:
            signer = recover_requester(request, signature, chain_id, verifying)
        except Exception:  # noqa: BLE001 - any undecodable signature is simply not the requester's
            signer = None
        if signer != request.requester:
            raise HTTPException(401, "the signature is not the requester's")
        if not self.nonces.spend(request.nonce, request.expiry, now):
            raise HTTPException(409, "this request was already used (replay)")
        denial = self.checker.denial(work_id, request.requester, request.room_id)
        if denial:
            raise HTTPException(403, denial)
        work = self.checker.work(work_id)
        try:
            manifest = load_manifest(self.store, manifest_cid_of(self.store, work["metadata_cid"]))
        except TuttiError as exc:
            raise HTTPException(404, str(exc)) from None
        if bytes.fromhex(manifest["content_hash"].removeprefix("0x")) != work["content_hash"]:
            raise HTTPException(409, "the manifest does not match the work's registered content hash")
        entry = next((s for s in manifest["shares"] if s["operator"] == self.operator), None)
        if entry is None:
            raise HTTPException(404, f"work {work_id}'s manifest holds no share for operator {self.operator}")
        index = int(entry["index"])
        try:
            share = self.own_share(entry, work["content_hash"])
        except SealError as exc:
            raise HTTPException(409, f"this operator's share does not open: {exc}") from None
        sealed = seal_to(request.ephemeral_key, share, request_digest(request, chain_id, verifying))
        logger.info("released share %d of work %d to %s", index, work_id, request.requester)
        return ShareAnswer(operator=self.operator, index=index, sealed="0x" + sealed.hex())

    def own_share(self, entry: dict, content_hash: bytes) -> bytes:
        """This operator's share of a work's key, opened from the manifest entry sealed to it."""
        index = int(entry["index"])
        return open_sealed(self.private_key, bytes.fromhex(entry["sealed"].removeprefix("0x")),
                           share_context(content_hash, self.operator, index))

    def identity(self) -> Identity:
        return Identity(operator=self.operator, public_key="0x" + public_bytes(self.private_key).hex(),
                        chain_id=self.checker.chain_id, signature="0x" + self.identity_signature.hex())


def create_app(service: KeyService) -> FastAPI:
    app = FastAPI(title="Tutti key release", version="1")

    @app.get("/v1/identity", response_model=Identity)
    def identity() -> Identity:
        """This operator's X25519 key-release key, signed by its operator account."""
        return service.identity()

    @app.post("/v1/keys/{work_id}", response_model=ShareAnswer)
    def release(work_id: int, body: KeyRequestBody) -> ShareAnswer:
        """This operator's share of the work's content key, sealed to the request's ephemeral key."""
        return service.release(work_id, body)

    return app


def build_service(book, rpc_url: str, operator_account, store, key_path: Path) -> KeyService:
    """A key service for ``operator_account`` (an ape account: it signs the identity once)."""
    from tutti.gated.requests import identity_message

    checker = AccessChecker(rpc_url, book)
    private_key = load_or_create_key(key_path)
    message = identity_message(operator_account.address, public_bytes(private_key), checker.chain_id)
    signature = bytes(operator_account.sign_message(message).encode_rsv())
    return KeyService(operator_account.address, signature, private_key, checker, store, SpentNonces())


class ThreadedServer:
    """A key service on 127.0.0.1 in a background thread (tests, benches, the demo's in-process run)."""

    def __init__(self, app: FastAPI, port: int):
        import uvicorn

        self.url = f"http://127.0.0.1:{port}"
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> ThreadedServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"key service at {self.url} did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
