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


def _time_of(sample: int, stamps: np.ndarray) -> float:
    """Wall time of the frame holding ``sample`` (stamps: rows of (first sample, time))."""
    return float(stamps[max(np.searchsorted(stamps[:, 0], sample, side="right") - 1, 0), 1])


def click_delays_ms(sender, listener, rate: int = SAMPLE_RATE) -> list[float]:
    """Per click (ms): when the listener's WebRTC delivered it minus when the sender handed it to
    WebRTC. ``sender`` / ``listener``: the ``--record`` files (``sent_at``, ``audio``, ``received_at``)."""
    highs = np.abs(sosfilt(butter(4, 3000, "highpass", fs=rate, output="sos"), listener["audio"].sum(axis=1)))
    loud = np.flatnonzero(highs > 0.3 * highs.max())
    onsets = [int(i) for n, i in enumerate(loud) if n == 0 or i - loud[n - 1] > rate // 4]
    sent = [_time_of(m, sender["sent_at"]) for m in range(rate // 4, int(sender["sent_at"][-1, 0]), rate // 2)]
    delays = []
    for onset in onsets[1:]:  # the first may meet a cold start
        heard = _time_of(onset, listener["received_at"])
        before = [t for t in sent if t <= heard]
        if before and heard - before[-1] < 0.25:
            delays.append((heard - before[-1]) * 1e3)
    return delays
