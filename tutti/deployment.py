"""Deploying the whole system in one go and recording it in the address book."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from web3.constants import ADDRESS_ZERO

from tutti.addressbook import AddressBook
from tutti.chain import Tutti
from tutti.oracle_deployment import DEFAULT_MIN_FEE_WEI, deploy_oracle_hub

if TYPE_CHECKING:
    from ape.api import AccountAPI

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeployParams:
    """Launch parameters; all but the token supply remain changeable by governance afterwards."""

    token_supply: int = 1_000_000 * 10**18
    voting_delay_blocks: int = 1
    voting_period_blocks: int = 50
    proposal_threshold: int = 0
    quorum_percent: int = 4
    timelock_delay_seconds: int = 60
    registration_fee_wei: int = 0
    #: Oracle operators at launch and how many must agree; both governable afterwards.
    oracle_operators: tuple[str, ...] = ()
    oracle_quorum: int = 1
    oracle_min_fee_wei: int = DEFAULT_MIN_FEE_WEI
    oracle_job_timeout_seconds: int = 3_600
    #: The bond an operator needs to attest (0: none, as before bonds existed) and how long an
    #: unbonding waits; both governable. Keep the delay above a slashing proposal's duration.
    oracle_min_bond_wei: int = 0
    oracle_unbonding_delay_seconds: int = 7 * 86_400
    #: The platform's cut of every access-pass sale, in basis points (at most 2,000); governable.
    platform_fee_bps: int = 500
    #: Usage-based royalty epochs: their fixed length, how long claims stay open after a settlement
    #: (governable), and the account whose usage reports settle epochs (governable; default: the deployer).
    usage_epoch_seconds: int = 7 * 86_400
    usage_claim_window_seconds: int = 90 * 86_400
    usage_reporter: str | None = None
    #: Launch distribution of TUTTI as (holder, amount in the smallest unit) pairs summing to the
    #: supply; empty: the deployer (or ``token_holder``) keeps everything, fine only on a local chain.
    token_allocations: tuple[tuple[str, int], ...] = ()
    #: The platform's cut of every licence sale, in basis points (at most 2,000); governable.
    license_platform_fee_bps: int = 500
    test_token: bool = False


def deploy_system(deployer: "AccountAPI", params: DeployParams, token_holder: str | None = None) -> Tutti:
    """Deploy token, timelock, governor, splitter, registry, oracle hub, access passes, usage royalties
    and licence offers (wired into the registry by the deployer, once).

    The timelock ends up owning every parameter: the governor is its only proposer and
    canceller, anyone may execute, and the deployer's temporary admin role is renounced last.
    """
    from ape import chain, project

    start_block = chain.blocks.head.number
    # Allocations are handed out of the deployer's mint.
    holder = deployer.address if params.token_allocations else (token_holder or deployer.address)
    token = deployer.deploy(project.TuttiToken, holder, params.token_supply)
    timelock = deployer.deploy(
        project.TuttiTimelock, params.timelock_delay_seconds, [], [ADDRESS_ZERO], deployer.address
    )
    governor = deployer.deploy(
        project.TuttiGovernor,
        token,
        timelock,
        params.voting_delay_blocks,
        params.voting_period_blocks,
        params.proposal_threshold,
        params.quorum_percent,
    )
    timelock.grantRole(timelock.PROPOSER_ROLE(), governor, sender=deployer)
    timelock.grantRole(timelock.CANCELLER_ROLE(), governor, sender=deployer)
    splitter = deployer.deploy(project.RoyaltySplitter)
    registry = deployer.deploy(project.ContentRegistry, timelock, splitter, timelock, params.registration_fee_wei)
    operators = list(params.oracle_operators) or [deployer.address]
    hub = deploy_oracle_hub(
        deployer, timelock.address, registry.address, min(params.oracle_quorum, len(operators)), operators,
        min_fee_wei=params.oracle_min_fee_wei, job_timeout_seconds=params.oracle_job_timeout_seconds,
        min_bond_wei=params.oracle_min_bond_wei, unbonding_delay_seconds=params.oracle_unbonding_delay_seconds,
    )
    # Job results are reserved for their requesters; the registry lets its deployer bind the hub once.
    registry.setOracleHub(hub, sender=deployer)
    # After the hub, so the addresses of the earlier contracts stay what they were before passes existed.
    passes = deployer.deploy(project.AccessPass, timelock, splitter, timelock, params.platform_fee_bps)
    usage = deployer.deploy(
        project.UsageRoyalties, timelock, registry, splitter, hub, params.usage_epoch_seconds,
        params.usage_claim_window_seconds, params.usage_reporter or deployer.address,
    )
    # Last, so every earlier address stays what it was before licences existed; the registry lets
    # its deployer wire the licence contract once, with no vote.
    licenses = deployer.deploy(project.LicenseOffers, timelock, registry, splitter, timelock,
                               params.license_platform_fee_bps)
    registry.setLicenseOffers(licenses, sender=deployer)
    timelock.renounceRole(timelock.DEFAULT_ADMIN_ROLE(), deployer.address, sender=deployer)
    if params.token_allocations:
        _distribute(token, deployer, params)

    extras = {}
    if params.test_token:
        stablecoin = deployer.deploy(project.TestToken, "Test USD", "tUSD", 6)
        extras["TestToken"] = stablecoin.address

    contracts = {
        "TuttiToken": token.address,
        "TuttiTimelock": timelock.address,
        "TuttiGovernor": governor.address,
        "RoyaltySplitter": splitter.address,
        "ContentRegistry": registry.address,
        "OracleHub": hub.address,
        "AccessPass": passes.address,
        "UsageRoyalties": usage.address,
        "LicenseOffers": licenses.address,
    }
    network = chain.provider.network
    book = AddressBook(
        ecosystem=network.ecosystem.name,
        network=network.name,
        chain_id=chain.chain_id,
        deployer=deployer.address,
        start_block=start_block,
        contracts=contracts,
        extras=extras,
    )
    logger.info("deployed Tutti on %s:%s", book.ecosystem, book.network)
    return Tutti.from_book(book)


def _distribute(token, deployer: "AccountAPI", params: DeployParams) -> None:
    """Hand the launch allocations out of the deployer's mint, leaving it exactly what it was allocated."""
    total = sum(amount for _, amount in params.token_allocations)
    if total != params.token_supply:
        raise ValueError(f"the allocations sum to {total}, not the supply {params.token_supply}")
    for holder, amount in params.token_allocations:
        if holder.lower() != deployer.address.lower():
            token.transfer(holder, amount, sender=deployer)
