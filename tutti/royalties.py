"""Paying royalties into works' splits, reading balances, withdrawing, forwarding upstream."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from web3.constants import ADDRESS_ZERO

from tutti.chain import Tutti
from tutti.errors import TuttiError

if TYPE_CHECKING:
    from ape.api import AccountAPI, ReceiptAPI

#: How ETH is named where a token address is expected (the splitter's and every pool's convention).
ETH = ADDRESS_ZERO


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
    #: Paid to the work's royalty wallet but not yet deposited into its split (see `flush_wallet`).
    waiting_in_wallet: int


def erc20_at(token: str):
    """Any ERC-20, through the ABI of the project's test token (a superset of ERC-20's)."""
    from ape import Contract

    from tutti.contract_types import contract_container

    return Contract(token, contract_type=contract_container("TestToken").contract_type)


def split_of(tutti: Tutti, work_id: int) -> int:
    return tutti.registry.work(work_id).splitId


def pay(tutti: Tutti, payer: "AccountAPI", work_id: int, amount: int, token: str = ETH) -> "ReceiptAPI":
    """Pay ``amount`` (wei, or the token's smallest unit) of royalties straight into a work's split.

    Marketplaces instead send to the work's EIP-2981 wallet address; see :func:`flush_wallet`.
    """
    if amount <= 0:
        raise TuttiError("the amount to pay must be positive")
    split_id = split_of(tutti, work_id)
    if token == ETH:
        return tutti.splitter.depositETH(split_id, value=amount, sender=payer)
    erc20 = erc20_at(token)
    if erc20.allowance(payer, tutti.splitter) < amount:
        erc20.approve(tutti.splitter, amount, sender=payer)
    return tutti.splitter.deposit(split_id, token, amount, sender=payer)


def waiting_in_wallet(tutti: Tutti, work_id: int, token: str = ETH) -> int:
    """What the work's royalty wallet holds in ``token`` that has not reached the split yet."""
    wallet = tutti.registry.work(work_id).wallet
    if token == ETH:
        from ape import chain

        return chain.provider.get_balance(wallet)
    return erc20_at(token).balanceOf(wallet)


def flush_wallet(tutti: Tutti, sender: "AccountAPI", work_id: int, token: str = ETH) -> int:
    """Deposit what waits in the work's wallet into its split (deploying the wallet if needed)."""
    amount = waiting_in_wallet(tutti, work_id, token)
    if amount:
        tutti.registry.flushWallet(work_id, token, sender=sender)
    return amount


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
        work_id, split_id, token, tutti.splitter.totalReceived(split_id, token), recipients, forwardable,
        waiting_in_wallet(tutti, work_id, token),
    )


def withdraw(tutti: Tutti, sender: "AccountAPI", work_id: int, token: str = ETH, account: str | None = None) -> int:
    """Send ``account`` (default: the sender) its accrued share of a work's income; returns the amount.

    Royalties still waiting in the work's wallet are deposited first, so nothing paid is missed."""
    flush_wallet(tutti, sender, work_id, token)
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


def withdraw_to_typed_data(splitter: str, chain_id: int, split_id: int, token: str, account: str, to: str,
                           nonce: int, deadline: int) -> dict:
    """The EIP-712 ``WithdrawTo`` document a recipient (or its contract wallet's key) signs so its
    share is paid to ``to``: the way out for a recipient that rejects ETH."""
    return {
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                             {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}],
            "WithdrawTo": [{"name": "splitId", "type": "uint256"}, {"name": "token", "type": "address"},
                           {"name": "account", "type": "address"}, {"name": "to", "type": "address"},
                           {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}],
        },
        "primaryType": "WithdrawTo",
        "domain": {"name": "Tutti RoyaltySplitter", "version": "1", "chainId": chain_id, "verifyingContract": splitter},
        "message": {"splitId": split_id, "token": token, "account": account, "to": to, "nonce": nonce,
                    "deadline": deadline},
    }


def sign_withdraw_to(private_key: bytes | str, document: dict) -> bytes:
    """The 65-byte signature of a ``WithdrawTo`` document."""
    from eth_account import Account
    from eth_account.messages import encode_typed_data

    return bytes(Account.sign_message(encode_typed_data(full_message=document), private_key).signature)
