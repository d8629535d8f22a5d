"""The garbage collector of an API worker process: frozen after start-up, collected less often,
and its pauses measured.

A full collection walks every tracked object. After importing FastAPI, SQLAlchemy, pydantic and the
routes a worker holds about 170,000 of them, and one full collection took 100-130 ms on this
machine: every request in flight waited that long (the p99 of the user benchmark was 121 ms for a
p50 of 0.4 ms). ``gc.freeze`` moves everything alive after start-up out of the collector's sight
(none of it is garbage), so a collection only walks what requests and connections made since.
"""

from __future__ import annotations

import gc
import time

from prometheus_client import CollectorRegistry, Histogram

#: Generation 0 is collected every 5,000 net new objects instead of 700: a request's objects mostly
#: die young, so fewer of them are promoted and the older generations' collections stay rare.
THRESHOLDS = (5_000, 20, 20)


def settle(registry: CollectorRegistry | None = None) -> None:
    """Collect once, freeze what survives, raise the thresholds; with ``registry``, time every
    collection in ``tutti_api_gc_pause_seconds{generation}``."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
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
