"""Small MIDI files with known content, made with music21 (no data downloaded)."""

from __future__ import annotations

import tempfile
from pathlib import Path


def progression_midi(chords: list[list[str]], time_signature: str = "4/4", bpm: int = 100,
                     beats_per_chord: float = 4.0) -> bytes:
    from music21 import chord, meter, stream, tempo

    score = stream.Stream()
    score.append(tempo.MetronomeMark(number=bpm))
    score.append(meter.TimeSignature(time_signature))
    for names in chords:
        score.append(chord.Chord(names, quarterLength=beats_per_chord))
    return _midi_bytes(score)


def chorale_midi(name: str = "bach/bwv66.6") -> bytes:
    from music21 import corpus

    return _midi_bytes(corpus.parse(name))


def _midi_bytes(score) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "score.mid"
        score.write("midi", fp=str(path))
        return path.read_bytes()
