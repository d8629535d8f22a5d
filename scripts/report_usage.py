"""The usage reporter's action: pin an ended epoch's play counts and have the oracle network attest them."""

import csv
import json
from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.chain import Tutti
from tutti.epochs import report_usage
from tutti.ipfs_cli import open_configured_store
from tutti.script_support import format_amount, user_errors
from tutti.royalties import ETH
from tutti.usage import parse_report, report_bytes


def load_plays(path: Path) -> list[dict]:
    """Plays from a CSV file with a ``listener,work,count`` header, or a JSON list of such objects
    (or a whole report, whose ``plays`` are taken)."""
    text = path.read_text()
    if path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
        if rows and set(rows[0]) != {"listener", "work", "count"}:
            raise click.UsageError(f"{path} needs the columns listener,work,count, not {','.join(rows[0])}")
        return [{"listener": row["listener"], "work": _integer(row["work"], path), "count": _integer(row["count"], path)}
                for row in rows]
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.UsageError(f"{path} is neither CSV (by its name) nor JSON: {exc.msg}") from None
    return document["plays"] if isinstance(document, dict) and "plays" in document else document


def _integer(text: str | None, path: Path) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):  # TypeError: a row with fewer cells than the header
        raise click.UsageError(f"{path}: {text!r} is not a whole number") from None


@click.command(cls=ConnectedProviderCommand, short_help="Report an epoch's plays to the oracle network")
@account_option()
@click.option("--epoch", type=click.IntRange(min=0), required=True, help="The ended epoch the plays belong to.")
@click.option("--plays", "plays_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="CSV (listener,work,count) or JSON list of plays.")
@click.option("--fee", type=int, help="Oracle fee in wei (default: the hub's minimum for usage jobs).")
@click.option("--ipfs", "ipfs_url", envvar="TUTTI_IPFS_URL", help="Kubo RPC URL (default: the embedded store).")
def cli(account, epoch, plays_file, fee, ipfs_url):
    """Only the governance-appointed reporter's jobs can settle an epoch. Operators count each
    listener's plays of a work up to a cap, build the Merkle tree and attest its root; then anyone
    runs `settle_epoch`."""
    with user_errors():
        report = report_bytes(epoch, load_plays(plays_file))
        parse_report(report)  # refuse a malformed report here, before paying for a job
        tutti = Tutti.connect()
        cid, job = report_usage(tutti, open_configured_store(ipfs_url), account, epoch, report, fee)
        paid = tutti.hub.job(job.job_id).fee
        click.echo(f"Reported epoch {epoch}'s plays (ipfs://{cid}) as job {job.job_id}, "
                   f"{format_amount(paid, ETH)} escrowed: tx {job.tx_hash}")
        click.echo(f"Once a quorum has attested: ape run settle_epoch --epoch {epoch} --job {job.job_id}")
