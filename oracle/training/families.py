"""Tune families: which pieces are versions of one tune, so that no version of a held-out tune is
ever trained on.

A hash of a piece's opening (the first split) let variants through: a re-harmonized chorale with
one changed note, a folk song noted twice with a different first bar. Two pieces belong to one
family here when either

* they share at least :data:`SHARED_SHARE` of the 8-interval n-grams of the one with fewer (the
  same measure the leak check in ``evaluate`` reports: transposition-free, rests skipped), or
* music21's chorale lists give their BWV numbers the same tune title, or
* their first 16 intervals are identical (the old grouping, kept as a floor);

families are the connected components of that relation. Each family falls in one of
:data:`FOLDS` folds by a hash of its first piece id: fold 0 is the test split, fold 1 validation,
the rest training, and all of them serve the cross-validation in ``evaluate``. Everything is a pure
function of the pieces, so preparing twice gives the same folds.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict

FOLDS = 10
TEST_FOLD, VALIDATION_FOLD = 0, 1
NGRAM = 8
SHARED_SHARE = 0.5


def interval_ngrams(pitches: list[int], n: int = NGRAM) -> set[tuple[int, ...]]:
    """Transposition-free n-grams of melodic intervals (rests, stored as negatives, skipped)."""
    notes = [p for p in pitches if p >= 0]
    intervals = [b - a for a, b in zip(notes, notes[1:])]
    return {tuple(intervals[i:i + n]) for i in range(len(intervals) - n + 1)}


def opening_contour(pitches: list[int]) -> str:
    notes = [p for p in pitches if p >= 0][:17]
    return ",".join(str(b - a) for a, b in zip(notes, notes[1:]))


def chorale_titles() -> dict[str, str]:
    """BWV number (as in music21's file names, "120.6" or "328") -> normalised tune title."""
    from music21.corpus import chorales

    titles: dict[str, str] = {}
    for bwv, entry in chorales.ChoraleListRKBWV().byBWV.items():
        titles[str(bwv)] = _normalise(entry["title"])
    for bwv, entry in chorales.ChoraleList().byBWV.items():
        titles.setdefault(str(bwv), _normalise(entry["title"]))
    return titles


def _normalise(title: str) -> str:
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z]+", " ", text).strip()


def bwv_of(piece_id: str) -> str | None:
    """"chorales:bach/bwv120.6.mxl" -> "120.6"."""
    match = re.search(r"bwv(\d+(?:\.\d+)?)", piece_id)
    return match.group(1) if match else None


class _Components:
    def __init__(self, items):
        self.parent = {item: item for item in items}

    def find(self, item):
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def join(self, a, b):
        a, b = self.find(a), self.find(b)
        if a != b:  # the smaller id becomes the root, so the result does not depend on order
            self.parent[max(a, b)] = min(a, b)


def tune_families(pieces: dict[str, list[int]], titles: dict[str, str] | None = None) -> dict[str, str]:
    """piece id -> family id (the smallest piece id in its family). ``pieces`` maps piece ids to
    their melody pitches (rests negative); ``titles`` maps BWV numbers to tune titles."""
    titles = chorale_titles() if titles is None else titles
    ids = sorted(pieces)
    components = _Components(ids)
    grams = {piece: interval_ngrams(pieces[piece]) for piece in ids}
    holders: dict[tuple[int, ...], list[str]] = defaultdict(list)
    for piece in ids:
        for gram in grams[piece]:
            holders[gram].append(piece)
    for piece in ids:
        shared: dict[str, int] = defaultdict(int)
        for gram in grams[piece]:
            for other in holders[gram]:
                if other > piece:
                    shared[other] += 1
        for other, count in shared.items():
            if count >= SHARED_SHARE * min(len(grams[piece]), len(grams[other])):
                components.join(piece, other)
    by_key: dict[tuple[str, str], str] = {}
    for piece in ids:
        bwv = bwv_of(piece) if piece.startswith("chorales:") else None
        keys = [("contour", opening_contour(pieces[piece]))]
        if bwv is not None and titles.get(bwv):
            keys.append(("title", titles[bwv]))
        for key in keys:
            if key in by_key:
                components.join(piece, by_key[key])
            else:
                by_key[key] = piece
    return {piece: components.find(piece) for piece in ids}


def fold_of(family: str, salt: str, folds: int = FOLDS) -> int:
    return int(hashlib.sha256(f"{salt}:{family}".encode()).hexdigest(), 16) % folds


def split_of_fold(fold: int) -> str:
    return "test" if fold == TEST_FOLD else "validation" if fold == VALIDATION_FOLD else "train"


def shared_share(a: set, b: set) -> float:
    """Share of ``a``'s n-grams found in ``b`` (the leak measure of the outside check)."""
    return len(a & b) / len(a) if a else 0.0
