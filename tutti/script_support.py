"""What every `ape run` script shares: one-line errors, token and amount parsing, formatting."""

from __future__ import annotations

import contextlib
import sys
import traceback
from decimal import Decimal, InvalidOperation
from typing import Iterator

import click

from tutti.chain import Tutti
from tutti.errors import TuttiError, explain
from tutti.royalties import ETH, erc20_at


def expected_errors() -> tuple[type[BaseException], ...]:
    """What people at a terminal cause or meet, as opposed to bugs: a contract's revert, a
    transaction the chain refused, bad input, an unreachable node or IPFS, a missing deployment,
    an account that cannot sign."""
    from ape.exceptions import (
        AccountsError,
        ContractNotFoundError,
        ConversionError,
        NetworkError,
        ProviderError,
        TransactionError,
    )
    from requests.exceptions import ConnectionError as HttpConnectionError
    from requests.exceptions import Timeout as HttpTimeout
    from web3.exceptions import TimeExhausted

    from tutti.ipfs.errors import IpfsError

    return (TuttiError, TransactionError, ProviderError, NetworkError, AccountsError, ConversionError,
            ContractNotFoundError, IpfsError, ConnectionError, TimeoutError, HttpConnectionError, HttpTimeout,
            TimeExhausted)


def show_trace() -> bool:
    """``TUTTI_SHOW_TRACE=1``: every error with its Python traceback and ape's call trace."""
    from tutti.settings import SharedSettings

    return SharedSettings().show_trace


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn an expected failure (see :func:`expected_errors`) into a one-line CLI error.

    ape-foundry prints a full call trace on every revert; people at a terminal get the one-line
    reason instead. Anything else is a bug and propagates with its traceback. With
    ``TUTTI_SHOW_TRACE=1`` nothing is shortened: tracebacks and call traces are shown.
    """
    if show_trace():
        try:
            yield
        except Exception:
            _print_traceback()
            raise
        return
    try:
        with _call_traces_hidden():
            yield
    except click.ClickException:
        raise
    except expected_errors() as exc:
        raise click.ClickException(explain(exc)) from None
    except Exception:
        _print_traceback()
        raise


def _print_traceback() -> None:
    # `ape run` reports an exception escaping a script as one line; a bug needs its whole traceback.
    traceback.print_exc(file=sys.stderr)


@contextlib.contextmanager
def _call_traces_hidden() -> Iterator[None]:
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
