"""A recipient that rejects ETH gets paid (issue 12, item 6): splits are immutable, so its ETH
share used to be locked for ever. `withdrawTo` sends it to an address the recipient signs for
(EIP-712; ERC-1271 for a contract wallet), or the recipient calls it itself."""

from __future__ import annotations

import pytest
from ape import chain
from eth_account import Account

from tutti.royalties import ETH, sign_withdraw_to, withdraw_to_typed_data

ETHER = 10**18
OWNER = Account.create("tutti withdraw-to owner")


def _split(splitter, creator, accounts, shares):
    receipt = splitter.createSplit([getattr(a, "address", a) for a in accounts], shares, [], [], sender=creator)
    return receipt.decode_logs(splitter.SplitCreated)[0].splitId


@pytest.fixture
def funded_wallet(splitter, project, deployer, artist, fan):
    """A contract wallet that rejects ETH, owed a quarter of a 1 ETH deposit; returns (wallet, split)."""
    wallet = deployer.deploy(project.RejectingWallet, OWNER.address)
    split = _split(splitter, artist, [wallet, artist], [2_500, 7_500])
    splitter.depositETH(split, sender=fan, value=ETHER)
    return wallet, split


def _signed(splitter, split, account, to, *, key=OWNER.key, deadline=None, nonce=None):
    deadline = chain.pending_timestamp + 3_600 if deadline is None else deadline
    nonce = splitter.nonces(account) if nonce is None else nonce
    document = withdraw_to_typed_data(splitter.address, chain.chain_id, split, ETH, account, to, nonce, deadline)
    return deadline, sign_withdraw_to(key, document)


def test_withdrawTo_succeedsIfContractWalletThatRejectsETHSigns(splitter, funded_wallet, fan, producer, reverts):
    wallet, split = funded_wallet
    with reverts(splitter.ETHTransferFailed, to=wallet.address, amount=ETHER // 4):
        splitter.withdraw(split, ETH, wallet, sender=fan)

    deadline, signature = _signed(splitter, split, wallet.address, producer.address)
    before = producer.balance
    receipt = splitter.withdrawTo(split, ETH, wallet, producer, deadline, signature, sender=fan)  # anyone relays

    assert producer.balance - before == ETHER // 4
    assert splitter.WithdrawnTo(splitId=split, account=wallet.address, to=producer.address, token=ETH,
                                amount=ETHER // 4) in receipt.events
    assert splitter.Withdrawn(splitId=split, token=ETH, account=wallet.address, amount=ETHER // 4) in receipt.events
    assert splitter.withdrawable(split, ETH, wallet) == 0
    # The signature is single-use: its nonce is spent.
    splitter.depositETH(split, sender=fan, value=ETHER)
    with reverts(splitter.InvalidWithdrawalSignature, account=wallet.address):
        splitter.withdrawTo(split, ETH, wallet, producer, deadline, signature, sender=fan)


def test_withdrawTo_failsIfSignatureNotTheRecipients(splitter, funded_wallet, artist, fan, reverts):
    wallet, split = funded_wallet

    # A thief signs with its own key to redirect the wallet's share to itself.
    deadline, forged = _signed(splitter, split, wallet.address, fan.address, key=Account.create().key)
    with reverts(splitter.InvalidWithdrawalSignature, account=wallet.address):
        splitter.withdrawTo(split, ETH, wallet, fan, deadline, forged, sender=fan)
    # A real signature for another payee does not pay the thief either.
    deadline, signature = _signed(splitter, split, wallet.address, artist.address)
    with reverts(splitter.InvalidWithdrawalSignature, account=wallet.address):
        splitter.withdrawTo(split, ETH, wallet, fan, deadline, signature, sender=fan)


def test_withdrawTo_failsIfExpiredOrToZero(splitter, funded_wallet, fan, reverts):
    wallet, split = funded_wallet
    deadline, signature = _signed(splitter, split, wallet.address, fan.address, deadline=chain.pending_timestamp - 1)
    with reverts(splitter.WithdrawalSignatureExpired, deadline=deadline):
        splitter.withdrawTo(split, ETH, wallet, fan, deadline, signature, sender=fan)
    with reverts(splitter.ZeroPayee):
        splitter.withdrawTo(split, ETH, wallet, ETH, deadline, signature, sender=fan)


def test_withdrawTo_succeedsIfRecipientCallsWithoutSignature(splitter, artist, producer, fan):
    split = _split(splitter, artist, [artist, producer], [5_000, 5_000])
    splitter.depositETH(split, sender=fan, value=ETHER)
    before = fan.balance
    splitter.withdrawTo(split, ETH, artist, fan, 0, b"", sender=artist)
    assert fan.balance - before == ETHER // 2
