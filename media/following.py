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
    """aubio's causal beat tracker over a mono stream fed in any block size."""

    def __init__(self, method: str = "specflux", window: int = 2048) -> None:
        import aubio

        self._tracker = aubio.tempo(method, window, HOP, SAMPLE_RATE)
        self._pending = np.zeros(0, np.float32)
        self.samples = 0  # stream samples consumed (multiples of HOP)

    def feed(self, mono: np.ndarray) -> list[tuple[int, float]]:
        """Returns the beats found in this block: (stream sample of the beat, tempo in BPM)."""
        self._pending = np.concatenate([self._pending, np.asarray(mono, np.float32)])
        beats = []
        while len(self._pending) >= HOP:
            hop, self._pending = self._pending[:HOP], self._pending[HOP:]
            self.samples += HOP
            if self._tracker(hop)[0]:
                beats.append((int(self._tracker.get_last()), float(self._tracker.get_bpm())))
        return beats


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
