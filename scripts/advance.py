"""Move a local chain forward (blocks and time), to try governance without waiting."""

import click
from ape import chain
from ape.cli import ConnectedProviderCommand


@click.command(cls=ConnectedProviderCommand, short_help="Mine blocks / skip time on a local chain")
@click.option("--blocks", default=1, show_default=True, help="Blocks to mine.")
@click.option("--seconds", default=0, show_default=True, help="Seconds to skip first.")
def cli(network, blocks, seconds):
    """Local networks only: skip SECONDS of time, then mine BLOCKS blocks."""
    if not network.is_local:
        raise click.ClickException(f"{network.name} is not a local network; time only moves by waiting there")
    if seconds:
        chain.pending_timestamp += seconds
    chain.mine(blocks)
    click.echo(f"Now at block {chain.blocks.head.number}, timestamp {chain.blocks.head.timestamp}")
