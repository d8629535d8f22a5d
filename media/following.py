"""Following a room as it plays, block by block: the beat (aubio) and the chord (librosa chroma).

Both are *online*: they see each received block once, in order, and keep only a short history.

* :class:`BeatFollower` wraps aubio's real-time beat tracker (``aubio.tempo``, Davies & Plumbley's
  causal tracker over a spectral-flux onset function), fed 10 ms hops. It reports each beat in the
  hop it falls in, with the tempo it currently believes.
* :class:`ChordFollower` computes a chroma vector over the last ~85 ms every 20 ms (librosa's chroma
  filter bank on a Hann-windowed FFT) and matches it against the 24 major and minor triads. A new
  chord must win ``confirm`` looks in a row before it replaces the current one, so a transient or the
  crossfade between two chords is not taken for a third.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import theilslopes

from .mixer import SAMPLE_RATE

HOP = 480  # 10 ms at 48 kHz: the node's default frame
PITCH_CLASSES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


@dataclass(frozen=True)
class Chord:
    """A triad: root pitch class (0 = C) and quality (``""`` major, ``"m"`` minor)."""

    root: int
    quality: str

    @property
    def name(self) -> str:
        return PITCH_CLASSES[self.root] + self.quality

    @property
    def pitch_classes(self) -> tuple[int, int, int]:
        third = 3 if self.quality == "m" else 4
        return self.root, (self.root + third) % 12, (self.root + 7) % 12

    @classmethod
    def parse(cls, name: str) -> Chord:
        """``C``, ``Am``, ``F#m``, ``Bb``..."""
        minor = name.endswith("m")
        root = name[:-1] if minor else name
        aliases = {"Db": "C#", "D#": "Eb", "Gb": "F#", "G#": "Ab", "A#": "Bb"}
        root = aliases.get(root, root)
        if root not in PITCH_CLASSES:
            raise ValueError(f"unknown chord {name!r}: give a root C..B (with # or b) and an optional m")
        return cls(PITCH_CLASSES.index(root), "m" if minor else "")


CHORDS = tuple(Chord(root, quality) for quality in ("", "m") for root in range(12))
#: One unit-length template row per chord in :data:`CHORDS`.
TEMPLATES = np.array([np.isin(np.arange(12), c.pitch_classes).astype(float) / np.sqrt(3) for c in CHORDS])


def chroma_filter(n_fft: int, min_hz: float = 0.0, max_hz: float = 5000.0) -> np.ndarray:
    """librosa's chroma filter bank centred on A4, for the FFT bins up to ``max_hz`` (12 x bins; apply
    it to ``spectrum[:bins]``: the top of the spectrum carries no chord and would cost 5x the work);
    bins below ``min_hz`` weigh nothing."""
    import librosa.filters  # numba compiles on import: seconds, so only where chroma is used

    bank = librosa.filters.chroma(sr=SAMPLE_RATE, n_fft=n_fft, n_chroma=12, ctroct=4.0, octwidth=2.0, base_c=True)
    frequencies = np.fft.rfftfreq(n_fft, 1 / SAMPLE_RATE)
    bank[:, frequencies < min_hz] = 0.0
    return np.ascontiguousarray(bank[:, frequencies <= max_hz], dtype=np.float64)


def match_chord(chroma: np.ndarray) -> tuple[Chord, float, float]:
    """Best triad for a chroma vector: (chord, cosine score, margin over the runner-up)."""
    norm = np.linalg.norm(chroma)
    if norm <= 0:
        return CHORDS[0], 0.0, 0.0
    scores = TEMPLATES @ (chroma / norm)
    order = np.argsort(scores)
    return CHORDS[int(order[-1])], float(scores[order[-1]]), float(scores[order[-1]] - scores[order[-2]])


