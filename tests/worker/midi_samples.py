"""Small MIDI files with known content (see tutti.music)."""

from tutti.music import corpus_midi as chorale_midi, progression_midi  # noqa: F401
