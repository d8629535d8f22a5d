"""What every `ape run` script shares: one-line errors, token and amount parsing, formatting."""

from __future__ import annotations

import contextlib
import os
from decimal import Decimal, InvalidOperation
from typing import Iterator

import click

from tutti.chain import Tutti
from tutti.errors import TuttiError, explain
from tutti.royalties import ETH, erc20_at


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn any failure (a revert, a missing deployment, bad input) into a one-line CLI error.

    ape-foundry prints a full call trace on every revert; people at a terminal get the one-line
    reason instead, and developers can ask for the trace with ``TUTTI_SHOW_TRACE=1``.
    """
    try:
        with _call_traces_hidden():
            yield
    except click.ClickException:
        raise
    except (TuttiError, Exception) as exc:  # noqa: BLE001 - the user gets the reason, not a traceback
        raise click.ClickException(explain(exc)) from None


@contextlib.contextmanager
def _call_traces_hidden() -> Iterator[None]:
    if os.environ.get("TUTTI_SHOW_TRACE") == "1":
        yield
        return
    from unittest import mock

    from ape_ethereum.trace import Trace

    with mock.patch.object(Trace, "show", lambda self, *args, **kwargs: None):
        yield


def resolve_token(tutti: Tutti, name: str) -> str:
    """``ETH``, a contract name from the address book (``TestToken``), or a token address."""
    if name.upper() == "ETH":
        return ETH
    if name.startswith("0x") and len(name) == 42:
        return name
    return tutti.book.address(name)


def token_decimals(token: str) -> tuple[int, str]:
    if token == ETH:
        return 18, "ETH"
    erc20 = erc20_at(token)
    return erc20.decimals(), erc20.symbol()


def parse_amount(text: str, token: str) -> int:
    """A human amount (``1.5``) in the token's smallest unit; ``123wei`` / ``123units`` are taken as is."""
    for suffix in ("wei", "units"):
        if text.endswith(suffix):
            return _positive_int(text[: -len(suffix)], text)
    decimals, _ = token_decimals(token)
    try:
        value = Decimal(text) * (Decimal(10) ** decimals)
    except InvalidOperation:
        raise TuttiError(f"{text!r} is not an amount (try 1.5, or 1500wei)") from None
    if value != value.to_integral_value() or value <= 0:
        raise TuttiError(f"{text!r} must be positive with at most {decimals} decimals")
    return int(value)


def format_amount(amount: int, token: str) -> str:
    decimals, symbol = token_decimals(token)
    text = f"{Decimal(amount) / (Decimal(10) ** decimals):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} {symbol}"


def _positive_int(digits: str, original: str) -> int:
    try:
        value = int(digits.strip())
    except ValueError:
        raise TuttiError(f"{original!r} is not a whole number of base units") from None
    if value <= 0:
        raise TuttiError(f"{original!r} must be positive")
    return value
