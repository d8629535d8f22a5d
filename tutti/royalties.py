"""Paying royalties into works' splits, reading balances, withdrawing, forwarding upstream."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tutti.chain import Tutti
from tutti.errors import TuttiError

if TYPE_CHECKING:
    from ape.api import AccountAPI, ReceiptAPI

ETH = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True)
class RecipientBalance:
    account: str
    share_bps: int
    withdrawable: int


@dataclass(frozen=True)
class WorkBalances:
    work_id: int
    split_id: int
    token: str
    total_received: int
    recipients: list[RecipientBalance]
    forwardable_to_parents: dict[int, int]


def erc20_at(token: str):
    """Any ERC-20, through the ABI of the project's test token (a superset of ERC-20's)."""
    from ape import Contract, project

    return Contract(token, contract_type=project.TestToken.contract_type)


def split_of(tutti: Tutti, work_id: int) -> int:
    return tutti.registry.work(work_id).splitId


def pay(tutti: Tutti, payer: "AccountAPI", work_id: int, amount: int, token: str = ETH) -> "ReceiptAPI":
    """Pay ``amount`` (wei, or the token's smallest unit) of royalties to a work.

    ETH goes to the work's EIP-2981 wallet, as a marketplace would send it; an ERC-20 is approved
    and deposited straight into the work's split.
    """
    if amount <= 0:
        raise TuttiError("the amount to pay must be positive")
    work = tutti.registry.work(work_id)
    if token == ETH:
        return payer.transfer(work.wallet, amount)
    erc20 = erc20_at(token)
    if erc20.allowance(payer, tutti.splitter) < amount:
        erc20.approve(tutti.splitter, amount, sender=payer)
    return tutti.splitter.deposit(work.splitId, token, amount, sender=payer)


def balances(tutti: Tutti, work_id: int, token: str = ETH) -> WorkBalances:
    """What each contributor of a work can withdraw now, and what awaits forwarding upstream."""
    split_id = split_of(tutti, work_id)
    accounts, shares = tutti.splitter.recipientsOf(split_id)
    recipients = [
        RecipientBalance(account, share, tutti.splitter.withdrawable(split_id, token, account))
        for account, share in zip(accounts, shares)
    ]
    parents = tutti.registry.parentsOf(work_id)
    forwardable = {
        parent.workId: tutti.splitter.forwardable(split_id, index, token) for index, parent in enumerate(parents)
    }
    return WorkBalances(
        work_id, split_id, token, tutti.splitter.totalReceived(split_id, token), recipients, forwardable
    )


def withdraw(tutti: Tutti, sender: "AccountAPI", work_id: int, token: str = ETH, account: str | None = None) -> int:
    """Send ``account`` (default: the sender) its accrued share of a work's income; returns the amount."""
    split_id = split_of(tutti, work_id)
    receipt = tutti.splitter.withdraw(split_id, token, account or sender.address, sender=sender)
    return next(iter(receipt.decode_logs(tutti.splitter.Withdrawn))).amount


def forward_upstream(tutti: Tutti, sender: "AccountAPI", work_id: int, token: str = ETH) -> dict[int, int]:
    """Credit every parent work with its accrued cut of this work's income; returns amounts by parent work."""
    split_id = split_of(tutti, work_id)
    forwarded: dict[int, int] = {}
    for index, parent in enumerate(tutti.registry.parentsOf(work_id)):
        if tutti.splitter.forwardable(split_id, index, token) > 0:
            receipt = tutti.splitter.forwardUpstream(split_id, index, token, sender=sender)
            forwarded[parent.workId] = next(iter(receipt.decode_logs(tutti.splitter.ForwardedUpstream))).amount
    return forwarded
