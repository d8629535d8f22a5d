"""Queue a succeeded proposal in the timelock."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.chain import Tutti
from tutti.governance import queue
from tutti.script_support import user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Queue a passed proposal")
@account_option()
@click.option("--proposal", "proposal_id", type=int, required=True, help="The proposal id.")
def cli(account, proposal_id):
    """Queue a proposal that passed; it can be executed once the timelock delay has elapsed."""
    with user_errors():
        tutti = Tutti.connect()
        queue(tutti, account, proposal_id)
        eta = tutti.governor.proposalEta(proposal_id)
    click.echo(f"Queued proposal {proposal_id}; executable from timestamp {eta}")
