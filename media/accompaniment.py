"""The accompanist's instrument: an additive bass struck on the beat and a sustained chord pad.

Rendered block by block into a float buffer (phase-continuous, so blocks of any length join without
clicks). The pad crossfades to a new chord in ``fade`` seconds the moment it is told; the bass plays
the current chord's root in octave 2 at every beat it is asked to strike.
"""

from __future__ import annotations

import numpy as np

from .following import Chord
from .mixer import SAMPLE_RATE

PAD_PARTIALS = (1.0, 0.45, 0.2)
BASS_PARTIALS = (1.0, 0.6, 0.3, 0.15)


def midi_hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69) / 12)


def pad_voicing(chord: Chord) -> list[int]:
    """Close position between Ab3 and G4 (MIDI 56-67), where chroma and ears read it clearly."""
    return sorted(60 + pc if 60 + pc <= 67 else 48 + pc for pc in chord.pitch_classes)


class Band:
    """Bass and pad voices with their phases; ``render(n)`` returns the next ``n`` samples."""

    def __init__(self, pad_level: float = 0.07, bass_level: float = 0.3, fade: float = 0.02,
                 bass_decay: float = 0.28) -> None:
        self.pad_level, self.bass_level, self.bass_decay = pad_level, bass_level, bass_decay
        self._ramp = 1.0 / (fade * SAMPLE_RATE)  # amplitude change per sample
        self._pad: dict[int, list[float]] = {}  # midi -> [phase (cycles), amplitude, target]
        self._bass: list[list[float]] = []  # [frequency, age in samples (negative: starts later)]
        self.chord: Chord | None = None

    def set_chord(self, chord: Chord | None) -> None:
        """Crossfade the pad to ``chord`` (None: fade out)."""
        self.chord = chord
        wanted = set(pad_voicing(chord)) if chord is not None else set()
        for midi, voice in self._pad.items():
            voice[2] = self.pad_level if midi in wanted else 0.0
        for midi in wanted - self._pad.keys():
            self._pad[midi] = [0.0, 0.0, self.pad_level]

    def strike(self, offset: int) -> None:
        """Strike the current root ``offset`` samples into the next rendered block."""
        if self.chord is not None:
            self._bass.append([midi_hz(36 + self.chord.root), -float(offset)])

    def render(self, n: int) -> np.ndarray:
        out = np.zeros(n, np.float64)
        steps = np.arange(n, dtype=np.float64)
        for midi in list(self._pad):
            phase, amp, target = self._pad[midi]
            delta = np.clip(target - amp, -self._ramp * n, self._ramp * n)
            amps = amp + delta * (steps + 1) / n
            cycles = phase + midi_hz(midi) * steps / SAMPLE_RATE
            out += amps * sum(w * np.sin(2 * np.pi * k * cycles) for k, w in enumerate(PAD_PARTIALS, 1))
            amp += delta
            if amp == 0.0 and target == 0.0:
                del self._pad[midi]
            else:
                self._pad[midi] = [(phase + midi_hz(midi) * n / SAMPLE_RATE) % 1.0, amp, target]
        for note in self._bass:
            frequency, age = note
            t = (age + steps) / SAMPLE_RATE
            sounding = t >= 0
            t = np.where(sounding, t, 0.0)
            envelope = np.minimum(t / 0.004, 1.0) * np.exp(-t / self.bass_decay) * sounding
            out += self.bass_level * envelope * sum(w * np.sin(2 * np.pi * k * frequency * t)
                                                    for k, w in enumerate(BASS_PARTIALS, 1))
            note[1] = age + n
        self._bass = [note for note in self._bass if note[1] < 6 * self.bass_decay * SAMPLE_RATE]
        return out.astype(np.float32)
