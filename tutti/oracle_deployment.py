"""Deploying the OracleHub beside the core system, owned by the same timelock."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from ape.api import AccountAPI
    from ape.contracts import ContractInstance

logger = logging.getLogger(__name__)

DEFAULT_JOB_TIMEOUT_SECONDS = 60 * 60
#: The hub's default global minimum job fee (0.001 ETH): a job pays for several operators'
#: attestations (200-270k gas each), so it can never be free; the hub refuses a zero minimum.
DEFAULT_MIN_FEE_WEI = 10**15
#: Longer than a slashing proposal takes (voting delay + period + timelock delay), so an operator
#: cannot withdraw its bond before the DAO has judged its dissent.
DEFAULT_UNBONDING_DELAY_SECONDS = 7 * 86_400


def deploy_oracle_hub(
    deployer: "AccountAPI",
    timelock_address: str,
    registry_address: str,
    quorum: int,
    operators: Sequence[str],
    *,
    min_fee_wei: int = DEFAULT_MIN_FEE_WEI,
    job_timeout_seconds: int = DEFAULT_JOB_TIMEOUT_SECONDS,
    min_bond_wei: int = 0,
    unbonding_delay_seconds: int = DEFAULT_UNBONDING_DELAY_SECONDS,
) -> "ContractInstance":
    """Deploy an ``OracleHub`` whose every parameter belongs to the timelock from the start.

    ``quorum`` must be between 1 and ``len(operators)``; later changes go through governance
    (``addOperator``, ``removeOperator``, ``setQuorum``, ``setMinFee``, ``setJobTimeout``,
    ``setMinBond``, ``setUnbondingDelay``). With ``min_bond_wei`` 0 (the default) operators attest
    without a bond, as before bonds existed.
    """
    from ape import project

    if not 1 <= quorum <= len(operators):
        raise ValueError(f"the quorum must be between 1 and the {len(operators)} operators, not {quorum}")
    hub = deployer.deploy(
        project.OracleHub,
        timelock_address,
        registry_address,
        list(operators),
        quorum,
        min_fee_wei,
        job_timeout_seconds,
        min_bond_wei,
        unbonding_delay_seconds,
    )
    logger.info("deployed OracleHub at %s (%d-of-%d, minimum bond %d wei)", hub.address, quorum, len(operators),
                min_bond_wei)
    return hub
