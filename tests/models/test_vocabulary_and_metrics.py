from __future__ import annotations

import pytest

from oracle.models.vocabulary import (
    chord_symbol, events_to_tokens, fit_range, parse_chord_symbol, parse_key, tokens_to_events,
)
from oracle.training import metrics


def test_events_survive_tokens_and_long_notes_split_into_representable_parts():
    events = [(60, 4), (None, 2), (67, 3), (72, 16)]
    assert tokens_to_events(events_to_tokens(events)) == events
    assert tokens_to_events(events_to_tokens([(60, 20)])) == [(60, 16), (None, 4)]


def test_fit_range_shifts_by_octaves_only():
    events, shift = fit_range([(96, 4), (100, 4)])
    assert shift % 12 == 0 and all(48 <= p <= 84 for p, _ in events)


@pytest.mark.parametrize("symbol", ["C", "Am", "F#m7", "Bbmaj7", "Bdim", "G7", "E-"])
def test_chord_symbols_parse(symbol):
    assert parse_chord_symbol(chord_symbol(parse_chord_symbol(symbol))) == parse_chord_symbol(symbol)


def test_keys_parse():
    assert parse_key("F# minor") == (6, "minor") and parse_key("Bb") == (10, "major") and parse_key("am") == (9, "minor")


def test_metrics_on_known_values():
    assert metrics.bleu([[1, 2, 3, 4, 5]], [[1, 2, 3, 4, 5]]) == pytest.approx(1.0)
    assert metrics.bleu([[9, 9, 9, 9]], [[1, 2, 3, 4]]) == 0.0
    assert metrics.ndcg_at_k([3, 1, 2], {3}, 3) == 1.0 and metrics.recall_at_k([1, 2], {2, 5}, 2) == 0.5
    from collections import Counter

    assert metrics.overlap(Counter({0: 1}), Counter({0: 1}), range(12)) == pytest.approx(1.0)
    assert metrics.overlap(Counter({0: 1}), Counter({1: 1}), range(12)) == 0.0


def test_phrase_inputs_count_bars_down_to_the_end_and_bars_within_the_phrase():
    from oracle.models.vocabulary import PHRASE_BARS, events_to_tokens, phrase_positions

    tokens = events_to_tokens([(60, 16)] * 6)  # six whole bars of 4/4
    states = phrase_positions(tokens, 16)
    pitch_states = states[1:-1:2]  # before each pitch token
    assert [s // PHRASE_BARS for s in pitch_states] == [5, 4, 3, 2, 1, 0]
    assert [s % PHRASE_BARS for s in pitch_states] == [0, 1, 2, 3, 0, 1]


def test_bar_repetition_counts_repeated_and_sequenced_bars():
    motif = [(60, 4), (62, 4), (64, 8)]
    higher = [(p + 2, d) for p, d in motif]
    other = [(67, 8), (65, 8)]
    assert metrics.bar_repetition(motif + higher + other + motif, 16) == (2, 3)
    assert metrics.ends_on_tonic(motif + [(None, 4)], 4) and not metrics.ends_on_tonic(motif, 0)

