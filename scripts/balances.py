"""Show a work's income and what each contributor can withdraw."""

import click
from ape.cli import ConnectedProviderCommand

from tutti.chain import Tutti
from tutti.royalties import balances
from tutti.script_support import format_amount, resolve_token, user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Show a work's balances")
@click.option("--work", "work_id", type=int, required=True, help="The work's id.")
@click.option("--token", "tokens", multiple=True, default=["ETH"], show_default=True,
              help="ETH, TestToken, or an ERC-20 address (repeat for several).")
def cli(work_id, tokens):
    """Total received by a work's split and each recipient's withdrawable amount, per token."""
    with user_errors():
        tutti = Tutti.connect()
        for name in tokens:
            token = resolve_token(tutti, name)
            report = balances(tutti, work_id, token)
            click.echo(f"Work {work_id} (split {report.split_id}) received "
                       f"{format_amount(report.total_received, token)}")
            for r in report.recipients:
                click.echo(f"  {r.account}  {r.share_bps / 100:6.2f}%  withdrawable "
                           f"{format_amount(r.withdrawable, token)}")
            if report.waiting_in_wallet:
                click.echo(f"  {format_amount(report.waiting_in_wallet, token)} waiting in the royalty wallet "
                           "(deposited by the next withdraw)")
            for parent, amount in report.forwardable_to_parents.items():
                click.echo(f"  upstream to work {parent}: {format_amount(amount, token)} to forward")
