"""An OracleHub (2-of-3, the root conftest's `operators`) deployed beside the session's Tutti system,
owned by its timelock, with a short job timeout for expiry tests."""

from __future__ import annotations

import pytest

from tests.contracts.conftest import reverts  # noqa: F401  (the strict ape.reverts, shared with the contract tests)
from tests.oracle.oracle_helpers import ANALYZE, ETHER, FEE, INPUT_CID, JOB_TIMEOUT, PARAMS
from tutti.attestations import Attestation, sign_attestation
from tutti.oracle_deployment import deploy_oracle_hub


@pytest.fixture(scope="session")
def requester(fan):
    return fan


@pytest.fixture(scope="session")
def hub(tutti, deployer, operators):
    return deploy_oracle_hub(
        deployer,
        tutti.timelock.address,
        tutti.registry.address,
        2,
        [op.address for op in operators],
        job_timeout_seconds=JOB_TIMEOUT,
    )


@pytest.fixture(scope="session")
def timelock(tutti, accounts, chain):
    """The timelock, impersonated on anvil (and funded for gas) for direct governance calls."""
    chain.provider.set_balance(tutti.timelock.address, 10 * ETHER)
    return accounts[tutti.timelock.address]


@pytest.fixture
def chain_id(chain):
    return chain.chain_id


@pytest.fixture
def sign(hub, chain_id):
    """``sign(operator, attestation, chain_id=..., hub=...)``: a signature made with tutti.attestations."""

    def _sign(operator, attestation: Attestation, *, chain_id: int = chain_id, verifying_contract: str | None = None):
        return sign_attestation(operator.private_key, attestation, chain_id, verifying_contract or hub.address)

    return _sign


@pytest.fixture
def job_id(hub, requester):
    """An open analyze job, paying FEE wei, requested by `requester`."""
    hub.requestJob(ANALYZE, INPUT_CID, PARAMS, 0, sender=requester, value=FEE)
    return hub.jobCount()
