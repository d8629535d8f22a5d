"""Music primitives shared by services: MIDI made from music21's offline corpora or from chords."""

from __future__ import annotations

import tempfile
from pathlib import Path


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
