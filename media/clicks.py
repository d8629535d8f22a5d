"""Clicks to time a live session from outside: a sender plays a tone with a short noise click every
0.5 s; the listener's recording is searched for the clicks above 3 kHz (where the tones are not).
Both clients stamp their frames with the machine's monotonic clock (``time.perf_counter``), so the
difference of the stamps is the click-to-ear latency (the demo's jam chapter, the relay test)."""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfilt

SAMPLE_RATE = 48_000
CLICK_SAMPLES = 96  # 2 ms


def tone_with_clicks(frequency: float, seconds: float, rate: int = SAMPLE_RATE) -> np.ndarray:
    """A tone with a 2 ms noise click every 0.5 s (at 0.25 s, 0.75 s, ...)."""
    signal = 0.5 * np.sin(2 * np.pi * frequency * np.arange(int(seconds * rate)) / rate)
    clicks = np.random.default_rng(7).uniform(-0.45, 0.45, CLICK_SAMPLES)
    for start in range(rate // 4, len(signal) - CLICK_SAMPLES, rate // 2):
        signal[start:start + CLICK_SAMPLES] += clicks
    return signal.astype(np.float32)


def click_delays_ms(sender, listener, rate: int = SAMPLE_RATE) -> list[float]:
    """Per click of :func:`tone_with_clicks` (ms): when the listener's WebRTC delivered it minus when
    the sender handed it to WebRTC. ``sender`` / ``listener``: the ``--record`` files (``sent_at``,
    ``audio``, ``received_at``). Each click is found by normalised cross-correlation of the
    high-passed recording with the high-passed click (:func:`correlated_delays_ms`), so one loud
    transient cannot hide the clicks, as a threshold on the loudest sample did."""
    highpass = butter(4, 3000, "highpass", fs=rate, output="sos")
    sent_at = np.asarray(sender["sent_at"], dtype=np.float64).reshape(-1, 2)
    clicks_only = tone_with_clicks(0.0, (sent_at[-1, 0] + rate) / rate, rate)  # a 0 Hz tone is silence
    starts = list(range(rate // 4, len(clicks_only) - CLICK_SAMPLES, rate // 2))
    heard = np.asarray(listener["audio"], dtype=np.float64)
    heard = heard.sum(axis=1) if heard.ndim == 2 else heard
    found = correlated_delays_ms(sosfilt(highpass, clicks_only), starts, CLICK_SAMPLES, sent_at,
                                 sosfilt(highpass, heard), listener["received_at"], rate, window=0.25)
    return [delay for _, delay in found[1:]]  # the first click may meet a cold start


def _sample_times(stamps, rate: int) -> tuple[np.ndarray, np.ndarray]:
    stamps = np.asarray(stamps, dtype=np.float64).reshape(-1, 2)
    return stamps[:, 0].astype(np.int64), stamps[:, 1]


def _time_of_sample(sample: int, firsts: np.ndarray, times: np.ndarray, rate: int) -> float:
    """Hand-over (or delivery) time of the frame holding ``sample`` plus the sample's offset in it."""
    frame = max(int(np.searchsorted(firsts, sample, side="right")) - 1, 0)
    return float(times[frame] + (sample - firsts[frame]) / rate)


def correlated_delays_ms(sent_signal: np.ndarray, click_starts, click_samples: int, sent_at,
                         received_audio: np.ndarray, received_at, rate: int = SAMPLE_RATE,
                         window: float = 0.3, min_correlation: float = 0.3) -> list[tuple[float, float]]:
    """Each click (a distinct noise burst) found by normalised cross-correlation in what the listener
    received: (send time, delay ms) per click found. The delay is the received sample's time (its
    frame's delivery plus its offset in the frame) minus the sent sample's (its frame's hand-over to
    WebRTC plus its offset), both on this machine's monotonic clock. The search covers ``window``
    seconds of received audio after the send; a click whose best normalised correlation is below
    ``min_correlation`` (lost, concealed, buried) is not counted. A binaural mix filters the click
    with an HRTF: its peak is where the filters' main tap is (under 1 ms for minimum-phase filters)."""
    sent_firsts, sent_times = _sample_times(sent_at, rate)
    received_firsts, received_times = _sample_times(received_at, rate)
    mono = np.asarray(received_audio, dtype=np.float64)
    mono = mono.sum(axis=1) if mono.ndim == 2 else mono
    found = []
    for start in click_starts:
        if start > sent_firsts[-1]:
            break
        template = np.asarray(sent_signal[start:start + click_samples], dtype=np.float64)
        sent = _time_of_sample(start, sent_firsts, sent_times, rate)
        first = int(np.searchsorted(received_times, sent - 0.005))
        last = int(np.searchsorted(received_times, sent + window))
        if first >= len(received_firsts) or last <= first:
            continue
        lo = int(received_firsts[first])
        hi = min(int(received_firsts[last]) if last < len(received_firsts) else len(mono), len(mono))
        region = mono[lo:hi + click_samples]
        if len(region) < 2 * click_samples:
            continue
        correlation = np.correlate(region, template, mode="valid")
        energy = np.sqrt(np.convolve(region * region, np.ones(click_samples), mode="valid")) + 1e-12
        normalised = np.abs(correlation) / (energy * np.linalg.norm(template))
        peak = int(np.argmax(normalised))
        if normalised[peak] < min_correlation:
            continue
        heard = _time_of_sample(lo + peak, received_firsts, received_times, rate)
        found.append((sent, (heard - sent) * 1e3))
    return found


def click_train(seconds: float, period: int = SAMPLE_RATE // 2, seed: int = 0,
                rate: int = SAMPLE_RATE, level: float = 0.9) -> tuple[np.ndarray, list[int]]:
    """Silence with a distinct 2 ms noise burst every ``period`` samples (the first at period/2);
    returns the signal and the bursts' first samples (multiples of 240: frame aligned)."""
    signal = np.zeros(int(seconds * rate), dtype=np.float32)
    rng = np.random.default_rng(seed)
    starts = list(range(period // 2, len(signal) - CLICK_SAMPLES, period))
    for start in starts:
        signal[start:start + CLICK_SAMPLES] = rng.uniform(-level, level, CLICK_SAMPLES)
    return signal, starts


def frame_lateness(received_at, frame_samples: int, rate: int = SAMPLE_RATE,
                   playout_ms: float = 20.0) -> dict:
    """How the received stream keeps time, as a listener's playout with a ``playout_ms`` buffer
    would see it: a frame is late if it arrives after its playout time (the playout re-primes on
    it, as a real one would, so each underrun counts once per late frame, not for the rest of the
    session). ``behind_clock_ms``: how far the stream's samples fell behind the wall clock from the
    first quarter to the last (a node that skips blocks when starved, or a growing delay, grows it)."""
    firsts, times = _sample_times(received_at, rate)
    if len(firsts) < 8:
        return {"frames": int(len(firsts))}
    late = 0
    anchor_time, anchor_sample = times[0], firsts[0]
    for first, arrived in zip(firsts, times):
        if arrived > anchor_time + (first - anchor_sample) / rate + playout_ms / 1e3:
            late += 1
            anchor_time, anchor_sample = arrived, first
    lag = (times - times[0] - (firsts - firsts[0]) / rate) * 1e3
    quarter = max(len(lag) // 4, 1)
    return {"frames": int(len(firsts)), "late_frames_pct": round(100.0 * late / len(firsts), 2),
            "behind_clock_ms": round(float(np.median(lag[-quarter:]) - np.median(lag[:quarter])), 1)}
