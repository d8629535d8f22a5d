"""Liveness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from indexer import schema
from indexer.api.models import Health

router = APIRouter(tags=["system"])


def _checkpoint(engine: Engine):
    with engine.connect() as connection:
        return connection.execute(select(schema.checkpoint)).mappings().first()


@router.get("/health", response_model=Health, summary="The API can read the index, and the index follows the chain",
            responses={503: {"description": "The database cannot be read, or the index is unhealthy (`problem` "
                                            "says why and what to do)."}})
async def health(request: Request):
    # Not a `Db` endpoint: a connection that cannot be opened must give this 503, not a 500.
    try:
        async with request.app.state.connection_slots:
            row = await run_in_threadpool(_checkpoint, request.app.state.engine)
    except SQLAlchemyError as exc:
        raise HTTPException(503, detail=f"database unavailable: {exc.__class__.__name__}") from None
    problem = row["problem"] if row else None
    health = Health(status="unhealthy" if problem else "ok", chain_id=row and row["chain_id"],
                    block_number=row and row["block_number"], block_timestamp=row and row["block_timestamp"],
                    problem=problem)
    if problem:  # a load balancer or monitor must see it: the index no longer follows the chain
        return JSONResponse(health.model_dump(), status_code=503)
    return health


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {}}}})
async def metrics(request: Request):
    async with request.app.state.connection_slots:  # the index gauges read the database
        body = await run_in_threadpool(generate_latest, request.app.state.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
