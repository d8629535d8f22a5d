"""Ownership of every contract with parameters (issue 12, item 10): it moves in two steps, can
never be renounced, and no constructor accepts a zero address for a contract it relies on."""

from __future__ import annotations

import ape
import pytest
from eth_utils import keccak

ZERO = "0x0000000000000000000000000000000000000000"
GOVERNED = ["registry", "hub", "passes", "usage", "licenses"]


@pytest.mark.parametrize("name", GOVERNED)
def test_transferOwnership_succeedsOnlyOnceNewOwnerAccepts(tutti, name, timelock_account, fan, deployer, reverts):
    contract = getattr(tutti, name)
    # A proposal that names a wrong address hands nothing over: the owner stays until accepted.
    contract.transferOwnership(fan, sender=timelock_account)
    assert contract.owner() == tutti.timelock.address
    assert contract.pendingOwner() == fan.address
    with reverts(contract.OwnableUnauthorizedAccount, account=deployer.address):
        contract.acceptOwnership(sender=deployer)
    contract.acceptOwnership(sender=fan)
    assert contract.owner() == fan.address


@pytest.mark.parametrize("name", GOVERNED)
def test_renounceOwnership_failsAlways(tutti, name, timelock_account, reverts):
    contract = getattr(tutti, name)
    with reverts(contract.RenounceDisabled):
        contract.renounceOwnership(sender=timelock_account)
    assert contract.owner() == tutti.timelock.address


def test_constructors_failIfZeroAddress(tutti, deployer, project, operators):
    timelock, registry, splitter = tutti.timelock, tutti.registry, tutti.splitter
    cases = [
        (project.OracleHub, project.OracleHub.ZeroRegistry,
         (timelock, ZERO, [operators[0]], 1, 1, 60, 0, 86_400)),
        (project.UsageRoyalties, project.UsageRoyalties.ZeroAddress,
         (timelock, registry, splitter, ZERO, 3_600, 3_600, deployer)),
        (project.ContentRegistry, project.ContentRegistry.ZeroAddress, (timelock, ZERO, timelock, 0)),
        (project.TuttiGovernor, project.TuttiGovernor.ZeroAddress, (tutti.token, ZERO, 1, 20, 0, 4)),
        # The shared PlatformFees base refuses a zero treasury for both sellers.
        (project.AccessPass, project.AccessPass.ZeroAddress, (timelock, splitter, ZERO, 0)),
        (project.LicenseOffers, project.LicenseOffers.ZeroAddress, (timelock, registry, splitter, ZERO, 0)),
        (project.LicenseOffers, project.LicenseOffers.ZeroAddress, (timelock, ZERO, splitter, timelock, 0)),
    ]
    for container, error, args in cases:
        with ape.reverts() as info:
            deployer.deploy(container, *args)
        # A constructor's revert data arrives undecoded: compare its selector.
        data = str(info.value.revert_message or "")
        assert error.abi.selector and data, (container, data)
        assert keccak(text=error.abi.selector)[:4].hex() in data.lower().replace("0x", ""), (container, data)
