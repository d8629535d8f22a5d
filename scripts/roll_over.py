"""Move what an ended usage epoch's pool still holds (dust, unclaimed parts) into the current epoch."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.chain import Tutti
from tutti.epochs import roll_over
from tutti.script_support import format_amount, resolve_token, user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Roll a usage epoch's leftovers over")
@account_option()
@click.option("--epoch", type=click.IntRange(min=0), required=True, help="The epoch whose pool to roll over.")
@click.option("--token", default="ETH", show_default=True, help="ETH, TestToken, or an ERC-20 address.")
def cli(account, epoch, token):
    """Once its claim window has passed (at once for an epoch without plays), an epoch's leftovers go
    to the current epoch's pool and its claims close: nothing stays locked."""
    with user_errors():
        tutti = Tutti.connect()
        token_address = resolve_token(tutti, token)
        amount, into = roll_over(tutti, account, epoch, token_address)
        click.echo(f"Rolled {format_amount(amount, token_address)} from epoch {epoch} over into epoch {into}")
