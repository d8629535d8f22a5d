"""The composition baseline: an interpolated Witten-Bell n-gram model over the same tokens (no
key, meter or style), trained on the same augmented training rows. ``vocabulary`` sets the
alphabet size for other symbol sequences (the soprano pitch baselines)."""

from __future__ import annotations

import math
from collections import defaultdict

from oracle.models.vocabulary import BOS, VOCAB_SIZE


class NGramModel:
    def __init__(self, order: int = 4, vocabulary: int = VOCAB_SIZE):
        self.order = order
        self.vocabulary = vocabulary
        self.counts: dict[tuple, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.unigram: dict[int, int] = defaultdict(int)
        self.total = 0

    def fit(self, sequences) -> "NGramModel":
        for tokens in sequences:
            tokens = list(tokens)
            for i in range(1, len(tokens)):
                self.unigram[tokens[i]] += 1
                self.total += 1
                for n in range(1, self.order):
                    if i - n < 0:
                        break
                    self.counts[tuple(tokens[i - n:i])][tokens[i]] += 1
        self.counts = {h: dict(f) for h, f in self.counts.items()}
        self._totals = {h: (sum(f.values()), len(f)) for h, f in self.counts.items()}
        return self

    def probability(self, history: tuple, token: int) -> float:
        p = (self.unigram.get(token, 0) + 1) / (self.total + self.vocabulary)
        for n in range(1, min(self.order, len(history) + 1)):
            context = tuple(history[-n:])
            if context not in self.counts:
                break
            seen, kinds = self._totals[context]
            p = (self.counts[context].get(token, 0) + kinds * p) / (seen + kinds)
        return p

    def nll(self, sequences) -> tuple[float, int]:
        total, count = 0.0, 0
        for tokens in sequences:
            tokens = list(tokens)
            for i in range(1, len(tokens)):
                total -= math.log(self.probability(tuple(tokens[max(0, i - self.order + 1):i]), tokens[i]))
                count += 1
        return total, count

    def sample(self, length: int, rng, prefix=(BOS,)) -> list[int]:
        tokens = list(prefix)
        for _ in range(length):
            history = tuple(tokens[-(self.order - 1):])
            weights = [self.probability(history, t) for t in range(VOCAB_SIZE)]
            tokens.append(rng.choices(range(VOCAB_SIZE), weights)[0])
        return tokens
