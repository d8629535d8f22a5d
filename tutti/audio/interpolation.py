"""Direction interpolation of HRIRs: onset-aligned filters plus interaural delays.

Each measured HRIR is split into a pure delay (its onset, found on an 8x upsampled copy) and a
filter that starts at that onset: by default a minimum-phase filter with the same magnitude
response (``phase="minimum"``), or the measured response itself cut at its onset
(``phase="measured"``, which keeps the measurement's excess phase; see docs/spatial-audio.md for
what each costs and changes). Between measured directions both parts are interpolated with
barycentric weights on the spherical triangulation (convex hull) of the measurement grid.
Interpolating onset-aligned filters avoids the comb filtering that mixing filters with different
delays would cause, and interpolating the delays themselves moves the ITD smoothly.

The delay is re-applied with a 16-tap Kaiser-windowed sinc, flat within 0.05 dB to 16 kHz at
44.1 kHz (a 4-tap Lagrange kernel lost up to 3.3 dB at 16 kHz, by an amount that changed with the
delay's fraction, so the highs wavered as a source moved). The kernel is not applied per block:
each direction's filter is stored pre-convolved with the kernel at 16 fractional phases
(:attr:`PreparedHrtf.phase_table`), and a block only picks the phase of its interpolated delay
(linear interpolation commutes with the convolution); the rounding is at most 1/32 sample
(0.65 us at 48 kHz), far below the ~10 us ITD one can hear.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import signal
from scipy.spatial import ConvexHull, QhullError, cKDTree

from .errors import HrtfError, RendererConfigError
from .geometry import vectors_to_directions, woodworth_itd
from .hrtf import HrtfSet

logger = logging.getLogger(__name__)

# 5.3 ms keeps 99.7 % (median; 97.4 % at the 99th percentile) of KEMAR's minimum-phase energy;
# the rest is a low-frequency tail. Longer filters cost partitions at small block sizes.
DEFAULT_FILTER_SECONDS = 256 / 48000
_ONSET_OVERSAMPLING = 8
_ONSET_THRESHOLD = 0.1  # onset = first crossing of -20 dB re the peak, a common ITD estimator
_MIN_SUPPORTED_RATE, _MAX_SUPPORTED_RATE = 16000, 192000
FRACTIONAL_DELAY_TAPS = 16
FRACTIONAL_DELAY_PHASES = 16
_KAISER_BETA = 5.0  # 16 taps: <= 0.05 dB ripple to 16 kHz at 44.1 kHz, -0.4 dB at 20 kHz at 48 kHz
#: Smallest per-ear delay (samples): the kernel's centre, so every kernel starts at tap >= 0.
DELAY_HEADROOM = FRACTIONAL_DELAY_TAPS // 2 - 1
_MEASURED_PRE_ONSET = 2  # samples kept before a measured filter's onset (its rise starts there)
PHASES = ("minimum", "measured")


def check_sample_rate(sample_rate: float) -> int:
    """Validate an engine sampling rate and return it as int."""
    if not isinstance(sample_rate, (int, float, np.integer, np.floating)) or isinstance(sample_rate, bool):
        raise RendererConfigError(f"sample rate must be a number, got {sample_rate!r}")
    if sample_rate != int(sample_rate) or not _MIN_SUPPORTED_RATE <= sample_rate <= _MAX_SUPPORTED_RATE:
        raise RendererConfigError(f"unsupported sample rate {sample_rate!r} Hz: expected an integer "
                                  f"rate between {_MIN_SUPPORTED_RATE} and {_MAX_SUPPORTED_RATE} Hz")
    return int(sample_rate)


def minimum_phase(impulse_responses: np.ndarray, n_fft: int) -> np.ndarray:
    """Minimum-phase versions (same magnitude response) of FIRs along the last axis (cepstrum)."""
    magnitude = np.abs(np.fft.rfft(impulse_responses, n_fft, axis=-1))
    floor = 1e-6 * magnitude.max(axis=-1, keepdims=True)  # log(0) guard, -120 dB
    cepstrum = np.fft.irfft(np.log(np.maximum(magnitude, floor)), n_fft, axis=-1)
    fold = np.zeros(n_fft)
    fold[0] = 1.0
    fold[1:n_fft // 2] = 2.0
    fold[n_fft // 2] = 1.0
    return np.fft.irfft(np.exp(np.fft.rfft(cepstrum * fold, axis=-1)), n_fft, axis=-1)


def onset_delays(impulse_responses: np.ndarray) -> np.ndarray:
    """Onset (samples, fractional) of each FIR along the last axis: first -20 dB crossing."""
    upsampled = signal.resample_poly(impulse_responses, _ONSET_OVERSAMPLING, 1, axis=-1)
    envelope = np.abs(upsampled)
    above = envelope >= _ONSET_THRESHOLD * envelope.max(axis=-1, keepdims=True)
    return np.argmax(above, axis=-1) / _ONSET_OVERSAMPLING


def fractional_delay_kernels(phases: int = FRACTIONAL_DELAY_PHASES,
                             taps: int = FRACTIONAL_DELAY_TAPS) -> np.ndarray:
    """(phases, taps) Kaiser-windowed sinc kernels; kernel ``q`` delays by
    ``taps // 2 - 1 + q / phases`` samples, with unit gain at DC."""
    x = np.arange(taps)[None, :] - (taps // 2 - 1) - np.arange(phases)[:, None] / phases
    window = np.i0(_KAISER_BETA * np.sqrt(np.clip(1 - (x / (taps / 2)) ** 2, 0, None))) / np.i0(_KAISER_BETA)
    kernels = np.sinc(x) * window
    return kernels / kernels.sum(axis=1, keepdims=True)


def phase_table(filters: np.ndarray) -> np.ndarray:
    """float32 (..., phases, taps + kernel - 1): ``filters`` convolved with every delay kernel."""
    kernels = fractional_delay_kernels()
    n_out = filters.shape[-1] + kernels.shape[-1] - 1
    n_fft = 1 << int(np.ceil(np.log2(n_out)))
    spectra = np.fft.rfft(filters, n_fft, axis=-1)
    table = np.empty(filters.shape[:-1] + (len(kernels), n_out), dtype=np.float32)
    for phase, kernel in enumerate(kernels):  # one phase at a time: bounded temporary memory
        table[..., phase, :] = np.fft.irfft(spectra * np.fft.rfft(kernel, n_fft), n_fft, axis=-1)[..., :n_out]
    return table


def place_at_offsets(filters: np.ndarray, start: np.ndarray, length: int) -> np.ndarray:
    """Each FIR in ``filters`` (..., taps) written at integer offset ``start`` (...) into
    float32 filters of ``length`` taps (the caller guarantees they fit)."""
    taps = filters.shape[-1]
    start = np.asarray(start, dtype=np.int64)
    if np.any(start < 0) or np.any(start + taps > length):
        raise ValueError(f"offsets {start.min()}..{start.max()} do not fit {length} taps")
    # Scatter each row to its integer offset in one fancy-indexed assignment on the flat output.
    rows = int(np.prod(filters.shape[:-1]))
    output = np.zeros((rows, length), dtype=np.float32)
    targets = (np.arange(rows) * length + start.reshape(-1))[:, None] + np.arange(taps)
    output.reshape(-1)[targets] = filters.reshape(rows, taps)
    return output.reshape(filters.shape[:-1] + (length,))


def split_delays(delays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-ear delays (>= DELAY_HEADROOM) -> (integer offset of the kernel's first tap, phase)."""
    position = np.asarray(delays, dtype=np.float64) - DELAY_HEADROOM
    start = np.floor(position).astype(np.int64)
    phase = np.rint((position - start) * FRACTIONAL_DELAY_PHASES).astype(np.int64)
    carry = phase == FRACTIONAL_DELAY_PHASES
    return start + carry, np.where(carry, 0, phase)


def fractional_delay(filters: np.ndarray, delays: np.ndarray, length: int) -> np.ndarray:
    """Delay each FIR in ``filters`` (..., taps) by ``delays`` (..., >= DELAY_HEADROOM) samples with
    the windowed-sinc kernel; float32 filters of ``length`` taps. (The renderer uses the
    precomputed :func:`phase_table` instead; this is the same operation, for any filters.)"""
    start, phase = split_delays(delays)
    kernels = fractional_delay_kernels()[phase]
    delayed = np.stack([np.convolve(f, k) for f, k in zip(filters.reshape(-1, filters.shape[-1]),
                                                           kernels.reshape(-1, kernels.shape[-1]))])
    return place_at_offsets(delayed.reshape(filters.shape[:-1] + (-1,)), start, length)


class SphericalTriangulation:
    """Barycentric interpolation weights on the convex hull of measured directions."""

    def __init__(self, vectors: np.ndarray) -> None:
        try:
            hull = ConvexHull(vectors)
        except QhullError as exc:
            raise HrtfError("HRTF directions do not span 3-D space (e.g. a horizontal-plane-only "
                            "set); interpolation needs measurements above or below ear level") from exc
        self.triangles = hull.simplices  # (n_triangles, 3) vertex indices
        corners = vectors[self.triangles]  # (n_triangles, 3 corners, 3 xyz)
        # Solving corners^T w = d for w gives ray-triangle weights; invert once here.
        self._inverse = np.linalg.pinv(np.transpose(corners, (0, 2, 1)))
        self._neighbours = hull.neighbors  # (n_triangles, 3) adjacent triangles
        self._tree = cKDTree(vectors)
        incident: list[list[int]] = [[] for _ in range(len(vectors))]
        for triangle_index, triangle in enumerate(self.triangles):
            for vertex in triangle:
                incident[vertex].append(triangle_index)
        width = max(len(t) for t in incident)
        self._incident = np.array([t + [t[0]] * (width - len(t)) if t else [0] * width
                                   for t in incident])

    def weights(self, directions: np.ndarray, hints: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Barycentric interpolation of unit vectors (n, 3) on the measurement grid.

        Args:
            directions: head-frame unit vectors.
            hints: optional triangle index per direction (e.g. the previous block's); a moving
                source is almost always still in that triangle or a neighbour, which is far
                cheaper to check than a search.

        Returns:
            vertex indices (n, 3), weights (n, 3) summing to 1, triangle index (n,).
        """
        directions = np.atleast_2d(directions)
        count = len(directions)
        triangle = np.zeros(count, dtype=np.int64)
        raw = np.full((count, 3), -np.inf)
        pending = np.arange(count)
        if hints is not None:
            hints = np.asarray(hints, dtype=np.int64)
            candidates = np.column_stack([hints, self._neighbours[hints]])
            pending = self._resolve(directions, pending, candidates, triangle, raw)
        if pending.size:
            _, nearest = self._tree.query(directions[pending])
            pending = self._resolve(directions, pending, self._incident[nearest], triangle, raw)
        if pending.size:  # rare: thin triangles not touching the nearest vertex
            every = (self._inverse.reshape(-1, 3) @ directions[pending].T).reshape(
                len(self.triangles), 3, pending.size)
            best = np.argmax(every.min(axis=1), axis=0)
            triangle[pending] = best
            raw[pending] = every[best, :, np.arange(pending.size)]
        raw = np.clip(raw, 0.0, None)  # a direction outside a partial grid clamps to its edge
        weights = raw / np.maximum(raw.sum(axis=-1, keepdims=True), 1e-12)
        return self.triangles[triangle], weights, triangle

    def _resolve(self, directions: np.ndarray, rows: np.ndarray, candidates: np.ndarray,
                 triangle: np.ndarray, raw: np.ndarray) -> np.ndarray:
        """Try candidate triangles (len(rows), k) for ``rows``; return the rows still unresolved."""
        weights = np.einsum("nkij,nj->nki", self._inverse[candidates], directions[rows])
        best = np.argmax(weights.min(axis=-1), axis=-1)
        picked = np.arange(len(rows))
        triangle[rows] = candidates[picked, best]
        raw[rows] = weights[picked, best]
        return rows[raw[rows].min(axis=-1) < -1e-9]


@dataclass(frozen=True, eq=False)
class PreparedHrtf:
    """An HRTF set made ready for rendering at one sampling rate.

    Attributes:
        source: the measured set this was made from.
        sample_rate: engine sampling rate in Hz.
        filters: float32 (n_directions, 2, filter_taps), starting at their onsets: minimum-phase
            (``phase="minimum"``) or as measured (``phase="measured"``).
        delays: (n_directions, 2) per-ear delay in samples (>= DELAY_HEADROOM), the common
            latency removed.
        head_radius: radius (m) whose Woodworth ITD the delays follow (fitted or personalised).
        triangulation: interpolation weights on the measurement grid.
        phase_table: float32 (n_directions, 2, phases, taps + 15): ``filters`` pre-convolved with
            the fractional-delay kernel at each phase (shared by every head radius).
        phase: "minimum" or "measured".
    """

    source: HrtfSet
    sample_rate: int
    filters: np.ndarray
    delays: np.ndarray
    head_radius: float
    reference_head_radius: float
    triangulation: SphericalTriangulation
    phase_table: np.ndarray
    phase: str = "minimum"

    @property
    def filter_taps(self) -> int:
        return self.filters.shape[-1]

    @property
    def max_filter_length(self) -> int:
        """Length of the longest interpolated FIR (delay + filter convolved with the kernel)."""
        return int(np.floor(self.delays.max())) - DELAY_HEADROOM + 1 + self.phase_table.shape[-1]

    def interpolate(self, vectors: np.ndarray, hints: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Filters (n, 2, taps), per-ear delays (n, 2) and triangles (n,) for head-frame unit
        vectors (``hints``: see :meth:`SphericalTriangulation.weights`)."""
        indices, weights, triangles = self.triangulation.weights(vectors, hints)
        filters = np.einsum("nk,nket->net", weights.astype(np.float32), self.filters[indices])
        delays = np.einsum("nk,nke->ne", weights, self.delays[indices])
        return filters, delays, triangles

    def delayed_filters(self, vectors: np.ndarray, gains: np.ndarray | float = 1.0,
                        hints: np.ndarray | None = None, length: int | None = None
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Binaural FIRs (n, 2, length) float32 and triangles (n,) for head-frame unit vectors:
        interpolated filters at their interpolated (fractional) delays, times ``gains``."""
        indices, weights, triangles = self.triangulation.weights(np.atleast_2d(vectors), hints)
        delays = np.einsum("nk,nke->ne", weights, self.delays[indices])
        start, phase = split_delays(delays)
        table = self.phase_table
        rows = (indices[:, :, None] * 2 + np.arange(2)) * table.shape[2] + phase[:, None, :]  # (n, 3, 2)
        picked = table.reshape(-1, table.shape[-1]).take(rows, axis=0)  # one flat gather: fastest
        weights32 = weights.astype(np.float32) * np.asarray(gains, dtype=np.float32).reshape(-1, 1)
        filters = np.einsum("nk,nket->net", weights32, picked)
        return place_at_offsets(filters, start, length or self.max_filter_length), triangles

    def impulse_responses(self, vectors: np.ndarray, gains: np.ndarray | float = 1.0) -> np.ndarray:
        """Interpolated binaural FIRs (n, 2, max_filter_length) float32 for head-frame unit vectors."""
        return self.delayed_filters(vectors, gains)[0]

    def itd_ild(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per measured direction: azimuth/elevation (n, 2) deg, ITD (s, >0 = right ear leads), ILD (dB, >0 = right louder)."""
        azimuth, elevation = vectors_to_directions(self.source.vectors)
        itd = (self.delays[:, 0] - self.delays[:, 1]) / self.sample_rate
        energy = np.sum(self.filters.astype(np.float64) ** 2, axis=-1)
        ild = 10 * np.log10(energy[:, 1] / energy[:, 0])
        return np.column_stack([azimuth, elevation]), itd, ild


def fit_head_radius(hrtf_delays: np.ndarray, vectors: np.ndarray, sample_rate: float) -> float:
    """Least-squares head radius (m) whose Woodworth ITD best matches measured per-ear delays."""
    azimuth, elevation = vectors_to_directions(vectors)
    itd = (hrtf_delays[:, 0] - hrtf_delays[:, 1]) / sample_rate
    model = woodworth_itd(azimuth, elevation, head_radius=1.0)
    return float(np.dot(itd, model) / np.dot(model, model))


@functools.lru_cache(maxsize=4)
def _onset_aligned_filters(hrtf: HrtfSet, sample_rate: int, filter_taps: int, phase: str
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(onsets, in-filter onset offsets, filters, phase table) at ``sample_rate``; shared by
    every head radius (cached)."""
    ratio = Fraction(sample_rate / hrtf.sample_rate).limit_denominator(1000)
    irs = hrtf.impulse_responses
    if ratio != 1:
        # resample_poly keeps the waveform's amplitude; a filter's gain is the *sum* of its taps,
        # which grows with the number of taps: rescale so the level does not follow the rate.
        irs = signal.resample_poly(irs, ratio.numerator, ratio.denominator, axis=-1) / float(ratio)
    onsets = onset_delays(irs)
    if phase == "minimum":
        n_fft = 1 << int(np.ceil(np.log2(irs.shape[-1] * 8)))
        filters = minimum_phase(irs, n_fft)[..., :filter_taps]
        in_filter = np.zeros_like(onsets)  # a minimum-phase filter starts at once
    else:
        cut = np.maximum(np.floor(onsets).astype(np.int64) - _MEASURED_PRE_ONSET, 0)
        padded = np.concatenate([irs, np.zeros(irs.shape[:-1] + (filter_taps,))], axis=-1)
        filters = np.take_along_axis(padded, cut[..., None] + np.arange(filter_taps), axis=-1)
        in_filter = onsets - cut
    fade = min(32, filter_taps // 4)  # short half-Hann tail so truncation adds no ripple
    filters = filters * np.concatenate([np.ones(filter_taps - fade), np.hanning(2 * fade)[fade:]])
    filters = filters.astype(np.float32)
    return onsets, in_filter, filters, phase_table(filters)


@functools.lru_cache(maxsize=8)
def prepare_hrtf(hrtf: HrtfSet, sample_rate: int, head_radius: float | None = None,
                 filter_taps: int | None = None, phase: str = "minimum") -> PreparedHrtf:
    """Resample, split into onset-aligned filter + delay, and triangulate an HRTF set (cached).

    Args:
        hrtf: the measured set.
        sample_rate: the engine rate; HRIRs are resampled to it with a polyphase filter (and
            rescaled, so the level does not depend on the rate).
        head_radius: listener head radius in metres; if given, each direction's ITD is scaled by
            head_radius / (the radius fitted to the set by Woodworth's model). A simple personal fit.
        filter_taps: filter length at the engine rate (default 5.3 ms).
        phase: "minimum" (minimum-phase filters: smooth to interpolate, but the measurement's
            excess phase is dropped) or "measured" (the measured responses cut at their onsets).
    """
    sample_rate = check_sample_rate(sample_rate)
    if phase not in PHASES:
        raise RendererConfigError(f"phase must be one of {PHASES}, got {phase!r}")
    if filter_taps is None:
        filter_taps = int(round(DEFAULT_FILTER_SECONDS * sample_rate))
    if not 16 <= filter_taps <= 8192:
        raise RendererConfigError(f"filter length must be 16..8192 taps, got {filter_taps}")
    onsets, in_filter, filters, table = _onset_aligned_filters(hrtf, sample_rate, filter_taps, phase)

    reference_radius = fit_head_radius(onsets, hrtf.vectors, sample_rate)
    if head_radius is not None:
        if not 0.04 <= head_radius <= 0.15:
            raise RendererConfigError(f"head radius must be 0.04..0.15 m, got {head_radius!r}")
        centre = onsets.mean(axis=1, keepdims=True)
        half_itd = (onsets - centre) * (head_radius / reference_radius)
        onsets = centre + half_itd
    # The filter already holds ``in_filter`` of each onset; keep headroom for the delay kernel.
    delays = onsets - in_filter
    delays = delays - delays.min() + DELAY_HEADROOM
    logger.info("prepared HRTF %r at %d Hz (%s phase): %d taps, max delay %.1f samples, head radius "
                "%.4f m (fitted %.4f m)", hrtf.name, sample_rate, phase, filter_taps, delays.max(),
                head_radius or reference_radius, reference_radius)
    return PreparedHrtf(hrtf, sample_rate, filters, delays, float(head_radius or reference_radius),
                        reference_radius, SphericalTriangulation(hrtf.vectors), table, phase)


__all__ = ["PreparedHrtf", "SphericalTriangulation", "prepare_hrtf", "minimum_phase",
           "onset_delays", "fractional_delay", "fractional_delay_kernels", "phase_table",
           "fit_head_radius", "check_sample_rate"]
