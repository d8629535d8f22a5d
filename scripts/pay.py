"""Pay royalties to a work in ETH or an ERC-20."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.chain import Tutti
from tutti.royalties import pay
from tutti.script_support import format_amount, parse_amount, resolve_token, user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Pay royalties to a work")
@account_option()
@click.option("--work", "work_id", type=int, required=True, help="The work's id.")
@click.option("--amount", required=True, help="Amount in whole units (1.5) or base units (1500wei).")
@click.option("--token", default="ETH", show_default=True, help="ETH, TestToken, or an ERC-20 address.")
def cli(account, work_id, amount, token):
    """Pay a work's royalties: they are split among its contributors (and parent works)."""
    with user_errors():
        tutti = Tutti.connect()
        token_address = resolve_token(tutti, token)
        value = parse_amount(amount, token_address)
        receipt = pay(tutti, account, work_id, value, token_address)
        click.echo(f"Paid {format_amount(value, token_address)} to work {work_id}")
        click.echo(f"  tx {receipt.txn_hash}")
