"""The EIP-712 types are defined once in tutti.attestations and agree with the hub and with a wallet."""

import json

from eth_utils import keccak

from tests.oracle.oracle_helpers import MODEL, honest
from tutti.attestations import (
    ATTESTATION_TYPEHASH,
    DOMAIN_NAME,
    DOMAIN_VERSION,
    Attestation,
    attestation_digest,
    recover_signer,
    sign_attestation,
    typed_data,
)


def test_typehash_matchesContract(hub):
    assert hub.ATTESTATION_TYPEHASH() == ATTESTATION_TYPEHASH
    assert ATTESTATION_TYPEHASH == keccak(
        text="Attestation(uint256 jobId,bytes32 resultHash,string resultCid,bytes32 modelId)"
    )


def test_domain_matchesContract(hub, chain_id):
    fields, name, version, contract_chain_id, verifying_contract, salt, extensions = hub.eip712Domain()
    assert fields == b"\x0f"  # name, version, chainId, verifyingContract
    assert (name, version, contract_chain_id, verifying_contract) == (
        DOMAIN_NAME, DOMAIN_VERSION, chain_id, hub.address
    )


def test_pythonDigest_equalsContractDigest(hub, chain_id):
    for attestation in (
        honest(1),
        Attestation(2**256 - 1, b"\xff" * 32, "", b"\x00" * 32),
        Attestation(7, b"\x01" * 32, "bafybeihzon7mcfadzxq6cv6v6m5yh3qo3oloqdw2auamcx5s2rsdyq5ud4 ünïcode", MODEL),
    ):
        assert hub.attestationDigest(attestation.as_tuple()) == attestation_digest(attestation, chain_id, hub.address)


def test_anvilSignTypedDataV4_matchesPython_andHubAccepts(hub, operators, job_id, chain, chain_id):
    """A wallet (anvil, holding the operator's key itself) signs the same bytes as tutti.attestations."""
    operator = operators[0]
    attestation = honest(job_id)
    document = typed_data(attestation, chain_id, hub.address)

    wallet_signature = chain.provider.make_request(
        "eth_signTypedData_v4", [operator.address, json.dumps(document)]
    )
    wallet_signature = bytes.fromhex(wallet_signature.removeprefix("0x"))
    ours = sign_attestation(operator.private_key, attestation, chain_id, hub.address)

    assert wallet_signature == ours
    assert recover_signer(attestation, wallet_signature, chain_id, hub.address) == operator.address
    receipt = hub.submitAttestation(attestation.as_tuple(), wallet_signature, sender=operators[2])
    assert receipt.decode_logs(hub.AttestationSubmitted)[0].operator == operator.address


def test_outcomeKey_matchesContract(hub):
    attestation = honest(1)
    assert hub.outcomeOf(attestation.result_hash, attestation.result_cid, attestation.model_id) == attestation.outcome
