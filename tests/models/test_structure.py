"""Structure-guided decoding and the improviser's sequential rhythm, on small synthetic data and
untrained networks: the guarantees hold whatever the network believes."""

from __future__ import annotations

import torch

from oracle.models.inference import Sampler
from oracle.models.vocabulary import DURATIONS, FIRST_DURATION_TOKEN, Conditioning, events_to_tokens
from oracle.training import metrics as m


def _rows():
    # 8-bar tunes in C major whose bars 5-8 repeat bars 1-4, all ending on C
    rows = []
    for shift in range(6):
        phrase = [[(60 + shift, 4), (62, 4), (64, 8)], [(65, 4), (64, 4), (62, 8)], [(67, 8), (65, 8)],
                  [(64, 4), (62, 4), (60, 8)]]
        events = [e for bar in phrase + phrase for e in bar]
        rows.append({"tokens": events_to_tokens(events), "tonic_pc": 0, "mode": "major", "style": "folk",
                     "bar_length": 16, "start_position": 0, "transpose": 0})
    return rows


def test_learned_structure_counts_cadences_and_repeats():
    from oracle.models.structure import LAGS, learn_structure

    structure = learn_structure(_rows() + [{**_rows()[0], "transpose": 2}])  # transposed copies skipped
    assert structure["pieces"] == 6
    assert structure["final_degrees"]["major"][0] == 6 and sum(structure["final_degrees"]["major"]) == 6
    repeats = structure["repeats"]["folk"]
    assert repeats[0][1 + LAGS.index(4)] == 6  # bar 5 (index 4) repeats bar 1
    assert sum(repeats[1]) == 12 and repeats[1][0] == 6  # bar 2 is new, bar 6 repeats it


def test_guided_sampling_ends_on_a_cadence_degree_and_repeats_bars():
    from oracle.models.composer import ComposerLSTM, sample
    from oracle.models.structure import learn_structure

    torch.manual_seed(0)
    model = ComposerLSTM(hidden=16, layers=1, phrase_embedding=4).double()  # untrained: near uniform pitches,
    with torch.no_grad():  # but mostly quarter notes, so bars start on bar lines and can be repeated
        model.head.bias[FIRST_DURATION_TOKEN + DURATIONS.index(4)] = 6.0
    structure = learn_structure(_rows())
    conditioning = Conditioning(0, "major", "4/4", "folk")
    endings, repeats, counted = [], 0, 0
    for seed in range(6):
        events = sample(model, conditioning, 8, sampler=Sampler(seed, "test"), structure=structure)
        assert sum(d for _, d in events) == 8 * 16
        endings.append(m.ends_on_tonic(events, 0))
        r, c = m.bar_repetition(events, 16)
        repeats, counted = repeats + r, counted + c
    assert all(endings)  # the only cadence degree in these tunes is the tonic
    assert repeats / counted > 0.1
    free = [sample(model, conditioning, 8, sampler=Sampler(seed, "test")) for seed in range(6)]
    assert sum(m.ends_on_tonic(e, 0) for e in free) < 6  # without guidance an untrained network rarely does


