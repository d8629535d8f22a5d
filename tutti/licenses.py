"""Licences: a work's owner offers them, anyone buys them, anyone asks whether a licence is in force.

The rights vocabulary mirrors ``LicenseOffers`` (one bit per right); see docs/licences.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tutti.chain import Tutti
from tutti.errors import TuttiError
from tutti.passes import chain_now, format_time, parse_time
from tutti.royalties import ETH

if TYPE_CHECKING:
    from ape.api import AccountAPI

#: Right name -> bit, as the contract's RIGHT_* constants.
RIGHTS = {"personal": 1, "streaming": 2, "sync": 4, "derivative": 8, "commercial": 16}
_RIGHT_ALIASES = {"remix": "derivative", "listening": "personal"}
MAX_SUPPLY_CAP = 2**32 - 1
MAX_DURATION = 2**64 - 1


@dataclass(frozen=True)
class Offer:
    """An offer as the contract stores it, with its id."""

    offer_id: int
    work_id: int
    split_id: int
    token: str
    price: int
    duration: int
    supply_cap: int
    sold: int
    rights: int
    transferable: bool
    paused: bool
    terms_cid: str


@dataclass(frozen=True)
class BoughtLicense:
    license_id: int
    offer_id: int
    holder: str
    price: int
    platform_fee: int
    valid_until: int
    tx_hash: str


@dataclass(frozen=True)
class LicenseStatus:
    """One licence and, in words, whether it is in force now."""

    license_id: int
    offer_id: int
    work_id: int
    holder: str
    rights: int
    valid_from: int
    valid_until: int
    valid: bool
    reason: str


def parse_rights(names: Iterable[str]) -> int:
    """``["streaming", "remix"]`` (or ``"streaming,remix"`` items) -> the rights bitmask."""
    mask = 0
    for item in names:
        for name in filter(None, (part.strip().lower() for part in item.split(","))):
            name = _RIGHT_ALIASES.get(name, name)
            if name not in RIGHTS:
                raise TuttiError(f"unknown right {name!r}; choose from {', '.join(RIGHTS)} (remix = derivative)")
            mask |= RIGHTS[name]
    if not mask:
        raise TuttiError(f"an offer grants at least one right ({', '.join(RIGHTS)})")
    return mask


def describe_rights(mask: int) -> str:
    return ", ".join(name for name, bit in RIGHTS.items() if mask & bit) or "none"


def parse_duration(text: str) -> int:
    """``perpetual`` -> 0, or a duration such as ``365d``, ``30d12h``, ``2w`` in seconds."""
    if text.strip().lower() in ("perpetual", "forever", "0"):
        return 0
    seconds = parse_time("+" + text.strip().removeprefix("+"), 0)
    if not 0 < seconds <= MAX_DURATION:
        raise TuttiError(f"a duration must be positive and below 2**64 seconds, not {text!r}")
    return seconds


def describe_duration(seconds: int) -> str:
    if seconds == 0:
        return "perpetual"
    days, rest = divmod(seconds, 86_400)
    return f"{days} days" if rest == 0 else f"{seconds} seconds"


def _contract(tutti: Tutti):
    if tutti.licenses is None:
        raise TuttiError("this deployment has no LicenseOffers contract; run `ape run deploy` again")
    return tutti.licenses


def create_offer(
    tutti: Tutti,
    owner: AccountAPI,
    *,
    work_id: int,
    rights: int,
    price: int,
    supply_cap: int,
    terms_cid: str,
    duration: int = 0,
    token: str = ETH,
    transferable: bool = False,
) -> tuple[int, str]:
    """Offer licences of ``work_id`` (its owner only); returns (offer id, tx hash)."""
    if price < 0:
        raise TuttiError("the price cannot be negative")
    if not 0 < supply_cap <= MAX_SUPPLY_CAP:
        raise TuttiError(f"the supply cap must be between 1 and {MAX_SUPPLY_CAP}, not {supply_cap}")
    receipt = _contract(tutti).createOffer(
        work_id, rights, token, price, duration, supply_cap, transferable, terms_cid, sender=owner
    )
    event = next(iter(receipt.decode_logs(tutti.licenses.OfferCreated)))
    return event.offerId, receipt.txn_hash


def offer(tutti: Tutti, offer_id: int) -> Offer:
    o = _contract(tutti).offer(offer_id)
    return Offer(offer_id, o.workId, o.splitId, o.token, o.price, o.duration, o.supplyCap, o.sold, o.rights, o.transferable,
                 o.paused, o.termsCid)


def set_paused(tutti: Tutti, owner: AccountAPI, offer_id: int, paused: bool) -> str:
    """Pause or resume an offer (the work's owner only); returns the tx hash."""
    return _contract(tutti).setOfferPaused(offer_id, paused, sender=owner).txn_hash


def require_derivative_license(tutti: Tutti, owner: AccountAPI, work_id: int, required: bool = True) -> str:
    """Say whether deriving from ``work_id`` needs a licence with the derivative right; returns the tx hash."""
    return _contract(tutti).setDerivativeLicenseRequired(work_id, required, sender=owner).txn_hash


def buy_license(tutti: Tutti, buyer: AccountAPI, offer_id: int, to: str | None = None) -> BoughtLicense:
    """Buy one licence of ``offer_id`` for ``to`` (default: the buyer), approving an ERC-20 price first."""
    contract = _contract(tutti)
    terms = contract.offer(offer_id)
    value = 0
    if terms.token == ETH:
        value = terms.price
    elif terms.price:
        from tutti.royalties import erc20_at

        erc20_at(terms.token).approve(contract.address, terms.price, sender=buyer)
    receipt = contract.buyLicense(offer_id, to or buyer.address, value=value, sender=buyer)
    event = next(iter(receipt.decode_logs(contract.LicenseBought)))
    return BoughtLicense(event.licenseId, offer_id, event.to, event.price, event.platformFee, event.validUntil,
                         receipt.txn_hash)


def license_status(tutti: Tutti, license_id: int, now: int | None = None) -> LicenseStatus:
    """Licence ``license_id``: its holder, rights, term, and whether it is in force at ``now``."""
    contract = _contract(tutti)
    lic = contract.license(license_id)
    terms = contract.offer(lic.offerId)
    now = chain_now() if now is None else now
    if lic.validUntil == 0:
        valid, reason = True, "perpetual"
    elif now <= lic.validUntil:
        valid, reason = True, f"valid until {format_time(lic.validUntil)}"
    else:
        valid, reason = False, f"expired at {format_time(lic.validUntil)}"
    return LicenseStatus(license_id, lic.offerId, terms.workId, contract.ownerOf(license_id), terms.rights,
                         lic.validFrom, lic.validUntil, valid, reason)


def licenses_held(tutti: Tutti, account: str, work_id: int) -> list[LicenseStatus]:
    """Every licence of ``work_id`` that ``account`` holds, in force or not."""
    return [license_status(tutti, license_id) for license_id in _contract(tutti).licensesOf(account, work_id)]


def may_derive(tutti: Tutti, work_id: int, account: str) -> bool:
    """Whether ``account`` may register a derivative of ``work_id`` now."""
    return bool(_contract(tutti).mayDerive(work_id, account))
