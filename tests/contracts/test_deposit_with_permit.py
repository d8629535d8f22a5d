"""RoyaltySplitter.depositWithPermit: a fan pays a work in an ERC-20 with one transaction, signing
an EIP-2612 permit instead of sending `approve` first (issue 10: pay with approve or permit)."""

from __future__ import annotations

import pytest
from ape import chain
from eth_account import Account
from eth_account.messages import encode_typed_data

USD = 10**6  # the test stablecoin has 6 decimals
ZERO = "0x" + "00" * 20


def permit_signature(token, owner, spender, value: int, deadline: int, *, nonce: int | None = None):
    """`owner`'s EIP-2612 Permit for `spender`, split into (v, r, s) as `depositWithPermit` takes it."""
    document = {
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                             {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}],
            "Permit": [{"name": "owner", "type": "address"}, {"name": "spender", "type": "address"},
                       {"name": "value", "type": "uint256"}, {"name": "nonce", "type": "uint256"},
                       {"name": "deadline", "type": "uint256"}],
        },
        "primaryType": "Permit",
        "domain": {"name": token.name(), "version": "1", "chainId": chain.chain_id, "verifyingContract": token.address},
        "message": {"owner": owner.address, "spender": spender.address, "value": value,
                    "nonce": token.nonces(owner) if nonce is None else nonce, "deadline": deadline},
    }
    signed = Account.sign_message(encode_typed_data(full_message=document), owner.private_key)
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")


@pytest.fixture
def split(splitter, artist, producer):
    receipt = splitter.createSplit([artist.address, producer.address], [6_000, 4_000], [], [], sender=artist)
    return receipt.decode_logs(splitter.SplitCreated)[0].splitId


@pytest.fixture
def minted(stablecoin, fan):
    stablecoin.mint(fan, 100 * USD, sender=fan)
    return stablecoin


def test_depositWithPermit_succeedsWithoutPriorApprove(splitter, minted, fan, artist, split):
    deadline = chain.pending_timestamp + 3_600
    v, r, s = permit_signature(minted, fan, splitter, 25 * USD, deadline)

    receipt = splitter.depositWithPermit(split, minted, 25 * USD, deadline, v, r, s, sender=fan)

    deposited = splitter.Deposited(splitId=split, token=minted.address, **{"from": fan.address}, amount=25 * USD)
    assert receipt.events.filter(splitter.Deposited) == [deposited]
    assert splitter.totalReceived(split, minted) == 25 * USD
    assert splitter.withdrawable(split, minted, artist) == 15 * USD
    assert minted.allowance(fan, splitter) == 0  # the permit granted exactly the amount, all used
    assert minted.nonces(fan) == 1


def test_depositWithPermit_succeedsIfPermitWasFrontRun(splitter, minted, fan, split):
    deadline = chain.pending_timestamp + 3_600
    v, r, s = permit_signature(minted, fan, splitter, 10 * USD, deadline)
    minted.permit(fan, splitter, 10 * USD, deadline, v, r, s, sender=fan)  # someone copied it from the mempool

    splitter.depositWithPermit(split, minted, 10 * USD, deadline, v, r, s, sender=fan)

    assert splitter.totalReceived(split, minted) == 10 * USD


def test_depositWithPermit_failsIfSignatureIsNotTheCallers(splitter, minted, fan, producer, split, reverts):
    deadline = chain.pending_timestamp + 3_600
    v, r, s = permit_signature(minted, producer, splitter, 10 * USD, deadline)  # signed by someone else

    with reverts(splitter.PermitFailed, token=minted.address, owner=fan.address):
        splitter.depositWithPermit(split, minted, 10 * USD, deadline, v, r, s, sender=fan)


def test_depositWithPermit_failsIfExpired(splitter, minted, fan, split, reverts):
    deadline = chain.pending_timestamp - 1
    v, r, s = permit_signature(minted, fan, splitter, 10 * USD, deadline)

    with reverts(splitter.PermitFailed, token=minted.address, owner=fan.address):
        splitter.depositWithPermit(split, minted, 10 * USD, deadline, v, r, s, sender=fan)


def test_depositWithPermit_failsIfSplitUnknownOrTokenZero(splitter, minted, fan, split, reverts):
    deadline = chain.pending_timestamp + 3_600
    v, r, s = permit_signature(minted, fan, splitter, 10 * USD, deadline)

    with reverts(splitter.UnknownSplit, splitId=split + 1000):
        splitter.depositWithPermit(split + 1000, minted, 10 * USD, deadline, v, r, s, sender=fan)
    with reverts(splitter.InvalidToken, token=ZERO):
        splitter.depositWithPermit(split, ZERO, 10 * USD, deadline, v, r, s, sender=fan)
