"""Ask the oracle network for a job (analyze, render, ...), wait for the quorum and fetch the result."""

import json
from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.chain import Tutti
from tutti.ipfs_cli import open_configured_store
from tutti.jobs import request_job, wait_for_result
from tutti.script_support import format_amount, user_errors
from tutti.royalties import ETH


@click.command(cls=ConnectedProviderCommand, short_help="Request an oracle job and fetch its result")
@account_option()
@click.option("--kind", default="analyze", show_default=True, help="Job kind.")
@click.option("--input", "input_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Input file (e.g. a MIDI file); added to IPFS first.")
@click.option("--input-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Input directory (e.g. scene.json and its stems for render); added to IPFS first.")
@click.option("--input-cid", help="Input (file or directory) already on IPFS.")
@click.option("--input-work", "input_work_id", type=int, default=0, help="The registered work the input is.")
@click.option("--params", default="{}", show_default=True, help="Job parameters as a JSON object.")
@click.option("--fee", type=int, help="Fee in wei (default: the hub's minimum for the kind).")
@click.option("--ipfs", "ipfs_url", envvar="TUTTI_IPFS_URL", help="Kubo RPC URL (default: the embedded store).")
@click.option("--wait/--no-wait", default=True, show_default=True, help="Wait for the result.")
@click.option("--timeout", default=120.0, show_default=True, help="Seconds to wait for a quorum.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), help="Save the result files here.")
def cli(account, kind, input_file, input_dir, input_cid, input_work_id, params, fee, ipfs_url, wait, timeout,
        out_dir):
    """Escrow a fee for a job; operators compute it, a quorum attests, you get the checked result."""
    with user_errors():
        if sum(map(bool, (input_file, input_dir, input_cid))) != 1:
            raise click.UsageError("give exactly one of --input FILE, --input-dir DIR or --input-cid CID")
        try:
            parameters = json.loads(params)
        except json.JSONDecodeError as exc:
            raise click.UsageError(f"--params is not JSON: {exc.msg}") from None
        if not isinstance(parameters, dict):
            raise click.UsageError("--params must be a JSON object")
        tutti = Tutti.connect()
        store = open_configured_store(ipfs_url)
        if input_dir:
            cid = store.add_directory(input_dir, cid_version=1)
        else:
            cid = input_cid or store.add_file(input_file, cid_version=1)
        job = request_job(tutti, account, kind, cid, parameters, fee, input_work_id)
        paid = tutti.hub.job(job.job_id).fee
        click.echo(f"Job {job.job_id} ({kind}) on {cid}: {format_amount(paid, ETH)} escrowed; tx {job.tx_hash}")
        if not wait:
            return
        result = wait_for_result(tutti, store, job.job_id, timeout)
    click.echo(f"Fulfilled by {len(result.operators)} operators: {result.result_cid}")
    if result.dissenters:
        click.echo(f"  dissent on chain from {', '.join(result.dissenters)}")
    for name, data in sorted(result.files.items()):
        if out_dir:
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / name).write_bytes(data)
        elif name == "analysis.json":
            click.echo(summarize_analysis(json.loads(data)))
        elif name != "metadata.json":
            click.echo(f"--- {name}\n{describe(data)}")
    if out_dir:
        click.echo(f"Saved {len(result.files)} files to {out_dir}")


def describe(data: bytes) -> str:
    """A text file as it is; binary output (audio) as its size, to be saved with --out."""
    try:
        return data.decode()
    except UnicodeDecodeError:
        return f"({len(data)} bytes of binary data; save it with --out DIR)"


def summarize_analysis(analysis: dict) -> str:
    chords = " ".join(chord["symbol"] for chord in analysis["chords"])
    return (f"  key {analysis['key']['name']} (confidence {analysis['key']['confidence']}), "
            f"{analysis['meter']}, {analysis['tempo_bpm']} bpm\n  chords: {chords}")
