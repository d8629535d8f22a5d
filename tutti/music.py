"""Music primitives shared by services: MIDI made from music21's offline corpora or from chords."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def progression_midi(chords: list[list[str]], time_signature: str = "4/4", bpm: int = 100,
                     beats_per_chord: float = 4.0) -> bytes:
    """A MIDI file playing ``chords`` (pitch names such as ``["C4", "E4", "G4"]``) in order."""
    from music21 import chord, meter, stream, tempo

    score = stream.Stream()
    score.append(tempo.MetronomeMark(number=bpm))
    score.append(meter.TimeSignature(time_signature))
    for names in chords:
        score.append(chord.Chord(names, quarterLength=beats_per_chord))
    return score_midi(score)


def corpus_midi(name: str = "bach/bwv66.6") -> bytes:
    """A piece from the corpora that ship inside music21 (no download), as MIDI."""
    from music21 import corpus

    return score_midi(corpus.parse(name))


def score_midi(score) -> bytes:
    """Any music21 stream as MIDI bytes."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "score.mid"
        score.write("midi", fp=str(path))
        return path.read_bytes()


def synthesize_parts(score, seconds: float = 8.0, sample_rate: int = 48_000) -> dict[str, "np.ndarray"]:
    """Each part of a music21 score as a mono float32 signal: a plain additive organ-like tone per
    note (four harmonics, short attack and release), enough to hear voices placed in space."""
    import numpy as np

    length = int(seconds * sample_rate)
    parts: dict[str, np.ndarray] = {}
    for index, part in enumerate(score.parts):
        name = (part.partName or f"part{index + 1}").lower().replace(" ", "-")
        signal = np.zeros(length, dtype=np.float64)
        seconds_per_quarter = 60.0 / _tempo_bpm(score)
        for note in part.flatten().notes:
            start = int(float(note.offset) * seconds_per_quarter * sample_rate)
            if start >= length:
                break
            count = min(int(float(note.quarterLength) * seconds_per_quarter * sample_rate), length - start)
            t = np.arange(count) / sample_rate
            envelope = np.minimum(1.0, t / 0.02) * np.minimum(1.0, (count - np.arange(count)) / (0.05 * sample_rate))
            for pitch in note.pitches:
                frequency = float(pitch.frequency)
                tone = sum(np.sin(2 * np.pi * frequency * k * t) / k**1.5 for k in range(1, 5))
                signal[start:start + count] += 0.2 * envelope * tone
        parts[name] = signal.astype(np.float32)
    return parts


def _tempo_bpm(score) -> float:
    from music21 import tempo

    mark = score.recurse().getElementsByClass(tempo.MetronomeMark).first()
    return float(mark.getQuarterBPM()) if mark is not None else 96.0
