"""Pay works their share of a settled usage epoch's pools (into their splits)."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.chain import Tutti
from tutti.epochs import claim_usage
from tutti.ipfs_cli import open_configured_store
from tutti.script_support import format_amount, resolve_token, user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Claim works' usage royalties")
@account_option()
@click.option("--epoch", type=click.IntRange(min=0), required=True, help="The settled epoch.")
@click.option("--work", "work_ids", type=int, multiple=True, help="Works to claim for (default: every work with plays).")
@click.option("--token", "tokens", multiple=True, default=("ETH",), show_default=True,
              help="Pools to claim from: ETH, TestToken or an ERC-20 address (repeatable).")
@click.option("--ipfs", "ipfs_url", envvar="TUTTI_IPFS_URL", help="Kubo RPC URL (default: the embedded store).")
def cli(account, epoch, work_ids, tokens, ipfs_url):
    """Anyone may claim: each work's part goes to its split (its contributors and parents), never to
    the caller. The proofs come from the settlement the oracle quorum pinned to IPFS."""
    with user_errors():
        tutti = Tutti.connect()
        token_addresses = [resolve_token(tutti, token) for token in tokens]
        claims = claim_usage(tutti, open_configured_store(ipfs_url), account, epoch, work_ids or None,
                             token_addresses)
        for claim in claims:
            click.echo(f"Work {claim.work_id}: {claim.plays} plays -> {format_amount(claim.amount, claim.token)} "
                       f"into its split (tx {claim.tx_hash})")
        if not claims:
            click.echo("Nothing left to claim")
