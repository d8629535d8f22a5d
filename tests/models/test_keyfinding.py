"""Key of a bare melody for accompaniment: the whole melody and the note it closes on."""

from __future__ import annotations

import json

import pytest

from oracle.jobs import JobContext, kind_named
from oracle.models.keyfinding import melody_key
from oracle.models.midi import melody_track, read_melody, write_midi
from tests.worker.midi_samples import chorale_midi


def _soprano(name: str):
    """(the soprano alone as MIDI, the key of the full four-part chorale)."""
    full = read_melody(chorale_midi(name))
    return write_midi([melody_track(full.events, start=full.start_position)], bpm=80, meter=full.meter), \
        (full.tonic_pc, full.mode)


@pytest.mark.parametrize("name", ["bach/bwv103.6", "bach/bwv111.6"])
def test_the_cadence_finds_the_key_music21_misses_in_the_melody_alone(name):
    melody, chorale_key = _soprano(name)
    alone = read_melody(melody)
    assert (alone.tonic_pc, alone.mode) != chorale_key  # music21's analysis of the bare melody
    assert melody_key(alone.events) == chorale_key


def test_accompany_harmonizes_in_the_key_of_the_whole_melody():
    melody, (tonic, mode) = _soprano("bach/bwv111.6")
    result = kind_named("accompany").run(JobContext(1, 4, melody, {"style": "chorale"}))
    summary = json.loads(result.files["accompaniment.json"])
    assert summary["key"] == f"{tonic} {mode}" == "9 minor"
    assert summary["chords_per_beat"][-1] in ("A", "Am")  # the chorale's final chord on its tonic


def test_a_melody_without_notes_defaults_to_c_major():
    assert melody_key([(None, 16)]) == (0, "major")
