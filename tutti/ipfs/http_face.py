"""An HTTP face for the embedded store: a subset of Kubo's RPC API and a read-only gateway.

So the browser app, and any tool that speaks Kubo's RPC (``ipfs --api``, ``KuboStore``, js
clients), can use the embedded store without a Go node:

* RPC (POST only, as in Kubo): ``/api/v0/add``, ``cat``, ``ls``, ``block/stat``, ``pin/add``, ``pin/rm``,
  ``pin/ls``, ``dag/export``, ``dag/import``, ``version``. Errors answer Kubo's JSON shape
  ``{"Message", "Code", "Type"}`` with a 4xx status naming the reason (404 unknown CID, 400 bad
  argument), where Kubo answers 500 for everything.
* Gateway (GET/HEAD): ``/ipfs/<cid>[/path]`` with byte ranges (a player seeks in a large file
  without fetching what lies before), a directory's ``index.html`` (so a site added as a
  directory, such as the web app, works with relative links), or a plain listing.

CIDs come out exactly as :class:`~tutti.ipfs.embedded.EmbeddedStore` and Kubo print them, so a
file added here has the CID Kubo would give it (same chunker, same DAG layout).
"""

from __future__ import annotations

import html
import json
import mimetypes
import tempfile
from collections.abc import Iterator
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route

from .cid import RAW, Cid, split_cid_path
from .dagpb import UnixFSType, decode_pbnode, decode_unixfs
from .embedded import EmbeddedStore
from .errors import CidNotFound, InvalidCid, IpfsError, NotAFile, NotPinned
from .unixfs import CHUNK_SIZE, ImportedNode, ImportOptions, import_directory, import_file, iter_chunks, resolve_path

#: Largest upload accepted by ``add`` and ``dag/import`` in one request, and most parts in it.
MAX_FILES = 10_000
_STREAM_PIECE = 64 * 1024


# --------------------------------------------------------------------------------------------
# errors in Kubo's shape
# --------------------------------------------------------------------------------------------
class BadArgument(IpfsError):
    """An RPC argument this face does not accept (and why)."""


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"Message": message, "Code": 0, "Type": "error"}, status_code=status)


def _status_of(exc: IpfsError) -> int:
    if isinstance(exc, CidNotFound):
        return 404
    if isinstance(exc, (InvalidCid, BadArgument, NotAFile, NotPinned)):
        return 400
    return 500


