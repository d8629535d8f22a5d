"""The garbage collector of an API worker process: what start-up made is frozen, and pauses are
measured.

A full collection walks every tracked object. After importing FastAPI, SQLAlchemy, pydantic and the
routes a worker holds about 173,000 of them, and one full collection of them took 100-130 ms on
this machine (load 1): every request in flight waits that long, the size of the user benchmark's
tail (p99 121 ms for a p50 of 0.4 ms). ``gc.freeze`` moves everything alive after start-up out of the collector's sight
(none of it is garbage), so a collection only walks what requests and connections made since.

What requests and connections leave alive still reaches the oldest generation: with 2,500
connections and 500 live streams a worker, full collections took 300 ms each under load 7-8
(3 in a 30 s run of `make bench-api`, in the tail with the young ones). So the oldest generation is
collected after 1,000 middle-generation collections instead of 10 (minutes apart, not seconds; a
cycle that lives that long is kept that much longer). The young thresholds stay Python's: a higher
young threshold means fewer but longer pauses for the same work (5,000 instead of 700 gave young
collections of 20 ms in a short run at load 15).
"""

from __future__ import annotations

import gc
import time

from prometheus_client import CollectorRegistry, Histogram

THRESHOLDS = (700, 10, 1000)


def settle(registry: CollectorRegistry | None = None) -> None:
    """Collect once, freeze what survives and make full collections rare; with ``registry``, time
    every collection in ``tutti_api_gc_pause_seconds{generation}``."""
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
