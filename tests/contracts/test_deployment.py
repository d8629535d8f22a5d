"""After deployment the timelock owns every parameter and no other admin key is left."""

from web3.constants import ADDRESS_ZERO


def test_timelock_owns_every_parameter(tutti):
    assert tutti.registry.owner() == tutti.timelock.address
    assert tutti.governor.timelock() == tutti.timelock.address
    assert tutti.registry.treasury() == tutti.timelock.address
    assert tutti.usage.owner() == tutti.timelock.address


def test_deployer_keeps_no_admin_role(tutti, deployer):
    timelock = tutti.timelock
    for role in (timelock.DEFAULT_ADMIN_ROLE(), timelock.PROPOSER_ROLE(), timelock.CANCELLER_ROLE()):
        assert not timelock.hasRole(role, deployer)
    # The timelock administers itself; only the governor proposes; anyone executes.
    assert timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), timelock)
    assert timelock.hasRole(timelock.PROPOSER_ROLE(), tutti.governor)
    assert timelock.hasRole(timelock.EXECUTOR_ROLE(), ADDRESS_ZERO)


def test_parameters_refuse_direct_changes(tutti, deployer):
    import ape

    with ape.reverts(tutti.registry.OwnableUnauthorizedAccount, account=deployer.address):
        tutti.registry.setRegistrationFee(1, sender=deployer)
