"""``tutti-oracle``: run an operator's worker with one command."""

from __future__ import annotations

import signal
from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.chain import Tutti
from tutti.errors import TuttiError, explain
from tutti.logs import logging_options
from tutti.settings import get_settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@logging_options()
def main() -> None:
    """Tutti oracle operator tools."""


@main.command(cls=ConnectedProviderCommand)
@account_option()
@click.option("--kinds", default="analyze", show_default=True, help="Comma-separated job kinds to serve.")
@click.option("--ipfs", "ipfs_url", envvar="TUTTI_IPFS_URL",
              help="Kubo RPC URL shared with requesters (default: the embedded store in TUTTI_DATA_DIR).")
@click.option("--journal", type=click.Path(dir_okay=False, path_type=Path),
              help="SQLite journal (default: <data dir>/oracle/<operator>.sqlite).")
@click.option("--confirmations", type=int,
              help="Blocks a request must be buried under (default: 0 on local chains, which mine only on demand; 3 elsewhere).")
@click.option("--poll-interval", default=1.0, show_default=True, help="Seconds between chain polls.")
@click.option("--once", is_flag=True, help="Handle what is pending, then exit.")
@click.option("--fault", type=click.Choice(["wrong-bytes"]), hidden=True,
              help="Fault injection for tests: attest to deliberately wrong results.")
@click.option("--kill-after", type=click.Choice(["computed", "signed", "submitting", "broadcast"]), hidden=True,
              help="Crash test: SIGKILL the worker right after this step.")
@click.option("--metrics-port", type=click.IntRange(0, 65535), envvar="TUTTI_ORACLE_METRICS_PORT",
              help="Serve Prometheus /metrics, /healthz and /readyz on this port (0: any free port).")
@click.option("--metrics-host", default="127.0.0.1", show_default=True, help="Address the metrics port binds.")
@logging_options()
def run(network, account, kinds, ipfs_url, journal, confirmations, poll_interval, once, fault, kill_after,
        metrics_port, metrics_host):
    """Follow OracleHub jobs, compute them, pin the results to IPFS and attest on chain.

    Stop it with Ctrl-C or SIGTERM; restarted, it resumes from its journal."""
    from oracle.journal import Journal
    from oracle.worker import Worker, WorkerConfig
    from tutti.ipfs_cli import open_configured_store

    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        tutti = Tutti.connect()
        config = WorkerConfig(kinds=tuple(k.strip() for k in kinds.split(",") if k.strip()),
                              confirmations=(0 if network.is_local else 3) if confirmations is None else confirmations,
                              poll_interval=poll_interval, fault=fault, kill_after=kill_after)
        path = journal or get_settings().data_dir / "oracle" / f"{account.address}-{tutti.book.chain_id}.sqlite"
        store = open_configured_store(ipfs_url)
        if metrics_port is None:
            worker = Worker(tutti.hub, account, store, Journal(path), config, start_block=tutti.book.start_block)
        else:
            from oracle.metrics import MeteredWorker, serve_worker_metrics

            worker = MeteredWorker(tutti.hub, account, store, Journal(path), config, start_block=tutti.book.start_block)
            server = serve_worker_metrics(worker, metrics_port, metrics_host)
            click.echo(f"metrics on http://{metrics_host}:{server.server_port}/metrics")
        if not tutti.hub.isOperator(account.address):
            click.echo(f"warning: {account.address} is not an operator of {tutti.hub.address} yet; "
                       "its attestations will be refused until governance adds it", err=True)
        click.echo(f"worker {account.address}: kinds {', '.join(config.kinds)}; journal {path}")
        worker.run(lambda: bool(stopping), once=once)
    except KeyboardInterrupt:
        pass
    except TuttiError as exc:
        raise click.ClickException(explain(exc)) from None
    click.echo("worker stopped")


@main.command("jobs")
@click.option("--journal", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
def jobs(journal: Path) -> None:
    """Show the jobs a worker's journal holds and the step each reached."""
    from oracle.journal import Journal

    for job in Journal(journal):
        click.echo(f"{job.job_id:>6} {job.kind:<10} {job.state:<11} {job.result_cid or '-'}  {job.note or ''}")
