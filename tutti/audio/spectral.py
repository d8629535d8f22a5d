"""HRTF filters built in the frequency domain: interpolated spectra, delays as phase ramps.

For a frame of N samples (see :mod:`.convolver`) each measured direction's onset-aligned filter is
transformed once (N-point real FFT) and band-limited by a raised-cosine taper from 0.85 x Nyquist
to Nyquist (20.4-24 kHz at 48 kHz). A source's filter for one ear is then, bin by bin,

    H(k) = g (w_a D_a(k) + w_b D_b(k) + w_c D_c(k)) exp(-2 pi i k d / N)

with the barycentric weights w of the three measured directions around it, its gain g and its
interpolated delay d (samples). The phase ramp delays every bin exactly, whatever the fraction of
d. The taper is what makes a fractional ramp safe in a finite frame: without it, energy at
Nyquist, where the ramp jumps, would ring across the frame and wrap around; with it the delay
rings for a few samples only, inside the 16 samples of headroom every delay keeps
(``DELAY_HEADROOM``): flat within 0.03 dB to 16 kHz and 0.06 dB at 20 kHz (48 kHz) for every
fraction (the 16-tap windowed sinc this replaces lost 0.4 dB at 20 kHz).

The ramp is read from two tables, whole samples and 1/256 sample (rounded: <= 1/512 sample,
0.04 us at 48 kHz): exp(-2 pi i k (n + q / 256) / N) = W[n, k] F[q, k].

Each block runs one compiled loop (numba) over sources, ears and bins: build a moving source's new
filter, add input x old filter to the *steady* sum and input x (new - old) to the *moving* sum,
keep the new filter. The renderer turns the two sums into the output with the old filters and the
correction its raised-cosine fade blends in: two inverse FFTs per ear, no per-source time-domain
work, no Python loop per source.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numba
import numpy as np

if TYPE_CHECKING:
    from .interpolation import PreparedHrtf

TAPER_START = 0.85  # of Nyquist: the delay and the filters are exact up to here
FRACTION_STEPS = 256


def band_limit_taper(frame_length: int) -> np.ndarray:
    """Raised-cosine taper (frame_length // 2 + 1,) float64: 1 up to TAPER_START x Nyquist, 0 at it."""
    nyquist_fraction = np.arange(frame_length // 2 + 1) * 2.0 / frame_length
    x = np.clip((nyquist_fraction - TAPER_START) / (1.0 - TAPER_START), 0.0, 1.0)
    return 0.5 + 0.5 * np.cos(np.pi * x)


def delay_ramps(delays: np.ndarray, frame_length: int) -> np.ndarray:
    """Exact delays (..., frame_length // 2 + 1) complex128: exp(-2 pi i k d / N)."""
    bins = np.arange(frame_length // 2 + 1)
    return np.exp(-2j * np.pi * np.asarray(delays, dtype=np.float64)[..., None] * bins / frame_length)


def split_delays(delays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Delays (samples, >= 0) -> (whole samples, 1/FRACTION_STEPS steps) as int32, rounded."""
    steps = np.rint(np.asarray(delays, dtype=np.float64) * FRACTION_STEPS).astype(np.int64)
    return (steps // FRACTION_STEPS).astype(np.int32), (steps % FRACTION_STEPS).astype(np.int32)


@dataclass(frozen=True, eq=False)
class SpectralHrtf:
    """A prepared HRTF set's tables for one frame length.

    Attributes:
        frame_length: N, the FFT size.
        directions: complex64 (n_directions, 2, N // 2 + 1): each direction's band-limited
            onset-aligned filter spectra.
        whole_ramps: complex64 (max whole delay + 2, N // 2 + 1): exp(-2 pi i k n / N).
        fraction_ramps: complex64 (FRACTION_STEPS, N // 2 + 1): exp(-2 pi i k (q / 256) / N).
    """

    frame_length: int
    directions: np.ndarray
    whole_ramps: np.ndarray
    fraction_ramps: np.ndarray


@functools.lru_cache(maxsize=16)
def spectral_tables(hrtf: PreparedHrtf, frame_length: int) -> SpectralHrtf:
    """The frequency-domain tables of ``hrtf`` for frames of ``frame_length`` (cached)."""
    if frame_length - hrtf.max_filter_length < 0:
        raise ValueError(f"a frame of {frame_length} cannot hold {hrtf.max_filter_length}-tap filters")
    taper = band_limit_taper(frame_length)
    directions = (np.fft.rfft(hrtf.filters.astype(np.float64), frame_length, axis=-1) * taper)
    whole = delay_ramps(np.arange(int(np.ceil(hrtf.delays.max())) + 2), frame_length)
    fraction = delay_ramps(np.arange(FRACTION_STEPS) / FRACTION_STEPS, frame_length)
    return SpectralHrtf(frame_length, directions.astype(np.complex64), whole.astype(np.complex64),
                        fraction.astype(np.complex64))


@numba.njit(cache=True, fastmath=True, nogil=True)
def build_filters(sources, indices, weights, whole, fraction, directions, whole_ramps,
                  fraction_ramps, filters):  # pragma: no cover - compiled
    """Write the filters (n, 2, K) of ``sources`` from their parameters (no mixing)."""
    n_bins = filters.shape[2]
    for source in sources:
        a, b, c = indices[source, 0], indices[source, 1], indices[source, 2]
        wa, wb, wc = weights[source, 0], weights[source, 1], weights[source, 2]
        for ear in range(2):
            w, f = whole[source, ear], fraction[source, ear]
            for k in range(n_bins):
                filters[source, ear, k] = ((wa * directions[a, ear, k] + wb * directions[b, ear, k]
                                            + wc * directions[c, ear, k])
                                           * (whole_ramps[w, k] * fraction_ramps[f, k]))


@numba.njit(cache=True, fastmath=True, nogil=True)
def mix_block(inputs, filters, moving, indices, weights, whole, fraction, directions, whole_ramps,
              fraction_ramps, steady, change):  # pragma: no cover - compiled
    """One block: ``steady`` (2, K) += inputs x current filters (every source), ``change`` (2, K)
    += inputs x (new - current filters) for the ``moving`` sources, whose filters become the new.

    inputs (n, K) complex64, filters (n, 2, K) complex64, moving (n,) bool, indices (n, 3) int32,
    weights (n, 3) float32 (barycentric x gain), whole / fraction (n, 2) int32. (Row views and
    two separate sums let the compiler vectorise the bin loop: 3x faster than a (2, 2, K) sum.)
    """
    n_sources, n_bins = inputs.shape
    for source in range(n_sources):
        x = inputs[source]
        if not moving[source]:
            for ear in range(2):
                current, total = filters[source, ear], steady[ear]
                for k in range(n_bins):
                    total[k] += x[k] * current[k]
            continue
        wa, wb, wc = weights[source, 0], weights[source, 1], weights[source, 2]
        for ear in range(2):
            da, db = directions[indices[source, 0], ear], directions[indices[source, 1], ear]
            dc = directions[indices[source, 2], ear]
            ramp_whole, ramp_fraction = whole_ramps[whole[source, ear]], fraction_ramps[fraction[source, ear]]
            current, total, correction = filters[source, ear], steady[ear], change[ear]
            for k in range(n_bins):
                new = (wa * da[k] + wb * db[k] + wc * dc[k]) * (ramp_whole[k] * ramp_fraction[k])
                old = current[k]
                total[k] += x[k] * old
                correction[k] += x[k] * (new - old)
                current[k] = new


def compile_kernels() -> None:
    """Compile the loops (or load them from numba's cache) now, with tiny arrays, so the first
    block of a live mix does not pay for it (~5 s uncached)."""
    sources = np.zeros(1, dtype=np.int64)
    pairs = np.zeros((1, 2), dtype=np.int32)
    indices, weights = np.zeros((1, 3), dtype=np.int32), np.zeros((1, 3), dtype=np.float32)
    directions, ramps = np.zeros((1, 2, 2), dtype=np.complex64), np.zeros((1, 2), dtype=np.complex64)
    filters, inputs = np.zeros((1, 2, 2), dtype=np.complex64), np.zeros((1, 2), dtype=np.complex64)
    build_filters(sources, indices, weights, pairs, pairs, directions, ramps, ramps, filters)
    sums = np.zeros((2, 2, 2), dtype=np.complex64)
    mix_block(inputs, filters, np.ones(1, dtype=np.bool_), indices, weights, pairs, pairs, directions,
              ramps, ramps, sums[0], sums[1])

