"""Encrypt a recording for a gated work: pin only ciphertext, split its key among the operators."""

import json
from pathlib import Path

import click
from ape import chain
from ape.cli import ConnectedProviderCommand

from tutti.chain import Tutti
from tutti.gated.client import fetch_operator_keys
from tutti.gated.manifest import protect_files
from tutti.ipfs_cli import open_configured_store
from tutti.results import canonical_json
from tutti.script_support import user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Encrypt files for a gated work")
@click.option("--file", "files", multiple=True, required=True, type=click.Path(exists=True, dir_okay=False),
              help="A file of the work (repeat); the first one is the master.")
@click.option("--key-service", "services", multiple=True, required=True,
              help="An operator's key-release service URL (repeat, one per operator).")
@click.option("--title", required=True, help="The work's title, for its metadata.")
@click.option("--threshold", type=int, help="Shares needed to rebuild the key (default: the oracle quorum).")
@click.option("--ipfs", "ipfs_url", envvar="TUTTI_IPFS_URL", help="Kubo RPC URL (default: the embedded store).")
@click.option("--key-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to keep the content key (for re-keying); never publish it.")
def cli(files, services, title, threshold, ipfs_url, key_out):
    """Encrypt FILEs under a new content key (AES-256-GCM), pin the ciphertext and a manifest of
    key shares sealed to each operator (checked: each service's key is signed by a hub operator),
    and pin the work's metadata. Register the work with the printed metadata CID and content hash
    (`ape run register_work --metadata-cid ... --content-hash ...`)."""
    with user_errors():
        tutti = Tutti.connect()
        keys = fetch_operator_keys(services, chain.chain_id, tutti.hub.isOperator)
        store = open_configured_store(ipfs_url)
        named = {Path(f).name: Path(f) for f in files}
        protected = protect_files(store, named, keys, threshold or tutti.hub.quorum())
        metadata_cid = store.add_bytes(canonical_json({"name": title, "gated": {"manifest": protected.manifest_cid}}),
                                       cid_version=1)
        if key_out:
            key_out.write_bytes(protected.key)
            key_out.chmod(0o600)
    click.echo(f"Encrypted {len(named)} file(s); key split {protected.manifest['threshold']}-of-{len(keys)}")
    click.echo(f"  manifest     ipfs://{protected.manifest_cid}")
    click.echo(f"  metadata CID {metadata_cid}")
    click.echo(f"  content hash 0x{protected.content_hash.hex()}")
    click.echo(json.dumps({"metadata_cid": metadata_cid, "content_hash": "0x" + protected.content_hash.hex()}))
