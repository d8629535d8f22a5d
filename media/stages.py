"""How long audio waits in each buffering stage of this process (docs/media.md, "every buffering
stage"), from cheap timestamps taken where a stage takes audio in and hands it on.

Stages (milliseconds; the node's are exported in ``/api/stats`` and ``/metrics``):

* ``jitter``: an RTP packet's arrival at the jitter buffer until its release to the decoder
  (:class:`media.jitter.AudioJitterBuffer`; per sender as well, see :class:`SenderHolds`)
* ``decode``: release until the decoded frame reaches the consumer on the event loop (aiortc's
  decoder thread, its queue and the loop's scheduling)
* ``input``: a musician's block from its arrival in the node's ``InputBuffer`` until a mix reads it
* ``mixer_wait``: per mix, the first mixed block's arrival until the last one's (waiting for the
  room's slowest input; part of ``input``)
* ``mix``: the mixing itself (every personal mix of a block)
* ``send_queue``: a mix frame pushed to a listener's track until aiortc's sender takes it
* ``encode_send``: taken by the sender until its RTP packet left through SRTP (Opus encoding in
  aiortc's encoder thread, packetizing, the audio-level extension, SRTP, ``sendto``)

Each stage keeps the last ``HoldTimes.WINDOW`` values, so a scrape or the bench reads recent
behaviour; recording is a clock read and a deque append.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

import numpy as np

STAGE_ORDER = (
    "jitter",
    "decode",
    "input",
    "mixer_wait",
    "mix",
    "send_queue",
    "encode_send",
)


def now() -> float:
    """The clock every stage stamp uses (monotonic, shared by processes on one machine)."""
    return time.perf_counter()


def quantiles(values) -> dict:
    if not values:
        return {"count": 0}
    data = np.asarray(values, dtype=np.float64)
    return {
        "median_ms": round(float(np.median(data)), 3),
        "p95_ms": round(float(np.percentile(data, 95)), 3),
        "max_ms": round(float(data.max()), 3),
        "count": int(len(data)),
    }


class HoldTimes:
    """Recent hold times per stage (ms)."""

    WINDOW = 5000

    def __init__(self) -> None:
        self._stages: dict[str, deque] = {}

    def add(self, stage: str, milliseconds: float) -> None:
        values = self._stages.get(stage)
        if values is None:
            values = self._stages[stage] = deque(maxlen=self.WINDOW)
        values.append(milliseconds)

    def values(self, stage: str) -> list[float]:
        return list(self._stages.get(stage, ()))

    def summary(self) -> dict:
        order = [s for s in STAGE_ORDER if s in self._stages] + sorted(
            set(self._stages) - set(STAGE_ORDER)
        )
        return {stage: quantiles(self._stages[stage]) for stage in order}

    def clear(self) -> None:
        self._stages.clear()


#: This process's stages (the node's, or in a client process the client's receive stages).
HOLDS = HoldTimes()


class SenderHolds:
    """One sender's jitter-buffer holds, besides the process-wide ones."""

    def __init__(self) -> None:
        self.jitter = deque(maxlen=HoldTimes.WINDOW)


class SendTimer:
    """Times ``send_queue`` and ``encode_send`` for one outgoing stream: frames are stamped when
    the sender takes them (:meth:`taken`); the stream's RTP packets leave in the same order, one
    per frame (Opus), so each packet sent closes the oldest open stamp."""

    def __init__(self, holds: HoldTimes = HOLDS) -> None:
        self.holds = holds
        self._taken: deque[float] = deque(maxlen=64)

    def taken(self, pushed_at: float) -> None:
        stamp = now()
        self.holds.add("send_queue", (stamp - pushed_at) * 1e3)
        self._taken.append(stamp)

    def sent(self) -> None:
        if self._taken:
            self.holds.add("encode_send", (now() - self._taken.popleft()) * 1e3)

    def wrap_transport(self, transport) -> None:
        """Close a stamp whenever ``transport`` (an ``RTCDtlsTransport``) has sent an RTP packet
        (RTCP, payload types 192-223 in the second byte, is not audio)."""
        send_rtp = getattr(transport, "_send_rtp", None)
        if send_rtp is None or getattr(send_rtp, "_timed", False):
            return

        async def timed_send_rtp(data: bytes) -> None:
            await send_rtp(data)
            if len(data) > 1 and not 192 <= data[1] <= 223:
                self.sent()

        timed_send_rtp._timed = True  # type: ignore[attr-defined]
        transport._send_rtp = timed_send_rtp


class LoopLag:
    """How late the event loop runs a timer due every ``period`` s: anything holding the loop
    (a handler's CPU work, a long callback) delays the mixer and aiortc by as much. Lags above
    ``report_ms`` are kept with their time, so a window (a flood) can be compared with another."""

    def __init__(
        self, period: float = 0.01, report_ms: float = 2.0, keep: int = 20_000
    ) -> None:
        self.period, self.report_ms = period, report_ms
        self.samples = 0
        self.started_at: float | None = None
        self.lags: deque[tuple[float, float]] = deque(
            maxlen=keep
        )  # (time, lag ms) above report_ms
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        self.started_at = now()
        while True:
            due = now() + self.period
            await asyncio.sleep(self.period)
            lag = (now() - due) * 1e3
            self.samples += 1
            if lag > self.report_ms:
                self.lags.append((due, round(lag, 2)))

    def describe(self, since: str | None = None) -> dict:
        """Lags above ``report_ms`` (all, or those after ``since``, a time on :func:`now`'s clock)."""
        try:
            after = float(since) if since is not None else float("-inf")
        except ValueError:
            after = float("-inf")
        return {
            "period_ms": self.period * 1e3,
            "report_ms": self.report_ms,
            "samples": self.samples,
            "started_at": self.started_at,
            "lags": [lag for lag in self.lags if lag[0] > after][-2000:],
        }
