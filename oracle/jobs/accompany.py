"""``accompany``: a melody (MIDI) in; the melody with chords, bass and drums out (multi-track MIDI).

Chords come from the harmonizer learned on the Bach chorales; the parts are arranged for the
listener's preferences. Parameters (all optional): ``style`` (chorale | folk | pop | rock | jazz |
ambient; default: the style the recommender predicts from ``listening_history``, else pop),
``listening_history`` (work ids; the recommender is trained on a SIMULATED population until the
indexer provides real plays), ``mood`` (calm | neutral | energetic), ``instruments``
({"chords": name, "bass": name}), ``tempo`` (30..240; default the input's), ``temperature``
(harmonizer sampling, 0 = most likely chord, up to 1.5). The key is found from the whole melody
and the note it closes on (:mod:`oracle.models.keyfinding`), not from its pitch profile alone.
"""

from __future__ import annotations

import json
import random

from oracle.jobs.base import JobContext, JobInputError, JobResult, job_kind
from oracle.jobs.compose import check_number, check_unknown, read_input_melody
from oracle.models.bundles import model_id

PARAMETERS = {"style", "listening_history", "mood", "instruments", "tempo", "temperature"}


def choose_style(params: dict) -> tuple[str, str]:
    from oracle.models.recommender import ARRANGEMENT_STYLES

    if "style" in params:
        if params["style"] not in ARRANGEMENT_STYLES:
            raise JobInputError(f"style must be one of {', '.join(ARRANGEMENT_STYLES)}")
        return params["style"], "requested"
    history = params.get("listening_history")
    if history is None:
        return "pop", "default"
    from oracle.models.bundles import load_bundle
    from oracle.models.recommender import style_scores

    bundle = load_bundle("recommender")
    works = len(bundle["work_styles"])
    if (not isinstance(history, list) or len(history) > 10_000
            or not all(isinstance(w, int) and not isinstance(w, bool) and 0 <= w < works for w in history)):
        raise JobInputError(f"listening_history must be a list of work ids from 0 to {works - 1}")
    if not history:
        return "pop", "default"
    scores = style_scores(bundle["item_factors"].double().numpy(), bundle["item_bias"].double().numpy(),
                          bundle["work_styles"].numpy(), history)
    best = int(max(range(len(scores)), key=lambda s: (round(float(scores[s]), 9), -s)))
    return ARRANGEMENT_STYLES[best], f"recommended from listening history ({bundle['label']})"


class AccompanyJob:
    name = "accompany"
    model_id = model_id("harmonizer", "recommender")

    def run(self, context: JobContext) -> JobResult:
        from oracle.models.arranger import INSTRUMENTS, MOODS, STYLE_INSTRUMENTS, arrange
        from oracle.models.harmonizer import Harmonizer, events_to_grid, harmonize
        from oracle.models.inference import deterministic, load_model, seed_from
        from oracle.models.keyfinding import melody_key
        from oracle.models.midi import key_signature, melody_track, write_midi
        from oracle.models.vocabulary import chord_symbol

        params = context.params
        check_unknown(params, PARAMETERS, "accompany")
        melody = read_input_melody(context.input_bytes)
        if melody is None:
            raise JobInputError("accompany needs a melody: a MIDI file as input")
        mood = params.get("mood", "neutral")
        if mood not in MOODS:
            raise JobInputError(f"mood must be one of {', '.join(MOODS)}")
        style, style_source = choose_style(params)
        instruments = params.get("instruments", {})
        if not isinstance(instruments, dict) or set(instruments) - {"chords", "bass"}:
            raise JobInputError('instruments must look like {"chords": "piano", "bass": "electric bass"}')
        defaults = STYLE_INSTRUMENTS[style]
        names = (instruments.get("chords", defaults[0]), instruments.get("bass", defaults[1]))
        for name in names:
            if name not in INSTRUMENTS:
                raise JobInputError(f"unknown instrument {name!r}; known: {', '.join(sorted(INSTRUMENTS))}")
        tempo = float(check_number(params, "tempo", melody.bpm, 30, 240)) if "tempo" in params else melody.bpm
        temperature = float(check_number(params, "temperature", 0.0, 0.0, 1.5))
        if sum(d for _, d in melody.events) > 64 * 16 * 2:
            raise JobInputError("the melody is too long (at most 128 bars of 4/4)")

        tonic, mode = melody_key(melody.events)
        grid = events_to_grid(melody.events, melody.start_position)
        bar_length = max(4, {"3/4": 12, "2/4": 8, "6/8": 12}.get(melody.meter, 16))
        beats_per_bar = bar_length // 4
        model, bundle = load_model("harmonizer", Harmonizer)
        with deterministic(context.seed, "accompany/harmonize") as sampler:
            chords = harmonize(model, grid, tonic, mode, beats_per_bar, sampler=sampler,
                               temperature=temperature)
        parts = arrange(chords, beats_per_bar, style=style, mood=mood, chord_program=INSTRUMENTS[names[0]],
                        bass_program=INSTRUMENTS[names[1]], rng=random.Random(seed_from(context.seed, "arrange")))
        lead = melody_track(melody.events, start=melody.start_position)
        midi = write_midi([lead, *parts], bpm=tempo, meter=melody.meter if melody.meter in ("4/4", "3/4", "2/4", "6/8")
                          else "4/4", key_fifths=key_signature(tonic, mode), minor=mode == "minor")
        summary = {"key": f"{tonic} {mode}", "style": style, "style_source": style_source, "mood": mood,
                   "instruments": {"chords": names[0], "bass": names[1]}, "tempo_bpm": tempo,
                   "chords_per_beat": [chord_symbol(c) for c in chords],
                   "harmonizer_sha256": bundle["sha256"]}
        return JobResult(files={"accompaniment.mid": midi,
                                "accompaniment.json": json.dumps(summary, sort_keys=True).encode() + b"\n"},
                         metrics={"beats": len(chords), "style": style, "tracks": 4})


job_kind(AccompanyJob())
