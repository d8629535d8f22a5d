"""``improvise``: a melody over a chord progression, by the chord-conditioned GAN (MidiNet-style),
its rhythm drawn event by event from the ``improviser_rhythm`` bundle's rhythm model (at the
temperature chosen on validation chorales) and its notes kept to the key.

Parameters: ``chords`` (symbols such as ["C", "Am", "F", "G7"]; default: the chords of the input
MIDI, beat by beat, as the ``analyze`` job finds them), ``beats_per_chord`` (1, 2 or 4; default 4,
one chord per 4/4 bar), ``temperature`` (0.1..2.0, default 1.0), ``tempo`` (30..240, default 100).
At most 64 bars. Output: ``improvisation.mid`` (melody + block chords) and ``improvisation.json``.
"""

from __future__ import annotations

import json
from fractions import Fraction

from oracle.jobs.base import JobContext, JobInputError, JobResult, job_kind
from oracle.jobs.compose import check_number, check_unknown
from oracle.models.bundles import model_id

MAX_BEATS = 64 * 4


def progression(context: JobContext, beats_per_chord: int) -> list[int]:
    from oracle.models.vocabulary import parse_chord_symbol

    symbols = context.params.get("chords")
    if symbols is not None:
        if not isinstance(symbols, list) or not symbols or not all(isinstance(s, str) for s in symbols):
            raise JobInputError("chords must be a non-empty list of chord symbols such as 'C', 'Am', 'G7'")
        try:
            chords = [parse_chord_symbol(s) for s in symbols]
        except ValueError as exc:
            raise JobInputError(str(exc)) from None
        beats = [c for c in chords for _ in range(beats_per_chord)]
    elif context.input_bytes:
        from oracle.jobs.analyze import analyze_midi

        analysis = analyze_midi(context.input_bytes, window_beats=Fraction(1))
        beats = [parse_chord_symbol(c["symbol"]) for c in analysis["chords"]]
    else:
        raise JobInputError("give a chord progression: the chords parameter or a MIDI file")
    if len(beats) > MAX_BEATS:
        raise JobInputError("at most 64 bars of chords")
    return beats + [beats[-1]] * ((-len(beats)) % 4)


class ImproviseJob:
    name = "improvise"
    model_id = model_id("improviser", "improviser_rhythm")

    def run(self, context: JobContext) -> JobResult:
        from oracle.models.bundles import load_bundle
        from oracle.models.improviser import Generator, improvise
        from oracle.models.inference import deterministic, load_model
        from oracle.models.midi import Track, melody_track, write_midi
        from oracle.models.arranger import voicing
        from oracle.models.vocabulary import chord_symbol

        check_unknown(context.params, {"chords", "beats_per_chord", "temperature", "tempo"}, "improvise")
        beats_per_chord = context.params.get("beats_per_chord", 4)
        if beats_per_chord not in (1, 2, 4) or isinstance(beats_per_chord, bool):
            raise JobInputError("beats_per_chord must be 1, 2 or 4")
        temperature = float(check_number(context.params, "temperature", 1.0, 0.1, 2.0))
        tempo = float(check_number(context.params, "tempo", 100, 30, 240))
        beats = progression(context, beats_per_chord)

        generator, bundle = load_model("improviser", Generator)
        rhythm = load_bundle("improviser_rhythm")
        with deterministic(context.seed, "improvise") as sampler:
            melody = improvise(generator, beats, sampler=sampler, temperature=temperature,
                               rhythm=rhythm["rhythm"], rhythm_temperature=rhythm["temperature"])
        chords = Track("chords", 0, 1)
        for beat, chord in enumerate(beats):
            if beat == 0 or beats[beat - 1] != chord or beat % 4 == 0:
                length = 1
                while beat + length < len(beats) and beats[beat + length] == chord and (beat + length) % 4:
                    length += 1
                chords.notes += [(beat * 4, length * 4, p - 12, 60) for p in voicing(chord)]
        midi = write_midi([melody_track(melody, program=65), chords], bpm=tempo, meter="4/4")
        summary = {"bars": len(beats) // 4, "chords_per_beat": [chord_symbol(c) for c in beats],
                   "melody": [[p, d] for p, d in melody], "model_sha256": bundle["sha256"],
                   "rhythm_sha256": rhythm["sha256"]}
        return JobResult(files={"improvisation.mid": midi,
                                "improvisation.json": json.dumps(summary, sort_keys=True).encode() + b"\n"},
                         metrics={"bars": len(beats) // 4, "notes": sum(1 for p, _ in melody if p is not None)})


job_kind(ImproviseJob())
