"""``tutti ipfs``: add, read, pin and move content with the configured store (embedded by default,
a Kubo node when ``TUTTI_IPFS_URL`` or ``--ipfs`` names one)."""

from __future__ import annotations

from pathlib import Path

import click

from tutti.settings import get_settings, setting


def open_configured_store(url: str | None = None):
    """The store named by ``url``, else ``TUTTI_IPFS_URL``, else the embedded one in the data folder."""
    from tutti.ipfs import open_store

    settings = get_settings()
    chosen = url or settings.ipfs_url
    if chosen in (None, "", "embedded"):
        return open_store(f"file://{(settings.data_dir / 'ipfs').resolve()}")
    return open_store(chosen)


class _IpfsErrorsAsClick(click.Group):
    def invoke(self, ctx):
        from tutti.ipfs import IpfsError

        try:
            return super().invoke(ctx)
        except (IpfsError, ValueError, OSError) as exc:
            raise click.ClickException(str(exc)) from None


@click.group(name="ipfs", cls=_IpfsErrorsAsClick)
@click.option("--ipfs", "url", help="Kubo RPC URL [default: TUTTI_IPFS_URL, else the embedded store].")
@click.pass_context
def ipfs(ctx: click.Context, url: str | None) -> None:
    """Content-addressed storage for works, job inputs and results."""
    ctx.obj = open_configured_store(url)
    ctx.call_on_close(ctx.obj.close)


@ipfs.command("add")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--cid-version", type=click.Choice(["0", "1"]), default="0", show_default=True)
@click.pass_obj
def add(store, path: Path, cid_version: str) -> None:
    """Add a file or a directory (pinned); print its CID."""
    version = int(cid_version)
    cid = store.add_directory(path, cid_version=version) if path.is_dir() else store.add_file(path, cid_version=version)
    click.echo(cid)


@ipfs.command("cat")
@click.argument("cid_path")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
@click.pass_obj
def cat(store, cid_path: str, output: Path | None) -> None:
    """Print (or save) the file at CID or CID/path."""
    data = store.cat(cid_path)
    if output:
        output.write_bytes(data)
    else:
        click.get_binary_stream("stdout").write(data)


@ipfs.command("pin")
@click.argument("cid")
@click.pass_obj
def pin(store, cid: str) -> None:
    """Pin a DAG that is in the store."""
    store.pin(cid)
    click.echo(f"pinned {cid}")


@ipfs.command("unpin")
@click.argument("cid")
@click.pass_obj
def unpin(store, cid: str) -> None:
    """Remove a pin."""
    store.unpin(cid)
    click.echo(f"unpinned {cid}")


@ipfs.command("pins")
@click.pass_obj
def pins(store) -> None:
    """List pinned CIDs."""
    for cid in store.pins():
        click.echo(cid)


@ipfs.command("export-car")
@click.argument("cid")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def export_car(store, cid: str, output: Path) -> None:
    """Write a DAG as a CARv1 file."""
    size = store.export_car(cid, output)
    click.echo(f"wrote {size} bytes to {output}")


@ipfs.command("import-car")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def import_car(store, source: Path) -> None:
    """Store (and pin) every block of a CARv1 file; print its roots."""
    for root in store.import_car(source):
        click.echo(root)


@ipfs.command("serve")
@click.option("--host", default=setting("ipfs.host"), help="Address to listen on [TUTTI_IPFS_HOST, else 127.0.0.1].")
@click.option("--port", type=click.IntRange(0, 65535), default=setting("ipfs.port"),
              help="Port (0: a free one, printed) [TUTTI_IPFS_PORT, else 5001].")
@click.option("--cors-origin", "cors_origins", multiple=True, default=("*",), show_default=True,
              help="Origin allowed to call the RPC API from a browser (repeat for several).")
@click.pass_obj
def serve(store, host: str, port: int, cors_origins: tuple[str, ...]) -> None:
    """Serve the embedded store over HTTP: Kubo RPC add/cat/pin/dag, a read-only /ipfs/ gateway,
    and Prometheus /metrics with /healthz and /readyz."""
    import uvicorn

    from tutti.ipfs.embedded import EmbeddedStore
    from tutti.ipfs.http_face import create_app
    from tutti.metrics import IpfsServiceMetrics
    from tutti.net import free_port

    if not isinstance(store, EmbeddedStore):
        raise click.ClickException("serve shares the embedded store; with a Kubo node, use Kubo's own API and gateway")
    port = port or free_port()
    click.echo(f"IPFS RPC on http://{host}:{port}/api/v0, gateway on http://{host}:{port}/ipfs/, "
               f"metrics on http://{host}:{port}/metrics (store {store.directory})")
    app = create_app(store, cors_origins=cors_origins, metrics=IpfsServiceMetrics())
    uvicorn.run(app, host=host, port=port, log_level="warning")
