"""Kubernetes-style probes of the API and the chain head beside the index's own gauges.

* ``/healthz``  liveness: the process answers
* ``/readyz``   the database can be read and the index is within ``ready_max_lag_blocks`` of the
  chain head (asked of ``TUTTI_INDEXER_RPC_URL``); 503 with the reasons otherwise
* ``tutti_indexer_chain_head_block`` (read from the node at scrape time) beside
  ``tutti_indexer_block``, so an alert can compare them (see deploy/prometheus/alerts.yml)
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from indexer import schema
from indexer.config import IndexerSettings

RPC_TIMEOUT_SECONDS = 2.0
DEFAULT_MAX_LAG_BLOCKS = 20


def chain_head(rpc_url: str) -> int:
    """eth_blockNumber of the node (raises httpx errors or ValueError)."""
    response = httpx.post(rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []},
                          timeout=RPC_TIMEOUT_SECONDS)
    response.raise_for_status()
    return int(response.json()["result"], 16)


class ChainHeadCollector:
    def __init__(self, rpc_url: str) -> None:
        self.rpc_url = rpc_url

    def collect(self):
        try:
            head = chain_head(self.rpc_url)
        except (httpx.HTTPError, ValueError, KeyError):
            return  # no sample: Prometheus sees the series absent, which alerts can test
        gauge = GaugeMetricFamily("tutti_indexer_chain_head_block", "Chain head as the API's node reports it")
        gauge.add_metric([], head)
        yield gauge


def _readiness(engine, rpc_url: str, max_lag: int) -> list[str]:
    reasons = []
    try:
        with engine.connect() as connection:
            checkpoint = connection.execute(select(schema.checkpoint)).mappings().first()
    except SQLAlchemyError as exc:
        return [f"database: {type(exc).__name__}"]
    if checkpoint is None:
        reasons.append("index: nothing indexed yet")
    try:
        head = chain_head(rpc_url)
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        reasons.append(f"chain: {rpc_url} unreachable ({type(exc).__name__})")
    else:
        if checkpoint is not None and head - checkpoint["block_number"] > max_lag:
            reasons.append(f"index: {head - checkpoint['block_number']} blocks behind the head (bound {max_lag})")
    return reasons


def install(app: FastAPI, settings: IndexerSettings | None = None) -> None:
    """Add /healthz, /readyz and the chain head gauge to the API app."""
    settings = settings or IndexerSettings()
    max_lag = getattr(settings, "ready_max_lag_blocks", DEFAULT_MAX_LAG_BLOCKS)
    app.state.registry.register(ChainHeadCollector(settings.rpc_url))

    @app.get("/healthz", tags=["system"], summary="Liveness: the API process answers")
    async def healthz() -> dict:
        return {"ok": True}

    @app.get("/readyz", tags=["system"], summary="Readiness: database readable and index near the chain head",
             responses={503: {"description": "Not ready, with the reasons."}})
    async def readyz(request: Request) -> JSONResponse:
        reasons = await run_in_threadpool(_readiness, request.app.state.engine, settings.rpc_url, max_lag)
        return JSONResponse({"ready": not reasons, "reasons": reasons}, status_code=503 if reasons else 200)


def main() -> int:
    """``python -m indexer.api.probes``: exit 0 when the index is ready (as /readyz), else print the
    reasons and exit 1. The probe of the follower (``tutti-indexer run``), which has no HTTP side."""
    from indexer.db import make_engine

    settings = IndexerSettings()
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        reasons = _readiness(engine, settings.rpc_url, getattr(settings, "ready_max_lag_blocks", DEFAULT_MAX_LAG_BLOCKS))
    finally:
        engine.dispose()
    for reason in reasons:
        print(reason)
    return 1 if reasons else 0


if __name__ == "__main__":
    raise SystemExit(main())
