"""Every governable fee and limit has a bound in the contract (issue 12, item 5): a vote, or a
captured timelock, cannot set a fee that stops every use or a delay that freezes the DAO."""

from __future__ import annotations

from tutti.attestations import kind_id
from tutti.governance import Action

ETHER = 10**18


def test_hub_setMinFee_failsIfAboveBound(tutti, timelock_account, reverts):
    hub = tutti.hub
    maximum = hub.MAX_MIN_FEE()
    for kind in (bytes(32), kind_id("render")):
        with reverts(hub.MinFeeTooHigh, kind=kind, fee=maximum + 1, max=maximum):
            hub.setMinFee(kind, maximum + 1, sender=timelock_account)
    hub.setMinFee(kind_id("render"), maximum, sender=timelock_account)


def test_hub_setMinBond_failsIfAboveBound(tutti, timelock_account, reverts):
    hub = tutti.hub
    maximum = hub.MAX_MIN_BOND()
    with reverts(hub.MinBondTooHigh, bond=maximum + 1, max=maximum):
        hub.setMinBond(maximum + 1, sender=timelock_account)
    hub.setMinBond(maximum, sender=timelock_account)


def test_governor_settings_failIfVoteWouldFreezeTheDao(governance, enact, reverts):
    governor, timelock = governance.governor, governance.timelock
    too_long = governor.MAX_VOTING_PERIOD() + 1
    with reverts(governor.GovernanceSettingOutOfRange, name="votingPeriod", value=too_long):
        enact([Action(governor.address, 0, bytes(governor.setVotingPeriod.encode_input(too_long)))],
              "Vote for a year")
    with reverts(governor.GovernanceSettingOutOfRange, name="quorumPercent", value=0):
        enact([Action(governor.address, 0, bytes(governor.updateQuorumNumerator.encode_input(0)))],
              "A quorum of nobody")
    too_slow = timelock.MAX_DELAY() + 1
    with reverts(timelock.TimelockDelayTooLong, delay=too_slow, max=too_slow - 1):
        enact([Action(timelock.address, 0, bytes(timelock.updateDelay.encode_input(too_slow)))],
              "Freeze every parameter")
