"""The room directory's signed announcements: what the host signs is what a wallet signs, a change
to any field recovers someone else, and only sane URLs and expiries are accepted."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from tutti.media_directory import (
    MAX_TTL_SECONDS,
    InvalidAnnouncement,
    NodeAnnouncement,
    announcement_signer,
    check_url,
    sign_announcement,
    typed_data,
)

HOST = Account.from_key("0x" + "42" * 32)
PASSES = "0x" + "ab" * 20
CHAIN = 31337
NOW = 1_800_000_000


def announcement(**changes) -> NodeAnnouncement:
    fields = {"room_id": 7, "url": "https://media.example.org:8750/tutti", "expires_at": NOW + 600} | changes
    return NodeAnnouncement(**fields)


def test_the_host_signature_recovers_the_host_as_a_wallet_would_sign_it():
    signed = sign_announcement(HOST.key, announcement(), CHAIN, PASSES)
    assert announcement_signer(announcement(), signed, CHAIN, PASSES) == HOST.address
    # eth_signTypedData_v4 over the same JSON document gives the same signature.
    wallet = Account.sign_message(encode_typed_data(full_message=typed_data(announcement(), CHAIN, PASSES)), HOST.key)
    assert bytes(wallet.signature) == signed


@pytest.mark.parametrize("tampered", [
    announcement(room_id=8),
    announcement(url="https://evil.example.org:8750/tutti"),
    announcement(expires_at=NOW + 601),
])
def test_any_changed_field_recovers_someone_else(tampered):
    signed = sign_announcement(HOST.key, announcement(), CHAIN, PASSES)
    assert announcement_signer(tampered, signed, CHAIN, PASSES) != HOST.address


@pytest.mark.parametrize("chain_id, passes", [(1, PASSES), (CHAIN, "0x" + "cd" * 20)])
def test_a_signature_for_another_deployment_recovers_someone_else(chain_id, passes):
    signed = sign_announcement(HOST.key, announcement(), chain_id, passes)
    assert announcement_signer(announcement(), signed, CHAIN, PASSES) != HOST.address


def test_expiry_must_be_ahead_and_within_the_ttl():
    announcement().check(NOW)
    announcement(expires_at=NOW + MAX_TTL_SECONDS).check(NOW)
    with pytest.raises(InvalidAnnouncement, match="expired"):
        announcement(expires_at=NOW).check(NOW)
    with pytest.raises(InvalidAnnouncement, match="at most 3600 s"):
        announcement(expires_at=NOW + MAX_TTL_SECONDS + 1).check(NOW)


@pytest.mark.parametrize("url, reason", [
    ("", "1 to 200 characters"),
    ("https://" + "a" * 200 + ".org", "1 to 200 characters"),
    ("ftp://media.example.org", "http(s) URL"),
    ("https:///path-only", "http(s) URL"),
    ("https://user:secret@media.example.org", "credentials"),
    ("https://media.example.org/?room=1", "query"),
    ("https://media.example.org/#x", "fragment"),
    ("https://media.example.org:99999", "not a URL"),
    ("https://media.example.org/a b", "white space"),
    ("https://media.example.org/\x00", "printable ASCII"),
    ("https://médias.example.org", "printable ASCII"),
])
def test_bad_urls_are_refused_with_a_reason(url, reason):
    with pytest.raises(InvalidAnnouncement, match=reason.replace("(", r"\(").replace(")", r"\)")):
        check_url(url)


def test_a_good_url_loses_its_trailing_slash():
    assert check_url("http://127.0.0.1:8750/") == "http://127.0.0.1:8750"
