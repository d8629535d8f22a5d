"""Withdraw your accrued share of a work's royalties."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.chain import Tutti
from tutti.royalties import withdraw
from tutti.script_support import format_amount, resolve_token, user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Withdraw a work's royalties")
@account_option()
@click.option("--work", "work_id", type=int, required=True, help="The work's id.")
@click.option("--token", default="ETH", show_default=True, help="ETH, TestToken, or an ERC-20 address.")
@click.option("--for", "beneficiary", help="Pay this recipient instead of yourself (funds go to them).")
def cli(account, work_id, token, beneficiary):
    """Send a recipient everything it has accrued in the work's split."""
    with user_errors():
        tutti = Tutti.connect()
        token_address = resolve_token(tutti, token)
        amount = withdraw(tutti, account, work_id, token_address, beneficiary)
        click.echo(f"Withdrew {format_amount(amount, token_address)} from work {work_id} "
                   f"to {beneficiary or account.address}")
