"""Show a usage epoch: its time span, pools, settlement and what has been claimed."""

from datetime import datetime, timezone

import click
from ape.cli import ConnectedProviderCommand

from tutti.chain import Tutti
from tutti.epochs import epoch_status
from tutti.script_support import format_amount, resolve_token, user_errors


def _when(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


@click.command(cls=ConnectedProviderCommand, short_help="Show a usage epoch")
@click.option("--epoch", type=click.IntRange(min=0), help="The epoch (default: the current one).")
@click.option("--token", "tokens", multiple=True, default=("ETH",), show_default=True,
              help="Pools to show: ETH, TestToken or an ERC-20 address (repeatable).")
def cli(epoch, tokens):
    """Time span, pool per token, settlement (root, plays, oracle job) and claims of an epoch."""
    with user_errors():
        tutti = Tutti.connect()
        current = tutti.usage.currentEpoch()
        epoch = current if epoch is None else epoch
        status = epoch_status(tutti, epoch, [resolve_token(tutti, token) for token in tokens])
        phase = "current" if epoch == current else ("upcoming" if epoch > current else "ended")
        click.echo(f"Epoch {epoch} ({phase}): {_when(status.start)} to {_when(status.end)}")
        for pool in status.pools:
            state = "rolled over" if pool.rolled_over else "open"
            click.echo(f"  pool {format_amount(pool.pool, pool.token)}, claimed "
                       f"{format_amount(pool.claimed, pool.token)} ({state})")
        if status.root is None:
            click.echo("  not settled")
        else:
            click.echo(f"  settled by job {status.job_id}: {status.total_plays} plays, root 0x{status.root.hex()}")
            window_end = status.settled_at + tutti.usage.claimWindow()
            click.echo(f"  claims open until {_when(window_end)}")
