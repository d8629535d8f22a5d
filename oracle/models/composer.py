"""Composition: a language model over note events (alternating pitch and duration tokens),
conditioned on key, meter and corpus style, and told where in the bar each token falls. With
``phrase_embedding`` > 0 (the second-generation composer) it is also told the bar's place in its
4-bar phrase and how many bars remain, so it can shape phrases and close on a cadence; the first
composer (``phrase_embedding`` 0) is kept as the baseline bundle ``composer_baseline``.
``architecture = "transformer"`` selects :class:`ComposerTransformer` (same inputs, self-attention
with a learned relative-position bias); :func:`build_composer` picks the class from a bundle's config.

Sampling (temperature, top-k) follows the token grammar (a pitch, then its duration), continues a
given melody or starts from nothing, and stops at exactly the requested number of bars.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from oracle.models.inference import Sampler
from oracle.models.structure import StructureGuide
from oracle.models.vocabulary import (
    DURATIONS, FIRST_DURATION_TOKEN, FIRST_PITCH_TOKEN, HIGH_PITCH, LOW_PITCH, MAX_BAR_POSITION, METERS, MODES, PAD, PHRASE_BARS,
    PHRASE_STATES, REST, STYLES, VOCAB_SIZE,
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


class RelativeSelfAttention(nn.Module):
    """Causal multi-head self-attention with a learned bias per head and distance (Shaw et al.'s
    relative positions in the simplified form of T5 / Music Transformer's relative attention),
    over a band of ``window`` tokens: each token sees itself and the ``window - 1`` before it, the
    same in training (windows of that length), whole-piece evaluation and cached sampling."""

    def __init__(self, width: int, heads: int, window: int):
        super().__init__()
        self.heads, self.window = heads, window
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        self.bias = nn.Parameter(torch.zeros(heads, window))  # bias[h, distance]

    def forward(self, x, cache=None):
        """x: (batch, time, width); cache: (keys, values) of earlier tokens, or None. Returns the
        output and the new cache (the last ``window - 1`` keys and values)."""
        batch, steps, width = x.shape
        q, k, v = self.qkv(x).view(batch, steps, 3, self.heads, width // self.heads).permute(2, 0, 3, 1, 4)
        if cache is not None:
            k, v = torch.cat([cache[0], k], dim=2), torch.cat([cache[1], v], dim=2)
        total = k.shape[2]
        query_at = torch.arange(total - steps, total).unsqueeze(1)
        distance = query_at - torch.arange(total).unsqueeze(0)  # (steps, total)
        visible = (distance >= 0) & (distance < self.window)
        bias = self.bias[:, distance.clamp(0, self.window - 1)]  # (heads, steps, total)
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + bias
        scores = scores.masked_fill(~visible, float("-inf"))
        attended = scores.softmax(-1) @ v  # no dropout on the weights: it cost a fifth of a CPU step
        keep = self.window - 1
        return self.out(attended.transpose(1, 2).reshape(batch, steps, width)), (k[:, :, -keep:], v[:, :, -keep:])


class TransformerBlock(nn.Module):
    def __init__(self, width: int, heads: int, window: int, dropout: float):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.attention = RelativeSelfAttention(width, heads, window)
        # a 2x feed-forward (not GPT's 4x): training fits the shared 2-core machine
        self.feed = nn.Sequential(nn.Linear(width, 2 * width), nn.GELU(), nn.Linear(2 * width, width), nn.Dropout(dropout))
        self.drop = nn.Dropout(dropout)

    def forward(self, x, cache=None):
        attended, cache = self.attention(self.norm1(x), cache)
        x = x + self.drop(attended)
        return x + self.feed(self.norm2(x)), cache


class ComposerTransformer(nn.Module):
    """A small decoder-only Transformer (pre-norm, 2x feed-forward) with the phrase-aware LSTM's inputs: token, key,
    meter, style, position in the bar and the phrase state, summed after projection to ``hidden``;
    no absolute positions (order comes from the relative bias). ``forward`` matches
    :class:`ComposerLSTM`'s, the state being the attention caches."""

    def __init__(self, embedding: int = 64, condition_embedding: int = 16, position_embedding: int = 16,
                 hidden: int = 128, layers: int = 2, dropout: float = 0.1, phrase_embedding: int = 16,
                 heads: int = 4, sequence_length: int = 128, **_unused):
        super().__init__()
        self.phrase_embedding = phrase_embedding
        self.tokens = nn.Embedding(VOCAB_SIZE, embedding, padding_idx=PAD)
        self.keys = nn.Embedding(12 * len(MODES), condition_embedding)
        self.meters = nn.Embedding(len(METERS), condition_embedding)
        self.styles = nn.Embedding(len(STYLES), condition_embedding)
        self.positions = nn.Embedding(MAX_BAR_POSITION, position_embedding)
        self.phrases = nn.Embedding(PHRASE_STATES, phrase_embedding)
        self.project = nn.Linear(embedding + 3 * condition_embedding + position_embedding + phrase_embedding, hidden)
        self.blocks = nn.ModuleList(TransformerBlock(hidden, heads, sequence_length, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(hidden)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, VOCAB_SIZE)

    def forward(self, tokens, positions, conditions, state=None, phrases=None):
        steps = tokens.shape[1]
        condition = torch.cat([self.keys(conditions[:, 0]), self.meters(conditions[:, 1]),
                               self.styles(conditions[:, 2])], dim=-1)
        x = self.project(torch.cat([self.tokens(tokens), condition.unsqueeze(1).expand(-1, steps, -1),
                                    self.positions(positions), self.phrases(phrases)], dim=-1))
        x = self.drop(x)
        caches = []
        for index, block in enumerate(self.blocks):
            x, cache = block(x, state[index] if state is not None else None)
            caches.append(cache)
        return self.head(self.norm(x)), caches


def build_composer(config: dict) -> nn.Module:
    """The composer network a bundle's config describes (LSTM unless ``architecture`` says otherwise)."""
    if config.get("architecture", "lstm") == "transformer":
        return ComposerTransformer(**config)
    return ComposerLSTM(**config)


class Composer:
    """Loads a composer bundle whatever its architecture (for :func:`inference.load_model`)."""

    def __new__(cls, **config):
        return build_composer(config)


# Token grammar: after BOS or a duration comes a pitch (or rest); after a pitch, a duration.
_PITCH_TOKENS = [t for t in range(VOCAB_SIZE) if is_pitch_token(t)]
_DURATION_TOKENS = [t for t in range(VOCAB_SIZE) if is_duration_token(t)]


def sample(model: nn.Module, conditioning: Conditioning, bars: int, *, sampler: Sampler, primer: list[Event] = (),
           start_position: int = 0, temperature: float = 1.0, top_k: int = 0, structure: dict | None = None) -> list[Event]:
    """``bars`` bars of new melody after ``primer`` (which is not repeated in the result). The last
    note is shortened, if need be, so the result lasts exactly ``bars`` bars. Every draw goes
    through ``sampler`` (quantized logits, a Python RNG) so all CPUs take the same decisions.
    With ``structure`` (:func:`oracle.models.structure.learn_structure`) the decoding is guided:
    the last bar closes on a cadence degree and bars repeat earlier ones as often as in the data."""
    model.eval()
    guide = (StructureGuide(structure, conditioning.tonic_pc, conditioning.mode, conditioning.style, conditioning.meter)
             if structure else None)
    bar_length = conditioning.bar_length
    prefix = events_to_tokens(list(primer), bos=True, eos=False)
    positions = bar_positions(prefix, bar_length, start_position)
    conditions = torch.tensor([conditioning.ids])
    budget = bars * bar_length
    produced: list[int] = []
    elapsed = 0
    now = sum(d for _, d in primer) + start_position
    begin = now
    end = now + budget
    phrases = [phrase_state(t, bar_length, end) for t in _onset_times(prefix, start_position)]
    # The drawn form's bar k starts at the first bar line of the new music plus k bars.
    first_line = -(-begin // bar_length) * bar_length
    plan = guide.plan(sampler.random, (end - first_line) // bar_length) if guide else None
    onsets: list[tuple[int, int | None, int]] = []  # (time, pitch, duration) of each new event
    forced: list[int] = []
    pitch: int | None = None
    with torch.no_grad():
        logits, state = model(torch.tensor([prefix]), torch.tensor([positions]), conditions,
                              phrases=torch.tensor([phrases]))
        last = logits[0, -1]
        expecting_pitch = True
        while elapsed < budget:
            if guide and expecting_pitch and not forced and now % bar_length == 0 and now > begin:
                planned = plan.source((now - first_line) // bar_length) if plan else None
                if planned is None:
                    copy = _repetition(guide, sampler, onsets, now, begin, bar_length, end)
                    forced = _copy_tokens(guide, sampler, last, copy, temperature, top_k) if copy else []
                elif planned >= 0:
                    copy = _planned_copy(guide, onsets, first_line + planned * bar_length, now, bar_length, end)
                    exact = plan.exact[(now - first_line) // bar_length] or now + bar_length >= end
                    forced = _copy_tokens(guide, sampler, last, copy, temperature, top_k, exact) if copy else []
            if forced:
                token = forced.pop(0)
            elif guide and now >= end - bar_length:
                token = _cadence_choice(guide, sampler, last, expecting_pitch, pitch, end - now, bar_length,
                                        temperature, top_k)
            else:
                token = sampler.choose(last, allowed=_PITCH_TOKENS if expecting_pitch else _DURATION_TOKENS,
                                       temperature=temperature, top_k=top_k)
            produced.append(token)
            position = min(now % bar_length, MAX_BAR_POSITION - 1)
            phrase = phrase_state(now, bar_length, end)
            if is_duration_token(token):
                step = DURATIONS[token - FIRST_DURATION_TOKEN]
                onsets.append((now, pitch, step))
                elapsed += step
                now += step
            else:
                pitch = None if token == REST else LOW_PITCH + token - FIRST_PITCH_TOKEN
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


def _repetition(guide: StructureGuide, sampler: Sampler, onsets, now: int, begin: int, bar_length: int,
                end: int) -> list[int]:
    """At a bar line: the events of an earlier bar to repeat, or [] to compose a new one. The last
    bar is always new (it carries the cadence)."""
    if now + bar_length >= end:
        return []
    choice = sampler.choose(guide.repeat_logits((now // bar_length) % PHRASE_BARS))
    source = now - guide.lags[choice - 1] * bar_length if choice else -1
    if source < begin or not any(t == source for t, _, _ in onsets):
        return []
    events = [(p, d) for t, p, d in onsets if source <= t < source + bar_length]
    if not any(p is not None for p, _ in events) or now + sum(d for _, d in events) >= end:
        return []
    return events


def _planned_copy(guide: StructureGuide, onsets, source: int, now: int, bar_length: int, end: int) -> list:
    """The events of the plan's source bar (starting at ``source``) to repeat at ``now``, or [] when
    the copy cannot line up (the source bar does not start on its bar line or is silent). In the last
    bar the copy must close on a cadence degree and fill the bar, or the bar is composed anew."""
    if not any(t == source for t, _, _ in onsets):
        return []
    events = [(p, d) for t, p, d in onsets if source <= t < source + bar_length]
    if not any(p is not None for p, _ in events):
        return []
    if now + bar_length >= end and (events[-1][0] is None or not guide.is_cadence(events[-1][0])
                                    or sum(d for _, d in events) < bar_length):
        return []
    return events


def _copy_tokens(guide: StructureGuide, sampler: Sampler, logits, events, temperature: float, top_k: int,
                 exact: bool | None = None) -> list[int]:
    """The tokens of a repeated bar: exact as planned (``exact``) or with the learned odds (None),
    else a sequence whose first pitch the network draws among those keeping every note in the
    range and the key's scale."""
    first = events[0][0]
    starts = []
    if exact is None:
        exact = sampler.random.random() < guide.exact_share
    if first is not None and not exact:
        offsets = [p - first for p, _ in events if p is not None]
        starts = [t for t in _PITCH_TOKENS if t != REST and LOW_PITCH + t - FIRST_PITCH_TOKEN != first
                  and all(LOW_PITCH <= LOW_PITCH + t - FIRST_PITCH_TOKEN + o <= HIGH_PITCH
                          and guide.in_scale(LOW_PITCH + t - FIRST_PITCH_TOKEN + o) for o in offsets)]
    if not starts:
        return events_to_tokens(events, bos=False, eos=False)
    shift = LOW_PITCH + sampler.choose(logits, allowed=starts, temperature=temperature, top_k=top_k) \
        - FIRST_PITCH_TOKEN - first
    return events_to_tokens([(None if p is None else p + shift, d) for p, d in events], bos=False, eos=False)


def _cadence_choice(guide: StructureGuide, sampler: Sampler, logits, expecting_pitch: bool, pitch: int | None,
                    remaining: int, bar_length: int, temperature: float, top_k: int) -> int:
    """A token in the last bar: pitches weighted by the learned cadence evidence, only cadence
    degrees within the last beat; a note off the cadence degrees may not sound to the end."""
    if expecting_pitch:
        biased = logits.clone()
        for token in _PITCH_TOKENS:
            biased[token] += guide.degree_bias(None if token == REST else LOW_PITCH + token - FIRST_PITCH_TOKEN)
        allowed = _PITCH_TOKENS
        if remaining <= min(4, bar_length):
            allowed = [t for t in _PITCH_TOKENS if t != REST and guide.is_cadence(LOW_PITCH + t - FIRST_PITCH_TOKEN)]
        return sampler.choose(biased, allowed=allowed, temperature=temperature, top_k=top_k)
    allowed = _DURATION_TOKENS
    if not guide.is_cadence(pitch):
        allowed = [t for t in _DURATION_TOKENS if DURATIONS[t - FIRST_DURATION_TOKEN] < remaining]
    return sampler.choose(logits, allowed=allowed, temperature=temperature, top_k=top_k)


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


def next_token_loss(model: ComposerLSTM, tokens, positions, conditions, phrases) -> torch.Tensor:
    """Mean cross-entropy (nats) of each token of a training batch given those before it, padding
    left out: what training minimises."""
    logits, _ = model(tokens[:, :-1], positions[:, :-1], conditions, phrases=phrases[:, :-1])
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1),
                                       ignore_index=PAD)


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
