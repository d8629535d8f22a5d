"""Prometheus metrics and readiness of a media node, on the node's own HTTP port.

:func:`mount_metrics` adds ``/metrics`` and ``/readyz`` to the node's aiohttp app (``/healthz``
is the node's own). Values are read from the node at scrape time, in the event loop's thread,
so the room, the mixer and the pass checker need no changes. Series (prefix ``tutti_media_``):

* ``rooms``, ``musicians{room}``, ``max_musicians{room}``, ``sessions_ended_total{room}``
* ``mixer_ticks_total``, ``frame_deadline_misses_total`` (ticks that started over a block late)
* ``mix_tick_seconds{quantile}``  mixing time per tick over the last 2,000 ticks (0.5, 0.99, 1)
* ``input_underruns_total``       blocks a musician's input had nothing for (among those present)
* ``pass_checks_total{result}``   on-chain pass checks: valid, invalid, error
* ``stage_hold_seconds{stage,quantile}`` how long audio waited in each buffering stage, recent
  values (0.5, 0.95; stages of :mod:`media.stages`: jitter, decode, input, mixer_wait, mix,
  send_queue, encode_send)
"""

from __future__ import annotations

import asyncio
from collections import Counter as Tally
from typing import TYPE_CHECKING

import numpy as np
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from .passes import PassCheckError
from .stages import HOLDS

if TYPE_CHECKING:
    from .server import MediaNode

READY_TIMEOUT_SECONDS = 3.0


class CountingPassChecker:
    """The node's pass checker, with every answer tallied (valid / invalid / error)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.tally: Tally[str] = Tally()

    async def has_valid_pass(self, room_id: int, address: str) -> bool:
        try:
            valid = await self.inner.has_valid_pass(room_id, address)
        except PassCheckError:
            self.tally["error"] += 1
            raise
        self.tally["valid" if valid else "invalid"] += 1
        return valid

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


class MediaNodeCollector:
    def __init__(self, node: MediaNode, passes: CountingPassChecker) -> None:
        self.node, self.passes = node, passes

    def collect(self):
        room, mixer = self.node.room, self.node.room.mixer
        label = [str(room.room_id)]
        rooms = GaugeMetricFamily("tutti_media_rooms", "Rooms this node serves")
        rooms.add_metric([], 1)
        musicians = GaugeMetricFamily("tutti_media_musicians", "Musicians in the room", labels=["room"])
        musicians.add_metric(label, len(room.participants))
        capacity = GaugeMetricFamily("tutti_media_max_musicians", "Room capacity on this node", labels=["room"])
        capacity.add_metric(label, room.max_participants)
        ended = CounterMetricFamily("tutti_media_sessions_ended", "Sessions ended", labels=["room"])
        ended.add_metric(label, len(room.sessions_ended))
        ticks = CounterMetricFamily("tutti_media_mixer_ticks", "Mixer ticks (one block each)")
        ticks.add_metric([], mixer.stats.ticks)
        misses = CounterMetricFamily("tutti_media_frame_deadline_misses", "Ticks that started over a block late")
        misses.add_metric([], mixer.stats.late_ticks)
        cost = np.asarray(mixer.stats.cost_ms) / 1e3 if mixer.stats.cost_ms else np.zeros(1)
        mixing = GaugeMetricFamily("tutti_media_mix_tick_seconds", "Mixing time per tick (recent ticks)",
                                   labels=["quantile"])
        for q in (0.5, 0.99, 1.0):
            mixing.add_metric([str(q)], float(np.quantile(cost, q)))
        underruns = CounterMetricFamily("tutti_media_input_underruns", "Input blocks missing (present musicians)")
        underruns.add_metric([], sum(b.underruns for b in mixer.inputs.values()))
        checks = CounterMetricFamily("tutti_media_pass_checks", "On-chain access pass checks", labels=["result"])
        for result in ("valid", "invalid", "error"):
            checks.add_metric([result], self.passes.tally[result])
        stages = GaugeMetricFamily("tutti_media_stage_hold_seconds",
                                   "Time audio waited in each buffering stage (recent values)",
                                   labels=["stage", "quantile"])
        for stage in HOLDS.summary():
            values = np.asarray(HOLDS.values(stage)) / 1e3
            for q in (0.5, 0.95):
                stages.add_metric([stage, str(q)], float(np.quantile(values, q)))
        yield from (rooms, musicians, capacity, ended, ticks, misses, mixing, underruns, checks, stages)


def mount_metrics(app: web.Application, node: MediaNode) -> CollectorRegistry:
    """Add /metrics and /readyz to the node's app; count its pass checks. Returns the registry."""
    passes = CountingPassChecker(node.room.passes)
    node.room.passes = passes
    registry = CollectorRegistry()
    registry.register(MediaNodeCollector(node, passes))

    async def metrics(_request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def ready(_request: web.Request) -> web.Response:
        # Ready = the chain that holds the passes answers (the node refuses every join otherwise).
        reasons = []
        chain_id = getattr(passes.inner, "chain_id", None)
        if chain_id is not None:
            try:
                await asyncio.wait_for(chain_id(), READY_TIMEOUT_SECONDS)
            except (PassCheckError, asyncio.TimeoutError) as exc:
                reasons.append(f"chain: {exc or 'timed out'}")
        return web.json_response({"ready": not reasons, "reasons": reasons}, status=503 if reasons else 200)

    app.router.add_get("/metrics", metrics)
    app.router.add_get("/readyz", ready)
    return registry
