"""Prometheus metrics and health probes shared by Tutti's services.

Every long-running service answers three paths, on its own HTTP port or on a small one beside it
(``--metrics-port`` for services that have no HTTP side, such as the oracle worker):

* ``/metrics``  Prometheus text format
* ``/healthz``  liveness: 200 while the process serves requests
* ``/readyz``   readiness: 200 when connected to its chain, database and IPFS and caught up within
  its bound, else 503 with the reasons (``{"ready": false, "reasons": [...]}``)

:func:`serve_metrics` starts that server in a background thread for a registry and a readiness
check. :func:`asgi_probes` gives the same three paths to an ASGI app (FastAPI/Starlette: mount it),
and :class:`IpfsServiceMetrics` is the metric set for an IPFS gateway service.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

logger = logging.getLogger(__name__)

#: A readiness check returns the reasons the service is not ready (an empty list: ready).
ReadinessCheck = Callable[[], list[str]]


@dataclass
class Readiness:
    """Readiness from named checks; each returns None when fine, or the reason it is not."""

    checks: dict[str, Callable[[], str | None]] = field(default_factory=dict)

    def add(self, name: str, check: Callable[[], str | None]) -> None:
        self.checks[name] = check

    def __call__(self) -> list[str]:
        reasons = []
        for name, check in self.checks.items():
            try:
                reason = check()
            except Exception as exc:  # noqa: BLE001 - a failing check means "not ready", never a crash
                reason = f"{type(exc).__name__}: {exc}"
            if reason:
                reasons.append(f"{name}: {reason}")
        return reasons


def probe_response(path: str, registry: CollectorRegistry, ready: ReadinessCheck) -> tuple[int, str, bytes]:
    """(status, content type, body) for /metrics, /healthz or /readyz; 404 for anything else."""
    if path == "/metrics":
        return 200, CONTENT_TYPE_LATEST, generate_latest(registry)
    if path == "/healthz":
        return 200, "application/json", b'{"ok": true}'
    if path == "/readyz":
        reasons = ready()
        body = json.dumps({"ready": not reasons, "reasons": reasons}).encode()
        return (503 if reasons else 200), "application/json", body
    return 404, "application/json", json.dumps({"error": f"no such path {path!r}: try /metrics"}).encode()


class _ProbeServer(ThreadingHTTPServer):
    daemon_threads = True
    registry: CollectorRegistry
    ready: ReadinessCheck


class _ProbeHandler(BaseHTTPRequestHandler):
    server: _ProbeServer

    def do_GET(self) -> None:
        status, content_type, body = probe_response(self.path.split("?", 1)[0], self.server.registry,
                                                    self.server.ready)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # one line per scrape would drown the logs
        logger.debug("probe %s", format % args)


def serve_metrics(port: int, registry: CollectorRegistry, ready: ReadinessCheck = lambda: [],
                  host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Serve /metrics, /healthz and /readyz on ``host:port`` from a daemon thread; returns the server
    (``server.shutdown()`` stops it). Port 0 picks a free port: read ``server.server_port``."""
    server = _ProbeServer((host, port), _ProbeHandler)
    server.registry, server.ready = registry, ready
    threading.Thread(target=server.serve_forever, name=f"metrics:{server.server_port}", daemon=True).start()
    logger.info("metrics on http://%s:%d/metrics", host, server.server_port)
    return server


def asgi_probes(registry: CollectorRegistry,
                ready: Callable[[], Awaitable[list[str]]] | ReadinessCheck = lambda: []) -> Callable:
    """An ASGI app answering /metrics, /healthz and /readyz, for ``app.mount("/", ...)`` after the
    service's own routes, or to call from a middleware. ``ready`` may be sync or async."""
    import inspect

    async def app(scope: dict, receive: Callable, send: Callable) -> None:
        assert scope["type"] == "http"
        path = scope["path"]
        reasons = None
        if path == "/readyz":
            result = ready()
            reasons = await result if inspect.isawaitable(result) else result
        status, content_type, body = probe_response(path, registry, lambda: reasons or [])
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    return app


class IpfsServiceMetrics:
    """Metrics of an IPFS service (``tutti ipfs serve``): requests per operation and outcome,
    bytes in and out, time per operation, and whether its store answers.

    Use: ``metrics = IpfsServiceMetrics()``; ``with metrics.timed("add") as op: op.bytes_in = n``;
    serve ``metrics.registry`` with :func:`serve_metrics` or :func:`asgi_probes`."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.requests = Counter("tutti_ipfs_requests", "IPFS service requests", ["op", "outcome"],
                                registry=self.registry)
        self.bytes_in = Counter("tutti_ipfs_bytes_in", "Bytes added through the service", registry=self.registry)
        self.bytes_out = Counter("tutti_ipfs_bytes_out", "Bytes served by the service", registry=self.registry)
        self.seconds = Histogram("tutti_ipfs_request_seconds", "IPFS service request time", ["op"],
                                 registry=self.registry)
        self.store_up = Gauge("tutti_ipfs_store_up", "1 when the last store check succeeded", registry=self.registry)

    def timed(self, op: str) -> _TimedOperation:
        return _TimedOperation(self, op)


class _TimedOperation:
    def __init__(self, metrics: IpfsServiceMetrics, op: str) -> None:
        self.metrics, self.op = metrics, op
        self.bytes_in = self.bytes_out = 0

    def __enter__(self) -> _TimedOperation:
        self.started = time.perf_counter()
        return self

    def __exit__(self, exc_type: type | None, *_: object) -> None:
        self.metrics.seconds.labels(self.op).observe(time.perf_counter() - self.started)
        self.metrics.requests.labels(self.op, "error" if exc_type else "ok").inc()
        self.metrics.bytes_in.inc(self.bytes_in)
        self.metrics.bytes_out.inc(self.bytes_out)


def ipfs_unreachable(store: object, timeout: float = 3.0) -> str | None:
    """None when the IPFS store answers (a Kubo node's /version; the embedded store is local
    files), else why not. For readiness checks of services that use IPFS."""
    url = getattr(store, "url", None)
    if url is None:
        return None
    import httpx

    try:
        httpx.post(f"{url}/api/v0/version", timeout=timeout).raise_for_status()
    except httpx.HTTPError as exc:
        return f"IPFS API {url} unreachable ({type(exc).__name__})"
    return None
