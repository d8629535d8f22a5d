"""What every GraphQL resolver shares: the ``Long`` scalar, the request's context, the checks that turn
bad arguments into errors with a reason, and GraphQL object types made from the REST response models
(so both interfaces describe the same fields)."""

from __future__ import annotations

import enum
import types
import typing
from dataclasses import dataclass
from typing import Any, Callable, Generic, Literal, NewType, Optional, TypeVar

import strawberry
import strawberry.experimental.pydantic
import strawberry.scalars
from fastapi import HTTPException
from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection
from strawberry.types import Info

from indexer.api.deps import MAX_ID, PageParams, _checksum, is_storable_text

T = TypeVar("T")
UINT256 = r"^[0-9]{1,78}$"


class QueryError(ValueError):
    """Input the API cannot answer; its message is the reason the client sees."""


def _parse_long(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise QueryError(f"expected an integer from 0 to {MAX_ID}")
    return value


#: Ids, block numbers and event ids outgrow GraphQL's 32-bit Int (an event id is block * 1,000,000 + log index).
Long = strawberry.scalar(NewType("Long", int), name="Long", description="A non-negative integer below 2^63.",
                         serialize=int, parse_value=_parse_long)


@dataclass
class Context:
    db: Connection
    #: Unix seconds by the API's wall clock when the request arrived (media-node listings expire by it).
    now: int = 0


def db_of(info: Info) -> Connection:
    return info.context.db


def address(value: str | None, name: str) -> str | None:
    """``value`` checksummed, or a ``QueryError`` naming the argument."""
    if value is None:
        return None
    try:
        return _checksum(value)
    except ValueError as exc:
        raise QueryError(f"{name}: {exc}") from None


def paging(limit: int, cursor: str | None) -> PageParams:
    try:
        return PageParams(limit=limit, cursor=cursor)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise QueryError(f"{error['loc'][0]}: {error['msg']}") from None


def text(value: str | None, name: str, longest: int, shortest: int = 1) -> str | None:
    """A free-text filter as the REST query parameter takes it: ``shortest`` to ``longest`` storable
    characters."""
    if value is None:
        return None
    if not shortest <= len(value) <= longest:
        raise QueryError(f"{name}: {shortest} to {longest} characters")
    if not is_storable_text(value):
        raise QueryError(f"{name} holds a NUL or a lone surrogate")
    return value


def uint256(value: str | None, name: str) -> str | None:
    """A uint256 given in decimal (proposal ids), in its canonical form."""
    if value is None:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 78):
        raise QueryError(f"{name}: a uint256 in decimal (1 to 78 digits)")
    return str(int(value))


def found_or_none(load: Callable[[], T]) -> T | None:
    """``load()``, or None where the REST route answers 404 (a single item that does not exist)."""
    try:
        return load()
    except HTTPException as exc:
        if exc.status_code == 404:
            return None
        raise


def enum_of(literal: Any, name: str) -> type[enum.Enum]:
    """A GraphQL enum of a ``Literal`` of strings (values kept, names upper-cased): a bad value is then
    refused by validation, with the allowed ones listed."""
    return strawberry.enum(enum.Enum(name, {value.upper(): value for value in typing.get_args(literal)}))


@strawberry.type
class Page(Generic[T]):
    """One page of a list; ``nextCursor`` (null on the last page) is the ``cursor`` of the next."""

    items: list[T]
    next_cursor: str | None


def page(convert: Callable[[Any], Any], rest_page) -> Page:
    return Page(items=[convert(item) for item in rest_page.items], next_cursor=rest_page.next_cursor)


def _graphql_type(annotation: Any) -> Any:
    """The GraphQL type of a response model's field where Strawberry's own choice does not fit: every
    integer is ``Long`` (GraphQL's Int is 32-bit; ids, block numbers and seconds are not), a ``Literal``
    is a string. None: Strawberry's own choice."""
    optional = False
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) != 1:
            return None
        annotation, optional = members[0], True
    if annotation is int:
        found = Long
    elif typing.get_origin(annotation) is Literal:
        found = str
    else:
        return None
    return Optional[found] if optional else found  # noqa: UP045 (a runtime annotation of a NewType)


def object_type(model: type[BaseModel], name: str | None = None, **overrides: Any) -> Any:
    """A Strawberry object type with every field of the REST response ``model`` (see ``_graphql_type``);
    ``overrides`` give other fields another GraphQL type (set them after ``from_pydantic`` if the
    model's value does not fit it)."""
    annotations = {}
    for field_name, field in model.model_fields.items():
        chosen = overrides.get(field_name, _graphql_type(field.annotation))
        if chosen is not None:
            annotations[field_name] = chosen
    namespace = {"__annotations__": annotations, "__module__": __name__, "__doc__": model.__doc__}
    cls = type(name or model.__name__, (), namespace)
    return strawberry.experimental.pydantic.type(model=model, all_fields=True)(cls)