def test_sequential_rhythm_improviser_stays_in_key_and_fills_the_bars():
    from oracle.models.improviser import Generator, improvise, progression_scale, rhythm_counts
    from oracle.models.vocabulary import chord_pitch_classes, parse_chord_symbol

    torch.manual_seed(0)
    chords = [parse_chord_symbol(s) for s in ("G", "Em", "C", "D7") for _ in range(4)]
    scale = progression_scale(chords)
    assert scale == frozenset({7, 9, 11, 0, 2, 4, 6})  # G major
    rhythm = rhythm_counts([[(67, 4), (69, 4), (71, 8)] * 4, [(None, 4), (67, 2), (69, 2), (71, 8)] * 4])
    melody = improvise(Generator(noise=8, hidden=32).double(), chords, sampler=Sampler(3, "test"), rhythm=rhythm)
    assert sum(d for _, d in melody) == 4 * len(chords)
    now = 0
    for pitch, duration in melody:
        if pitch is not None:
            assert pitch % 12 in scale or pitch % 12 in chord_pitch_classes(chords[now // 4])
        now += duration
    assert {d for _, d in melody} <= {2, 4, 8}  # lengths the rhythm model has seen (backoff aside)


def test_bar_form_reads_bars_as_the_repetition_measure_does():
    from oracle.models.structure import FormPlan, bar_form

    a, b = [(60, 4), (62, 4), (64, 8)], [(67, 8), (65, 8)]
    a_step_up = [(62, 4), (64, 4), (66, 8)]  # same shape a step higher: a sequence
    pickup = [(55, 4)]
    events = pickup + a + b + a_step_up + a + [(60, 16)]
    sources, exact = bar_form(events, 16, 12)  # the pickup bar is not part of the form
    assert sources == [-1, -1, 0, 0, -1]
    assert exact == [False, False, False, True, False]
    repeats, counted = m.bar_repetition(events, 16, 12)
    assert (repeats, counted) == (2, 5)  # the measure also reads the pickup bar, as a new one
    plan = FormPlan([-1, -1, -1, 0, 2], [False] * 5, 5)
    assert plan.source(4) == 2 and plan.source(5) is None


def test_a_form_is_drawn_from_the_tunes_of_the_style_and_meter():
    import random

    from oracle.models.structure import FORM_MINIMUM, StructureGuide, learn_structure

    structure = learn_structure(_rows())  # six folk 4/4 tunes, bars 5-8 repeating bars 1-4
    structure["forms"] += [{"style": "fiddle", "meter": "6/8", "sources": [-1, 0] * 10, "exact": [False, True] * 10}
                           for _ in range(FORM_MINIMUM)]
    folk = StructureGuide(structure, 0, "major", "folk", "4/4")
    assert [folk.plan(random.Random(seed), 8).sources for seed in range(3)] == [[-1, -1, -1, -1, 0, 1, 2, 3]] * 3
    # a tune is drawn whatever its length, as real tunes are read; past its end the lag law decides
    longer = folk.plan(random.Random(0), 12)
    assert longer.source(7) == 3 and longer.source(8) is None
    # too few tunes of a meter: the style's of every meter; of a style: every style's
    assert StructureGuide(structure, 0, "major", "fiddle", "4/4").plan(random.Random(0), 4).sources == [-1, 0] * 2
    pooled = {tuple(StructureGuide(structure, 0, "major", "chorale", "4/4").plan(random.Random(seed), 2).sources)
              for seed in range(40)}
    assert pooled == {(-1, -1), (-1, 0)}


def test_planned_repeats_appear_and_the_cadence_is_kept():
    from oracle.models.composer import ComposerLSTM, sample
    from oracle.models.structure import bar_onsets, learn_structure

    torch.manual_seed(1)
    model = ComposerLSTM(hidden=16, layers=1, phrase_embedding=4).double()  # untrained: near uniform pitches,
    with torch.no_grad():  # but mostly quarter notes, so bars mostly start on their bar lines
        model.head.bias[FIRST_DURATION_TOKEN + DURATIONS.index(4)] = 6.0
    structure = learn_structure(_rows())  # every form: bars 5-8 repeat bars 1-4 exactly
    conditioning = Conditioning(0, "major", "4/4", "folk")
    copies = 0
    for seed in range(4):
        events = sample(model, conditioning, 8, sampler=Sampler(seed, "test"), structure=structure)
        assert sum(d for _, d in events) == 8 * 16
        assert m.ends_on_tonic(events, 0)
        bars = bar_onsets(events, 16, 0)
        for target in (4, 5, 6):  # planned copies (bar 8 too, when bar 4 happens to close on the tonic)
            source = bars.get(target - 4, [])
            lined_up = source and source[0][0] == 0 and bars.get(target, [(1,)])[0][0] == 0
            if lined_up and any(p is not None for _, p, _ in source):
                assert bars[target] == source
                copies += 1
    assert copies >= 4  # of 12 planned (an untrained network often runs a note over a bar line)


def test_a_lower_rhythm_temperature_narrows_the_note_lengths():
    from oracle.models.improviser import rhythm_counts
    from oracle.training.train_improviser import closest_temperature, rhythm_sweep

    # mostly quarter notes: at a low temperature the rarer lengths fade, at 1 they come as often as counted
    melodies = [[(67, 4)] * 16] * 8 + [[(60, 2), (62, 2), (64, 8), (None, 4)] * 4]
    sweep = rhythm_sweep(rhythm_counts(melodies), melodies, temperatures=(0.4, 1.0))
    assert sweep["0.4"]["duration_entropy"] < sweep["1.0"]["duration_entropy"]
    assert all(0 <= v["duration_overlap"] <= 1 for v in sweep.values())
    # the temperature kept is the one whose entropy is nearest the real melodies'
    real = sweep["real"]["duration_entropy"]
    assert closest_temperature(sweep) == min(("0.4", "1.0"), key=lambda t: abs(sweep[t]["duration_entropy"] - real))
