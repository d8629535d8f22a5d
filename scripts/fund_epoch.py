"""Add revenue to the current usage epoch's pool (shared out by plays once the epoch is settled)."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.chain import Tutti
from tutti.epochs import fund_epoch
from tutti.script_support import format_amount, parse_amount, resolve_token, user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Fund the current usage epoch's pool")
@account_option()
@click.option("--amount", required=True, help="Amount in whole units (1.5) or base units (1500wei).")
@click.option("--token", default="ETH", show_default=True, help="ETH, TestToken, or an ERC-20 address.")
def cli(account, amount, token):
    """Pool revenue that belongs to no single work (a subscription, a blanket licence) in the current
    epoch; after the epoch it goes to works in proportion to their attested plays."""
    with user_errors():
        tutti = Tutti.connect()
        token_address = resolve_token(tutti, token)
        value = parse_amount(amount, token_address)
        epoch, receipt = fund_epoch(tutti, account, value, token_address)
        pool = tutti.usage.poolOf(epoch, token_address)
        click.echo(f"Added {format_amount(value, token_address)} to epoch {epoch}'s pool "
                   f"(now {format_amount(pool, token_address)})")
        click.echo(f"  tx {receipt.txn_hash}")
