"""A chord progression at a known tempo to play into a room, and how to read the accompanist's
answer back from what a musician received: the test and bench signal of the live accompanist.

:func:`progression_signal` renders one chord per bar (plucked triads with a bass note on every beat
and a click-like attack, as a guitarist strumming quarters would). :func:`read_answer` takes the
musician's recording (only the accompanist plays besides the musician, so the mix *is* the
accompanist) and finds, on the shared monotonic clock: the accompanist's bass onsets (beats) and the
chord its pad plays over time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .following import Chord, chroma_filter, match_chord
from .mixer import SAMPLE_RATE

DEFAULT_CHORDS = ("C", "Am", "F", "G")


def progression_signal(bpm: float, chords: tuple[str, ...] = DEFAULT_CHORDS, bars: int = 12,
                       beats_per_bar: int = 4) -> np.ndarray:
    """Mono float32 at 48 kHz: ``bars`` bars cycling through ``chords``, one per bar."""
    beat = 60.0 / bpm
    total = int(round(bars * beats_per_bar * beat * SAMPLE_RATE))
    out = np.zeros(total + SAMPLE_RATE, np.float64)
    for index in range(bars * beats_per_bar):
        chord = Chord.parse(chords[(index // beats_per_bar) % len(chords)])
        start = int(round(index * beat * SAMPLE_RATE))
        t = np.arange(int(beat * SAMPLE_RATE)) / SAMPLE_RATE
        envelope = np.exp(-t / 0.25)
        notes = [48 + chord.root] + [60 + pc for pc in chord.pitch_classes]
        for number, midi in enumerate(notes):
            hz = 440.0 * 2 ** ((midi - 69) / 12)
            level = 0.35 if number == 0 else 0.18
            out[start:start + len(t)] += level * envelope * (np.sin(2 * np.pi * hz * t) + 0.3 * np.sin(4 * np.pi * hz * t))
    return np.clip(out[:total], -1, 1).astype(np.float32)


def chord_schedule(bpm: float, chords: tuple[str, ...] = DEFAULT_CHORDS, bars: int = 12,
                   beats_per_bar: int = 4) -> list[tuple[float, str]]:
    """(seconds into the signal, chord) at every change."""
    return [(bar * beats_per_bar * 60.0 / bpm, chords[bar % len(chords)]) for bar in range(bars)]


def clock_of(stamps: np.ndarray, window: int = 50):
    """A function mapping stream samples to times, fitted to (first sample, time) stamps of blocks.

    Blocks are stamped when handed over or when they arrive: lateness only ever adds, so the
    clock follows the early edge, the least delayed block (time - sample / 48000) among the
    ``window`` blocks either side. Local, not global: when a stalled process loses stream audio,
    the stream jumps ahead of its samples and the clock follows the jump within a window."""
    stamps = np.asarray(stamps, np.float64).reshape(-1, 2)
    offsets = stamps[:, 1] - stamps[:, 0] / SAMPLE_RATE
    padded = np.pad(offsets, window, mode="edge")
    early = np.lib.stride_tricks.sliding_window_view(padded, 2 * window + 1).min(axis=1)

    def times(samples):
        index = np.clip(np.searchsorted(stamps[:, 0], samples, side="right") - 1, 0, len(stamps) - 1)
        return early[index] + np.asarray(samples, np.float64) / SAMPLE_RATE

    return times


@dataclass
class Answer:
    """What the accompanist played, as a musician heard it (times on the shared clock)."""

    onsets: np.ndarray  # bass attacks
    frames: np.ndarray  # analysis frame times
    chords: list[str | None]  # the pad's chord at each frame (None: quiet)


def read_answer(audio: np.ndarray, received_at: np.ndarray, hop: int = 240) -> Answer:
    """Bass onsets and pad chords in a recording (stereo float), timed by its arrival stamps."""
    clock = clock_of(received_at)
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    # Bass: energy below 140 Hz in 2.5 ms steps; an attack is where it jumps within 10 ms.
    spectrum = np.fft.rfft(mono)
    spectrum[np.fft.rfftfreq(len(mono), 1 / SAMPLE_RATE) > 140] = 0
    low = np.fft.irfft(spectrum, len(mono))
    step = 120
    power = np.mean(low[:len(low) // step * step].reshape(-1, step) ** 2, axis=1)
    envelope = np.sqrt(np.convolve(power, np.ones(8) / 8)[:len(power)])  # 20 ms: over a whole bass cycle
    rise = np.maximum(envelope[4:] - envelope[:-4], 0.0)
    threshold = max(0.3 * float(np.percentile(rise, 99.5)), 1e-4)
    onsets, last = [], -SAMPLE_RATE
    for index in np.flatnonzero(rise > threshold):
        if (index - last) * step > SAMPLE_RATE // 8:  # one attack per 125 ms at most
            # the attack's start: where the envelope first rises within this window
            onsets.append((index + 1 + int(np.argmax(np.diff(envelope[index:index + 5]) > 0))) * step)
        last = index
    # Pad: chroma above 150 Hz (the bass left out), 4096-sample frames.
    n_fft = 4096
    bank = chroma_filter(n_fft, min_hz=150.0)
    window = np.hanning(n_fft)
    frames, chords = [], []
    for start in range(0, len(mono) - n_fft, hop):
        segment = mono[start:start + n_fft]
        frames.append(start + n_fft // 2)  # a frame is timed at its window's centre
        if np.sqrt(np.mean(segment * segment)) < 1e-3:
            chords.append(None)
            continue
        chord, score, _ = match_chord(bank @ np.abs(np.fft.rfft(segment * window)[:bank.shape[1]]))
        chords.append(chord.name if score >= 0.75 else None)
    return Answer(clock(np.asarray(onsets, np.int64)), clock(np.asarray(frames, np.int64)), chords)


def reaction_delays(answer: Answer, changes: list[tuple[float, str]], hold: float = 0.05) -> list[float | None]:
    """For each (time, chord) change on the shared clock: seconds until the pad plays that chord and
    holds it for ``hold`` s (None: never, before the next change)."""
    delays: list[float | None] = []
    step = float(np.median(np.diff(answer.frames))) if len(answer.frames) > 1 else 0.005
    need = max(1, int(round(hold / step)))
    for index, (at, name) in enumerate(changes):
        until = changes[index + 1][0] if index + 1 < len(changes) else np.inf
        found = None
        run = 0
        for time, chord in zip(answer.frames, answer.chords):
            if time < at or time >= until:
                continue
            run = run + 1 if chord == name else 0
            if run >= need:
                found = time - (need - 1) * step - at
                break
        delays.append(found)
    return delays


def beats_until_lock(onsets: np.ndarray, beats: np.ndarray, tolerance: float = 0.03, run: int = 4) -> int | None:
    """How many of the musician's ``beats`` pass before the accompanist's onsets keep the tempo: the
    first onset from which ``run`` intervals in a row are within ``tolerance`` of the beat period
    and none is missing. Counted from the musician's first beat; None if it never locks."""
    period = float(np.median(np.diff(beats)))
    intervals = np.diff(onsets)
    good = np.abs(intervals - period) <= tolerance * period
    for index in range(len(good) - run + 1):
        if good[index:index + run].all():
            return int(np.ceil((onsets[index] - beats[0]) / period - 0.5))
    return None


