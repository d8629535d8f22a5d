"""Say whether deriving from a work you own needs a licence with the derivative (remix) right."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.chain import Tutti
from tutti.licenses import require_derivative_license
from tutti.script_support import user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Gate (or open) derivatives of your work")
@account_option()
@click.option("--work", "work_id", type=int, required=True, help="The work's id (you must own it).")
@click.option("--open", "open_", is_flag=True, help="Open the work to derivatives again (no licence needed).")
def cli(account, work_id, open_):
    """From now on, registering a derivative of WORK needs a valid licence with the derivative
    right (the owner excepted); with --open, anyone may derive from it, as from a CC-BY work."""
    with user_errors():
        tutti = Tutti.connect()
        tx_hash = require_derivative_license(tutti, account, work_id, not open_)
    rule = "open to derivatives (no licence needed)" if open_ else "derivatives need a remix licence"
    click.echo(f"Work {work_id}: {rule}")
    click.echo(f"  tx {tx_hash}")
