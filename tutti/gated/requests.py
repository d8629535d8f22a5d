"""The EIP-712 key-release request a reader signs, and the operator's signed X25519 identity.

A request names the work, the requester, the ephemeral X25519 key the share must be sealed to, an
optional room whose pass grants access, a random nonce and an expiry. The operator seals its
answer to that ephemeral key with the request's digest as context, so a request copied from
another buyer is useless: its answer opens only with the buyer's ephemeral private key, and its
nonce is spent after one use anyway.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import SignableMessage, encode_defunct, encode_typed_data
from eth_utils import keccak, to_checksum_address

from tutti.attestations import EIP712_DOMAIN_TYPE
from tutti.errors import TuttiError

DOMAIN_NAME = "Tutti Key Release"
DOMAIN_VERSION = "1"
#: Longest a request may stay valid: bounds how long an operator remembers spent nonces.
MAX_REQUEST_TTL_SECONDS = 300
KEY_REQUEST_TYPE = [
    {"name": "workId", "type": "uint256"},
    {"name": "requester", "type": "address"},
    {"name": "ephemeralKey", "type": "bytes32"},
    {"name": "roomId", "type": "uint256"},
    {"name": "nonce", "type": "bytes32"},
    {"name": "expiry", "type": "uint64"},
]


@dataclass(frozen=True)
class KeyRequest:
    work_id: int
    requester: str
    ephemeral_key: bytes
    nonce: bytes
    expiry: int
    room_id: int = 0

    @classmethod
    def new(cls, work_id: int, requester: str, ephemeral_key: bytes, *, room_id: int = 0,
            ttl: int = 120) -> KeyRequest:
        return cls(work_id, to_checksum_address(requester), ephemeral_key, os.urandom(32),
                   int(time.time()) + ttl, room_id)

    def message(self) -> dict[str, Any]:
        return {"workId": self.work_id, "requester": to_checksum_address(self.requester),
                "ephemeralKey": self.ephemeral_key, "roomId": self.room_id, "nonce": self.nonce,
                "expiry": self.expiry}

    def to_json(self) -> dict[str, Any]:
        return {"work_id": self.work_id, "requester": self.requester, "ephemeral_key": "0x" + self.ephemeral_key.hex(),
                "room_id": self.room_id, "nonce": "0x" + self.nonce.hex(), "expiry": self.expiry}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KeyRequest:
        try:
            ephemeral = bytes.fromhex(str(data["ephemeral_key"]).removeprefix("0x"))
            nonce = bytes.fromhex(str(data["nonce"]).removeprefix("0x"))
            request = cls(int(data["work_id"]), to_checksum_address(data["requester"]), ephemeral, nonce,
                          int(data["expiry"]), int(data.get("room_id", 0)))
        except (KeyError, ValueError, TypeError) as exc:
            raise TuttiError(f"malformed key request: {exc}") from None
        if len(ephemeral) != 32 or len(nonce) != 32:
            raise TuttiError("ephemeral_key and nonce must be 32 bytes each")
        return request


def domain(chain_id: int, verifying_contract: str) -> dict[str, Any]:
    return {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": int(chain_id),
            "verifyingContract": to_checksum_address(verifying_contract)}


def signable(request: KeyRequest, chain_id: int, verifying_contract: str) -> SignableMessage:
    return encode_typed_data(full_message={
        "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, "KeyRequest": KEY_REQUEST_TYPE},
        "primaryType": "KeyRequest",
        "domain": domain(chain_id, verifying_contract),
        "message": request.message(),
    })


def request_digest(request: KeyRequest, chain_id: int, verifying_contract: str) -> bytes:
    message = signable(request, chain_id, verifying_contract)
    return keccak(b"\x19" + message.version + message.header + message.body)


def recover_requester(request: KeyRequest, signature: bytes, chain_id: int, verifying_contract: str) -> str:
    return Account.recover_message(signable(request, chain_id, verifying_contract), signature=signature)


def identity_message(operator: str, public_key: bytes, chain_id: int) -> SignableMessage:
    """What an operator signs (EIP-191) to vouch for its X25519 key-release key."""
    return encode_defunct(text=f"Tutti key release: operator {to_checksum_address(operator)} seals shares to "
                               f"X25519 key 0x{public_key.hex()} on chain {chain_id}")


def verify_identity(operator: str, public_key: bytes, chain_id: int, signature: bytes) -> bool:
    signer = Account.recover_message(identity_message(operator, public_key, chain_id), signature=signature)
    return signer == to_checksum_address(operator)
