"""``tutti-oracle``: run an operator's worker with one command."""

from __future__ import annotations

import signal
from pathlib import Path

from oracle.models.inference import pin_numeric_environment

# Before ape (or anything else) can load torch: MKL reads its reproducibility mode once at start-up.
pin_numeric_environment()

import click  # noqa: E402
from ape.cli import ConnectedProviderCommand, account_option  # noqa: E402

from tutti.chain import Tutti  # noqa: E402
from tutti.errors import TuttiError, explain  # noqa: E402
from tutti.logs import logging_options  # noqa: E402
from tutti.settings import get_settings, setting  # noqa: E402


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@logging_options()
def main() -> None:
    """Tutti oracle operator tools."""


def parse_min_fees(options: tuple[str, ...]) -> dict[str, int]:
    """``KIND=AMOUNT`` options as wei per kind; AMOUNT in ETH (``0.001``) or ``<n>wei``."""
    from decimal import Decimal, InvalidOperation

    floors = {}
    for option in options:
        kind, sep, amount = option.partition("=")
        if not sep or not kind.strip():
            raise click.BadParameter(f"expected KIND=AMOUNT (e.g. analyze=0.001), got {option!r}", param_hint="--min-fee")
        try:
            wei = int(amount[:-3]) if amount.endswith("wei") else Decimal(amount) * 10**18
        except (ValueError, InvalidOperation):
            raise click.BadParameter(f"{amount!r} is not an amount of ETH (0.001) or wei (5000wei)",
                                     param_hint="--min-fee") from None
        if wei < 0 or wei != int(wei):
            raise click.BadParameter(f"{amount!r} must be a whole, non-negative number of wei", param_hint="--min-fee")
        floors[kind.strip()] = int(wei)
    return floors


@main.command(cls=ConnectedProviderCommand)
@account_option()
@click.option("--kinds", default="analyze", show_default=True, help="Comma-separated job kinds to serve.")
@click.option("--ipfs", "ipfs_url",
              help="Kubo RPC URL shared with requesters (default: the embedded store in TUTTI_DATA_DIR).")
@click.option("--journal", type=click.Path(dir_okay=False, path_type=Path),
              help="SQLite journal (default: <data dir>/oracle/<operator>.sqlite).")
@click.option("--confirmations", type=int,
              help="Blocks a request must be buried under (default: 0 on local chains, which mine only on demand; 3 elsewhere).")
@click.option("--poll-interval", default=1.0, show_default=True, help="Seconds between chain polls.")
@click.option("--min-fee", "min_fees", multiple=True, metavar="KIND=AMOUNT",
              help="Skip jobs of KIND paying less than AMOUNT (ETH, e.g. analyze=0.001, or 5000wei); repeat per kind.")
@click.option("--once", is_flag=True, help="Handle what is pending, then exit.")
@click.option("--fault", type=click.Choice(["wrong-bytes"]), hidden=True,
              help="Fault injection for tests: attest to deliberately wrong results.")
@click.option("--kill-after", type=click.Choice(["computed", "signed", "submitting", "broadcast"]), hidden=True,
              help="Crash test: SIGKILL the worker right after this step.")
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=setting("oracle.metrics_port"),
              help="Serve Prometheus /metrics, /healthz and /readyz on this port (0: any free port) "
                   "[default: TUTTI_ORACLE_METRICS_PORT, else none].")
@click.option("--metrics-host", default=setting("oracle.metrics_host"),
              help="Address the metrics port binds [default: TUTTI_ORACLE_METRICS_HOST, else 127.0.0.1].")
@logging_options()
def run(network, account, kinds, ipfs_url, journal, confirmations, poll_interval, min_fees, once, fault, kill_after,
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
                              poll_interval=poll_interval, fault=fault, kill_after=kill_after,
                              min_fees=parse_min_fees(min_fees))
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


@main.group("keys")
def keys() -> None:
    """Gated content: this operator's key-release service."""


@keys.command("serve", cls=ConnectedProviderCommand)
@account_option()
@click.option("--port", type=int, default=8760, show_default=True, help="Port on 127.0.0.1.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--ipfs", "ipfs_url",
              help="Kubo RPC URL holding the manifests (default: the embedded store in TUTTI_DATA_DIR).")
@click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path),
              help="X25519 key-release key (default: <data dir>/oracle/<operator>.x25519; created if missing).")
@logging_options()
def keys_serve(network, account, port, host, ipfs_url, key_file):
    """Release this operator's share of a gated work's key to requesters the chain allows
    (licence or pass holders, owners, contributors), sealed to their ephemeral key."""
    import uvicorn
    from ape import chain

    from oracle.keys import build_service, create_app
    from tutti.ipfs_cli import open_configured_store

    try:
        tutti = Tutti.connect()
        path = key_file or get_settings().data_dir / "oracle" / f"{account.address}.x25519"
        service = build_service(tutti.book, chain.provider.uri, account, open_configured_store(ipfs_url), path)
    except TuttiError as exc:
        raise click.ClickException(explain(exc)) from None
    click.echo(f"key service for operator {account.address} on http://{host}:{port} (key {path})")
    uvicorn.run(create_app(service), host=host, port=port, log_level="warning")
