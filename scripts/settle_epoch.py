"""Settle an ended usage epoch with the play counts the oracle quorum attested."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.chain import Tutti
from tutti.epochs import settle_epoch
from tutti.ipfs_cli import open_configured_store
from tutti.script_support import user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Settle a usage epoch")
@account_option()
@click.option("--epoch", type=click.IntRange(min=0), required=True, help="The ended epoch to settle.")
@click.option("--job", "job_id", type=int, help="The usage job (default: the reporter's newest fulfilled one).")
@click.option("--ipfs", "ipfs_url", envvar="TUTTI_IPFS_URL", help="Kubo RPC URL (default: the embedded store).")
def cli(account, epoch, job_id, ipfs_url):
    """Anyone may settle: the root and total are checked on chain against the quorum's attestation."""
    with user_errors():
        tutti = Tutti.connect()
        settlement, receipt = settle_epoch(tutti, open_configured_store(ipfs_url), account, epoch, job_id)
        click.echo(f"Settled epoch {epoch}: {settlement.total_plays} plays over {len(settlement.tree.plays)} "
                   f"works, root 0x{settlement.root.hex()}")
        click.echo(f"  tx {receipt.txn_hash}")
