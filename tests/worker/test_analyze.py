"""The `analyze` job kind on music whose answer is known."""

from fractions import Fraction

import pytest

from oracle.jobs import JobContext, kind_named
from oracle.jobs.analyze import analyze_midi
from oracle.jobs.base import JobInputError
from tests.worker.midi_samples import chorale_midi, progression_midi


def test_analyze_finds_key_meter_tempo_and_chords_of_a_cadence():
    midi = progression_midi(
        [["C4", "E4", "G4"], ["F4", "A4", "C5"], ["G4", "B4", "D5", "F5"], ["C4", "E4", "G4"]],
        time_signature="3/4", bpm=90, beats_per_chord=3.0,
    )
    analysis = analyze_midi(midi)
    assert analysis["key"]["name"] == "C major"
    assert analysis["meter"] == "3/4"
    assert analysis["tempo_bpm"] == 90.0
    assert [c["symbol"] for c in analysis["chords"]] == ["C", "F", "G7", "C"]
    assert [c["roman"] for c in analysis["chords"]] == ["I", "IV", "V7", "I"]


def test_analyze_finds_a_minor_key_and_its_chords():
    midi = progression_midi([["A3", "C4", "E4"], ["D4", "F4", "A4"], ["E4", "G#4", "B4"], ["A3", "C4", "E4"]])
    analysis = analyze_midi(midi)
    assert analysis["key"]["name"] == "A minor"
    assert [c["roman"] for c in analysis["chords"]] == ["i", "iv", "V", "i"]


def test_analyze_spells_chords_in_a_sharp_minor_key():
    midi = progression_midi([["F#3", "A3", "C#4"], ["B3", "D4", "F#4"], ["E#3", "G#3", "B3"], ["C#3", "E#3", "G#3", "B3"],
                             ["C#4", "E#4", "G#4"], ["D3", "F#3", "A3"], ["E3", "G#3", "B3"], ["F#3", "A3", "C#4"]])
    analysis = analyze_midi(midi)
    assert analysis["key"]["name"] == "F# minor"
    assert [c["symbol"] for c in analysis["chords"]] == ["F#m", "Bm", "E#dim", "C#7", "C#", "D", "E", "F#m"]
    assert [c["roman"] for c in analysis["chords"]] == ["i", "iv", "viio", "V7", "V", "VI", "VII", "i"]


def test_analyze_spells_chords_in_a_sharp_major_key_and_borrowed_chords_flat():
    midi = progression_midi([["B3", "D#4", "F#4"], ["G#3", "B3", "D#4"], ["E3", "G#3", "B3"], ["C#4", "E#4", "G#4"],
                             ["F#3", "A#3", "C#4", "E4"], ["G3", "B3", "D4"], ["F#3", "A#3", "C#4"], ["B3", "D#4", "F#4"]])
    analysis = analyze_midi(midi)
    assert analysis["key"]["name"] == "B major"
    assert [c["symbol"] for c in analysis["chords"]] == ["B", "G#m", "E", "C#", "F#7", "G", "F#", "B"]
    assert [c["roman"] for c in analysis["chords"]] == ["I", "vi", "IV", "II", "V7", "bVI", "V", "I"]


def test_analyze_reads_a_bach_chorale_beat_by_beat():
    analysis = analyze_midi(chorale_midi("bach/bwv66.6"), window_beats=Fraction(1))
    assert analysis["key"]["name"] == "F# minor"  # music21's own key analysis of the score agrees
    assert analysis["meter"] == "4/4"
    assert len(analysis["chords"]) >= 36  # one chord per beat
    assert analysis["chords"][-1]["symbol"] in ("F#", "F#m")  # the chorale closes on its tonic
    assert {c["beat"] for c in analysis["chords"]} == {1.0, 2.0, 3.0, 4.0}
    # Its C# major chords are dominants of F# minor (built from unspelled MIDI numbers they read "bi+#54").
    assert {c["roman"] for c in analysis["chords"] if c["symbol"] == "C#"} == {"V"}
    assert {c["roman"] for c in analysis["chords"] if c["symbol"] == "C#7"} == {"V7"}


def test_analyze_output_is_identical_bytes_on_every_run():
    kind = kind_named("analyze")
    context = JobContext(job_id=1, seed=42, input_bytes=chorale_midi("bach/bwv66.6"), params={})
    first, second = kind.run(context), kind.run(context)
    assert first.files == second.files
    assert first.files["analysis.json"].endswith(b"\n")


@pytest.mark.parametrize(
    "midi, params, message",
    [
        (b"not a midi file", {}, "not a readable MIDI file"),
        (None, {"max_measures": 0}, "max_measures"),
        (None, {"colour": "blue"}, "unknown analyze parameters"),
        (None, {"window_beats": 0}, "window_beats"),
    ],
)
def test_analyze_refuses_bad_input_clearly(midi, params, message):
    midi = midi if midi is not None else progression_midi([["C4", "E4", "G4"]])
    with pytest.raises(JobInputError, match=message):
        kind_named("analyze").run(JobContext(job_id=1, seed=1, input_bytes=midi, params=params))
