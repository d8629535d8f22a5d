"""Offer licences of a work you own: rights, price, duration, supply cap; sales pay the work's split."""

from decimal import Decimal, InvalidOperation

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.chain import Tutti
from tutti.licenses import (
    MAX_SUPPLY_CAP,
    RIGHTS,
    create_offer,
    describe_duration,
    describe_rights,
    parse_duration,
    parse_rights,
)
from tutti.script_support import format_amount, parse_amount, resolve_token, user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Offer licences of a work you own")
@account_option()
@click.option("--work", "work_id", type=int, required=True, help="The work's id (you must own it).")
@click.option("--rights", "rights", multiple=True, required=True,
              help=f"Rights granted, comma-separated or repeated: {', '.join(RIGHTS)} (remix = derivative).")
@click.option("--price", required=True, help="Price of one licence (1.5, or 1500wei / 1500units); 0 for free.")
@click.option("--token", default="ETH", show_default=True,
              help="What the price is in: ETH, an address-book name (TestToken) or an ERC-20 address.")
@click.option("--duration", default="perpetual", show_default=True,
              help="How long each licence lasts from its purchase: perpetual, or 365d, 30d12h, 2w ...")
@click.option("--cap", "supply_cap", type=click.IntRange(1, MAX_SUPPLY_CAP), required=True,
              help="Most licences ever sold.")
@click.option("--transferable", is_flag=True, help="Holders may give or sell their licences on.")
@click.option("--terms-cid", required=True, help="IPFS CID of the licence's full text (the token's URI).")
def cli(account, work_id, rights, price, token, duration, supply_cap, transferable, terms_cid):
    """Create an offer for work WORK. Its terms never change; pause it (pause_offer) and offer
    again to change them. Each sale pays the price, less the platform fee, into the work's split."""
    with user_errors():
        tutti = Tutti.connect()
        token_address = resolve_token(tutti, token)
        mask = parse_rights(rights)
        seconds = parse_duration(duration)
        amount = _price(price, token_address)
        offer_id, tx_hash = create_offer(
            tutti, account, work_id=work_id, rights=mask, price=amount, supply_cap=supply_cap,
            terms_cid=terms_cid, duration=seconds, token=token_address, transferable=transferable,
        )
        cost = format_amount(amount, token_address) if amount else "free"
    click.echo(f"Created offer {offer_id} for work {work_id}: {describe_rights(mask)}; {cost} a licence, "
               f"{describe_duration(seconds)}, at most {supply_cap}, "
               f"{'transferable' if transferable else 'non-transferable'}")
    click.echo(f"  tx {tx_hash}")


def _price(text: str, token: str) -> int:
    """Like any amount, except that a price may be zero."""
    try:
        if Decimal(text.removesuffix("wei").removesuffix("units")) == 0:
            return 0
    except InvalidOperation:
        pass
    return parse_amount(text, token)
