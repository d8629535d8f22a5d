"""Job kinds a worker can serve, by name. Later kinds (compose, improvise, accompany, usage)
register themselves the same way as ``analyze`` and ``render``."""

from oracle.jobs.base import JobContext, JobKind, JobResult, UnknownJobKind, job_kind, job_kinds, kind_named

# Importing a module registers its kinds.
from oracle.jobs import analyze  # noqa: E402,F401  (registration side effect)
from oracle.jobs import compose  # noqa: E402,F401
from oracle.jobs import improvise  # noqa: E402,F401
from oracle.jobs import accompany  # noqa: E402,F401
from oracle.jobs import render  # noqa: E402,F401  (registration side effect)
from oracle.jobs import usage  # noqa: E402,F401

__all__ = ["JobContext", "JobKind", "JobResult", "UnknownJobKind", "job_kind", "job_kinds", "kind_named"]
