"""Evaluation measures, each defined where it is computed (the report repeats the definitions).

- histogram overlap: sum over bins of min(p, q) for two normalised histograms; 1 = identical,
  0 = disjoint. Pitch classes are taken relative to the piece's tonic, intervals in semitones
  clipped to +-12, durations in sixteenths.
- BLEU-4 on note n-grams: geometric mean of modified n-gram precisions (n = 1..4) of the
  generated interval sequence against all reference pieces pooled (counts clipped by the maximum
  count in any single reference), no brevity penalty (lengths are fixed by the bar count).
- verbatim match rate: share of generated 8-interval n-grams found anywhere in the training
  melodies; high = copying, 0 = no long quotes.
- chord-tone ratio: share of note onsets whose pitch class belongs to the chord of their beat.
- diversity: distinct 4-gram ratio of pitch sequences over all generated bars (distinct / total).
"""

from __future__ import annotations

import math
from collections import Counter


def normalised(counter: Counter, bins) -> list[float]:
    total = sum(counter[b] for b in bins) or 1
    return [counter[b] / total for b in bins]


def overlap(a: Counter, b: Counter, bins) -> float:
    return sum(min(x, y) for x, y in zip(normalised(a, bins), normalised(b, bins)))


def melody_histograms(events, tonic_pc: int) -> tuple[Counter, Counter, Counter]:
    pitches = [p for p, _ in events if p is not None]
    pitch_classes = Counter((p - tonic_pc) % 12 for p in pitches)
    intervals = Counter(max(-12, min(12, b - a)) for a, b in zip(pitches, pitches[1:]))
    durations = Counter(d for p, d in events if p is not None)
    return pitch_classes, intervals, durations


PITCH_BINS, INTERVAL_BINS, DURATION_BINS = range(12), range(-12, 13), range(1, 17)


def intervals_of(events) -> list[int]:
    pitches = [p for p, _ in events if p is not None]
    return [b - a for a, b in zip(pitches, pitches[1:])]


def ngrams(sequence, n: int) -> Counter:
    return Counter(tuple(sequence[i:i + n]) for i in range(len(sequence) - n + 1))


def bleu(candidates: list[list[int]], references: list[list[int]], max_n: int = 4) -> float:
    precisions = []
    for n in range(1, max_n + 1):
        reference_max: Counter = Counter()
        for reference in references:
            for gram, count in ngrams(reference, n).items():
                reference_max[gram] = max(reference_max[gram], count)
        matched = total = 0
        for candidate in candidates:
            grams = ngrams(candidate, n)
            matched += sum(min(count, reference_max[gram]) for gram, count in grams.items())
            total += sum(grams.values())
        precisions.append(matched / total if total else 0.0)
    if min(precisions) <= 0:
        return 0.0
    return math.exp(sum(math.log(p) for p in precisions) / max_n)


def verbatim_match_rate(candidates: list[list[int]], corpus_grams: set, n: int = 8) -> float:
    hits = total = 0
    for candidate in candidates:
        for gram in ngrams(candidate, n):
            total += 1
            hits += gram in corpus_grams
    return hits / total if total else 0.0


def distinct_ratio(sequences: list[list[int]], n: int = 4) -> float:
    grams = [tuple(s[i:i + n]) for s in sequences for i in range(len(s) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def recall_at_k(ranked: list[int], relevant: set[int], k: int) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def ndcg_at_k(ranked: list[int], relevant: set[int], k: int) -> float:
    gain = sum(1 / math.log2(i + 2) for i, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return gain / ideal if ideal else 0.0


def bar_repetition(events, bar_length: int, start: int = 0) -> tuple[int, int]:
    """(bars that repeat an earlier bar of the same melody, bars after the first): a bar is its
    rhythm and its pitches relative to its first pitch, so a sequence a step higher still counts
    as a repetition; empty (silent) bars are not counted. The bar reading is the structure guide's
    (:func:`oracle.models.structure.pitched_shape`), so the guide plans what this measures."""
    from oracle.models.structure import bar_onsets, pitched_shape

    bars = bar_onsets(events, bar_length, start)
    seen, repeats, counted = set(), 0, 0
    for index in sorted(bars):
        shape = pitched_shape(bars[index])
        if shape is None:
            continue
        if seen:
            counted += 1
            repeats += shape in seen
        seen.add(shape)
    return repeats, counted


def ends_on_tonic(events, tonic_pc: int) -> bool:
    pitches = [p for p, _ in events if p is not None]
    return bool(pitches) and pitches[-1] % 12 == tonic_pc



#: Scale degrees counted as in key: the major scale; in minor the natural minor plus the raised
#: sixth and seventh (melodic and harmonic minor), as chorale and folk melodies use them.
SCALES = {"major": frozenset({0, 2, 4, 5, 7, 9, 11}), "minor": frozenset({0, 2, 3, 5, 7, 8, 9, 10, 11})}


def in_key_ratio(events, tonic_pc: int, mode: str) -> tuple[int, int]:
    """(notes whose pitch class is in the key's scale, notes)."""
    pitches = [p for p, _ in events if p is not None]
    return sum((p - tonic_pc) % 12 in SCALES[mode] for p in pitches), len(pitches)


def duration_entropy(durations: Counter) -> float:
    """Shannon entropy (bits) of a pooled histogram of note durations in sixteenths."""
    total = sum(durations.values())
    return -sum(c / total * math.log2(c / total) for c in durations.values() if c) if total else 0.0


def bootstrap_ratio_interval(pairs: list[tuple[int, int]], rng, rounds: int = 1000,
                             level: float = 0.9) -> tuple[float, float]:
    """The central ``level`` interval of sum(hits) / sum(counted) over ``rounds`` resamples (with
    replacement) of the pieces' (hits, counted) pairs: how far the pooled share moves with the
    pieces drawn, the spread a generated figure is read against."""
    if not pairs:
        return 0.0, 0.0
    ratios = []
    for _ in range(rounds):
        drawn = [pairs[rng.randrange(len(pairs))] for _ in pairs]
        ratios.append(sum(h for h, _ in drawn) / max(1, sum(c for _, c in drawn)))
    ratios.sort()
    low = ratios[int((1 - level) / 2 * rounds)]
    high = ratios[min(rounds - 1, int((1 + level) / 2 * rounds))]
    return low, high
