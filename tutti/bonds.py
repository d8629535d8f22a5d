"""Operator bonds in the OracleHub: post, unbond, withdraw, and read where an operator stands.

The hub holds the ETH; governance sets the minimum bond to attest and the unbonding delay, and may
slash a recorded dissent by a vote (``OracleHub.slash``, proposed like any other governance action).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tutti.chain import Tutti
from tutti.errors import TuttiError

if TYPE_CHECKING:
    from ape.api import AccountAPI, ReceiptAPI


@dataclass(frozen=True)
class BondStatus:
    """Where ``operator`` stands: its counting bond, its pending unbonding and the hub's rules."""

    operator: str
    is_operator: bool
    bonded: int
    unbonding: int
    available_at: int
    min_bond: int
    unbonding_delay: int

    @property
    def may_attest(self) -> bool:
        return self.is_operator and self.bonded >= self.min_bond

    def withdrawable(self, now: int) -> bool:
        return self.unbonding > 0 and now >= self.available_at


def bond_status(tutti: Tutti, operator: str) -> BondStatus:
    hub = tutti.hub
    unbonding, available_at = hub.unbondingOf(operator)
    return BondStatus(
        operator=operator,
        is_operator=hub.isOperator(operator),
        bonded=hub.bondOf(operator),
        unbonding=unbonding,
        available_at=available_at,
        min_bond=hub.minBond(),
        unbonding_delay=hub.unbondingDelay(),
    )


def bond(tutti: Tutti, operator: "AccountAPI", amount: int) -> "ReceiptAPI":
    """Add ``amount`` wei to ``operator``'s bond."""
    if amount <= 0:
        raise TuttiError("a bond must be a positive amount")
    return tutti.hub.bond(sender=operator, value=amount)


def request_unbond(tutti: Tutti, operator: "AccountAPI", amount: int) -> "ReceiptAPI":
    """Stop ``amount`` wei of the bond counting now; withdrawable after the unbonding delay
    (a new request restarts the wait for everything pending)."""
    if amount <= 0:
        raise TuttiError("an unbonding must be a positive amount")
    return tutti.hub.requestUnbond(amount, sender=operator)


def withdraw_unbonded(tutti: Tutti, operator: "AccountAPI") -> int:
    """Send ``operator`` its pending unbonding once the wait is over; returns the amount."""
    receipt = tutti.hub.withdrawUnbonded(sender=operator)
    return next(iter(receipt.decode_logs(tutti.hub.UnbondWithdrawn))).amount
