"""Improvisation: a conditional GAN in the manner of MidiNet (Yang et al., 2017). One 4/4 bar of
melody at a time, 16 sixteenth steps, each one of: rest, hold (continue the note), or a pitch in
MIDI 57..84. Both the generator and the discriminator see the bar's chords (one per beat, as
pitch-class vectors) and the previous bar (MidiNet's 1-D conditioner), so melodies follow the
harmony and run on from bar to bar. The generator's output is made one-hot with straight-through
Gumbel-softmax, so the discriminator never sees soft notes; feature matching steadies training.

Drawing each sixteenth independently from the generator gives an erratic rhythm (many one-sixteenth
notes), so :func:`improvise` decodes the rhythm as a sequence: each event (a note or a rest and
its length) is drawn from a rhythm model learned with the GAN from the same chorale bars, given
its place in the bar and the event before it (an interpolated bigram, :func:`rhythm_distribution`).
The generator then picks each note's pitch at its onset step, among the pitches in the key of the
progression (found from its chords) or in the beat's chord. :func:`improvise_stepwise` keeps the
first sampler (every step independent) as the baseline the evaluation reports.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from oracle.models.inference import Sampler
from oracle.models.vocabulary import chord_pitch_classes, chord_root_quality

STEPS = 16
LOW, HIGH = 57, 84
REST_CLASS, HOLD_CLASS = 0, 1
CLASSES = 2 + HIGH - LOW + 1
CHORD_FEATURES = 4 * 13  # four beats x (12 pitch classes + "no chord")
BAR_FEATURES = STEPS * CLASSES
#: Rhythm events: (rest?, length 1..16 sixteenths) as rest * 16 + length - 1, and a start symbol.
RHYTHM_EVENTS, RHYTHM_START = 2 * STEPS, 2 * STEPS
#: Pseudo-count weight of the position-only distribution behind the bigram (chosen, not tuned).
RHYTHM_BACKOFF = 2.0


def chord_features(beat_chords: list[int]) -> torch.Tensor:
    features = torch.zeros(4, 13)
    for beat, chord in enumerate(beat_chords[:4]):
        if chord < 0:
            features[beat, 12] = 1.0
        else:
            for pc in chord_pitch_classes(chord):
                features[beat, pc] = 1.0
    return features.reshape(-1)


def fold_pitch(pitch: int) -> int:
    while pitch > HIGH:
        pitch -= 12
    while pitch < LOW:
        pitch += 12
    return pitch


def grid_to_classes(cells: list[int]) -> list[int]:
    """Prepared grid cells (pitch, HOLD=-2, SILENT=-1) -> class per step."""
    return [REST_CLASS if c == -1 else HOLD_CLASS if c == -2 else 2 + fold_pitch(c) - LOW for c in cells]


def one_hot_bar(classes: list[int]) -> torch.Tensor:
    return nn.functional.one_hot(torch.tensor(classes), CLASSES).float().reshape(-1)


class Generator(nn.Module):
    def __init__(self, noise: int = 64, hidden: int = 256, **_unused):
        super().__init__()
        self.noise = noise
        self.net = nn.Sequential(
            nn.Linear(noise + CHORD_FEATURES + BAR_FEATURES, hidden), nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
            nn.Linear(hidden, BAR_FEATURES),
        )

    def forward(self, z, chords, previous):
        return self.net(torch.cat([z, chords, previous], dim=-1)).reshape(-1, STEPS, CLASSES)


class Discriminator(nn.Module):
    def __init__(self, hidden: int = 256, **_unused):
        super().__init__()
        self.features = nn.Sequential(
            nn.Linear(BAR_FEATURES + CHORD_FEATURES + BAR_FEATURES, hidden), nn.LeakyReLU(0.2), nn.Dropout(0.3),
            nn.Linear(hidden, hidden // 2), nn.LeakyReLU(0.2),
        )
        self.judge = nn.Linear(hidden // 2, 1)

    def forward(self, bar, chords, previous):
        features = self.features(torch.cat([bar, chords, previous], dim=-1))
        return self.judge(features).squeeze(-1), features


def rhythm_event(pitch: int | None, length: int) -> int:
    return (pitch is None) * STEPS + min(length, STEPS) - 1


def rhythm_counts(melodies) -> torch.Tensor:
    """Counts (bar position 0..15, previous event or start, event) over 4/4 melodies given as
    (pitch or None, sixteenths) events starting on a bar line; events longer than a bar count as
    a bar-long one followed by rests."""
    counts = torch.zeros(STEPS, RHYTHM_START + 1, RHYTHM_EVENTS, dtype=torch.float64)
    for events in melodies:
        now, previous = 0, RHYTHM_START
        for pitch, duration in events:
            while duration > 0:
                length = min(duration, STEPS)
                event = rhythm_event(pitch, length)
                counts[now % STEPS, previous, event] += 1
                previous, now, duration, pitch = event, now + length, duration - length, None
    return counts


def rhythm_distribution(counts: torch.Tensor, position: int, previous: int) -> list[float]:
    """P(event | bar position, previous event): the bigram's counts interpolated with the
    position's own distribution (itself add-0.1 smoothed), so unseen contexts still give a law."""
    at_position = counts[position].sum(0)
    backoff = [(float(c) + 0.1) / (float(at_position.sum()) + 0.1 * RHYTHM_EVENTS) for c in at_position]
    seen = counts[position, previous]
    total = float(seen.sum())
    return [(float(c) + RHYTHM_BACKOFF * b) / (total + RHYTHM_BACKOFF) for c, b in zip(seen, backoff)]


