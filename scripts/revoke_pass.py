"""Revoke an account from a room you host: its passes are burnt and it cannot get another."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.chain import Tutti
from tutti.passes import revoke
from tutti.script_support import user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Revoke an account's passes to your room")
@account_option()
@click.option("--room", "room_id", type=int, required=True, help="The room's id (you must be its host).")
@click.option("--holder", required=True, help="The account to revoke.")
def cli(account, room_id, holder):
    """Burn every pass HOLDER has to the room and refuse it new ones. Payments are not refunded."""
    with user_errors():
        tutti = Tutti.connect()
        burnt = revoke(tutti, account, room_id, holder)
    click.echo(f"Revoked {holder} from room {room_id} ({burnt} pass{'' if burnt == 1 else 'es'} burnt)")