def _rpc(handler):
    """Run an RPC handler, mapping store errors to Kubo-shaped answers with a 4xx status."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except CidNotFound as exc:
            # Kubo's wording ("not found"), which Kubo clients (KuboStore too) map to not-found.
            return _error(404, f"block not found: {exc}")
        except IpfsError as exc:
            return _error(_status_of(exc), str(exc))

    return endpoint


def _argument(request: Request) -> str:
    arg = request.query_params.get("arg")
    if not arg:
        raise BadArgument("argument \"arg\" is required")
    return arg


def _flag(request: Request, name: str, default: bool) -> bool:
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise BadArgument(f"{name}={value!r} is not a boolean")


def _ndjson(objects: list[dict]) -> Response:
    body = "".join(json.dumps(item) + "\n" for item in objects)
    return Response(body, media_type="application/json")


# --------------------------------------------------------------------------------------------
# UnixFS reading with ranges
# --------------------------------------------------------------------------------------------
def file_size(store: EmbeddedStore, cid: Cid) -> int:
    """Size in bytes of the UnixFS file at ``cid`` (NotAFile for a directory)."""
    block = store.get_block(cid)
    if cid.codec == RAW:
        return len(block)
    unixfs = decode_unixfs(decode_pbnode(block).data or b"")
    if unixfs.type not in (UnixFSType.FILE, UnixFSType.RAW):
        raise NotAFile(f"{cid} is a UnixFS {unixfs.type.name.lower()}, not a file")
    if unixfs.filesize is not None:
        return unixfs.filesize
    return len(unixfs.data or b"") + sum(unixfs.blocksizes)


def read_range(store: EmbeddedStore, cid: Cid, start: int, stop: int) -> Iterator[bytes]:
    """Yield bytes ``[start, stop)`` of a UnixFS file, skipping (not reading) subtrees outside
    the range by their ``blocksizes``: seeking to the end of a 1 GB file reads a few blocks."""
    if start >= stop:
        return
    block = store.get_block(cid)
    if cid.codec == RAW:
        yield block[start:stop]
        return
    node = decode_pbnode(block)
    unixfs = decode_unixfs(node.data or b"")
    if unixfs.type not in (UnixFSType.FILE, UnixFSType.RAW):
        raise NotAFile(f"{cid} is a UnixFS {unixfs.type.name.lower()}, not a file")
    offset = 0
    inline = unixfs.data or b""
    if inline:
        if start < len(inline):
            yield inline[start:stop]
        offset = len(inline)
    for link, size in zip(node.links, unixfs.blocksizes, strict=False):
        child_start, child_stop = offset, offset + size
        offset = child_stop
        if child_stop <= start:
            continue
        if child_start >= stop:
            break
        yield from read_range(store, link.cid, max(start - child_start, 0), min(stop, child_stop) - child_start)


def _is_directory(store: EmbeddedStore, cid: Cid) -> bool:
    if cid.codec == RAW:
        return False
    unixfs = decode_unixfs(decode_pbnode(store.get_block(cid)).data or b"")
    return unixfs.type in (UnixFSType.DIRECTORY, UnixFSType.HAMT_SHARD)


def _directory_links(store: EmbeddedStore, cid: Cid) -> list[tuple[str, Cid]]:
    return [(link.name, link.cid) for link in decode_pbnode(store.get_block(cid)).links]


# --------------------------------------------------------------------------------------------
# add
# --------------------------------------------------------------------------------------------
def _add_options(request: Request) -> ImportOptions:
    version_text = request.query_params.get("cid-version", "0")
    if version_text not in ("0", "1"):
        raise BadArgument(f"cid-version={version_text!r}: only 0 and 1 are supported")
    options = ImportOptions(int(version_text))
    raw_leaves = request.query_params.get("raw-leaves")
    if raw_leaves not in (None, "") and _flag(request, "raw-leaves", options.raw_leaves) != options.raw_leaves:
        raise BadArgument("raw-leaves must follow cid-version here (false for 0, true for 1)")
    chunker = request.query_params.get("chunker")
    if chunker not in (None, "", f"size-{CHUNK_SIZE}"):
        raise BadArgument(f"chunker={chunker!r}: only size-{CHUNK_SIZE} (Kubo's default) is supported")
    if request.query_params.get("hash") not in (None, "", "sha2-256"):
        raise BadArgument("only hash=sha2-256 is supported")
    return options


def _part_path(upload: UploadFile) -> list[str]:
    # Kubo's clients URL-escape the relative path into the filename (``/`` as ``%2F``).
    name = unquote(upload.filename or "")
    parts = [part for part in name.split("/") if part]
    if any(part in (".", "..") for part in parts):
        raise BadArgument(f"file name {name!r} may not contain . or .. segments")
    return parts


def _import_upload(store: EmbeddedStore, uploads: list[UploadFile], options: ImportOptions,
                   wrap: bool) -> tuple[list[dict], list[ImportedNode]]:
    """Import every part; return Kubo's per-entry answers (files first, then directories up to
    the root, as Kubo prints them)."""
    tree: dict = {}
    answers: list[dict] = []
    for upload in uploads:
        parts = _part_path(upload) or ["data"]
        parent = tree
        for part in parts[:-1]:
            parent = parent.setdefault(part, {})
        if upload.content_type == "application/x-directory":
            parent.setdefault(parts[-1], {})
            continue
        upload.file.seek(0)
        node = import_file(iter_chunks(upload.file, options.chunk_size), store.put_block, options)
        parent[parts[-1]] = node
        answers.append({"Name": "/".join(parts), "Hash": str(node.cid), "Size": str(node.filesize)})

    def build(subtree: dict, prefix: str) -> ImportedNode:
        children = {}
        for name, value in subtree.items():
            children[name] = build(value, f"{prefix}{name}/") if isinstance(value, dict) else value
        node = import_directory(children, store.put_block, options)
        answers.append({"Name": prefix.rstrip("/"), "Hash": str(node.cid), "Size": str(node.filesize)})
        return node

    roots: list[ImportedNode] = []
    if wrap:
        roots.append(build(tree, ""))
    else:
        for name, value in tree.items():
            roots.append(build(value, f"{name}/") if isinstance(value, dict) else value)
    return answers, roots


# --------------------------------------------------------------------------------------------
# the application
# --------------------------------------------------------------------------------------------
def _metered(op: str, endpoint, metrics):
    """``endpoint`` counted in ``metrics`` (tutti.metrics.IpfsServiceMetrics): time, outcome (an
    answer of 400 or more is an error), bytes received and bytes answered (from the headers, as
    bodies stream)."""
    import time

    async def counted(request: Request) -> Response:
        started = time.perf_counter()
        try:
            response = await endpoint(request)
        except Exception:
            metrics.requests.labels(op, "error").inc()
            raise
        finally:
            metrics.seconds.labels(op).observe(time.perf_counter() - started)
        metrics.requests.labels(op, "error" if response.status_code >= 400 else "ok").inc()
        if op in ("add", "dag/import"):
            metrics.bytes_in.inc(int(request.headers.get("content-length") or 0))
        if op in ("cat", "gateway", "dag/export") and response.status_code < 400:
            sent = response.headers.get("content-length") or response.headers.get("x-content-length")
            metrics.bytes_out.inc(int(sent or 0))
        return response

    return counted


def _store_problem(store: EmbeddedStore) -> str | None:
    """None when the store's folder can be read and written, else why not."""
    import os

    directory = store.directory
    return None if os.access(directory, os.R_OK | os.W_OK | os.X_OK) else f"store {directory} not writable"


