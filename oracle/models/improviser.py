"""Improvisation: a conditional GAN in the manner of MidiNet (Yang et al., 2017). One 4/4 bar of
melody at a time, 16 sixteenth steps, each one of: rest, hold (continue the note), or a pitch in
MIDI 57..84. Both the generator and the discriminator see the bar's chords (one per beat, as
pitch-class vectors) and the previous bar (MidiNet's 1-D conditioner), so melodies follow the
harmony and run on from bar to bar. The generator's output is made one-hot with straight-through
Gumbel-softmax, so the discriminator never sees soft notes; feature matching steadies training.
"""

from __future__ import annotations

import torch
from torch import nn

from oracle.models.inference import Sampler
from oracle.models.vocabulary import chord_pitch_classes

STEPS = 16
LOW, HIGH = 57, 84
REST_CLASS, HOLD_CLASS = 0, 1
CLASSES = 2 + HIGH - LOW + 1
CHORD_FEATURES = 4 * 13  # four beats x (12 pitch classes + "no chord")
BAR_FEATURES = STEPS * CLASSES


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


def improvise(generator: Generator, beat_chords: list[int], *, sampler: Sampler,
              temperature: float = 1.0) -> list[tuple[int | None, int]]:
    """A melody over ``beat_chords`` (one chord id per quarter-note beat, 4/4, -1 = none), as
    (pitch, sixteenths) events. Each bar's classes are sampled from the generator's distribution;
    noise and draws come from ``sampler`` so all CPUs take the same decisions."""
    generator.eval()
    dtype = next(generator.parameters()).dtype
    bars = (len(beat_chords) + 3) // 4
    previous = torch.zeros(1, BAR_FEATURES, dtype=dtype)
    classes: list[int] = []
    with torch.no_grad():
        for bar in range(bars):
            chords = list(beat_chords[4 * bar:4 * bar + 4])
            chords += [chords[-1] if chords else -1] * (4 - len(chords))
            z = sampler.normal(generator.noise).to(dtype)
            logits = generator(z, chord_features(chords).unsqueeze(0).to(dtype), previous)[0]
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
