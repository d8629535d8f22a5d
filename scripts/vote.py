"""Vote on a proposal."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.chain import Tutti
from tutti.governance import Support, vote
from tutti.script_support import user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Vote on a proposal")
@account_option()
@click.option("--proposal", "proposal_id", type=int, required=True, help="The proposal id.")
@click.option("--support", type=click.Choice(["for", "against", "abstain"]), required=True)
@click.option("--reason", default="", help="An optional reason, recorded on chain.")
def cli(account, proposal_id, support, reason):
    """Cast your delegated votes on an active proposal."""
    with user_errors():
        tutti = Tutti.connect()
        receipt = vote(tutti, account, proposal_id, Support[support.upper()], reason)
        event = next(iter(receipt.decode_logs(tutti.governor.VoteCast)))
    click.echo(f"Voted {support} on proposal {proposal_id} with {event.weight / 10**18:,.2f} TUTTI")
