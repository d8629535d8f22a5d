"""Post, unbond or withdraw an oracle operator's bond, or show where it stands."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.bonds import bond, bond_status, request_unbond, withdraw_unbonded
from tutti.chain import Tutti
from tutti.passes import chain_now, format_time
from tutti.royalties import ETH
from tutti.script_support import format_amount, parse_amount, user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Manage an oracle operator's bond")
@account_option()
@click.option("--bond", "bond_amount", help="Add this much ETH to your bond (1.5, or 1500wei).")
@click.option("--unbond", "unbond_amount", help="Start unbonding this much ETH (stops counting at once).")
@click.option("--withdraw", is_flag=True, help="Withdraw your unbonded ETH once its wait is over.")
def cli(account, bond_amount, unbond_amount, withdraw):
    """Bond ETH in the OracleHub (governance may require a minimum to attest, and may slash a
    recorded dissent by a vote), unbond it, withdraw it after the unbonding delay; with none of
    --bond, --unbond and --withdraw, show the account's bond."""
    with user_errors():
        if sum(map(bool, (bond_amount, unbond_amount, withdraw))) > 1:
            raise click.UsageError("give at most one of --bond, --unbond and --withdraw")
        tutti = Tutti.connect()
        if bond_amount:
            value = parse_amount(bond_amount, ETH)
            receipt = bond(tutti, account, value)
            click.echo(f"Bonded {format_amount(value, ETH)}; tx {receipt.txn_hash}")
        elif unbond_amount:
            value = parse_amount(unbond_amount, ETH)
            receipt = request_unbond(tutti, account, value)
            event = next(iter(receipt.decode_logs(tutti.hub.UnbondRequested)))
            click.echo(f"Unbonding {format_amount(value, ETH)} ({format_amount(event.pending, ETH)} pending), "
                       f"withdrawable from {format_time(event.availableAt)}; tx {receipt.txn_hash}")
        elif withdraw:
            amount = withdraw_unbonded(tutti, account)
            click.echo(f"Withdrew {format_amount(amount, ETH)} of unbonded ETH")
        status = bond_status(tutti, account.address)
        now = chain_now()
    role = "operator" if status.is_operator else "not an operator"
    verdict = "may attest" if status.may_attest else "may not attest"
    click.echo(f"{status.operator} ({role}): bonded {format_amount(status.bonded, ETH)}, "
               f"minimum {format_amount(status.min_bond, ETH)}: {verdict}")
    if status.unbonding:
        ready = status.withdrawable(now)
        when = "withdrawable now" if ready else f"withdrawable from {format_time(status.available_at)}"
        click.echo(f"  unbonding {format_amount(status.unbonding, ETH)}, {when}")
