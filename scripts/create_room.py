"""Open a room (or performance) whose passes pay the host's split."""

from decimal import Decimal, InvalidOperation

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.chain import Tutti
from tutti.passes import MAX_SUPPLY_CAP, chain_now, create_room, format_time, parse_time
from tutti.royalties import ETH, split_of
from tutti.script_support import format_amount, parse_amount, user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Open a room with paid passes")
@account_option()
@click.option("--split", "split_id", type=int, help="The split paid by sales (yours, or your band's).")
@click.option("--work", "work_id", type=int, help="Pay a registered work's split instead of --split.")
@click.option("--price", required=True, help="Price of a pass in ETH (0.01) or wei (10000wei); 0 for free passes.")
@click.option("--cap", "supply_cap", type=click.IntRange(1, MAX_SUPPLY_CAP), required=True,
              help="Most passes ever sold.")
@click.option("--starts", default="now", show_default=True,
              help="When passes start admitting: now, a duration from now (+2h), or an ISO time (UTC unless stated).")
@click.option("--ends", required=True,
              help="When passes stop admitting and sales end: a duration after the start (+2h, +1d) or an ISO time.")
@click.option("--soulbound", is_flag=True, help="Passes cannot change hands.")
@click.option("--metadata-cid", required=True, help="IPFS CID of the room's metadata JSON.")
def cli(account, split_id, work_id, price, supply_cap, starts, ends, soulbound, metadata_cid):
    """Open a room hosted by the caller. Passes sell until the room's window ends; each sale pays
    its price, minus the platform fee, into the chosen split."""
    if (split_id is None) == (work_id is None):
        raise click.UsageError("give exactly one of --split ID or --work ID")
    with user_errors():
        tutti = Tutti.connect()
        if work_id is not None:
            split_id = split_of(tutti, work_id)
        wei = _price_in_wei(price)
        valid_from = parse_time(starts, chain_now())
        valid_until = parse_time(ends, valid_from)
        created = create_room(
            tutti, account, split_id=split_id, price=wei, supply_cap=supply_cap, valid_from=valid_from,
            valid_until=valid_until, metadata_cid=metadata_cid, transferable=not soulbound,
        )
    cost = format_amount(wei, ETH) if wei else "free"
    kind = "soulbound" if soulbound else "transferable"
    click.echo(f"Created room {created.room_id} (pays split {split_id}): {cost} a pass, "
               f"at most {supply_cap}, {kind}")
    click.echo(f"  valid {format_time(valid_from)} to {format_time(valid_until)}")
    click.echo(f"  tx {created.tx_hash}")


def _price_in_wei(text: str) -> int:
    """Like any amount, except that a price may be zero."""
    try:
        if Decimal(text.removesuffix("wei")) == 0:
            return 0
    except InvalidOperation:
        pass
    return parse_amount(text, ETH)
