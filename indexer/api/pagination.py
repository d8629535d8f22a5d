"""Keyset (cursor) pagination: stable under concurrent inserts, O(page) at any depth."""

from __future__ import annotations

from typing import Any, Generic, Sequence, TypeVar

from pydantic import BaseModel
from sqlalchemy import Column, Connection, Select

from indexer.api.deps import PageParams, decode_cursor, encode_cursor

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def paginate(connection: Connection, query: Select, key: Column, paging: PageParams,
             kind: type = int, *, descending: bool = False) -> tuple[Sequence[dict[str, Any]], str | None]:
    """Rows of ``query`` ordered by the unique column ``key`` (newest first if ``descending``),
    after the cursor's key."""
    if paging.cursor is not None:
        after = decode_cursor(paging.cursor, kind)
        query = query.where(key < after if descending else key > after)
    order = key.desc() if descending else key
    rows = connection.execute(query.order_by(order).limit(paging.limit + 1)).mappings().all()
    next_cursor = None
    if len(rows) > paging.limit:
        rows = rows[: paging.limit]
        next_cursor = encode_cursor(rows[-1][key.name])
    return rows, next_cursor
