"""Delegate your TUTTI voting power (to yourself to activate it, or to a representative)."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.chain import Tutti
from tutti.governance import delegate
from tutti.script_support import user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Delegate voting power")
@account_option()
@click.option("--to", "delegatee", help="Representative's address (default: yourself).")
def cli(account, delegatee):
    """Token balances only count as votes once delegated; delegate to yourself to vote directly."""
    with user_errors():
        tutti = Tutti.connect()
        receipt = delegate(tutti, account, delegatee)
        votes = tutti.token.getVotes(delegatee or account.address)
    click.echo(f"Delegated to {delegatee or account.address}; their votes now {votes / 10**18:,.2f} TUTTI")
    click.echo(f"  tx {receipt.txn_hash}")
