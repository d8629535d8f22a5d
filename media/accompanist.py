"""The live AI accompanist: a participant that listens to its mix and plays bass and chords in time.

It joins a room exactly as a musician does (SIWE with its own key, which must hold the room's pass;
the node treats it like anyone), so it hears the personal mix of everyone else. Every received
block goes to a :class:`~media.following.BeatFollower` and a :class:`~media.following.ChordFollower`;
its own audio track (:class:`AccompanistTrack`) is rendered frame by frame by a
:class:`~media.accompaniment.Band`.

Timing: the followers run on the received stream's RTP clock (a gap in the timestamps is heard as
silence, so a lost packet neither shifts nor bunches the beat grid); the stream clock is put on the
wall clock by its least-delayed block of the last 2 s. Each beat of the follower's grid is struck
``lead`` before its wall time: the round trip through the node and back to the musicians, measured
by data-channel pings (or given). A chord is played from the moment the chord follower confirms it
(the pad crossfades at once); the bass takes it at the next beat. It plays once the grid is locked
and a chord heard, and stops after ``rest_beats`` beats of silence.
"""

from __future__ import annotations

import asyncio
import fractions
import json
import signal
import time
from collections import deque
from dataclasses import dataclass

import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

from .accompaniment import Band
from .following import BeatFollower, ChordFollower
from .mixer import SAMPLE_RATE

HISTORY = 4096  # timeline entries kept for the summary (a long session keeps only the latest)
RTP_WRAP = 1 << 32
MAX_GAP = 2 * SAMPLE_RATE  # a longer jump of the RTP clock is a restarted stream: start over
CLOCK_MEMORY = 2.0  # seconds of arrivals that time the stream


