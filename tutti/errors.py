"""Errors and their one-line explanations for people at a terminal."""

from __future__ import annotations

import re


class TuttiError(Exception):
    """A failure with a message meant for the user (no traceback needed)."""


def explain(exc: BaseException) -> str:
    """One line saying why ``exc`` happened: a contract's custom error with its arguments,
    a revert string, or the exception's own message."""
    from ape.exceptions import ContractLogicError, CustomError

    if isinstance(exc, CustomError):
        inputs = getattr(exc, "inputs", {}) or {}
        args = ", ".join(f"{key}={_short(value)}" for key, value in inputs.items())
        return f"reverted: {type(exc).__name__}({args})"
    if isinstance(exc, ContractLogicError):
        message = exc.revert_message or "no reason given"
        return f"reverted: {decode_custom_error(_revert_bytes(message)) or message}"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _revert_bytes(message: str) -> bytes:
    """The raw revert data behind ape's message: hex text, or (for failed eth_calls, which
    ape-foundry does not decode) the bytes themselves packed into a string, or web3's
    ``custom error 0xSELECTOR: ARGS`` text."""
    if match := re.fullmatch(r"custom error 0x([0-9a-fA-F]{8}):?\s*([0-9a-fA-F]*)", message.strip()):
        return bytes.fromhex(match.group(1) + match.group(2))
    if message.startswith("0x"):
        try:
            return bytes.fromhex(message[2:])
        except ValueError:
            return b""
    if message.isprintable():
        return b""
    try:
        return message.encode("latin-1")
    except UnicodeEncodeError:
        return b""


def decode_custom_error(data: bytes) -> str | None:
    """Name and arguments of a custom error from any of the project's contracts.

    A revert that bubbles up through another contract (the timelock's error surfacing from the
    governor) arrives as raw data that ape cannot match to the called contract's ABI.
    """
    if len(data) < 4:
        return None
    from ape import project
    from eth_abi import decode

    for contract_type in project.contracts.values():
        for abi in contract_type.errors:
            if _selector(abi.selector) != data[:4]:
                continue
            types = [arg.canonical_type for arg in abi.inputs]
            try:
                values = decode(types, data[4:])
            except Exception:  # noqa: BLE001 - same selector, other layout: keep looking
                continue
            args = ", ".join(f"{arg.name}={_short(v)}" for arg, v in zip(abi.inputs, values))
            return f"{abi.name}({args})"
    return None


def _selector(signature: str) -> bytes:
    from eth_utils import keccak

    return keccak(text=signature)[:4]


def _short(value: object) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)
