"""Pause (or resume) sales of a licence offer for a work you own."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.chain import Tutti
from tutti.licenses import set_paused
from tutti.script_support import user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Pause or resume a licence offer")
@account_option()
@click.option("--offer", "offer_id", type=int, required=True, help="The offer's id (you must own its work).")
@click.option("--resume", is_flag=True, help="Resume sales instead of pausing them.")
def cli(account, offer_id, resume):
    """Stop new sales of an offer (or, with --resume, start them again). Licences already sold
    keep their terms and stay valid."""
    with user_errors():
        tutti = Tutti.connect()
        tx_hash = set_paused(tutti, account, offer_id, not resume)
    click.echo(f"{'Resumed' if resume else 'Paused'} offer {offer_id}")
    click.echo(f"  tx {tx_hash}")
