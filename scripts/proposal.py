"""Show a proposal's state, votes and actions."""

import click
from ape.cli import ConnectedProviderCommand

from tutti.chain import Tutti
from tutti.governance import find_proposal, status
from tutti.script_support import user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Show a proposal's state")
@click.option("--proposal", "proposal_id", type=int, required=True, help="The proposal id.")
def cli(proposal_id):
    """State, tallies, quorum, voting window and the calls a proposal will make."""
    with user_errors():
        tutti = Tutti.connect()
        proposal = find_proposal(tutti, proposal_id)
        s = status(tutti, proposal_id)
    click.echo(f"Proposal {proposal_id}: {s.state.name}")
    click.echo(f"  {proposal.description}")
    click.echo(f"  for {s.votes_for / 10**18:,.2f}  against {s.votes_against / 10**18:,.2f}  "
               f"abstain {s.votes_abstain / 10**18:,.2f}  (quorum {s.quorum / 10**18:,.2f})")
    click.echo(f"  voting blocks {s.vote_start}..{s.vote_end}" + (f", executable at {s.eta}" if s.eta else ""))
    for action in proposal.actions:
        click.echo(f"  call {action.target} value {action.value} data 0x{action.calldata.hex()}")
