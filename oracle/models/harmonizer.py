"""Harmonization learned from the Bach chorales: a bidirectional LSTM reads the melody beat by beat
(duration-weighted pitch classes of the beat, the pitch class sounding on the beat, the beat's
place in the bar, the mode) and names each beat's chord. Everything is key-relative: the melody is
rotated so the tonic is C before the model and the chords rotated back after."""

from __future__ import annotations

import torch
from torch import nn

from oracle.models.inference import Sampler
from oracle.models.vocabulary import NUM_CHORDS, transpose_chord

BEAT_FEATURES = 12 + 12 + 4 + 2  # beat profile, pitch on the beat, beat in bar (mod 4), mode


def beat_features(grid: list[int], tonic_pc: int, mode: str, beats_per_bar: int = 4) -> torch.Tensor:
    """grid: the melody per sixteenth (pitch, -2 hold, -1 silent), starting on a bar line."""
    beats = len(grid) // 4
    features = torch.zeros(beats, BEAT_FEATURES)
    sounding = None
    for step, cell in enumerate(grid[:beats * 4]):
        if cell >= 0:
            sounding = cell
        elif cell == -1:
            sounding = None
        beat = step // 4
        if sounding is not None:
            pc = (sounding - tonic_pc) % 12
            features[beat, pc] += 0.25
            if step % 4 == 0:
                features[beat, 12 + pc] = 1.0
    for beat in range(beats):
        features[beat, 24 + (beat % beats_per_bar) % 4] = 1.0
        features[beat, 28 + (1 if mode == "minor" else 0)] = 1.0
    return features


def events_to_grid(events, start_position: int = 0) -> list[int]:
    grid = [-1] * start_position
    for pitch, duration in events:
        if pitch is None:
            grid += [-1] * duration
        else:
            grid += [pitch] + [-2] * (duration - 1)
    grid += [-1] * ((-len(grid)) % 4)
    return grid


class Harmonizer(nn.Module):
    def __init__(self, hidden: int = 128, layers: int = 2, dropout: float = 0.2, **_unused):
        super().__init__()
        self.lstm = nn.LSTM(BEAT_FEATURES, hidden, layers, batch_first=True, bidirectional=True,
                            dropout=dropout if layers > 1 else 0.0)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * hidden, NUM_CHORDS))

    def forward(self, features):
        outputs, _ = self.lstm(features)
        return self.head(outputs)


def harmonize(model: Harmonizer, grid: list[int], tonic_pc: int, mode: str, beats_per_bar: int = 4, *,
              sampler: Sampler, temperature: float = 0.0) -> list[int]:
    """A chord id per beat in the melody's key. temperature 0 = the most likely chord each beat."""
    model.eval()
    dtype = next(model.parameters()).dtype
    with torch.no_grad():
        logits = model(beat_features(grid, tonic_pc, mode, beats_per_bar).unsqueeze(0).to(dtype))[0]
    if temperature <= 0:
        relative = [sampler.argmax(beat) for beat in logits]
    else:
        relative = [sampler.choose(beat, temperature=temperature) for beat in logits]
    return [transpose_chord(int(c), tonic_pc) for c in relative]