def phase_offsets(onsets: np.ndarray, beats: np.ndarray) -> np.ndarray:
    """Signed seconds from each onset to the nearest musician beat (positive: the accompanist late)."""
    nearest = beats[np.clip(np.searchsorted(beats, onsets), 1, len(beats) - 1)]
    before = beats[np.clip(np.searchsorted(beats, onsets) - 1, 0, len(beats) - 1)]
    return np.where(np.abs(onsets - before) < np.abs(onsets - nearest), onsets - before, onsets - nearest)


def measure(recording: dict, bpm: float, chords: tuple[str, ...] = DEFAULT_CHORDS, bars: int = 12,
            beats_per_bar: int = 4) -> dict:
    """Figures of the accompanist's answer in a musician's recording (``tutti-media join --record``
    .npz: ``audio``, ``sent_at``, ``received_at``) of :func:`progression_signal` (same arguments).

    Beat ``k`` of the progression left the musician at ``sent clock(k * period)``; the accompanist's
    bass onsets and pad chords are timed by the recording's arrival clock (one monotonic clock)."""
    period = 60.0 / bpm
    sent = clock_of(recording["sent_at"])
    beats = sent(np.round(np.arange(bars * beats_per_bar) * period * SAMPLE_RATE).astype(np.int64))
    answer = read_answer(recording["audio"], recording["received_at"])
    onsets = answer.onsets[(answer.onsets >= beats[0]) & (answer.onsets <= beats[-1] + period)]
    changes = [(float(sent(int(round(at * SAMPLE_RATE)))), name)
               for at, name in chord_schedule(bpm, chords, bars, beats_per_bar)]
    first = float(onsets[0]) if len(onsets) else np.inf
    # Chord changes once the accompanist plays (before its first note there is nothing to change).
    delays = [d for (at, _), d in zip(changes, reaction_delays(answer, changes)) if at > first]
    lock = beats_until_lock(onsets, beats) if len(onsets) > 4 else None
    locked = onsets[onsets >= beats[0] + (lock or 0) * period] if lock is not None else onsets[:0]
    beat_intervals = np.diff(onsets)[np.abs(np.diff(onsets) - period) <= period / 4]
    return {
        "bpm": bpm, "bars": bars,
        "first_note_beat": None if not len(onsets) else round(float((first - beats[0]) / period), 2),
        "beats_until_tempo_lock": lock,
        # Median of the intervals that are one beat give or take a quarter (a lost or doubled note
        # aside), over all its notes while the musician played.
        "tempo_heard_bpm": round(60.0 / float(np.median(beat_intervals)), 2) if len(beat_intervals) else None,
        "phase_ms_median": round(1000 * float(np.median(phase_offsets(locked, beats))), 1) if len(locked) else None,
        "phase_ms_p90_abs": round(1000 * float(np.percentile(np.abs(phase_offsets(locked, beats)), 90)), 1)
        if len(locked) else None,
        "chord_changes": len(delays),
        "chord_changes_missed": sum(d is None for d in delays),
        "chord_delay_ms": [None if d is None else round(1000 * d) for d in delays],
        "chord_delay_beats_max": round(max(d for d in delays if d is not None) / period, 2)
        if any(d is not None for d in delays) else None,
    }


def tracker_lock(reports: list[tuple[float, float]], beats: np.ndarray, bpm: float, tolerance: float = 0.03,
                 run: int = 4) -> int | None:
    """The accompanist's own tempo lock, from its timeline of (time, tempo) beat reports on the shared
    clock: the musician's beats that pass before ``run`` reports in a row hold the tempo within
    ``tolerance``, and every later report (while the musician plays) stays within it too."""
    inside = [(at, abs(tempo - bpm) <= tolerance * bpm) for at, tempo in reports if beats[0] <= at <= beats[-1]]
    for index in range(len(inside) - run + 1):
        if all(ok for _at, ok in inside[index:]):
            return int(np.ceil((inside[index][0] - beats[0]) * bpm / 60.0 - 0.5))
    return None
