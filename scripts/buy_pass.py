"""Buy a pass to a room, for yourself or someone else."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.chain import Tutti
from tutti.passes import buy_pass
from tutti.royalties import ETH
from tutti.script_support import format_amount, user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Buy a pass to a room")
@account_option()
@click.option("--room", "room_id", type=int, required=True, help="The room's id.")
@click.option("--to", "holder", help="Who receives the pass (default: you).")
def cli(account, room_id, holder):
    """Buy one pass to a room at its price; the host's split is paid, minus the platform fee."""
    with user_errors():
        tutti = Tutti.connect()
        bought = buy_pass(tutti, account, room_id, holder)
    if bought.price:
        click.echo(f"Bought a pass to room {room_id} for {bought.holder}: {format_amount(bought.price, ETH)} "
                   f"(platform fee {format_amount(bought.platform_fee, ETH)})")
    else:
        click.echo(f"Got a free pass to room {room_id} for {bought.holder}")
    click.echo(f"  tx {bought.tx_hash}")
