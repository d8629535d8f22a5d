"""Accompaniment parts from a chord per beat: a chord part, a bass part and a drum part, each
shaped by the listener's preferences (style, instruments, mood) and a seeded random source for
small human variations (velocities, fills), so two seeds give two performances."""

from __future__ import annotations

import random

from oracle.models.midi import DRUM_CHANNEL, Track
from oracle.models.vocabulary import chord_root_quality

INSTRUMENTS = {
    "piano": 0, "electric piano": 4, "vibraphone": 11, "organ": 19, "guitar": 24, "steel guitar": 25,
    "jazz guitar": 26, "acoustic bass": 32, "electric bass": 33, "fretless bass": 35, "synth bass": 38,
    "cello": 42, "harp": 46, "strings": 48, "choir": 52, "brass": 61, "flute": 73, "synth pad": 89,
}
STYLE_INSTRUMENTS = {  # (chords, bass) when the listener names none
    "chorale": ("organ", "cello"), "folk": ("steel guitar", "acoustic bass"), "pop": ("piano", "electric bass"),
    "rock": ("guitar", "electric bass"), "jazz": ("electric piano", "acoustic bass"),
    "ambient": ("synth pad", "fretless bass"),
}
MOODS = {"calm": 62, "neutral": 80, "energetic": 100}
KICK, SNARE, SIDE_STICK, CLOSED_HAT, OPEN_HAT, RIDE, SHAKER, CRASH = 36, 38, 37, 42, 46, 51, 70, 49


def chord_spans(chords: list[int], beats_per_bar: int) -> list[tuple[int, int, int]]:
    """(first beat, beats, chord) runs of one chord, broken at bar lines."""
    spans: list[list[int]] = []
    for beat, chord in enumerate(chords):
        if spans and spans[-1][2] == chord and beat % beats_per_bar != 0:
            spans[-1][1] += 1
        else:
            spans.append([beat, 1, chord])
    return [tuple(s) for s in spans]


def voicing(chord: int) -> list[int]:
    root, _, intervals = chord_root_quality(chord)
    bottom = 48 + root if root >= 5 else 60 + root  # keep the voicing between F3 and E5
    return [bottom + i for i in intervals]


def bass_note(chord: int) -> int:
    root, _, _ = chord_root_quality(chord)
    return 36 + root if root >= 4 else 48 + root  # E2..D#3


def arrange(chords: list[int], beats_per_bar: int, *, style: str, mood: str, chord_program: int,
            bass_program: int, rng: random.Random) -> list[Track]:
    loudness = MOODS[mood]
    chord_track = Track("chords", chord_program, 1)
    bass_track = Track("bass", bass_program, 2)
    drum_track = Track("drums", 0, DRUM_CHANNEL)

    def velocity(base: int) -> int:
        return max(1, min(127, base + rng.randint(-8, 8)))

    for first, beats, chord in chord_spans(chords, beats_per_bar):
        if chord < 0:
            continue
        start, length = first * 4, beats * 4
        tones = voicing(chord)
        if style in ("chorale", "ambient") or mood == "calm":
            hits = [(start, length)]
        elif style == "jazz":
            hits = [(start + 4 * b, 3) for b in range(beats) if (first + b) % 2 == 1] or [(start, 3)]
        elif style == "rock" or mood == "energetic":
            hits = [(start + 2 * e, 2) for e in range(2 * beats)]
        else:
            hits = [(start + 4 * b, 4) for b in range(beats)]
        for onset, duration in hits:
            level = velocity(loudness - 12)
            chord_track.notes += [(onset, duration, pitch, level) for pitch in tones]
        low = bass_note(chord)
        root, _, intervals = chord_root_quality(chord)
        if style == "jazz":
            line = [low, low + intervals[1], low + intervals[2], low + 12 - 1]
            bass_track.notes += [(start + 4 * b, 4, line[b % 4], velocity(loudness)) for b in range(beats)]
        elif mood == "energetic" or style == "rock":
            bass_track.notes += [(start + 2 * e, 2, low + (12 if e % 4 == 3 else 0), velocity(loudness))
                                 for e in range(2 * beats)]
        elif mood == "calm" or style in ("chorale", "ambient"):
            bass_track.notes.append((start, length, low, velocity(loudness)))
        else:
            bass_track.notes += [(start + 4 * b, 4 if b % 2 == 0 else 4, low if b % 2 == 0 else low + intervals[2],
                                  velocity(loudness)) for b in range(beats)]

    bars = (len(chords) + beats_per_bar - 1) // beats_per_bar
    for bar in range(bars):
        bar_start = bar * beats_per_bar * 4
        fill = bar % 4 == 3 and rng.random() < 0.6
        for beat in range(beats_per_bar):
            onset = bar_start + 4 * beat
            if style in ("chorale", "ambient"):
                drum_track.notes.append((onset, 1, SHAKER, velocity(loudness - 30)))
                continue
            if style == "jazz":
                drum_track.notes += [(onset, 1, RIDE, velocity(loudness - 10))]
                if beat % 2 == 1:
                    drum_track.notes += [(onset + 3, 1, RIDE, velocity(loudness - 25)),
                                         (onset, 1, CLOSED_HAT, velocity(loudness - 20))]
                continue
            if beat == 0 or (beat == 2 and beats_per_bar == 4):
                drum_track.notes.append((onset, 1, KICK, velocity(loudness)))
            if beat % 2 == 1:
                drum_track.notes.append((onset, 1, SIDE_STICK if mood == "calm" else SNARE, velocity(loudness)))
            hats = (0, 2) if mood != "calm" else (0,)
            drum_track.notes += [(onset + h, 1, CLOSED_HAT, velocity(loudness - 20)) for h in hats]
            if fill and beat == beats_per_bar - 1:
                drum_track.notes += [(onset + s, 1, SNARE, velocity(loudness - 10)) for s in (1, 2, 3)]
        if bar % 4 == 0 and style in ("rock", "pop") and bar > 0:
            drum_track.notes.append((bar_start, 4, CRASH, velocity(loudness)))
    return [chord_track, bass_track, drum_track]
