"""compose / improvise / accompany on the shipped bundles: deterministic bytes, right shape, clear
refusals."""

from __future__ import annotations

import io

import pytest

from oracle.jobs import JobContext, kind_named
from oracle.jobs.base import JobInputError
from tests.worker.midi_samples import chorale_midi


def _score(midi: bytes):
    from music21 import converter

    return converter.parse(io.BytesIO(midi).getvalue(), format="midi")


@pytest.fixture(scope="module")
def chorale():
    return chorale_midi("bach/bwv66.6")


def _melody(chorale: bytes) -> bytes:
    """The chorale's soprano alone, as a user would upload a tune."""
    from oracle.models.midi import melody_track, read_melody, write_midi

    melody = read_melody(chorale)
    return write_midi([melody_track(melody.events, start=melody.start_position)], bpm=80, meter=melody.meter)


CASES = [
    ("compose", b"", {"key": "D minor", "style": "folk", "bars": 16}, "composition.mid"),
    ("improvise", b"", {"chords": ["C", "Am", "F", "G7"] * 2, "tempo": 90}, "improvisation.mid"),
]


@pytest.mark.parametrize("kind, input_bytes, params, name", CASES)
def test_same_seed_same_bytes_other_seed_other_bytes(kind, input_bytes, params, name):
    job = kind_named(kind)
    first = job.run(JobContext(job_id=1, seed=11, input_bytes=input_bytes, params=params))
    again = job.run(JobContext(job_id=1, seed=11, input_bytes=input_bytes, params=params))
    other = job.run(JobContext(job_id=1, seed=12, input_bytes=input_bytes, params=params))
    assert first.files == again.files
    assert first.files[name] != other.files[name]
    assert len(job.model_id) == 32


def test_compose_from_nothing_lasts_exactly_the_bars_asked():
    result = kind_named("compose").run(JobContext(1, 5, b"", {"meter": "3/4", "bars": 8, "top_k": 8, "style": "chorale"}))
    score = _score(result.files["composition.mid"])
    assert score.highestTime == pytest.approx(8 * 3, abs=3)  # a final rest is not written
    assert len(score.parts) == 1 and len(score.flatten().notes) >= 4


def test_compose_continues_the_input_melody(chorale):
    melody = _melody(chorale)
    result = kind_named("compose").run(JobContext(1, 5, melody, {"bars": 4}))
    from oracle.models.midi import read_melody

    original = read_melody(melody).events
    produced = read_melody(result.files["composition.mid"]).events
    assert produced[:len(original) - 1] == original[:-1]  # the input comes first, unchanged
    assert sum(d for _, d in produced) > sum(d for _, d in original)


def test_improvise_writes_melody_and_chords_for_every_bar():
    result = kind_named("improvise").run(JobContext(1, 3, b"", {"chords": ["C", "F", "G", "C"], "beats_per_chord": 4}))
    score = _score(result.files["improvisation.mid"])
    assert len(score.parts) == 2
    assert score.highestTime <= 16 and score.highestTime >= 12
    assert result.metrics["bars"] == 4


def test_accompany_adds_chords_bass_and_drums(chorale):
    melody = _melody(chorale)
    job = kind_named("accompany")
    params = {"style": "pop", "mood": "energetic", "instruments": {"bass": "synth bass"}, "tempo": 96}
    first = job.run(JobContext(1, 21, melody, params))
    assert first.files == job.run(JobContext(1, 21, melody, params)).files
    assert first.files["accompaniment.mid"] != job.run(JobContext(1, 22, melody, params)).files["accompaniment.mid"]
    score = _score(first.files["accompaniment.mid"])
    assert len(score.parts) == 4  # melody, chords, bass, drums
    melody_length = _score(melody).highestTime
    assert abs(score.highestTime - melody_length) <= 4


def test_accompany_picks_a_style_from_listening_history(chorale):
    import json

    result = kind_named("accompany").run(JobContext(1, 2, _melody(chorale), {"listening_history": [0, 1, 2, 3, 5, 8]}))
    summary = json.loads(result.files["accompaniment.json"])
    assert summary["style_source"].startswith("recommended") and "SIMULATED" in summary["style_source"]


@pytest.mark.parametrize("kind, input_bytes, params, message", [
    ("compose", b"", {"bars": 0}, "bars"),
    ("compose", b"", {"key": "H major"}, "key"),
    ("compose", b"", {"colour": 1}, "unknown compose parameters"),
    ("compose", b"garbage", {}, "not a MIDI"),
    ("improvise", b"", {}, "chord progression"),
    ("improvise", b"", {"chords": ["C", "Xq"]}, "unknown chord"),
    ("improvise", b"", {"chords": ["C"], "beats_per_chord": 3}, "beats_per_chord"),
    ("accompany", b"", {}, "needs a melody"),
    ("accompany", None, {"style": "polka"}, "style"),
    ("accompany", None, {"mood": "angry"}, "mood"),
    ("accompany", None, {"listening_history": [-1]}, "listening_history"),
    ("accompany", None, {"instruments": {"chords": "kazoo"}}, "unknown instrument"),
])
def test_bad_inputs_are_refused_clearly(kind, input_bytes, params, message, chorale):
    input_bytes = _melody(chorale) if input_bytes is None else input_bytes
    with pytest.raises(JobInputError, match=message):
        kind_named(kind).run(JobContext(1, 1, input_bytes, params))
