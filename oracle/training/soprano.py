"""A measure comparable with the literature: soprano pitch cross-entropy of Bach chorale melodies,
in bits per note, with 10-fold cross-validation by tune family.

Classic multiple-viewpoint models (Conklin & Witten 1995; Pearce's IDyOM) predict each pitch of a
chorale melody from the ones before and report about 1.9 bits per note. Here:

* **n-gram**: interpolated Witten-Bell over MIDI pitches, trained on the training folds' chorale
  melodies in every transposition the models train on;
* **key-aware n-gram**: the same over pitches relative to the tonic (a scale degree with its
  octave), with the mode as the first symbol, so every key's pieces teach every other key;
* **neural** models: their probability of each pitch token (renormalised over the pitch tokens,
  since the token grammar says a pitch comes next), given everything before it and their
  conditioning, on the test fold only (they are trained once, on the main split).

Every model sees the same notes: the held-out pieces' tokens in their own key, rests skipped
(Bach's sopranos have almost none). The n-gram order is chosen on the fold after the test fold.
"""

from __future__ import annotations

import math
from collections import defaultdict

from oracle.models.ngram import NGramModel
from oracle.models.vocabulary import tokens_to_events
from oracle.training.families import FOLDS, NGRAM, TEST_FOLD, interval_ngrams

ORDERS = (1, 2, 3, 4, 5, 6)
PITCHES = 128
#: First symbols of the key-aware model's sequences, one per mode (outside the pitch range).
MODE_SYMBOLS = {"major": PITCHES + 12, "minor": PITCHES + 13}
PUBLISHED_BITS = 1.9
PUBLISHED_SOURCE = ("Conklin & Witten (1995) and Pearce's IDyOM report about 1.9 bits per note for "
                    "multiple-viewpoint models on Bach chorale melodies (their corpora and folds, not ours)")


def pitches_of(row: dict) -> list[int]:
    return [p for p, _ in tokens_to_events(list(row["tokens"])) if p is not None]


def _absolute(row: dict, shift: int = 0) -> list[int]:
    return [PITCHES] + [p + shift for p in pitches_of(row)]


def _relative(row: dict, shift: int = 0) -> list[int]:
    # Transposing a piece does not change its tonic-relative pitches; shift is ignored.
    return [MODE_SYMBOLS[row["mode"]]] + [p - row["tonic_pc"] + 12 for p in pitches_of(row)]


VIEWS = {"ngram": (_absolute, PITCHES + 1), "key_aware_ngram": (_relative, PITCHES + 14)}


def _fit(view: str, order: int, rows: list[dict], shifts) -> NGramModel:
    encode, vocabulary = VIEWS[view]
    shifts = shifts if view == "ngram" else (0,)
    return NGramModel(order, vocabulary=vocabulary).fit(encode(r, s) for r in rows for s in shifts)


def _bits(model: NGramModel, view: str, rows: list[dict]) -> tuple[float, int]:
    nats, notes = model.nll(VIEWS[view][0](r) for r in rows)
    return nats / math.log(2), notes


def _rate(model: NGramModel, view: str, rows: list[dict]) -> float:
    bits, notes = _bits(model, view, rows)
    return bits / max(1, notes)


def cross_validate(rows: list[dict], shifts=(0,)) -> dict:
    """10-fold CV of both n-grams over chorale rows (transpose 0, each with its ``fold``): per view,
    bits per note pooled over all folds, the test fold's own figure, and the orders chosen."""
    by_fold = defaultdict(list)
    for row in rows:
        by_fold[row["fold"]].append(row)
    results = {}
    for view in VIEWS:
        total_bits = total_notes = 0.0
        per_fold, orders = {}, {}
        for fold in range(FOLDS):
            tuning = (fold + 1) % FOLDS
            inner = [r for f, fold_rows in by_fold.items() if f not in (fold, tuning) for r in fold_rows]
            order = min(ORDERS, key=lambda o: (_rate(_fit(view, o, inner, shifts), view, by_fold[tuning]), o))
            train = [r for f, fold_rows in by_fold.items() if f != fold for r in fold_rows]
            bits, notes = _bits(_fit(view, order, train, shifts), view, by_fold[fold])
            per_fold[fold], orders[fold] = (bits / notes if notes else None), order
            total_bits += bits
            total_notes += notes
        results[view] = {"bits_per_note": total_bits / max(1, total_notes), "test_fold_bits_per_note": per_fold[TEST_FOLD],
                         "per_fold": [per_fold[f] for f in range(FOLDS)], "orders": [orders[f] for f in range(FOLDS)]}
    results["pieces"] = len(rows)
    results["notes"] = sum(len(pitches_of(r)) for r in rows)
    results["test_fold_pieces"] = len(by_fold[TEST_FOLD])
    results["test_fold_notes"] = sum(len(pitches_of(r)) for r in by_fold[TEST_FOLD])
    results["published_bits_per_note"] = PUBLISHED_BITS
    results["published_source"] = PUBLISHED_SOURCE
    return results


def composer_bits(model, rows: list[dict]) -> tuple[float, int]:
    """Bits spent by a token composer on the note pitches of ``rows`` (rests skipped), and the
    note count; its distribution at each pitch step renormalised over the pitch tokens."""
    import torch

    from oracle.models.composer import row_logits
    from oracle.models.vocabulary import REST, is_pitch_token

    pitch_tokens = torch.tensor([is_pitch_token(t) for t in range(model.head.out_features)])
    model.eval()
    total, notes = 0.0, 0
    with torch.no_grad():
        for row in rows:
            tokens = list(row["tokens"])
            scores = row_logits(model, row).masked_fill(~pitch_tokens, float("-inf")).log_softmax(-1)
            for step, target in enumerate(tokens[1:]):
                if is_pitch_token(target) and target != REST:
                    total -= float(scores[step, target])
                    notes += 1
    return total / math.log(2), notes


def first_split(row: dict) -> str:
    """The split the first preparation gave a piece (a hash of its first 16 intervals, 80/10/10),
    kept only to show in the report how many leaks it let through."""
    import hashlib

    from oracle.training.families import opening_contour

    group = hashlib.sha256(opening_contour(pitches_of(row)).encode()).hexdigest()[:16]
    bucket = int(hashlib.sha256(f"tutti-split/1:{group}".encode()).hexdigest(), 16) % 100
    return "test" if bucket < 10 else "validation" if bucket < 20 else "train"


def leaks(train_rows: list[dict], held_rows: list[dict], share: float = 0.5) -> dict:
    """Held-out pieces sharing at least ``share`` of their 8-interval n-grams with one training
    piece (the outside check's measure), with up to five examples."""
    train = {r["piece_id"]: interval_ngrams(pitches_of(r), NGRAM) for r in train_rows}
    holders = defaultdict(set)
    for piece, grams in train.items():
        for gram in grams:
            holders[gram].add(piece)
    leaked = []
    for row in held_rows:
        grams = interval_ngrams(pitches_of(row), NGRAM)
        counts = defaultdict(int)
        for gram in grams:
            for piece in holders.get(gram, ()):
                counts[piece] += 1
        best = max(counts.items(), key=lambda item: (item[1], item[0]), default=(None, 0))
        if grams and best[1] >= share * len(grams):
            leaked.append([row["piece_id"], best[0]])
    return {"held_out_pieces": len(held_rows), "leaked": len(leaked), "examples": sorted(leaked)[:5]}
