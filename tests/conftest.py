"""Role fixtures and a deployed Tutti system, shared by every contract and script test.

The suite runs on a real anvil node (`ape test --network ethereum:local:foundry`); ape reverts
the chain to a snapshot after each test, so the session-wide deployment is reused safely.
"""

from __future__ import annotations

import pytest

from tests.ipfs_node import ipfs_node_url  # noqa: F401  (one js-ipfs node per session, for every test folder)
from tutti.deployment import DeployParams, deploy_system

TOKEN = 10**18


@pytest.fixture(scope="session")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def artist(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def producer(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def vocalist(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def fan(accounts):
    return accounts[4]


@pytest.fixture(scope="session")
def voters(accounts):
    return accounts[5], accounts[6]


@pytest.fixture(scope="session")
def operators(accounts):
    """The oracle operators of the session's hub (2-of-3)."""
    return accounts[7], accounts[8], accounts[9]


@pytest.fixture(scope="session")
def deploy_params(operators):
    return DeployParams(
        voting_delay_blocks=1,
        voting_period_blocks=20,
        quorum_percent=4,
        timelock_delay_seconds=60,
        registration_fee_wei=0,
        oracle_operators=tuple(op.address for op in operators),
        oracle_quorum=2,
        test_token=True,
    )


@pytest.fixture(scope="session")
def deployments_dir(tmp_path_factory):
    """Where the test deployment's address book lives (scripts read it via TUTTI_DEPLOYMENTS_DIR)."""
    return tmp_path_factory.mktemp("deployments")


@pytest.fixture(scope="session")
def tutti(deployer, deploy_params, deployments_dir):
    """The whole system, deployed once, with its address book saved."""
    system = deploy_system(deployer, deploy_params)
    system.book.save(deployments_dir)
    return system


@pytest.fixture(scope="session")
def stablecoin(tutti):
    return tutti.extra("TestToken")


@pytest.fixture(scope="session")
def governance(tutti, deployer, voters):
    """Voting power spread over two holders (30% each), both self-delegated."""
    for voter in voters:
        tutti.token.transfer(voter, 300_000 * TOKEN, sender=deployer)
        tutti.token.invoke_transaction("delegate", voter.address, sender=voter)
    return tutti


@pytest.fixture
def enact(governance, voters):
    """``enact(actions, description)``: a real DAO proposal taken through propose, both holders'
    votes, queue and the timelock delay; returns the execution receipt."""
    from tutti.governance import enact_on_local_chain

    return lambda actions, description: enact_on_local_chain(governance, voters, actions, description)
