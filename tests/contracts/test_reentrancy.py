"""A recipient that re-enters withdraw while being paid is stopped, paid once, and cannot
touch anyone else's money."""

from __future__ import annotations

import pytest

from tutti.royalties import ETH

ETHER = 10**18


@pytest.fixture
def attacker(deployer, project, splitter):
    return deployer.deploy(project.ReentrantRecipient, splitter)


@pytest.fixture
def attacked_split(splitter, attacker, artist, producer, fan):
    """Attacker 50%, artist 30%, producer 20%, with 10 ETH deposited."""
    receipt = splitter.createSplit([attacker, artist, producer], [5_000, 3_000, 2_000], [], [], sender=artist)
    split_id = receipt.decode_logs(splitter.SplitCreated)[0].splitId
    attacker.target(split_id, sender=fan)
    splitter.depositETH(split_id, sender=fan, value=10 * ETHER)
    return split_id


def test_withdraw_failsIfRecipientReenters(splitter, attacker, attacked_split, fan, reverts):
    receipt = attacker.attack(sender=fan)

    # The guard stopped the nested withdraw; the outer one completed with a single payment.
    assert attacker.attempts() == 1
    assert attacker.reentryReverted()
    assert receipt.events.filter(splitter.Withdrawn) == [
        splitter.Withdrawn(splitId=attacked_split, token=ETH, account=attacker.address, amount=5 * ETHER)
    ]
    assert attacker.balance == 5 * ETHER
    assert splitter.withdrawable(attacked_split, ETH, attacker) == 0

    # A second, non-nested attempt finds nothing either.
    with reverts(splitter.NothingToWithdraw, splitId=attacked_split, token=ETH, account=attacker.address):
        attacker.attack(sender=fan)


def test_withdraw_succeedsIfOthersStillCoveredAfterAttack(splitter, attacker, attacked_split, artist, producer, fan):
    attacker.attack(sender=fan)

    owed = {artist: 3 * ETHER, producer: 2 * ETHER}
    assert splitter.balance == sum(owed.values())
    for account, amount in owed.items():
        assert splitter.withdrawable(attacked_split, ETH, account) == amount
        before = account.balance
        splitter.withdraw(attacked_split, ETH, account, sender=fan)
        assert account.balance - before == amount
    assert splitter.balance == 0
