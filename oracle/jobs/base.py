"""What a job kind is: a deterministic function from (input bytes, parameters, seed) to files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

from tutti.errors import TuttiError


class UnknownJobKind(TuttiError):
    """No job kind of that name is registered."""


class JobInputError(TuttiError):
    """The job's input or parameters cannot be used (a bad MIDI file, malformed parameters).

    Every honest operator reaches the same verdict, so the worker attests to an error result
    instead of leaving the requester waiting for the deadline."""


@dataclass(frozen=True)
class JobContext:
    """Everything a job may depend on. Nothing else (clock, host, operator) may leak into a result,
    or honest operators would disagree."""

    job_id: int
    seed: int
    input_bytes: bytes
    params: dict


@dataclass(frozen=True)
class JobResult:
    """Output files (name -> bytes) and metrics recorded in the result's metadata."""

    files: dict[str, bytes]
    metrics: dict = field(default_factory=dict)


class JobKind(Protocol):
    name: str
    #: Identifies the exact model / algorithm version; attested on chain.
    model_id: bytes

    def run(self, context: JobContext) -> JobResult: ...


_KINDS: dict[str, JobKind] = {}


def job_kind(kind: JobKind) -> JobKind:
    """Register ``kind`` under its name (used as a class decorator on a singleton instance)."""
    if kind.name in _KINDS:
        raise ValueError(f"job kind {kind.name!r} registered twice")
    _KINDS[kind.name] = kind
    return kind


def job_kinds() -> dict[str, JobKind]:
    return dict(_KINDS)


def kind_named(name: str) -> JobKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise UnknownJobKind(f"unknown job kind {name!r}; known: {', '.join(sorted(_KINDS))}") from None


Runner = Callable[[JobContext], JobResult]
