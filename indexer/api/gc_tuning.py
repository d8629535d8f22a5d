"""The garbage collector of an API worker process: what start-up made is frozen, and pauses are
measured.

A full collection walks every tracked object. After importing FastAPI, SQLAlchemy, pydantic and the
routes a worker holds about 173,000 of them, and one full collection of them took 100-130 ms on
this machine (load 1): every request in flight waits that long, the size of the user benchmark's
tail (p99 121 ms for a p50 of 0.4 ms). ``gc.freeze`` moves everything alive after start-up out of the collector's sight
(none of it is garbage), so a collection only walks what requests and connections made since.

The thresholds stay Python's: a young collection walks the young objects still alive, so a higher
threshold means fewer but longer pauses for about the same work, and the tail is made of the
longest (with 5,000 instead of 700, a short run at load 15 saw young collections of 20 ms).
"""

from __future__ import annotations

import gc
import time

from prometheus_client import CollectorRegistry, Histogram


def settle(registry: CollectorRegistry | None = None) -> None:
    """Collect once and freeze what survives; with ``registry``, time every collection in
    ``tutti_api_gc_pause_seconds{generation}``."""
    gc.collect()
    gc.freeze()
    if registry is None:
        return
    pauses = Histogram("tutti_api_gc_pause_seconds", "Garbage-collector pauses of this worker", ["generation"],
                       buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25), registry=registry)
    started = 0.0

    def time_collection(phase: str, info: dict) -> None:
        nonlocal started
        if phase == "start":
            started = time.perf_counter()
        else:
            pauses.labels(str(info["generation"])).observe(time.perf_counter() - started)

    gc.callbacks.append(time_collection)
