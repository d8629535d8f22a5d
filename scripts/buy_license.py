"""Buy a licence of a work, for yourself or someone else."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.chain import Tutti
from tutti.licenses import buy_license, offer
from tutti.passes import format_time
from tutti.script_support import format_amount, user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Buy a licence")
@account_option()
@click.option("--offer", "offer_id", type=int, required=True, help="The offer's id.")
@click.option("--to", "holder", help="Who receives the licence (default: you).")
def cli(account, offer_id, holder):
    """Buy one licence of an offer at its price (an ERC-20 price is approved first); the work's
    split is paid, minus the platform fee, and the licence is minted as an ERC-721 token."""
    with user_errors():
        tutti = Tutti.connect()
        token = offer(tutti, offer_id).token
        bought = buy_license(tutti, account, offer_id, holder)
        cost = format_amount(bought.price, token) if bought.price else "free"
        fee = format_amount(bought.platform_fee, token)
    until = f"valid until {format_time(bought.valid_until)}" if bought.valid_until else "perpetual"
    click.echo(f"Bought licence {bought.license_id} (offer {offer_id}) for {bought.holder}: {cost} "
               f"(platform fee {fee}), {until}")
    click.echo(f"  tx {bought.tx_hash}")
