"""What a job kind is: a deterministic function from (input bytes, parameters, seed) to files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Protocol

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
    #: The input file's bytes; empty when the input CID is a directory.
    input_bytes: bytes
    params: dict
    #: When the input CID is a directory: ``read_input("a/b.wav")`` returns the bytes of that file
    #: in it, or raises :class:`JobInputError` if there is none. ``None`` for a single-file input.
    read_input: Callable[[str], bytes] | None = None


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


def check_input_path(path: str) -> list[str]:
    """The segments of a relative path inside an input directory (``/``-separated, no ``.``,
    ``..`` or empty segments), or :class:`JobInputError`."""
    segments = path.split("/") if isinstance(path, str) else []
    if not segments or any(segment in ("", ".", "..") for segment in segments):
        raise JobInputError(f"{path!r} is not a relative path inside the input directory")
    return segments


def files_reader(files: Mapping[str, bytes]) -> Callable[[str], bytes]:
    """A ``read_input`` over files held in memory (tests, local runs): the same contract the
    worker's IPFS directory reader keeps."""

    def read(path: str) -> bytes:
        check_input_path(path)
        try:
            return files[path]
        except KeyError:
            raise JobInputError(f"the input directory has no file {path!r}") from None

    return read
