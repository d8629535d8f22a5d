"""The scripts' error wrapper (issue 12, "Errors users see"): expected failures become one line,
bugs keep their traceback, and TUTTI_SHOW_TRACE=1 shortens nothing."""

from __future__ import annotations

import click
import pytest
from eth_utils import keccak

from tutti.errors import TuttiError
from tutti.script_support import user_errors
from tutti.works import Share, register_work


def _entry(artist):
    return ("bafy-errors", keccak(text="errors"), "CC-BY-4.0", 0, [(artist.address, 10_000)], [])


def test_userErrors_succeedsIfRevertBecomesOneLine(tutti, artist, monkeypatch):
    monkeypatch.delenv("TUTTI_SHOW_TRACE", raising=False)
    with pytest.raises(click.ClickException) as info:
        with user_errors():
            tutti.registry.register(_entry(artist), sender=artist)
    assert info.value.message.startswith("reverted: RegistrationNotCommitted(registrant=")
    assert "\n" not in info.value.message


def test_userErrors_succeedsIfUserMistakeBecomesOneLine(monkeypatch):
    monkeypatch.delenv("TUTTI_SHOW_TRACE", raising=False)
    with pytest.raises(click.ClickException) as info:
        with user_errors():
            raise TuttiError("--amount must be positive")
    assert info.value.message == "--amount must be positive"


def test_userErrors_failsToHideABug(monkeypatch, capsys):
    monkeypatch.delenv("TUTTI_SHOW_TRACE", raising=False)
    with pytest.raises(KeyError):  # propagates untouched, its traceback printed
        with user_errors():
            {}["missing"]
    printed = capsys.readouterr().err
    assert "Traceback (most recent call last)" in printed and "KeyError: 'missing'" in printed


def test_userErrors_failsToShortenAnythingIfTraceAsked(tutti, artist, monkeypatch):
    from ape.exceptions import ContractLogicError

    monkeypatch.setenv("TUTTI_SHOW_TRACE", "1")
    with pytest.raises(TuttiError):
        with user_errors():
            raise TuttiError("shown with its traceback")
    with pytest.raises(ContractLogicError):
        with user_errors():
            tutti.registry.register(_entry(artist), sender=artist)


def test_script_succeedsIfTraceSwitchShowsTraceback(tutti, run, artist, monkeypatch):
    register_work(tutti, artist, metadata_cid="Qm", content_hash=bytes.fromhex("ab" * 32),
                  contributors=[Share(artist.address, 10_000)])
    args = ("register_work", "--metadata-cid", "Qm", "--content-hash", "0x" + "ab" * 32,
            "--contributor", f"{artist.address}=100%")
    monkeypatch.delenv("TUTTI_SHOW_TRACE", raising=False)
    plain = run(*args, account="TEST::1", check=False)
    assert plain.returncode != 0
    assert "Error: reverted: ContentAlreadyRegistered(" in plain.stderr and "Traceback" not in plain.stderr

    monkeypatch.setenv("TUTTI_SHOW_TRACE", "1")
    traced = run(*args, account="TEST::1", check=False)
    assert traced.returncode != 0
    assert "Traceback" in traced.stderr and "ContentAlreadyRegistered" in traced.stderr
