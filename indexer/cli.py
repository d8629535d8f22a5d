"""``tutti-indexer``: ``run`` follows the chain into the database, ``serve`` answers HTTP."""

from __future__ import annotations

import logging
import signal
from pathlib import Path

import click

from indexer.config import IndexerSettings
from tutti.logs import logging_options


def _settings(**overrides) -> IndexerSettings:
    return IndexerSettings(**{k: v for k, v in overrides.items() if v is not None})


@click.group(help=__doc__)
@logging_options(base=logging.WARNING)  # -v logs every batch
def main() -> None:
    pass


@main.command(help="Follow the deployment's contracts from its start block; resumes where it stopped.")
@click.option("--rpc-url", help="JSON-RPC URL of the node [env TUTTI_INDEXER_RPC_URL; http://127.0.0.1:8545].")
@click.option("--network", "network_choice", metavar="ECOSYSTEM:NETWORK",
              help="Whose address book to read, as ape names networks (ethereum:local, ethereum:sepolia; "
                   "a :provider suffix is ignored) [ethereum:local].")
@click.option("--deployments-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Address book folder [env TUTTI_DEPLOYMENTS_DIR; ./deployments].")
@click.option("--database-url", help="sqlite:///path or postgresql+psycopg://user@host/db "
                                     "[env TUTTI_INDEXER_DATABASE_URL; .tutti/indexer.sqlite3].")
@click.option("--confirmations", type=click.IntRange(0, 10_000), help="Stay this many blocks behind the head [0].")
@click.option("--max-batch-blocks", type=click.IntRange(1), help="Largest eth_getLogs range [2000].")
@click.option("--poll-interval", type=click.FloatRange(min=0.01), help="Seconds between polls at the head [1].")
@click.option("--until-head", is_flag=True, help="Exit once caught up instead of following.")
@click.option("--metadata/--no-metadata", default=True, show_default=True,
              help="Also read each work's metadata JSON from IPFS (title, artist, AI-made) in a background thread.")
@click.option("--ipfs-url", help="Where metadata is read: a Kubo RPC URL, file://DIR or embedded "
                                 "[env TUTTI_IPFS_URL; the embedded store in the data folder].")
@click.option("--throttle", type=float, default=0.0, hidden=True, help="Sleep per event (crash tests only).")
def run(rpc_url, network_choice, deployments_dir, database_url, confirmations, max_batch_blocks, poll_interval,
        until_head, metadata, ipfs_url, throttle) -> None:
    from indexer.db import make_engine, migrate
    from indexer.ingest import Indexer, IndexUnhealthy, ReorgTooDeep
    from tutti.addressbook import AddressBook
    from tutti.settings import get_settings

    ecosystem = network = None
    if network_choice:
        parts = network_choice.split(":")
        if len(parts) < 2:
            raise click.BadParameter("expected ECOSYSTEM:NETWORK, e.g. ethereum:local", param_hint="--network")
        ecosystem, network = parts[0], parts[1]
    settings = _settings(rpc_url=rpc_url, database_url=database_url, confirmations=confirmations,
                         max_batch_blocks=max_batch_blocks, poll_interval=poll_interval,
                         ecosystem=ecosystem, network=network)
    book = AddressBook.load(deployments_dir or get_settings().deployments_dir, settings.ecosystem, settings.network)
    engine = make_engine(settings.database_url, pool_size=3)
    migrate(engine)
    indexer = Indexer(settings.rpc_url, engine, book, settings, throttle=throttle)
    fetcher = _metadata_fetcher(engine, ipfs_url) if metadata else None
    signal.signal(signal.SIGTERM, lambda *_: indexer.stop_event.set())
    try:
        if fetcher and not until_head:
            fetcher.start()
        indexer.run(until_head=until_head)
        if fetcher and until_head:  # a one-shot run reads the metadata of what it indexed, then exits
            while fetcher.run_once():
                pass
    except KeyboardInterrupt:
        pass
    except (IndexUnhealthy, ReorgTooDeep) as exc:
        raise click.ClickException(f"index unhealthy: {exc}") from None
    finally:
        if fetcher:
            fetcher.stop_event.set()
        engine.dispose()


def _metadata_fetcher(engine, ipfs_url: str | None):
    from indexer.metadata import MetadataFetcher
    from tutti.ipfs_cli import open_configured_store

    return MetadataFetcher(engine, open_configured_store(ipfs_url))


@main.command(help="Only read works' metadata from IPFS into the index (when `run --no-metadata` writes it).")
@click.option("--database-url", help="As for `run` [env TUTTI_INDEXER_DATABASE_URL].")
@click.option("--ipfs-url", help="As for `run`.")
@click.option("--once", is_flag=True, help="Read what is pending, then exit.")
def metadata(database_url, ipfs_url, once) -> None:
    from indexer.db import make_engine, migrate

    engine = make_engine(_settings(database_url=database_url).database_url, pool_size=2)
    migrate(engine)
    fetcher = _metadata_fetcher(engine, ipfs_url)
    signal.signal(signal.SIGTERM, lambda *_: fetcher.stop_event.set())
    try:
        if once:
            while fetcher.run_once():
                pass
        else:
            fetcher.follow()
    except KeyboardInterrupt:
        pass
    finally:
        engine.dispose()


@main.command(help="Forget everything indexed from blocks (the room directory stays), so that the next `run` "
                   "reads the chain again from the deployment's start block. The cure for an index marked "
                   "unhealthy by a reorg deeper than its undo history.")
@click.option("--database-url", help="As for `run` [env TUTTI_INDEXER_DATABASE_URL].")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def reindex(database_url, yes) -> None:
    from indexer.db import make_engine, migrate
    from indexer.ingest import read_checkpoint, reindex as forget_chain

    settings = _settings(database_url=database_url)
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        migrate(engine)
        checkpoint = read_checkpoint(engine)
        if not yes:
            click.confirm(f"forget the index up to block {checkpoint.block_number if checkpoint else '-'} "
                          f"and read the chain again?", abort=True)
        forget_chain(engine)
    finally:
        engine.dispose()
    click.echo("index emptied: start `tutti-indexer run` to read the chain again from the deployment's start block")


@main.command(help="Serve the HTTP API (OpenAPI docs at /docs).")
@click.option("--database-url", help="As for `run` [env TUTTI_INDEXER_DATABASE_URL].")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, type=click.IntRange(1, 65535), show_default=True)
@click.option("--workers", default=1, type=click.IntRange(1, 64), show_default=True, help="Worker processes.")
def serve(database_url, host, port, workers) -> None:
    import os

    import uvicorn

    from indexer.db import make_engine, migrate

    settings = _settings(database_url=database_url)
    engine = make_engine(settings.database_url, pool_size=1)
    migrate(engine)  # an empty index serves empty lists rather than errors
    engine.dispose()
    os.environ["TUTTI_INDEXER_DATABASE_URL"] = settings.database_url
    # uvicorn's supervisor pings each worker and kills one that does not answer within
    # timeout_worker_healthcheck (5 s by default), also while a restarted worker is starting. On a
    # loaded machine a worker busy with thousands of connections, or importing the app, answered
    # late: it was killed with all its connections, and its replacement killed before it could
    # start, again and again (wrk at 5,000 connections completed no request). A minute is a hung
    # worker; anything less is load.
    uvicorn.run("indexer.api.app:app", host=host, port=port, workers=workers, log_level="warning",
                backlog=8192, timeout_keep_alive=30, timeout_graceful_shutdown=5, timeout_worker_healthcheck=60)


if __name__ == "__main__":
    main()
