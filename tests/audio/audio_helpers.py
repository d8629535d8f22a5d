"""Measurement helpers shared by the spatial audio tests."""

from __future__ import annotations

import numpy as np
from scipy import signal

SAMPLE_RATE = 48000


def interaural_time_difference(stereo: np.ndarray, max_lag_seconds: float = 0.001,
                               sample_rate: int = SAMPLE_RATE, oversampling: int = 8) -> float:
    """ITD in seconds from the cross-correlation peak; > 0 means the right ear leads."""
    left, right = (signal.resample_poly(stereo[:, ear].astype(np.float64), oversampling, 1)
                   for ear in (0, 1))
    correlation = signal.correlate(left, right, mode="full", method="fft")
    lags = signal.correlation_lags(len(left), len(right), mode="full")
    window = np.abs(lags) <= max_lag_seconds * sample_rate * oversampling
    # Peak at a positive lag: the left signal is the right one delayed, i.e. the right ear leads.
    return lags[window][np.argmax(correlation[window])] / (sample_rate * oversampling)


def interaural_level_difference(stereo: np.ndarray) -> float:
    """ILD in dB; > 0 means the right ear is louder."""
    energy = np.sum(stereo.astype(np.float64) ** 2, axis=0)
    return float(10 * np.log10(energy[1] / energy[0]))


def worst_high_frequency_ratio_db(stereo: np.ndarray, cutoff: float = 4000.0,
                                  frame: int = 512, sample_rate: int = SAMPLE_RATE) -> float:
    """Discontinuity metric for a rendered low sine: the worst STFT frame's energy above
    ``cutoff``, in dB relative to the mean frame energy. A smooth render of a 500 Hz sine stays
    narrow-band (below -80 dB here); every click is broadband and lifts its frame's value."""
    frequencies, _, spectrum = signal.stft(stereo.T, sample_rate, window="hann", nperseg=frame,
                                           noverlap=frame * 3 // 4)
    power = np.abs(spectrum) ** 2
    high = power[:, frequencies >= cutoff].sum(axis=1)[:, 4:-4]  # skip the sine's own onset/end
    total = power.sum(axis=1)[:, 4:-4]
    return float(10 * np.log10(high.max() / total.mean()))