@dataclass
class Accompanist:
    """Listening and playing, without the network: ``hear`` received blocks, ``render`` output.

    ``lead``: how much earlier than the beat it heard each beat is played (the round trip through
    the node); :meth:`round_trip` sets it from measurements when ``auto_lead``."""

    lead: float = 0.010
    rest_beats: float = 2.0
    auto_lead: bool = False
    frame: float = 0.010  # seconds of audio per frame, both ways

    def __post_init__(self) -> None:
        self.band = Band()
        self.last_strike: float | None = None
        self.last_sound: float | None = None
        self._round_trips: deque[float] = deque(maxlen=20)
        self.stream_faults = {"gaps": 0, "gap_samples": 0, "overlaps": 0, "restarts": 0}
        self.timeline: dict[str, deque] = {name: deque(maxlen=HISTORY) for name in ("onsets", "beats", "chords", "strikes")}
        self._start_over()

    def _start_over(self) -> None:
        """A new stream: followers and stream clock from scratch (the band plays on)."""
        self.beats = BeatFollower()
        self.chords = ChordFollower()
        self._position = 0  # stream samples heard (or filled in) so far
        self._last_pts: int | None = None
        self._expected_jump = 0
        self._arrivals: deque[tuple[float, float]] = deque()  # (arrival, arrival - stream time)
        self.offset: float | None = None  # wall time of stream sample 0

    # --- listening ---------------------------------------------------------------------------
    def hear(self, stereo: np.ndarray, arrived_at: float, pts: int | None = None) -> None:
        """A received block, with its RTP timestamp (``pts``, 48 kHz) when known: the stream's own
        clock places it, so a lost or late packet neither shifts nor bunches what follows."""
        mono = stereo.mean(axis=1) if stereo.ndim == 2 else stereo
        if pts is not None and self._last_pts is not None:
            jump = (pts - self._last_pts + RTP_WRAP // 2) % RTP_WRAP - RTP_WRAP // 2  # signed, wrap-safe
            gap = jump - self._expected_jump
            if gap > MAX_GAP or jump < -MAX_GAP:
                self.stream_faults["restarts"] += 1
                self._start_over()  # a new stream: nothing heard so far applies
            elif gap > 0:  # samples that never came: silence keeps both followers on the clock
                self.stream_faults["gaps"] += 1
                self.stream_faults["gap_samples"] += gap
                self._follow(np.zeros(gap, np.float32))
            elif gap < 0:  # a repeated or overlapping block: only its new part counts
                self.stream_faults["overlaps"] += 1
                mono = mono[-gap:]
        if pts is not None:
            self._last_pts, self._expected_jump = pts, len(stereo)
        if len(mono) == 0:
            return
        self._follow(mono, arrived_at)
        if self.chords.chord is not None:
            self.last_sound = arrived_at
        elif self.playing and self.last_sound is not None and \
                arrived_at - self.last_sound > self.rest_beats * self.beats.period / SAMPLE_RATE:
            self.band.set_chord(None)  # the room stopped: so do we

    def _follow(self, mono: np.ndarray, arrived_at: float | None = None) -> None:
        self._position += len(mono)
        if arrived_at is not None:
            # Stream clock: blocks arrive late, never early, and after a stall in bursts; the
            # earliest arrival of the last 2 s (time - stream time) is the least delayed one.
            self._arrivals.append((arrived_at, arrived_at - self._position / SAMPLE_RATE))
            while self._arrivals[0][0] < arrived_at - CLOCK_MEMORY:
                self._arrivals.popleft()
            self.offset = min(offset for _at, offset in self._arrivals)
        for sample, bpm in self.beats.feed(mono):
            self.timeline["beats"].append((round(self._wall(sample), 4), round(bpm, 2)))
        self.timeline["onsets"].extend(round(self._wall(sample), 4) for sample in self.beats.new_onsets)
        for sample, chord in self.chords.feed(mono):
            self.timeline["chords"].append((round(self._wall(sample), 4), chord.name if chord else None))
            if chord is not None:
                self.band.set_chord(chord)

    def _wall(self, sample: float) -> float:
        return (self.offset or 0.0) + sample / SAMPLE_RATE

    @property
    def heard_beats(self) -> int:
        return len(self.timeline["beats"])

    def round_trip(self, seconds: float) -> None:
        """A measured round trip to the node and back (a data-channel ping): with ``auto_lead``,
        the lead becomes the least of the recent ones plus a frame per leg (each leg's audio waits
        for its whole frame to be captured, and for the node's next mix)."""
        self._round_trips.append(seconds)
        if self.auto_lead:
            self.lead = min(self._round_trips) + 2 * self.frame

    @property
    def playing(self) -> bool:
        return self.beats.period is not None and self.band.chord is not None and self.offset is not None

    # --- playing ------------------------------------------------------------------------------
    def render(self, n: int, start: float) -> np.ndarray:
        """``n`` samples to be handed over at wall time ``start``; strikes every beat due in them."""
        end = start + n / SAMPLE_RATE
        if self.playing:
            period = self.beats.period / SAMPLE_RATE
            # The grid's beats whose strike (beat - lead) falls in this block, or up to 30 ms
            # before it (a late block still strikes, at once).
            beat = self.beats.next_beat((start - 0.03 + self.lead - self.offset) * SAMPLE_RATE)
            while (due := self._wall(beat) - self.lead) < end:
                if self.last_strike is None or due - self.last_strike > period / 2:
                    self.band.strike(max(0, int((due - start) * SAMPLE_RATE)))
                    self.timeline["strikes"].append((round(due, 4), self.band.chord.name))
                    self.last_strike = due
                beat += self.beats.period
        return self.band.render(n)

    def summary(self) -> dict:
        beats = list(self.timeline["beats"])
        return {"bpm": beats[-1][1] if beats else None, "beats_heard": self.heard_beats,
                "lead_ms": round(1000 * self.lead, 1),
                "round_trip_ms_min": round(1000 * min(self._round_trips), 1) if self._round_trips else None,
                "chord": self.band.chord.name if self.band.chord else None, "stream_faults": self.stream_faults,
                "timeline": {name: list(entries) for name, entries in self.timeline.items()}}


class AccompanistTrack(MediaStreamTrack):
    """The accompanist's output, paced in real time like :class:`media.client.SignalTrack`."""

    kind = "audio"

    def __init__(self, accompanist: Accompanist, frame_samples: int = 480) -> None:
        super().__init__()
        self.accompanist, self.frame_samples = accompanist, frame_samples
        self._pts = 0
        self._start: float | None = None

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.perf_counter()
        due = self._start + self._pts / SAMPLE_RATE
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        # Timed by its place in the stream (pts), as listeners' jitter buffers play it, even when
        # this process was late to hand it over.
        audio = self.accompanist.render(self.frame_samples, due)
        pcm = np.clip(audio * 32767, -32768, 32767).astype(np.int16)
        frame = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self._pts += self.frame_samples
        return frame


async def ping(channel, every: float = 1.0, count: int = 10, then: float = 30.0) -> None:
    """Data-channel pings to the node (it answers ``pong`` with our ``t``): ``count`` at first,
    ``every`` s apart (the least of them is the round trip), then one every ``then`` s."""
    sent = 0
    while channel.readyState == "open":
        channel.send(json.dumps({"type": "ping", "t": time.perf_counter()}))
        sent += 1
        await asyncio.sleep(every if sent < count else then)


async def accompany(url: str, room: int, key: str, seconds: float | None, *, lead: float | None = None,
                    frame_samples: int = 480, ice=None) -> dict:
    """Join ``room`` at the node ``url`` with ``key`` and accompany it for ``seconds`` (None: until the
    session ends, SIGINT or SIGTERM). ``lead`` in seconds, None: measured from the round trip.
    Returns the JSON summary: session, last tempo, chord, lead, timeline."""
    from .client import join

    accompanist = Accompanist(lead=lead or 0.0, auto_lead=lead is None, frame=frame_samples / SAMPLE_RATE)
    pinging: list[asyncio.Task] = []

    def on_message(message: dict) -> None:
        if message.get("type") == "pong" and isinstance(message.get("t"), float):
            accompanist.round_trip(time.perf_counter() - message["t"])

    playing = asyncio.ensure_future(join(url, room, key, None, seconds, frame_samples, ice=ice,
                                         track=AccompanistTrack(accompanist, frame_samples),
                                         on_audio=accompanist.hear, keep_audio=False,
                                         on_open=lambda channel: pinging.append(asyncio.ensure_future(ping(channel))),
                                         on_message=on_message))
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):  # leave the room cleanly and still report
        loop.add_signal_handler(signum, playing.cancel)
    try:
        session = await playing
        where = {"id": session.id, "address": session.address, "ended": session.ended}
    except asyncio.CancelledError:
        where = {"id": None, "address": None, "ended": "stopped"}
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        for task in pinging:
            task.cancel()
    return {"url": url, **where, **accompanist.summary()}