def progression_scale(beat_chords: list[int]) -> frozenset[int]:
    """Pitch classes of the progression's key: the chords' tones weighted by beats, the last chord's
    root standing for the cadence (:func:`keyfinding.melody_key`), then the major scale or, in minor,
    the natural minor with the raised sixth and seventh."""
    from oracle.models.keyfinding import melody_key

    tones = []
    for chord in beat_chords:
        if chord >= 0:
            tones += [(60 + pc, 4) for pc in sorted(chord_pitch_classes(chord))]
    chords = [c for c in beat_chords if c >= 0]
    if not chords:
        return frozenset(range(12))
    tones.append((60 + chord_root_quality(chords[-1])[0], 1))  # the final chord's root: the cadence
    tonic, mode = melody_key(tones)
    degrees = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 9, 10, 11)}[mode]
    return frozenset((tonic + d) % 12 for d in degrees)


def sample_rhythm(rhythm: torch.Tensor, total: int, *, sampler: Sampler, temperature: float = 1.0) -> list[tuple[bool, int]]:
    """(rest?, length) events filling ``total`` sixteenths, each drawn from :func:`rhythm_distribution`
    given its bar position and the event before it, at ``temperature``."""
    events: list[tuple[bool, int]] = []
    now, previous = 0, RHYTHM_START
    while now < total:
        law = rhythm_distribution(rhythm, now % STEPS, previous)
        allowed = [e for e in range(RHYTHM_EVENTS) if e % STEPS + 1 <= total - now]
        event = sampler.choose([math.log(p) for p in law], allowed=allowed, temperature=temperature)
        events.append((event >= STEPS, event % STEPS + 1))
        previous, now = event, now + event % STEPS + 1
    return events


