"""Show a room and whether given accounts may enter it now."""

import click
from ape.cli import ConnectedProviderCommand

from tutti.chain import Tutti
from tutti.passes import chain_now, format_time, pass_status, room
from tutti.royalties import ETH
from tutti.script_support import format_amount, user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Show a room and its passes")
@click.option("--room", "room_id", type=int, required=True, help="The room's id.")
@click.option("--holder", "holders", multiple=True, help="An account to check (repeat for several).")
def cli(room_id, holders):
    """The room's host, split, price, sales and window, and for each HOLDER whether its pass
    admits it now (judged at the latest block's time)."""
    with user_errors():
        tutti = Tutti.connect()
        info = room(tutti, room_id)
        now = chain_now()
        fee_bps = tutti.passes.platformFeeBps()
        statuses = [pass_status(tutti, room_id, holder, now) for holder in holders]
    cost = format_amount(info.price, ETH) if info.price else "free"
    click.echo(f"Room {room_id} hosted by {info.host}, paying split {info.split_id}")
    click.echo(f"  {info.uri}")
    click.echo(f"  {cost} a pass (platform fee {fee_bps / 100:.2f}%), {info.sold} of {info.supply_cap} sold, "
               f"{'transferable' if info.transferable else 'soulbound'}")
    click.echo(f"  valid {format_time(info.valid_from)} to {format_time(info.valid_until)}: {info.phase(now)}")
    for status in statuses:
        verdict = "VALID" if status.valid else "NOT VALID"
        click.echo(f"  {status.account}: {verdict}, {status.passes} pass{'' if status.passes == 1 else 'es'}, "
                   f"{status.reason}")
