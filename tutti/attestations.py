"""The OracleHub's signed data, defined once: the EIP-712 domain and ``Attestation`` type,
the outcome key that decides agreement, job-kind ids and job seeds.

Operators sign ``Attestation(uint256 jobId,bytes32 resultHash,string resultCid,bytes32 modelId)``
in the domain ``{name: "Tutti OracleHub", version: "1", chainId, verifyingContract: hub}``. The
operator is recovered from the signature (never passed), so anyone may relay it. These helpers
produce byte-for-byte what ``OracleHub.attestationDigest`` and OpenZeppelin's
``EIP712._hashTypedDataV4`` compute, and what a wallet's ``eth_signTypedData_v4`` signs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_utils import keccak, to_bytes, to_checksum_address

DOMAIN_NAME = "Tutti OracleHub"
DOMAIN_VERSION = "1"

EIP712_DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
ATTESTATION_TYPE = [
    {"name": "jobId", "type": "uint256"},
    {"name": "resultHash", "type": "bytes32"},
    {"name": "resultCid", "type": "string"},
    {"name": "modelId", "type": "bytes32"},
]
ATTESTATION_TYPE_STRING = "Attestation(" + ",".join(f"{f['type']} {f['name']}" for f in ATTESTATION_TYPE) + ")"
ATTESTATION_TYPEHASH = keccak(text=ATTESTATION_TYPE_STRING)


def _bytes32(value: bytes | str) -> bytes:
    raw = to_bytes(hexstr=value) if isinstance(value, str) else bytes(value)
    if len(raw) != 32:
        raise ValueError(f"expected 32 bytes, got {len(raw)}")
    return raw


@dataclass(frozen=True)
class Attestation:
    """One operator's claim about a job's result (the EIP-712 primary type)."""

    job_id: int
    result_hash: bytes
    result_cid: str
    model_id: bytes

    def __post_init__(self) -> None:
        object.__setattr__(self, "result_hash", _bytes32(self.result_hash))
        object.__setattr__(self, "model_id", _bytes32(self.model_id))

    def as_tuple(self) -> tuple[int, bytes, str, bytes]:
        """The ``IOracleHub.Attestation`` struct as a contract call takes it."""
        return (self.job_id, self.result_hash, self.result_cid, self.model_id)

    def message(self) -> dict[str, Any]:
        """The EIP-712 message, JSON-serialisable (bytes32 as 0x-hex, as wallets expect)."""
        return {
            "jobId": self.job_id,
            "resultHash": "0x" + self.result_hash.hex(),
            "resultCid": self.result_cid,
            "modelId": "0x" + self.model_id.hex(),
        }

    @property
    def outcome(self) -> bytes:
        """What agreeing attestations share; equals ``OracleHub.outcomeOf``."""
        return outcome_key(self.result_hash, self.result_cid, self.model_id)


def outcome_key(result_hash: bytes, result_cid: str, model_id: bytes) -> bytes:
    """``keccak256(abi.encode(resultHash, keccak256(bytes(resultCid)), modelId))``."""
    return keccak(
        abi_encode(
            ["bytes32", "bytes32", "bytes32"],
            [_bytes32(result_hash), keccak(text=result_cid), _bytes32(model_id)],
        )
    )


def domain(chain_id: int, verifying_contract: str) -> dict[str, Any]:
    """The hub's EIP-712 domain on chain ``chain_id``."""
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": int(chain_id),
        "verifyingContract": to_checksum_address(verifying_contract),
    }


def typed_data(attestation: Attestation, chain_id: int, verifying_contract: str) -> dict[str, Any]:
    """The full EIP-712 document (JSON-serialisable), as ``eth_signTypedData_v4`` takes it."""
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, "Attestation": ATTESTATION_TYPE},
        "primaryType": "Attestation",
        "domain": domain(chain_id, verifying_contract),
        "message": attestation.message(),
    }


def signable(attestation: Attestation, chain_id: int, verifying_contract: str) -> SignableMessage:
    return encode_typed_data(full_message=typed_data(attestation, chain_id, verifying_contract))


def attestation_digest(attestation: Attestation, chain_id: int, verifying_contract: str) -> bytes:
    """The 32 bytes an operator signs: ``keccak256(0x1901 || domainSeparator || structHash)``."""
    message = signable(attestation, chain_id, verifying_contract)
    return keccak(b"\x19" + message.version + message.header + message.body)


def sign_attestation(
    private_key: bytes | str, attestation: Attestation, chain_id: int, verifying_contract: str
) -> bytes:
    """A 65-byte ``r || s || v`` signature (low s, v in {27, 28}) that the hub accepts."""
    signed = Account.sign_message(signable(attestation, chain_id, verifying_contract), private_key)
    return bytes(signed.signature)


def recover_signer(attestation: Attestation, signature: bytes, chain_id: int, verifying_contract: str) -> str:
    """The address that signed ``attestation`` for this domain (what the hub will recover)."""
    return Account.recover_message(signable(attestation, chain_id, verifying_contract), signature=signature)


def kind_id(name: str) -> bytes:
    """A job kind's on-chain id: its ASCII name left-aligned in 32 bytes (``"analyze"`` -> 0x616e...00)."""
    raw = name.encode("ascii")
    if not raw or len(raw) > 32 or b"\x00" in raw:
        raise ValueError(f"a job kind is 1 to 32 ASCII characters without NUL, not {name!r}")
    return raw.ljust(32, b"\x00")


def kind_name(kind: bytes | str) -> str:
    """The inverse of :func:`kind_id`."""
    return _bytes32(kind).rstrip(b"\x00").decode("ascii")


def job_seed(chain_id: int, hub: str, job_id: int) -> int:
    """``OracleHub.seedOf``: ``uint256(keccak256(abi.encode(chainid, hub, jobId)))``."""
    return int.from_bytes(
        keccak(abi_encode(["uint256", "address", "uint256"], [chain_id, to_checksum_address(hub), job_id])), "big"
    )