def create_app(store: EmbeddedStore, *, cors_origins: tuple[str, ...] = ("*",), metrics=None) -> Starlette:
    """The HTTP face over ``store``. ``cors_origins``: the origins allowed to call the RPC API
    from a browser (Kubo's ``API.HTTPHeaders.Access-Control-Allow-Origin``); the gateway is
    readable from any origin. With ``metrics`` (a :class:`tutti.metrics.IpfsServiceMetrics`),
    every request is counted (bytes out: content served by cat, dag/export and the gateway) and
    ``/metrics``, ``/healthz`` and ``/readyz`` answer."""

    async def add(request: Request) -> Response:
        options = _add_options(request)
        pin = _flag(request, "pin", True)
        wrap = _flag(request, "wrap-with-directory", False)
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise BadArgument("add expects a multipart/form-data body with one part per file")
        async with request.form(max_files=MAX_FILES, max_fields=MAX_FILES) as form:
            uploads = [value for _key, value in form.multi_items() if isinstance(value, UploadFile)]
            if not uploads:
                raise BadArgument("no file part in the request")
            answers, roots = await run_in_threadpool(_import_upload, store, uploads, options, wrap)
        if pin:
            for root in roots:
                await run_in_threadpool(store.pin, str(root.cid))
        return _ndjson(answers)

    async def cat(request: Request) -> Response:
        root, segments = split_cid_path(_argument(request))
        target = await run_in_threadpool(resolve_path, root, segments, store.get_block)
        size = await run_in_threadpool(file_size, store, target)
        offset = int(request.query_params.get("offset") or 0)
        length = request.query_params.get("length")
        stop = size if length in (None, "") else min(size, offset + int(length))
        pieces = read_range(store, target, offset, stop)
        return StreamingResponse(iterate_in_threadpool(pieces), media_type="text/plain",
                                 headers={"X-Content-Length": str(max(stop - offset, 0))})

    async def ls(request: Request) -> Response:
        root, segments = split_cid_path(_argument(request))
        target = await run_in_threadpool(resolve_path, root, segments, store.get_block)
        if not await run_in_threadpool(_is_directory, store, target):
            raise NotAFile(f"{target} is a file, not a directory")
        links = []
        for name, cid in await run_in_threadpool(_directory_links, store, target):
            is_dir = await run_in_threadpool(_is_directory, store, cid)
            size = 0 if is_dir else await run_in_threadpool(file_size, store, cid)
            links.append({"Name": name, "Hash": str(cid), "Size": size, "Type": 1 if is_dir else 2, "Target": ""})
        return JSONResponse({"Objects": [{"Hash": str(target), "Links": links}]})

    async def block_stat(request: Request) -> Response:
        cid = Cid.parse(_argument(request))
        block = await run_in_threadpool(store.get_block, cid)
        return JSONResponse({"Key": str(cid), "Size": len(block)})

    async def pin_add(request: Request) -> Response:
        cid = _argument(request)
        await run_in_threadpool(store.pin, cid)
        return JSONResponse({"Pins": [str(Cid.parse(cid))]})

    async def pin_rm(request: Request) -> Response:
        cid = _argument(request)
        await run_in_threadpool(store.unpin, cid)
        return JSONResponse({"Pins": [str(Cid.parse(cid))]})

    async def pin_ls(request: Request) -> Response:
        kind = request.query_params.get("type", "recursive")
        if kind not in ("recursive", "all"):
            raise BadArgument(f"type={kind!r}: this store keeps recursive pins only")
        return JSONResponse({"Keys": {cid: {"Type": "recursive"} for cid in store.pins()}})

    async def dag_export(request: Request) -> Response:
        cid = _argument(request)
        spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
        await run_in_threadpool(store.export_car, cid, spool)
        spool.seek(0)

        def pieces() -> Iterator[bytes]:
            with spool:
                while piece := spool.read(_STREAM_PIECE):
                    yield piece

        return StreamingResponse(iterate_in_threadpool(pieces()), media_type="application/vnd.ipld.car")

    async def dag_import(request: Request) -> Response:
        pin = _flag(request, "pin-roots", True)
        async with request.form(max_files=MAX_FILES, max_fields=MAX_FILES) as form:
            uploads = [value for _key, value in form.multi_items() if isinstance(value, UploadFile)]
            if not uploads:
                raise BadArgument("no CAR part in the request")
            roots: list[str] = []
            for upload in uploads:
                upload.file.seek(0)
                roots += await run_in_threadpool(store.import_car, upload.file, pin=pin)
        return _ndjson([{"Root": {"Cid": {"/": root}, "PinErrorMsg": ""}} for root in roots])

    async def version(_request: Request) -> Response:
        return JSONResponse({"Version": "0.1.0", "System": "tutti-embedded", "Commit": "", "Repo": "embedded"})

    async def gateway(request: Request) -> Response:
        path = request.path_params["path"]
        try:
            root, segments = split_cid_path(path)
            target = await run_in_threadpool(resolve_path, root, segments, store.get_block)
            if await run_in_threadpool(_is_directory, store, target):
                return await _directory_response(request, target, path)
            return await _file_response(request, target, segments[-1] if segments else "")
        except CidNotFound as exc:
            return Response(f"not found: {exc}\n", status_code=404, media_type="text/plain")
        except IpfsError as exc:
            return Response(f"{exc}\n", status_code=_status_of(exc), media_type="text/plain")

    async def _directory_response(request: Request, target: Cid, path: str) -> Response:
        if not request.url.path.endswith("/"):
            # Relative links inside the directory (an app's ./assets/...) need the trailing slash.
            return RedirectResponse(request.url.path + "/", status_code=301)
        links = await run_in_threadpool(_directory_links, store, target)
        for name, cid in links:
            if name == "index.html":
                return await _file_response(request, cid, name)
        items = "".join(f'<li><a href="./{html.escape(name)}">{html.escape(name)}</a></li>' for name, _ in links)
        title = html.escape("/ipfs/" + path.strip("/"))
        body = f'<!doctype html><html lang="en"><meta charset="utf-8"><title>{title}</title><h1>{title}</h1><ul>{items}</ul></html>'
        return Response(body, media_type="text/html", headers={"Etag": f'"{target}"'})

    async def _file_response(request: Request, target: Cid, name: str) -> Response:
        size = await run_in_threadpool(file_size, store, target)
        kind = mimetypes.guess_type(name)[0] if name else None
        if kind is None:
            kind = await run_in_threadpool(_sniff, store, target, size)
        headers = {"Accept-Ranges": "bytes", "Etag": f'"{target}"',
                   "Cache-Control": "public, max-age=29030400, immutable"}
        start, stop, status = 0, size, 200
        range_header = request.headers.get("range")
        if range_header:
            parsed = _parse_range(range_header, size)
            if parsed is None:
                return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
            start, stop = parsed
            status = 206
            headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
        headers["Content-Length"] = str(stop - start)
        if request.method == "HEAD":
            return Response(status_code=status, headers=headers, media_type=kind)
        return StreamingResponse(iterate_in_threadpool(read_range(store, target, start, stop)),
                                 status_code=status, headers=headers, media_type=kind)

    async def rpc_get(_request: Request) -> Response:
        return _error(405, "the RPC API answers POST only (as Kubo does)")

    rpc = {
        "add": add, "cat": cat, "ls": ls, "block/stat": block_stat, "pin/add": pin_add, "pin/rm": pin_rm,
        "pin/ls": pin_ls, "dag/export": dag_export, "dag/import": dag_import, "version": version,
    }
    endpoints = {name: _rpc(handler) for name, handler in rpc.items()}
    if metrics is not None:
        endpoints = {name: _metered(name, endpoint, metrics) for name, endpoint in endpoints.items()}
        gateway = _metered("gateway", gateway, metrics)
    routes: list = [Route(f"/api/v0/{name}", endpoint, methods=["POST"]) for name, endpoint in endpoints.items()]
    routes += [Route(f"/api/v0/{name}", rpc_get, methods=["GET"]) for name in rpc]
    routes.append(Route("/ipfs/{path:path}", gateway, methods=["GET", "HEAD"]))
    if metrics is not None:
        from tutti.metrics import asgi_probes

        metrics.store_up.set_function(lambda: 0 if _store_problem(store) else 1)  # checked at each scrape
        # After the API's own routes: /metrics, /healthz, /readyz (and a JSON 404 for the rest).
        routes.append(Mount("/", app=asgi_probes(metrics.registry,
                                                 lambda: [r for r in [_store_problem(store)] if r])))
    middleware = [Middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET", "HEAD", "POST"],
                             allow_headers=["*"], expose_headers=["Content-Range", "X-Content-Length", "Etag"])]
    return Starlette(routes=routes, middleware=middleware)


