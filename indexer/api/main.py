"""The FastAPI application: one router per resource, the engine and metrics on ``app.state``."""

from __future__ import annotations

import json
import time
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.middleware.cors import CORSMiddleware
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from indexer import schema
from indexer.api import gc_tuning, graphql, probes
from indexer.api.cache import BlockCache, IndexVersion
from indexer.api.models import Problem
from indexer.api.routes import events, governance, media, oracle, passes, royalties, system, usage, works
from indexer.api.routes import licences
from indexer.db import make_engine


class IndexCollector:
    """Gauges read from the database at scrape time (so every API replica reports the same)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def collect(self):
        with self.engine.connect() as connection:
            checkpoint = connection.execute(select(schema.checkpoint)).mappings().first()
            count = connection.execute(select(func.count()).select_from(schema.events)).scalar()
        block = GaugeMetricFamily("tutti_indexer_block", "Last indexed block")
        block.add_metric([], checkpoint["block_number"] if checkpoint else 0)
        timestamp = GaugeMetricFamily("tutti_indexer_block_timestamp", "Timestamp of the last indexed block")
        timestamp.add_metric([], checkpoint["block_timestamp"] if checkpoint else 0)
        events_gauge = GaugeMetricFamily("tutti_indexer_events", "Events in the index")
        events_gauge.add_metric([], count)
        yield from (block, timestamp, events_gauge)


class RequestMetrics:
    """Counts requests per route and status and times them to the response's start (plain ASGI:
    Starlette's ``BaseHTTPMiddleware`` runs every request in an extra task fed through memory streams,
    which cost the event loop more than the endpoint itself under load)."""

    def __init__(self, app: ASGIApp, requests: Counter, latency: Histogram):
        self.app, self.requests, self.latency = app, requests, latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        recorded = False

        def record(status: int) -> None:
            nonlocal recorded
            recorded = True
            path = getattr(scope.get("route"), "path", "unmatched")
            self.requests.labels(path, str(status)).inc()
            self.latency.labels(path).observe(time.perf_counter() - started)

        async def send_and_record(message: Message) -> None:
            if message["type"] == "http.response.start":
                record(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            if not recorded:  # an exception before any response: the server answers 500
                record(500)


class AsciiJSONResponse(JSONResponse):
    """JSON with every non-ASCII character escaped: a lone surrogate echoed from the input is then
    valid JSON instead of an encoding error."""

    def render(self, content) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


class RejectNul:
    """A 400 for a NUL anywhere in the path or query string, before any route: no database stores
    it (PostgreSQL refuses it in text), and no identifier, filter or cursor holds one."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope["query_string"]
                                        or b"\x00" in scope["query_string"]):
            response = AsciiJSONResponse({"detail": "NUL characters are not accepted in a path or query"},
                                         status_code=400)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> list[str]:
    """The methods some route serves at the request's path (asked of the routes, method by method)."""
    routes = request.app.router.routes
    return [method for method in HTTP_METHODS
            if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)]


#: Connections to the database. Requests wait for one on an asyncio semaphore of the same size
#: (see deps.get_connection), never inside a worker thread, and only the worker thread running an
#: endpoint holds one. It stays below the threadpool's 40 threads, so a request holding a slot
#: rarely queues for a thread.
API_POOL_SIZE = 32


#: How long the API trusts the checkpoint it read last before reading it again: the most a cached
#: answer can lag behind the index (one read of the checkpoint per interval serves every request).
VERSION_TTL_SECONDS = 0.1


#: How often each API process's /stream reader looks for new events while anyone listens. The writer
#: is another process (and SQLite has no notification), so this is the wait an event may add before
#: its delivery: 0.1 s made a p50 delay of 70 ms; a look is one indexed query of a few rows.
STREAM_POLL_SECONDS = 0.02


def create_app(database_url: str | None = None, *, engine: Engine | None = None,
               stream_poll: float = STREAM_POLL_SECONDS,
               cors_origins: list[str] | None = None, cache: bool = True, tune_gc: bool = False) -> FastAPI:
    """The API over the index at ``database_url`` (or an existing ``engine``). ``tune_gc``: a worker
    process of its own (``serve``) freezes what start-up made and measures GC pauses (gc_tuning)."""
    engine = engine or make_engine(database_url, pool_size=API_POOL_SIZE, max_overflow=4, pool_timeout=10)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        if tune_gc:
            gc_tuning.settle(registry)
        yield
        engine.dispose()

    app = FastAPI(
        title="Tutti indexer",
        version="1",
        description="Works, splits, royalties, usage-royalty epochs, governance, oracle jobs and access passes of "
                    "a Tutti deployment, as indexed from its contracts' events, and the room directory (media nodes "
                    "announced by rooms' hosts: signed, expiring, off-chain). Lists are ordered oldest first "
                    "(epochs: newest first) and paged by `cursor`; uint256 values are decimal strings.",
        lifespan=lifespan,
    )
    registry = CollectorRegistry()
    registry.register(IndexCollector(engine))
    requests = Counter("tutti_api_requests", "HTTP requests", ["route", "status"], registry=registry)
    latency = Histogram("tutti_api_request_seconds", "HTTP request latency", ["route"], registry=registry)
    app.state.engine = engine
    app.state.connection_slots = anyio.Semaphore(API_POOL_SIZE)
    app.state.registry = registry
    app.state.event_feed = events.EventFeed(engine, app.state.connection_slots, stream_poll)

    app.add_middleware(RejectNul)
    if cache:
        app.state.index_version = IndexVersion(engine, app.state.connection_slots, VERSION_TTL_SECONDS)
        outcomes = Counter("tutti_api_cache", "Cached GETs by how they were answered", ["outcome"], registry=registry)
        app.add_middleware(BlockCache, version=app.state.index_version, outcomes=outcomes)
    app.add_middleware(RequestMetrics, requests=requests, latency=latency)
    if cors_origins:  # the web app reads the API (and its event stream) from another origin
        app.add_middleware(CORSMiddleware, allow_origins=cors_origins, allow_methods=["GET", "POST"], allow_headers=["*"])

    errors = {400: {"model": Problem, "description": "A query the API cannot answer, and why."},
              404: {"model": Problem, "description": "No such entity."}}
    @app.exception_handler(PoolTimeout)
    async def overloaded(_request: Request, _exc: PoolTimeout):
        # Shed load with a retryable answer rather than a 500.
        return JSONResponse({"detail": "overloaded: no database connection free; retry"}, status_code=503,
                            headers={"Retry-After": "1"})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 405:
            # The router's 405 names only the first route on the path; a path served by several
            # routes (GET and POST /rooms/{id}/media-nodes) must list every method in `Allow`.
            exc.headers = {**(exc.headers or {}), "Allow": ", ".join(allowed_methods(request))}
        if exc.status_code in (204, 304):
            return await http_exception_handler(request, exc)
        return AsciiJSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError):
        # The errors echo the input, which may hold a lone surrogate: FastAPI's own handler then
        # fails to encode its 422 and answers 500.
        return AsciiJSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)

    for module in (works, royalties, usage, governance, oracle, passes, media, events, system, licences):
        app.include_router(module.router, responses=errors)
    app.include_router(graphql.router)
    probes.install(app)  # /healthz, /readyz, chain head gauge (indexer/api/probes.py)
    return app
