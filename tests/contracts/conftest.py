"""Fixtures shared by the contract tests (on top of the role and deployment fixtures in tests/conftest.py)."""

from __future__ import annotations

import re
from contextlib import contextmanager

import ape
import pytest
from eth_abi import decode
from eth_utils import keccak, to_checksum_address

_RAW_CUSTOM_ERROR = re.compile(r"custom error 0x([0-9a-fA-F]{8}):?\s?(.*)", re.DOTALL)


def _selector(abi) -> bytes:
    return keccak(text=abi.selector)[:4]


def _raw_revert_data(message: str) -> bytes | None:
    """The revert data behind a custom error ape could not decode.

    A failed ``eth_call`` (any view) reaches ape-foundry as ``custom error 0xSELECTOR: <bytes>``
    with the ABI-encoded arguments packed one byte per character (or, from web3, as hex), or as
    the whole revert data packed that way."""
    match = _RAW_CUSTOM_ERROR.fullmatch(message or "")
    # A revert bubbling up through another contract arrives as the revert data in hex.
    if not match and re.fullmatch(r"0x([0-9a-fA-F]{2}){4,}", message or ""):
        return bytes.fromhex(message[2:])
    if not match:
        # Some failed calls arrive as the bare revert data, one byte per character.
        if message and not message.isprintable() and len(message) >= 4:
            try:
                return message.encode("latin-1")
            except UnicodeEncodeError:
                return None
        return None
    selector, args = match.groups()
    if re.fullmatch(r"(0x)?([0-9a-fA-F]{2})*", args):
        return bytes.fromhex(selector + args.removeprefix("0x"))
    return bytes.fromhex(selector) + args.encode("latin-1")


def _normalise(value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str) and re.fullmatch(r"0x[0-9a-fA-F]{40}", value):
        return to_checksum_address(value)
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    return value


@pytest.fixture(scope="session")
def reverts():
    """``ape.reverts(error, **inputs)`` that cannot pass by accident.

    ape accepts any revert when the error is not decoded (every failed view call, for one) and
    silently ignores misspelt input names. This wrapper still goes through ``ape.reverts`` and
    then demands that the revert *is* ``error`` (same signature, decoding raw revert data when
    needed) and that every named input exists and equals the given value.
    """

    @contextmanager
    def _reverts(error, **inputs):
        abi = error.abi
        with ape.reverts(error, **inputs) as info:
            yield info
        exc = info.value
        actual_abi = getattr(exc, "abi", None)
        if actual_abi is not None:
            assert actual_abi.selector == abi.selector, f"expected {abi.selector}, got {actual_abi.selector}"
            actual = dict(exc.inputs)
        else:
            data = _raw_revert_data(exc.revert_message)
            assert data is not None, f"expected {abi.selector}, got revert {exc.revert_message!r}"
            assert data[:4] == _selector(abi), f"expected {abi.selector}, got selector 0x{data[:4].hex()}"
            values = decode([arg.canonical_type for arg in abi.inputs], data[4:])
            actual = {arg.name: value for arg, value in zip(abi.inputs, values)}
        for name, expected in inputs.items():
            assert name in actual, f"{abi.name} has no input {name!r} (inputs: {sorted(actual)})"
            assert _normalise(actual[name]) == _normalise(expected), (
                f"{abi.name}.{name}: expected {expected!r}, got {actual[name]!r}"
            )

    return _reverts


@pytest.fixture(scope="session")
def splitter(tutti):
    return tutti.splitter


@pytest.fixture(scope="session")
def registry(tutti):
    return tutti.registry


@pytest.fixture(scope="session")
def timelock_account(tutti, accounts, deployer):
    """The timelock as an impersonated sender (anvil), funded for gas: governance without a vote."""
    account = accounts[tutti.timelock.address]
    deployer.transfer(account, 10**18)
    return account


@pytest.fixture(scope="session")
def rejecting_recipient(deployer, project):
    """A contract that refuses ETH."""
    return deployer.deploy(project.RejectingRecipient)