def _sniff(store: EmbeddedStore, target: Cid, size: int) -> str:
    """A content type from a file's first bytes (files added without a name, as most are)."""
    head = b"".join(read_range(store, target, 0, min(size, 512)))
    for magic, kind in ((b"RIFF", "audio/wav"), (b"MThd", "audio/midi"), (b"OggS", "audio/ogg"),
                        (b"fLaC", "audio/flac"), (b"ID3", "audio/mpeg"), (b"\x89PNG", "image/png"),
                        (b"\xff\xd8\xff", "image/jpeg"), (b"<svg", "image/svg+xml")):
        if head.startswith(magic):
            return kind
    stripped = head.lstrip()
    if stripped[:1] in (b"{", b"["):
        return "application/json"
    try:
        head.decode("utf-8")
        return "text/plain; charset=utf-8"
    except UnicodeDecodeError:
        return "application/octet-stream"


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """``bytes=a-b`` / ``bytes=a-`` / ``bytes=-n`` -> ``(start, stop)``; None if unsatisfiable.
    Only one range (what players ask for); a multi-range request gets its first range."""
    unit, _, spec = header.partition("=")
    if unit.strip() != "bytes" or not spec:
        return None
    first = spec.split(",")[0].strip()
    low, _, high = first.partition("-")
    try:
        if low == "":
            length = int(high)
            return (max(size - length, 0), size) if length > 0 and size > 0 else None
        start = int(low)
        stop = min(int(high) + 1, size) if high else size
    except ValueError:
        return None
    return (start, stop) if start < size and start < stop else None
