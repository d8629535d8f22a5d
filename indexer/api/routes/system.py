"""Liveness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from indexer import schema
from indexer.api.models import Health

router = APIRouter(tags=["system"])


@router.get("/health", response_model=Health, summary="The API can read the index",
            responses={503: {"description": "The database cannot be read."}})
def health(request: Request):
    try:
        with request.app.state.engine.connect() as connection:
            row = connection.execute(select(schema.checkpoint)).mappings().first()
    except SQLAlchemyError as exc:
        raise HTTPException(503, detail=f"database unavailable: {exc.__class__.__name__}") from None
    return Health(status="ok", chain_id=row and row["chain_id"], block_number=row and row["block_number"],
                  block_timestamp=row and row["block_timestamp"])


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {}}}})
def metrics(request: Request):
    return Response(generate_latest(request.app.state.registry), media_type=CONTENT_TYPE_LATEST)
