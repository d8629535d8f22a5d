"""Deploy the whole Tutti system and write the network's address book."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.deploy_safety import LaunchChoices, relaxed_on_local, require_safe
from tutti.deployment import DeployParams, deploy_system
from tutti.errors import TuttiError
from tutti.oracle_deployment import DEFAULT_MIN_FEE_WEI, DEFAULT_UNBONDING_DELAY_SECONDS
from tutti.script_support import user_errors
from tutti.settings import get_settings

#: Easy defaults for a throw-away local chain; any other network must be given each explicitly.
LOCAL_DEFAULTS = {"voting_delay": 1, "voting_period": 50, "timelock_delay": 60, "oracle_quorum": 1}


def _parse_allocation(text: str) -> tuple[str, int]:
    holder, sep, amount = text.partition("=")
    if not sep or not holder.startswith("0x") or len(holder) != 42:
        raise TuttiError(f"--allocate takes ADDRESS=TOKENS (e.g. 0xAbc…=250000), got {text!r}")
    try:
        tokens = int(amount)
    except ValueError:
        raise TuttiError(f"--allocate {text!r}: {amount!r} is not a whole number of TUTTI") from None
    if tokens <= 0:
        raise TuttiError(f"--allocate {text!r}: the amount must be positive")
    return holder, tokens * 10**18


@click.command(cls=ConnectedProviderCommand, short_help="Deploy Tutti and write the address book")
@account_option()
@click.option("--supply", default=1_000_000, show_default=True, help="TUTTI tokens minted to the deployer.")
@click.option("--allocate", "allocations", multiple=True, metavar="ADDRESS=TOKENS",
              help="A launch holder of TUTTI (repeat; sums to --supply; required beyond local chains).")
@click.option("--voting-delay", type=int, help="Blocks before voting starts (local default 1).")
@click.option("--voting-period", type=int, help="Blocks voting stays open (local default 50).")
@click.option("--quorum", "quorum_percent", default=4, show_default=True, help="Quorum, percent of supply.")
@click.option("--timelock-delay", type=int, help="Seconds between queue and execute (local default 60).")
@click.option("--registration-fee", default=0, show_default=True, help="Registration fee in wei.")
@click.option("--operator", "operators", multiple=True, help="An oracle operator at launch (repeat; default: the deployer).")
@click.option("--oracle-quorum", type=int, help="Operators that must agree on a job's result (local default 1).")
@click.option("--oracle-min-fee", default=DEFAULT_MIN_FEE_WEI, show_default=True,
              help="Minimum oracle job fee in wei (never 0: operators must not attest unpaid).")
@click.option("--oracle-min-bond", default=0, show_default=True,
              help="Bond in wei an oracle operator needs to attest (0: none).")
@click.option("--unbonding-delay", default=DEFAULT_UNBONDING_DELAY_SECONDS, show_default=True,
              help="Seconds an operator's unbonding waits (longer than a slashing vote).")
@click.option("--job-timeout", default=3600, show_default=True, help="Seconds an oracle job stays open.")
@click.option("--epoch-length", default=7 * 86_400, show_default=True, help="Seconds per usage-royalty epoch (fixed).")
@click.option("--claim-window", default=90 * 86_400, show_default=True, help="Seconds usage claims stay open.")
@click.option("--usage-reporter", help="The account whose usage reports settle epochs (default: the deployer).")
@click.option("--test-token/--no-test-token", default=None, help="Also deploy a mintable tUSD (default: on local networks).")
def cli(ecosystem, network, account, supply, allocations, voting_delay, voting_period, quorum_percent,
        timelock_delay, registration_fee, operators, oracle_quorum, oracle_min_fee, oracle_min_bond, unbonding_delay,
        job_timeout, epoch_length, claim_window, usage_reporter, test_token):
    """Deploy token, timelock, governor, royalty splitter, content registry, oracle hub, access
    passes and usage royalties; hand every parameter to the timelock; record the addresses for
    scripts and services. Beyond a local chain, refuses (sending nothing) unless operators,
    quorum, reporter, token distribution and governance delays are given and safe."""
    with user_errors():
        choices = LaunchChoices(
            deployer=account.address,
            operators=tuple(operators),
            oracle_quorum=oracle_quorum,
            usage_reporter=usage_reporter,
            allocations=tuple(_parse_allocation(a) for a in allocations),
            token_supply=supply * 10**18,
            voting_delay_blocks=voting_delay,
            voting_period_blocks=voting_period,
            timelock_delay_seconds=timelock_delay,
            unbonding_delay_seconds=unbonding_delay,
        )
        if network.is_local:
            relaxed = relaxed_on_local(choices)
            if relaxed:
                click.echo("Local chain: safety checks relaxed: " + "; ".join(relaxed))
        else:
            require_safe(choices, f"{ecosystem.name}:{network.name}")
        local = LOCAL_DEFAULTS if network.is_local else {}
        voting_delay = local["voting_delay"] if voting_delay is None else voting_delay
        voting_period = local["voting_period"] if voting_period is None else voting_period
        timelock_delay = local["timelock_delay"] if timelock_delay is None else timelock_delay
        oracle_quorum = local["oracle_quorum"] if oracle_quorum is None else oracle_quorum
        params = DeployParams(
            token_supply=supply * 10**18,
            voting_delay_blocks=voting_delay,
            voting_period_blocks=voting_period,
            quorum_percent=quorum_percent,
            timelock_delay_seconds=timelock_delay,
            registration_fee_wei=registration_fee,
            oracle_operators=tuple(operators),
            oracle_quorum=oracle_quorum,
            oracle_min_fee_wei=oracle_min_fee,
            oracle_min_bond_wei=oracle_min_bond,
            oracle_unbonding_delay_seconds=unbonding_delay,
            oracle_job_timeout_seconds=job_timeout,
            usage_epoch_seconds=epoch_length,
            usage_claim_window_seconds=claim_window,
            usage_reporter=usage_reporter,
            token_allocations=choices.allocations,
            test_token=network.is_local if test_token is None else test_token,
        )
        tutti = deploy_system(account, params)
        path = tutti.book.save(get_settings().deployments_dir)
    click.echo(f"Deployed Tutti on {ecosystem.name}:{network.name} (chain {tutti.book.chain_id})")
    for name, address in {**tutti.book.contracts, **tutti.book.extras}.items():
        click.echo(f"  {name:<16} {address}")
    click.echo(f"Address book: {path}")
