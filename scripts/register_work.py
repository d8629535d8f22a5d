"""Register a work: metadata, content fingerprint, contributors and their shares, parent works."""

import click
from ape.cli import ConnectedProviderCommand, account_option
from hexbytes import HexBytes

from tutti.chain import Tutti
from tutti.script_support import user_errors
from tutti.works import content_hash_of, parse_share, register_work


@click.command(cls=ConnectedProviderCommand, short_help="Register a work with its contributors")
@account_option()
@click.option("--metadata-cid", help="IPFS CID of the work's metadata JSON.")
@click.option("--from-job", "job_id", type=int,
              help="Register a fulfilled oracle job's result: its CID and attested hash become the metadata "
                   "and content hash, and the job's input work becomes a parent.")
@click.option("--upstream", default="20%", show_default=True,
              help="With --from-job: the input work's cut of the result's income.")
@click.option("--content", "content_file", type=click.Path(exists=True, dir_okay=False),
              help="The recording or score; its keccak-256 becomes the content hash.")
@click.option("--content-hash", help="The content hash (0x + 64 hex digits), instead of --content.")
@click.option("--contributor", "contributors", multiple=True, required=True, metavar="ADDRESS=SHARE",
              help="A contributor and share in basis points or percent (repeat; shares sum to 10000).")
@click.option("--parent", "parents", multiple=True, metavar="WORK_ID=SHARE",
              help="A parent work and its upstream cut of this work's income (repeat for several).")
@click.option("--license", "license_", default="CC-BY-4.0", show_default=True, help="Licence terms (SPDX id or URI).")
@click.option("--royalty", "royalty_bps", default=1000, show_default=True, help="EIP-2981 royalty in basis points.")
def cli(account, metadata_cid, job_id, upstream, content_file, content_hash, contributors, parents, license_,
        royalty_bps):
    """Register a work in the ContentRegistry; the caller receives the work's token and pays the fee."""
    with user_errors():
        tutti = Tutti.connect()
        parent_shares = [parse_share(p) for p in parents]
        if job_id is not None:
            if content_file or content_hash:
                raise click.UsageError("--from-job takes the content hash from the job; drop --content/--content-hash")
            result_cid, result_hash, _model, input_work = tutti.hub.fulfilledResult(job_id)
            metadata_cid = metadata_cid or result_cid
            fingerprint = bytes(result_hash)
            if input_work and all(int(p.holder) != input_work for p in parent_shares):
                parent_shares.append(parse_share(f"{input_work}={upstream}"))
        else:
            if not metadata_cid:
                raise click.UsageError("give --metadata-cid (or --from-job)")
            if bool(content_file) == bool(content_hash):
                raise click.UsageError("give exactly one of --content FILE or --content-hash 0x…")
            fingerprint = content_hash_of(content_file) if content_file else bytes(HexBytes(content_hash))
            if len(fingerprint) != 32:
                raise click.UsageError("--content-hash must be 32 bytes (0x + 64 hex digits)")
        work = register_work(
            tutti,
            account,
            metadata_cid=metadata_cid,
            content_hash=fingerprint,
            contributors=[parse_share(c) for c in contributors],
            parents=parent_shares,
            license=license_,
            royalty_bps=royalty_bps,
        )
    click.echo(f"Registered work {work.work_id} (split {work.split_id}); royalties go to {work.wallet}")
    click.echo(f"  tx {work.tx_hash}")
