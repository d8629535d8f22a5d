"""Composition: an LSTM language model over note events (alternating pitch and duration tokens),
conditioned on key, meter and corpus style, and told where in the bar each token falls. With
``phrase_embedding`` > 0 (the second-generation composer) it is also told the bar's place in its
4-bar phrase and how many bars remain, so it can shape phrases and close on a cadence; the first
composer (``phrase_embedding`` 0) is kept as the baseline bundle ``composer_baseline``.

Sampling (temperature, top-k) follows the token grammar (a pitch, then its duration), continues a
given melody or starts from nothing, and stops at exactly the requested number of bars.
"""

from __future__ import annotations

import torch
from torch import nn

from oracle.models.inference import Sampler
from oracle.models.vocabulary import (
    DURATIONS, FIRST_DURATION_TOKEN, MAX_BAR_POSITION, METERS, MODES, PAD, PHRASE_STATES, STYLES, VOCAB_SIZE,
    Conditioning, Event, bar_positions, events_to_tokens, is_duration_token, is_pitch_token, phrase_positions,
    phrase_state, tokens_to_events,
)


class ComposerLSTM(nn.Module):
    def __init__(self, embedding: int = 64, condition_embedding: int = 16, position_embedding: int = 16,
                 hidden: int = 256, layers: int = 2, dropout: float = 0.2, phrase_embedding: int = 0, **_unused):
        super().__init__()
        self.phrase_embedding = phrase_embedding
        self.tokens = nn.Embedding(VOCAB_SIZE, embedding, padding_idx=PAD)
        self.keys = nn.Embedding(12 * len(MODES), condition_embedding)
        self.meters = nn.Embedding(len(METERS), condition_embedding)
        self.styles = nn.Embedding(len(STYLES), condition_embedding)
        self.positions = nn.Embedding(MAX_BAR_POSITION, position_embedding)
        width = embedding + 3 * condition_embedding + position_embedding + phrase_embedding
        if phrase_embedding:
            self.phrases = nn.Embedding(PHRASE_STATES, phrase_embedding)
        self.lstm = nn.LSTM(width, hidden, layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, VOCAB_SIZE)

    def forward(self, tokens, positions, conditions, state=None, phrases=None):
        """tokens, positions, phrases: (batch, time); conditions: (batch, 3) key, meter, style ids.
        ``phrases`` (:func:`phrase_state` per token) only when the model has phrase inputs."""
        steps = tokens.shape[1]
        condition = torch.cat([self.keys(conditions[:, 0]), self.meters(conditions[:, 1]),
                               self.styles(conditions[:, 2])], dim=-1)
        parts = [self.tokens(tokens), condition.unsqueeze(1).expand(-1, steps, -1), self.positions(positions)]
        if self.phrase_embedding:
            parts.append(self.phrases(phrases))
        inputs = torch.cat(parts, dim=-1)
        outputs, state = self.lstm(inputs, state)
        return self.head(self.drop(outputs)), state


# Token grammar: after BOS or a duration comes a pitch (or rest); after a pitch, a duration.
_PITCH_TOKENS = [t for t in range(VOCAB_SIZE) if is_pitch_token(t)]
_DURATION_TOKENS = [t for t in range(VOCAB_SIZE) if is_duration_token(t)]


def sample(model: ComposerLSTM, conditioning: Conditioning, bars: int, *, sampler: Sampler, primer: list[Event] = (),
           start_position: int = 0, temperature: float = 1.0, top_k: int = 0) -> list[Event]:
    """``bars`` bars of new melody after ``primer`` (which is not repeated in the result). The last
    note is shortened, if need be, so the result lasts exactly ``bars`` bars. Every draw goes
    through ``sampler`` (quantized logits, a Python RNG) so all CPUs take the same decisions."""
    model.eval()
    bar_length = conditioning.bar_length
    prefix = events_to_tokens(list(primer), bos=True, eos=False)
    positions = bar_positions(prefix, bar_length, start_position)
    conditions = torch.tensor([conditioning.ids])
    budget = bars * bar_length
    produced: list[int] = []
    elapsed = 0
    now = sum(d for _, d in primer) + start_position
    end = now + budget
    phrases = [phrase_state(t, bar_length, end) for t in _onset_times(prefix, start_position)]
    with torch.no_grad():
        logits, state = model(torch.tensor([prefix]), torch.tensor([positions]), conditions,
                              phrases=torch.tensor([phrases]))
        last = logits[0, -1]
        expecting_pitch = True
        while elapsed < budget:
            token = sampler.choose(last, allowed=_PITCH_TOKENS if expecting_pitch else _DURATION_TOKENS,
                                   temperature=temperature, top_k=top_k)
            produced.append(token)
            position = min(now % bar_length, MAX_BAR_POSITION - 1)
            phrase = phrase_state(now, bar_length, end)
            if is_duration_token(token):
                step = DURATIONS[token - FIRST_DURATION_TOKEN]
                elapsed += step
                now += step
            expecting_pitch = not expecting_pitch
            logits, state = model(torch.tensor([[token]]), torch.tensor([[position]]), conditions, state,
                                  phrases=torch.tensor([[phrase]]))
            last = logits[0, -1]
    events = tokens_to_events(produced)
    overflow = sum(d for _, d in events) - budget
    if overflow > 0:
        pitch, duration = events[-1]
        events[-1] = (pitch, duration - overflow)
    return events


def _onset_times(tokens: list[int], start_position: int) -> list[int]:
    times, now = [], start_position
    for token in tokens:
        times.append(now)
        if is_duration_token(token):
            now += DURATIONS[token - FIRST_DURATION_TOKEN]
    return times


def row_logits(model: ComposerLSTM, row: dict):
    """The model's logits for every token of a whole prepared piece after its first: (tokens - 1, vocab)."""
    tokens = list(row["tokens"])
    positions = bar_positions(tokens, row["bar_length"], row["start_position"])
    phrases = phrase_positions(tokens, row["bar_length"], row["start_position"])
    logits, _ = model(torch.tensor([tokens[:-1]]), torch.tensor([positions[:-1]]),
                      torch.tensor([row_conditioning(row).ids]), phrases=torch.tensor([phrases[:-1]]))
    return logits[0]


def sequence_nll(model: ComposerLSTM, rows: list[dict]) -> tuple[float, int]:
    """Summed negative log-likelihood (nats) of every token after BOS, and the token count, each
    piece read whole from its first token (the evaluation protocol for the n-gram baseline too)."""
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for row in rows:
            tokens = list(row["tokens"])
            loss = nn.functional.cross_entropy(row_logits(model, row), torch.tensor(tokens[1:]), reduction="sum")
            total += float(loss)
            count += len(tokens) - 1
    return total, count


def end_nll(model: ComposerLSTM, rows: list[dict]) -> float:
    """Mean negative log-likelihood (nats) of the end-of-piece token: does the model know when a
    tune is over?"""
    model.eval()
    with torch.no_grad():
        losses = [float(-row_logits(model, row)[-1].log_softmax(-1)[row["tokens"][-1]]) for row in rows]
    return sum(losses) / max(1, len(losses))


def row_conditioning(row: dict) -> Conditioning:
    return Conditioning(row["tonic_pc"], row["mode"], row["meter"], row["style"])
