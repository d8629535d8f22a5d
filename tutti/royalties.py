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


#: ERC-1271's "valid signature" answer: the selector of ``isValidSignature(bytes32,bytes)``.
ERC1271_MAGIC = bytes.fromhex("1626ba7e")


@dataclass(frozen=True)
class WithdrawToPermit:
    """A recipient's signed consent to have its share of a work paid to ``to`` (see `withdraw_to`)."""

    work_id: int
    token: str
    account: str
    to: str
    deadline: int
    signature: bytes


def withdraw_to_document(tutti: Tutti, work_id: int, token: str, account: str, to: str, deadline: int) -> dict:
    """The ``WithdrawTo`` document for ``account``'s next signature (its current splitter nonce)."""
    from ape import chain

    return withdraw_to_typed_data(tutti.splitter.address, chain.chain_id, split_of(tutti, work_id), token, account,
                                  to, tutti.splitter.nonces(account), deadline)


def sign_withdraw_to_permit(tutti: Tutti, signer: "AccountAPI", work_id: int, token: str, account: str, to: str,
                            deadline: int) -> WithdrawToPermit:
    """``signer`` (the recipient itself, or the key of the recipient's contract wallet) signs that
    ``account``'s share goes to ``to``; checked before it is returned, so a wrong signer, a
    recipient with nothing to withdraw or a past deadline fail here, not at the relayer."""
    from eth_account.messages import encode_typed_data

    _check_withdrawable(tutti, work_id, token, account, include_wallet=True)
    _check_deadline(deadline)
    signature = signer.sign_message(encode_typed_data(full_message=withdraw_to_document(
        tutti, work_id, token, account, to, deadline)))
    if signature is None:
        raise TuttiError(f"account {signer.address} declined to sign")
    permit = WithdrawToPermit(work_id, token, account, to, deadline, signature.encode_rsv())
    check_withdraw_to_permit(tutti, permit)
    return permit


def check_withdraw_to_permit(tutti: Tutti, permit: WithdrawToPermit) -> None:
    """Raise a `TuttiError` unless the splitter would accept ``permit`` now (same checks, same order)."""
    from eth_account.messages import _hash_eip191_message, encode_typed_data

    if permit.to == ETH:
        raise TuttiError("--to must be a real address, not the zero address")
    _check_deadline(permit.deadline)
    document = withdraw_to_document(tutti, permit.work_id, permit.token, permit.account, permit.to, permit.deadline)
    digest = _hash_eip191_message(encode_typed_data(full_message=document))
    if not _signed_by(permit.account, digest, permit.signature):
        raise TuttiError(f"the signature is not {permit.account}'s for this withdrawal (wrong signer, another "
                         "--to/--token/--deadline, or already used)")


def withdraw_to(tutti: Tutti, sender: "AccountAPI", work_id: int, token: str, to: str,
                permit: WithdrawToPermit | None = None) -> int:
    """Pay a recipient's accrued share of a work to ``to``; returns the amount.

    Without ``permit`` the sender is the recipient (the splitter needs no signature then); with one,
    anyone may send it. Royalties waiting in the work's wallet are deposited first."""
    account = permit.account if permit else sender.address
    if permit is not None:
        check_withdraw_to_permit(tutti, permit)
    elif to == ETH:
        raise TuttiError("--to must be a real address, not the zero address")
    flush_wallet(tutti, sender, work_id, token)
    _check_withdrawable(tutti, work_id, token, account, include_wallet=False)
    receipt = tutti.splitter.withdrawTo(split_of(tutti, work_id), token, account, to,
                                        permit.deadline if permit else 0, permit.signature if permit else b"",
                                        sender=sender)
    return next(iter(receipt.decode_logs(tutti.splitter.WithdrawnTo))).amount


def _check_withdrawable(tutti: Tutti, work_id: int, token: str, account: str, *, include_wallet: bool) -> None:
    owed = tutti.splitter.withdrawable(split_of(tutti, work_id), token, account)
    if owed == 0 and not (include_wallet and waiting_in_wallet(tutti, work_id, token)):
        raise TuttiError(f"{account} has nothing to withdraw from work {work_id}")


def _check_deadline(deadline: int) -> None:
    from ape import chain

    if deadline < chain.pending_timestamp:
        raise TuttiError(f"the signature's deadline {deadline} has passed (the chain is at "
                         f"{chain.pending_timestamp}); the recipient must sign again")


def _signed_by(account: str, digest: bytes, signature: bytes) -> bool:
    """What the splitter's SignatureChecker decides: ECDSA for a key, ERC-1271 for a contract wallet."""
    from ape import chain
    from eth_abi import encode
    from eth_account import Account

    if not chain.provider.get_code(account):
        try:
            return Account._recover_hash(digest, signature=signature) == account
        except Exception:  # noqa: BLE001 - malformed signature bytes: simply not the recipient's
            return False
    call = {"to": account, "data": "0x" + (ERC1271_MAGIC + encode(["bytes32", "bytes"], [digest, signature])).hex()}
    try:
        answer = bytes(chain.provider.web3.eth.call(call))
    except Exception:  # noqa: BLE001 - a wallet that reverts or lacks ERC-1271 accepts nothing
        return False
    return answer[:4] == ERC1271_MAGIC
