"""Propose a change to a platform parameter (or any call the timelock should make)."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.chain import Tutti
from tutti.governance import encode_call, propose
from tutti.script_support import user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Create a governance proposal")
@account_option()
@click.option("--target", required=True, help="Contract to call, e.g. ContentRegistry.")
@click.option("--function", "function", required=True, help="Function to call, e.g. setRegistrationFee.")
@click.option("--arg", "args", multiple=True, help="An argument of the call (repeat, in order).")
@click.option("--description", required=True, help="What the proposal does and why.")
def cli(account, target, function, args, description):
    """Propose that the timelock calls TARGET.FUNCTION(ARGS...); prints the proposal id."""
    with user_errors():
        tutti = Tutti.connect()
        proposal = propose(tutti, account, [encode_call(tutti, target, function, list(args))], description)
    click.echo(f"Proposal {proposal.proposal_id}")
    click.echo(f"  {target}.{function}({', '.join(args)}): {description}")