class BeatFollower:
    """The beat grid of a stream fed in any block size: onsets by aubio, a tempo seeded from them,
    and a phase locked to them.

    * Onsets: ``aubio.onset`` (high-frequency-content detection function, adaptive threshold),
      10 ms hops, timed to the sample in the stream.
    * Tempo seed: over the onsets of the last ``window_beats`` beats (at first, all of them), the
      period ``P`` (within ``min_bpm``..``max_bpm``) whose grid the onsets fit best: the resultant
      length ``|mean exp(2 pi i t / P)|`` of their phases (1: every onset on one grid; 0.9 needed). Its
      sub-multiples fit as well (every beat is also on the eighth-note grid), so the longest period
      scoring within 5 % of the best is taken; its double fits half the onsets at the wrong phase.
      Four onsets on a grid lock it: no warm-up beyond the first bar.
    * Phase locking: the onsets within a quarter period of the grid are numbered along it and a
      robust line (Theil-Sen) through (number, time) gives the period and the phase; every new onset
      on the grid refines both. From three onsets in a row off the grid (a new tempo?), every onset tries
      to seed it again; the old grid plays on until one does.

    Times are stream samples (the caller's timeline, e.g. the RTP clock), never arrival times.
    """

    def __init__(self, method: str = "hfc", window: int = 1024, min_bpm: float = 60.0, max_bpm: float = 180.0,
                 window_beats: int = 8, delay_ms: float = 30.0) -> None:
        import aubio

        self._onset = aubio.onset(method, window, HOP, SAMPLE_RATE)
        self._onset.set_threshold(0.3)
        self._onset.set_minioi_ms(100)
        # aubio reports an onset this long after its attack (half a window and the peak picker's
        # look-ahead; measured on strums), so this much is taken back.
        self._onset.set_delay_ms(delay_ms)
        self.min_bpm, self.max_bpm, self.window_beats = min_bpm, max_bpm, window_beats
        self._pending = np.zeros(0, np.float32)
        self.samples = 0  # stream samples consumed (multiples of HOP)
        self.onsets: list[int] = []  # recent onsets (stream samples)
        self.new_onsets: list[int] = []  # those found by the last feed
        self.period: float | None = None  # samples per beat, once locked
        self.anchor: float | None = None  # stream sample of a beat on the grid
        self._off_grid = 0

    @property
    def bpm(self) -> float | None:
        return None if self.period is None else 60.0 * SAMPLE_RATE / self.period

    def feed(self, mono: np.ndarray) -> list[tuple[int, float]]:
        """Returns the beats heard in this block: (stream sample of an onset on the grid, tempo in BPM)."""
        self._pending = np.concatenate([self._pending, np.asarray(mono, np.float32)])
        beats = []
        self.new_onsets: list[int] = []
        while len(self._pending) >= HOP:
            hop, self._pending = self._pending[:HOP], self._pending[HOP:]
            self.samples += HOP
            if self._onset(hop)[0]:
                at = int(self._onset.get_last())  # aubio counts the samples fed, as we do
                self.new_onsets.append(at)
                if self._on_onset(at):
                    beats.append((at, self.bpm))
        return beats

    def next_beat(self, after: float) -> float | None:
        """The first grid beat at or after stream sample ``after`` (None: not locked)."""
        if self.period is None:
            return None
        return self.anchor + np.ceil((after - self.anchor) / self.period) * self.period

    def _on_onset(self, at: int) -> bool:
        self.onsets.append(at)
        span = self.window_beats * (self.period or SAMPLE_RATE * 60.0 / self.min_bpm)
        self.onsets = [t for t in self.onsets if t >= at - span]
        if self.period is not None:
            offset = (at - self.anchor) / self.period
            if abs(offset - round(offset)) <= 0.25:
                self._off_grid = 0
                self._fit(self.period, self.anchor)
                return True
            self._off_grid += 1
            if self._off_grid < 3:
                return False
            # Perhaps a new tempo: seed again from the recent onsets, playing on the old grid
            # until they fit one (stray onsets, a stall's burst, do not stop the band).
            kept = self.period, self.anchor
            if self._seed():
                self._off_grid = 0
                return True
            self.period, self.anchor = kept
            return False
        return self._seed()

    def _seed(self) -> bool:
        # The most recent onsets that fit one grid, 8 at most and 4 at least: what came before
        # (the room settling, a count-in, noise) may not be on it.
        for count in range(min(len(self.onsets), 8), 3, -1):
            if self._seed_from(np.asarray(self.onsets[-count:], np.float64)):
                return True
        return False

    def _seed_from(self, times: np.ndarray) -> bool:
        periods = np.arange(SAMPLE_RATE * 60.0 / self.max_bpm, SAMPLE_RATE * 60.0 / self.min_bpm, SAMPLE_RATE / 1000)
        fit = np.abs(np.exp(2j * np.pi * times[None, :] / periods[:, None]).mean(axis=1))
        if fit.max() < 0.9:  # onsets on a grid within a tenth of a beat or so
            return False
        # The longest run of periods near the best fit, and its peak.
        good = np.flatnonzero(fit >= 0.95 * fit.max())
        run = good[np.flatnonzero(np.diff(good) > 1)[-1] + 1:] if np.any(np.diff(good) > 1) else good
        period = float(periods[run[np.argmax(fit[run])]])
        phase = np.angle(np.exp(2j * np.pi * times / period).mean())
        anchor = times[-1] - ((times[-1] - phase * period / (2 * np.pi)) % period)
        if self._fit(period, anchor) < 4:
            self.period = self.anchor = None
            return False
        return True

    def _fit(self, period: float, anchor: float) -> int:
        """A robust line through the onsets near the grid (``period``, ``anchor``); returns how many."""
        times = np.asarray(self.onsets, np.float64)
        numbers = (times - anchor) / period
        near = np.abs(numbers - np.round(numbers)) <= 0.25
        if near.sum() < 2 or np.ptp(np.round(numbers[near])) < 1:
            return int(near.sum())
        # Theil-Sen (median of pairwise slopes): a block of audio shifted by a stall on the way
        # moves a few onsets, not the grid.
        slope, intercept, _low, _high = theilslopes(times[near], np.round(numbers[near]))
        tempo = 60.0 * SAMPLE_RATE / slope if slope > 0 else 0.0
        if abs(slope / period - 1) > 0.1 or not self.min_bpm <= tempo <= self.max_bpm:  # a wild fit: keep the grid
            return int(near.sum())
        self.period, self.anchor = float(slope), float(intercept)
        return int(near.sum())


