"""Execute a queued proposal through the timelock."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.chain import Tutti
from tutti.governance import execute
from tutti.script_support import user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Execute a queued proposal")
@account_option()
@click.option("--proposal", "proposal_id", type=int, required=True, help="The proposal id.")
def cli(account, proposal_id):
    """Run a queued proposal's calls from the timelock once its delay has passed."""
    with user_errors():
        receipt = execute(Tutti.connect(), account, proposal_id)
    click.echo(f"Executed proposal {proposal_id}")
    click.echo(f"  tx {receipt.txn_hash}")
