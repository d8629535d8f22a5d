"""Open a gated work you may read (licence, pass, owner or contributor): gather key shares, decrypt."""

from pathlib import Path

import click
from ape import chain
from ape.cli import ConnectedProviderCommand, account_option

from tutti.chain import Tutti
from tutti.gated.client import ape_signer, decrypt_file, gather_key
from tutti.gated.manifest import load_manifest, manifest_cid_of
from tutti.ipfs_cli import open_configured_store
from tutti.script_support import user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Decrypt a gated work you hold a licence for")
@account_option()
@click.option("--work", "work_id", type=int, required=True, help="The work's id.")
@click.option("--key-service", "services", multiple=True, required=True,
              help="An operator's key-release service URL (repeat; ask them all).")
@click.option("--room", "room_id", type=int, default=0, help="A room whose pass grants access (0: none).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Folder for the decrypted files.")
@click.option("--ipfs", "ipfs_url", envvar="TUTTI_IPFS_URL", help="Kubo RPC URL (default: the embedded store).")
def cli(account, work_id, services, room_id, out_dir, ipfs_url):
    """Sign a key request, gather k key shares from the operators (each checked against the
    work's manifest), rebuild the content key and decrypt every file of the work into OUT."""
    with user_errors():
        tutti = Tutti.connect()
        store = open_configured_store(ipfs_url)
        manifest = load_manifest(store, manifest_cid_of(store, tutti.registry.work(work_id).metadataCid))
        gathered = gather_key(manifest, work_id, account.address, ape_signer(account), services, chain.chain_id,
                              tutti.licenses.address, room_id=room_id)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = [decrypt_file(store, manifest, gathered.key, f["name"], out_dir / Path(f["name"]).name)
                   for f in manifest["files"]]
    for url, answer in gathered.answers.items():
        click.echo(f"  {url}: {answer}")
    for path in written:
        click.echo(f"Decrypted {path} ({path.stat().st_size} bytes, hashes match the manifest)")
