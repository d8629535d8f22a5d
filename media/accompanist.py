"""The live AI accompanist: a participant that listens to its mix and plays bass and chords in time.

It joins a room exactly as a musician does (SIWE with its own key, which must hold the room's pass;
the node treats it like anyone), so it hears the personal mix of everyone else. Every received
block goes to a :class:`~media.following.BeatFollower` and a :class:`~media.following.ChordFollower`;
its own audio track (:class:`AccompanistTrack`) is rendered frame by frame by a
:class:`~media.accompaniment.Band`.

Timing: a beat heard at stream sample ``s`` is put on the wall clock through the arrival time of the
block that carried it; the next beat is then due one period later, less ``lead`` (what the trip to
the node and on to the listeners takes, so the bass lands on the musicians' beat, not after it).
Between detections the grid runs on with the last period. A chord is played from the moment the
chord follower confirms it (the pad crossfades at once); the bass takes it at the next beat. It plays
only once it has heard two beats and a chord, and stops after ``rest_beats`` beats of silence.
"""

from __future__ import annotations

import asyncio
import fractions
import signal
import time
from collections import deque
from dataclasses import dataclass

import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

from .accompaniment import Band
from .following import BeatFollower, Chord, ChordFollower
from .mixer import SAMPLE_RATE

HISTORY = 4096  # timeline entries kept for the summary (a long session keeps only the latest)


@dataclass
class Accompanist:
    """Listening and playing, without the network: ``hear`` received blocks, ``render`` output."""

    lead: float = 0.010
    rest_beats: float = 2.0

    def __post_init__(self) -> None:
        self.beats = BeatFollower()
        self.chords = ChordFollower()
        self.band = Band()
        self.period: float | None = None
        self.next_beat: float | None = None  # wall time (perf_counter) the next strike is due
        self.last_strike: float | None = None
        self.heard_beats = 0
        self.last_sound: float | None = None
        self._received = 0
        self._offsets: deque[float] = deque(maxlen=50)
        self.timeline: dict[str, deque] = {name: deque(maxlen=HISTORY) for name in ("beats", "chords", "strikes")}

    # --- listening ---------------------------------------------------------------------------
    def hear(self, stereo: np.ndarray, arrived_at: float) -> None:
        mono = stereo.mean(axis=1) if stereo.ndim == 2 else stereo
        self._received += len(mono)
        # Stream clock: blocks arrive late, never early, and after a stall in bursts; the earliest
        # arrival of the last 0.5 s (time - sample / rate) is the least delayed, so it times the
        # stream (a short memory: a stall that lost audio moves the stream ahead for good).
        self._offsets.append(arrived_at - self._received / SAMPLE_RATE)
        offset = min(self._offsets)
        for sample, bpm in self.beats.feed(mono):
            self._on_beat(offset + sample / SAMPLE_RATE, bpm)
        for sample, chord in self.chords.feed(mono):
            self._on_chord(offset + sample / SAMPLE_RATE, chord)
        if self.chords.chord is not None:
            self.last_sound = arrived_at
        elif self.playing and self.last_sound is not None and arrived_at - self.last_sound > self.rest_beats * self.period:
            self.band.set_chord(None)  # the room stopped: so do we
            self.next_beat = None

    def _on_beat(self, at: float, bpm: float) -> None:
        if not 30 <= bpm <= 300:
            return
        self.heard_beats += 1
        self.period = 60.0 / bpm
        self.timeline["beats"].append((round(at, 4), round(bpm, 2)))
        # The grid through this beat: its first point not yet struck (this beat itself, a few ms
        # late, when the prediction missed it; usually the next one).
        due = at - self.lead
        if self.last_strike is not None and due - self.last_strike < self.period / 2:
            due += self.period
        self.next_beat = due

    def _on_chord(self, at: float, chord: Chord | None) -> None:
        self.timeline["chords"].append((round(at, 4), chord.name if chord else None))
        if chord is not None:
            self.band.set_chord(chord)

    @property
    def playing(self) -> bool:
        return self.heard_beats >= 2 and self.band.chord is not None and self.period is not None

    # --- playing ------------------------------------------------------------------------------
    def render(self, n: int, start: float) -> np.ndarray:
        """``n`` samples to be handed over at wall time ``start``; strikes every beat due in them."""
        end = start + n / SAMPLE_RATE
        while self.playing and self.next_beat is not None and self.next_beat < end:
            if self.next_beat >= start - 0.03:  # a strike up to 30 ms late still goes out, at once
                self.band.strike(max(0, int((self.next_beat - start) * SAMPLE_RATE)))
                self.timeline["strikes"].append((round(self.next_beat, 4), self.band.chord.name))
                self.last_strike = self.next_beat
            self.next_beat += self.period
        return self.band.render(n)

    def summary(self) -> dict:
        beats = list(self.timeline["beats"])
        return {"bpm": beats[-1][1] if beats else None, "beats_heard": self.heard_beats,
                "chord": self.band.chord.name if self.band.chord else None,
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


async def accompany(url: str, room: int, key: str, seconds: float | None, *, lead: float = 0.010,
                    frame_samples: int = 480, ice=None) -> dict:
    """Join ``room`` at the node ``url`` with ``key`` and accompany it for ``seconds`` (None: until the
    session ends, SIGINT or SIGTERM). Returns the JSON summary: session, last tempo, chord, timeline."""
    from .client import join

    accompanist = Accompanist(lead=lead)
    playing = asyncio.ensure_future(join(url, room, key, None, seconds, frame_samples, ice=ice,
                                         track=AccompanistTrack(accompanist, frame_samples),
                                         on_audio=accompanist.hear, keep_audio=False))
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
    return {"url": url, **where, **accompanist.summary()}
