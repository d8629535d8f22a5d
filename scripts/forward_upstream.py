"""Forward a derivative work's accrued upstream cut to its parent works."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.chain import Tutti
from tutti.royalties import forward_upstream
from tutti.script_support import format_amount, resolve_token, user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Forward upstream royalties to parent works")
@account_option()
@click.option("--work", "work_id", type=int, required=True, help="The derivative work's id.")
@click.option("--token", default="ETH", show_default=True, help="ETH, TestToken, or an ERC-20 address.")
def cli(account, work_id, token):
    """Credit each parent work's split with its cut; its contributors can then withdraw it."""
    with user_errors():
        tutti = Tutti.connect()
        token_address = resolve_token(tutti, token)
        forwarded = forward_upstream(tutti, account, work_id, token_address)
        if not forwarded:
            click.echo(f"Nothing to forward from work {work_id}")
        for parent, amount in forwarded.items():
            click.echo(f"Forwarded {format_amount(amount, token_address)} from work {work_id} to work {parent}")
