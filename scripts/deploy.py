"""Deploy the whole Tutti system and write the network's address book."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.deployment import DeployParams, deploy_system
from tutti.script_support import user_errors
from tutti.settings import get_settings


@click.command(cls=ConnectedProviderCommand, short_help="Deploy Tutti and write the address book")
@account_option()
@click.option("--supply", default=1_000_000, show_default=True, help="TUTTI tokens minted to the deployer.")
@click.option("--voting-delay", default=1, show_default=True, help="Blocks before voting starts.")
@click.option("--voting-period", default=50, show_default=True, help="Blocks voting stays open.")
@click.option("--quorum", "quorum_percent", default=4, show_default=True, help="Quorum, percent of supply.")
@click.option("--timelock-delay", default=60, show_default=True, help="Seconds between queue and execute.")
@click.option("--registration-fee", default=0, show_default=True, help="Registration fee in wei.")
@click.option("--operator", "operators", multiple=True, help="An oracle operator at launch (repeat; default: the deployer).")
@click.option("--oracle-quorum", default=1, show_default=True, help="Operators that must agree on a job's result.")
@click.option("--oracle-min-fee", default=0, show_default=True, help="Minimum oracle job fee in wei.")
@click.option("--oracle-min-bond", default=0, show_default=True,
              help="Bond in wei an oracle operator needs to attest (0: none).")
@click.option("--job-timeout", default=3600, show_default=True, help="Seconds an oracle job stays open.")
@click.option("--epoch-length", default=7 * 86_400, show_default=True, help="Seconds per usage-royalty epoch (fixed).")
@click.option("--claim-window", default=90 * 86_400, show_default=True, help="Seconds usage claims stay open.")
@click.option("--usage-reporter", help="The account whose usage reports settle epochs (default: the deployer).")
@click.option("--test-token/--no-test-token", default=None, help="Also deploy a mintable tUSD (default: on local networks).")
def cli(ecosystem, network, account, supply, voting_delay, voting_period, quorum_percent, timelock_delay,
        registration_fee, operators, oracle_quorum, oracle_min_fee, oracle_min_bond, job_timeout, epoch_length,
        claim_window, usage_reporter, test_token):
    """Deploy token, timelock, governor, royalty splitter, content registry, oracle hub, access
    passes and usage royalties; hand every parameter to the timelock; record the addresses for
    scripts and services."""
    with user_errors():
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
            oracle_job_timeout_seconds=job_timeout,
            usage_epoch_seconds=epoch_length,
            usage_claim_window_seconds=claim_window,
            usage_reporter=usage_reporter,
            test_token=network.is_local if test_token is None else test_token,
        )
        tutti = deploy_system(account, params)
        path = tutti.book.save(get_settings().deployments_dir)
    click.echo(f"Deployed Tutti on {ecosystem.name}:{network.name} (chain {tutti.book.chain_id})")
    for name, address in {**tutti.book.contracts, **tutti.book.extras}.items():
        click.echo(f"  {name:<16} {address}")
    click.echo(f"Address book: {path}")