def improvise(generator: Generator, beat_chords: list[int], *, sampler: Sampler, temperature: float = 1.0,
              rhythm: torch.Tensor | None = None, rhythm_temperature: float = 1.0) -> list[tuple[int | None, int]]:
    """A melody over ``beat_chords`` (one chord id per quarter-note beat, 4/4, -1 = none), as
    (pitch, sixteenths) events: the rhythm drawn event by event from ``rhythm`` (the bundle's
    :func:`rhythm_counts`) at ``rhythm_temperature`` x ``temperature`` (the rhythm bundle's learned
    temperature times the job's), each note's pitch from the generator's distribution at its onset,
    kept to the progression's key and the beat's chord. Without ``rhythm``, :func:`improvise_stepwise`."""
    if rhythm is None:
        return improvise_stepwise(generator, beat_chords, sampler=sampler, temperature=temperature)
    generator.eval()
    dtype = next(generator.parameters()).dtype
    events = sample_rhythm(rhythm, 4 * len(beat_chords), sampler=sampler, temperature=rhythm_temperature * temperature)
    scale = progression_scale(beat_chords)
    bars = (len(beat_chords) + 3) // 4
    melody: list[tuple[int | None, int]] = []
    onsets, now = [], 0
    for _rest, length in events:
        onsets.append(now)
        now += length
    previous_bar = torch.zeros(1, BAR_FEATURES, dtype=dtype)
    index = 0
    with torch.no_grad():
        for bar in range(bars):
            chords, logits = _bar_logits(generator, beat_chords, bar, previous_bar, sampler)
            classes = [HOLD_CLASS if melody and melody[-1][0] is not None else REST_CLASS] * STEPS
            while index < len(events) and onsets[index] < STEPS * (bar + 1):
                rest, length = events[index]
                step = onsets[index] - STEPS * bar
                chord = chords[step // 4]
                tones = chord_pitch_classes(chord) if chord >= 0 else frozenset()
                pitch = None
                if not rest:
                    allowed = [2 + p - LOW for p in range(LOW, HIGH + 1) if p % 12 in scale or p % 12 in tones]
                    pitch = LOW + sampler.choose(logits[step], allowed=allowed, temperature=temperature) - 2
                melody.append((pitch, length))
                for offset in range(step, min(STEPS, step + length)):
                    classes[offset] = (REST_CLASS if pitch is None else
                                       2 + pitch - LOW if offset == step else HOLD_CLASS)
                index += 1
            previous_bar = one_hot_bar(classes).unsqueeze(0).to(dtype)
    return melody


def _bar_logits(generator: Generator, beat_chords: list[int], bar: int, previous_bar: torch.Tensor,
                sampler: Sampler) -> tuple[list[int], torch.Tensor]:
    """Bar ``bar``'s four beat chords (the last repeated to fill a short bar) and the generator's
    logits for its sixteenth steps, given the bar before and fresh noise from ``sampler``."""
    dtype = previous_bar.dtype
    chords = list(beat_chords[4 * bar:4 * bar + 4])
    chords += [chords[-1] if chords else -1] * (4 - len(chords))
    z = sampler.normal(generator.noise).to(dtype)
    return chords, generator(z, chord_features(chords).unsqueeze(0).to(dtype), previous_bar)[0]


def improvise_stepwise(generator: Generator, beat_chords: list[int], *, sampler: Sampler,
                       temperature: float = 1.0) -> list[tuple[int | None, int]]:
    """The first sampler: each bar's sixteenth steps drawn independently from the generator's
    distribution (rest, hold or pitch); noise and draws come from ``sampler``."""
    generator.eval()
    dtype = next(generator.parameters()).dtype
    bars = (len(beat_chords) + 3) // 4
    previous = torch.zeros(1, BAR_FEATURES, dtype=dtype)
    classes: list[int] = []
    with torch.no_grad():
        for bar in range(bars):
            _chords, logits = _bar_logits(generator, beat_chords, bar, previous, sampler)
            bar_classes = [sampler.choose(step, temperature=temperature) for step in logits]
            classes += bar_classes
            previous = one_hot_bar(bar_classes).unsqueeze(0).to(dtype)
    return classes_to_events(classes)


def classes_to_events(classes: list[int]) -> list[tuple[int | None, int]]:
    """A hold with nothing sounding before it is a rest; a run of rests merges into one."""
    events: list[list] = []
    for cls in classes:
        if cls == HOLD_CLASS and events:
            events[-1][1] += 1
        elif cls in (REST_CLASS, HOLD_CLASS):
            if events and events[-1][0] is None:
                events[-1][1] += 1
            else:
                events.append([None, 1])
        else:
            events.append([LOW + cls - 2, 1])
    return [(p, d) for p, d in events]