class ChordFollower:
    """Chroma over a sliding window, template-matched, with a confirmation delay."""

    def __init__(self, n_fft: int = 4096, step: int = 2 * HOP, confirm: int = 2, min_score: float = 0.75,
                 silence_rms: float = 5e-4) -> None:
        self.n_fft, self.step, self.confirm = n_fft, step, confirm
        self.min_score, self.silence_rms = min_score, silence_rms
        self._bank = chroma_filter(n_fft)
        self._window = np.hanning(n_fft).astype(np.float32)
        self._history = np.zeros(n_fft, np.float32)
        self._pending = np.zeros(0, np.float32)
        self._candidate: Chord | None = None
        self._votes = 0
        self.chord: Chord | None = None  # None: silence, or nothing triad-like yet
        self.samples = 0

    def feed(self, mono: np.ndarray) -> list[tuple[int, Chord | None]]:
        """Returns the changes of chord in this block: (stream sample, new chord or None for silence)."""
        self._pending = np.concatenate([self._pending, np.asarray(mono, np.float32)])
        changes = []
        while len(self._pending) >= self.step:
            hop, self._pending = self._pending[:self.step], self._pending[self.step:]
            self._history = np.concatenate([self._history[self.step:], hop])
            self.samples += self.step
            heard = self._classify()
            if heard == self.chord:
                self._candidate, self._votes = None, 0
                continue
            self._votes = self._votes + 1 if heard == self._candidate else 1
            self._candidate = heard
            if self._votes >= self.confirm:
                self.chord, self._candidate, self._votes = heard, None, 0
                changes.append((self.samples, heard))
        return changes

    def _classify(self) -> Chord | None:
        recent = self._history[-self.n_fft // 2:]
        if np.sqrt(np.mean(recent * recent)) < self.silence_rms:
            return None
        chroma = self._bank @ np.abs(np.fft.rfft(self._history * self._window)[:self._bank.shape[1]])
        chord, score, _margin = match_chord(chroma)
        # Below the score: not a triad we know (a passing tone, noise); keep what was playing.
        return chord if score >= self.min_score else self.chord
