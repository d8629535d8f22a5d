"""Real-time block renderer: many moving point sources to binaural stereo.

Per block the renderer
1. transforms each source's input once (overlap-save, one N-sample frame per source, see
   :mod:`.convolver`), or takes the spectra from a caller that shares them between renderers
   (:meth:`BinauralRenderer.process_spectra`);
2. for sources whose direction, distance or gain changed (or all, if the head turned), finds the
   barycentric weights and interpolated delays of their new directions;
3. in one compiled pass over sources and bins (:mod:`.spectral`) builds those sources' new
   filters in the frequency domain (interpolated direction spectra x a delay phase ramp) and sums
   source spectra x current filters per ear, plus, for the changed sources only, source spectra x
   (new - current filters); two inverse FFTs per ear give the output with the old filters and the
   correction towards the new ones, and a raised-cosine fade across the block blends them. Since
   the fade is linear in the filters it can be applied after mixing, so the cross-fade costs no
   per-source time-domain work and motion makes no clicks.
A static scene is therefore a linear time-invariant convolution.
"""

from __future__ import annotations

import logging

import numpy as np

from .convolver import SlidingSpectra, check_block_size, frame_length_for, overlap_save_output
from .errors import RendererConfigError
from .geometry import directions_to_vectors, head_rotation_matrix
from .hrtf import HrtfSet
from .interpolation import PreparedHrtf, prepare_hrtf
from .spectral import SpectralHrtf, build_filters, mix_block, spectral_tables, split_delays

logger = logging.getLogger(__name__)

REFERENCE_DISTANCE = 1.0  # m: distance at which the distance gain is 1
MIN_DISTANCE = 0.1  # m: closer sources are clamped, so 1/r cannot blow up


def input_frame_length(hrtf: PreparedHrtf, block_size: int) -> int:
    """Frame length (FFT size) a renderer of ``hrtf`` at ``block_size`` needs at least; spectra
    of longer frames are accepted too (:meth:`BinauralRenderer.process_spectra`)."""
    return frame_length_for(hrtf.max_filter_length, check_block_size(block_size))


def distance_gain(distance: np.ndarray) -> np.ndarray:
    """Inverse-distance (1/r) amplitude law relative to :data:`REFERENCE_DISTANCE`."""
    return REFERENCE_DISTANCE / np.maximum(np.asarray(distance, dtype=np.float64), MIN_DISTANCE)


class BinauralRenderer:
    """Renders ``n_sources`` mono inputs, block by block, to a binaural stereo pair.

    Example::

        renderer = BinauralRenderer(n_sources=2, sample_rate=48000, block_size=480)
        renderer.set_sources(azimuth=[-30, 30], elevation=[0, 10], distance=[2, 1])
        renderer.set_listener(yaw=15)
        stereo = renderer.process(block)  # block: (2, 480) -> stereo: (480, 2) float32

    Position and orientation changes take effect on the next :meth:`process` call and are
    cross-faded over that block.

    Args:
        n_sources: number of mono inputs (rows of each block).
        sample_rate: engine rate in Hz; the HRTF set is resampled to it.
        block_size: samples per block, 64..960.
        hrtf: an :class:`HrtfSet` (default: MIT KEMAR) or an already :class:`PreparedHrtf`.
        head_radius: listener head radius (m) for ITD personalisation; None keeps the set's ITDs.
        update_interval: a moving source gets new filters every this many blocks, sources
            staggered so each block does the same work. Default: every block for blocks of 192
            samples or more, else every ~256 samples (control rate ~190 Hz at 48 kHz), because
            building filters costs the same per block whatever its size.
        crossfade: keep True; False switches filters abruptly and exists to show the clicks
            the cross-fade prevents.
    """

    def __init__(self, n_sources: int, sample_rate: int = 48000, block_size: int = 480,
                 hrtf: HrtfSet | PreparedHrtf | None = None, head_radius: float | None = None,
                 update_interval: int | None = None, crossfade: bool = True) -> None:
        if isinstance(n_sources, bool) or not isinstance(n_sources, (int, np.integer)) or n_sources < 1:
            raise RendererConfigError(f"n_sources must be a positive integer, got {n_sources!r}")
        self.block_size = check_block_size(block_size)
        if isinstance(hrtf, PreparedHrtf):
            if hrtf.sample_rate != sample_rate:
                raise RendererConfigError(f"prepared HRTF is at {hrtf.sample_rate} Hz, renderer at "
                                          f"{sample_rate} Hz")
            self.hrtf = hrtf
        else:
            self.hrtf = prepare_hrtf(hrtf or HrtfSet.kemar(), sample_rate, head_radius)
        self.sample_rate = self.hrtf.sample_rate
        self.n_sources = int(n_sources)
        self.crossfade = crossfade
        if update_interval is None:
            update_interval = max(1, round(256 / self.block_size))
        if isinstance(update_interval, bool) or not isinstance(update_interval, (int, np.integer)) \
                or not 1 <= update_interval <= 16:
            raise RendererConfigError(f"update_interval must be 1..16 blocks, got {update_interval!r}")
        self.update_interval = int(update_interval)
        self._update_phase = np.arange(self.n_sources) % self.update_interval
        self._block_index = 0
        #: FFT size of the overlap-save frame (block + longest filter - 1, rounded up to a fast size).
        self.frame_length = input_frame_length(self.hrtf, self.block_size)
        self.n_partitions = 1  # frames of input history read per block (one frame holds it all)
        self._input = SlidingSpectra(self.n_sources, self.block_size, self.frame_length)
        # A raised-cosine fade from the old filters (0) to the new (1) across one block.
        ramp = (np.arange(self.block_size) + 1.0) / self.block_size
        self._fade = (0.5 - 0.5 * np.cos(np.pi * ramp)).astype(np.float32)

        self._positions = np.tile([0.0, 0.0, REFERENCE_DISTANCE, 1.0], (self.n_sources, 1))
        self._source_vectors = np.tile([1.0, 0.0, 0.0], (self.n_sources, 1))
        self._source_gains = np.ones(self.n_sources)  # user gain x distance gain
        self._rotation = np.eye(3)
        self._pending = np.ones(self.n_sources, dtype=bool)  # filters to rebuild next block
        self._triangles: np.ndarray | None = None  # interpolation search hints per source
        # Each source's filter parameters: 3 direction indices, their weights x gain, and the
        # per-ear delay as whole samples and 1/256 steps; the filters are built from these.
        self._indices = np.zeros((self.n_sources, 3), dtype=np.int32)
        self._weights = np.zeros((self.n_sources, 3), dtype=np.float32)
        self._whole = np.zeros((self.n_sources, 2), dtype=np.int32)
        self._fraction = np.zeros((self.n_sources, 2), dtype=np.int32)
        self._tables: SpectralHrtf | None = None
        self._filters: np.ndarray | None = None  # (n_sources, 2, N // 2 + 1) current filters
        logger.debug("renderer: %d sources, %d Hz, block %d, frame %d", self.n_sources,
                     self.sample_rate, self.block_size, self.frame_length)

    # ------------------------------------------------------------------ scene state
    def set_sources(self, azimuth: np.ndarray | float, elevation: np.ndarray | float = 0.0,
                    distance: np.ndarray | float = REFERENCE_DISTANCE,
                    gain: np.ndarray | float = 1.0) -> None:
        """Set every source's position (degrees, metres) and linear gain; scalars broadcast."""
        values = [np.broadcast_to(np.asarray(v, dtype=np.float64), (self.n_sources,))
                  if np.ndim(v) == 0 or np.shape(v) == (self.n_sources,) else None
                  for v in (azimuth, elevation, distance, gain)]
        for name, value, raw in zip(("azimuth", "elevation", "distance", "gain"), values,
                                    (azimuth, elevation, distance, gain)):
            if value is None:
                raise RendererConfigError(f"{name} must be a scalar or have {self.n_sources} values, "
                                          f"got shape {np.shape(raw)}")
            if not np.all(np.isfinite(value)):
                raise RendererConfigError(f"{name} contains NaN or infinite values")
        azimuth, elevation, distance, gain = values
        if np.any(np.abs(elevation) > 90):
            raise RendererConfigError("elevation must be within -90..90 degrees")
        if np.any(distance < 0) or np.any(gain < 0):
            raise RendererConfigError("distance and gain must not be negative")
        self._positions = np.column_stack([azimuth, elevation, distance, gain])
        vectors = directions_to_vectors(azimuth, elevation)
        gains = gain * distance_gain(distance)
        changed = np.any(vectors != self._source_vectors, axis=1) | (gains != self._source_gains)
        self._source_vectors[changed] = vectors[changed]
        self._source_gains[changed] = gains[changed]
        self._pending |= changed

    def set_source(self, index: int, azimuth: float, elevation: float = 0.0,
                   distance: float = REFERENCE_DISTANCE, gain: float = 1.0) -> None:
        """Set one source's position and gain (see :meth:`set_sources`)."""
        if not 0 <= index < self.n_sources:
            raise RendererConfigError(f"source index {index} out of range 0..{self.n_sources - 1}")
        positions = self._positions.copy()
        positions[index] = (azimuth, elevation, distance, gain)
        self.set_sources(*positions.T)

    @property
    def source_positions(self) -> np.ndarray:
        """Copy of (n_sources, 4): azimuth, elevation, distance, gain as last set."""
        return self._positions.copy()

    def set_listener(self, yaw: float = 0.0, pitch: float = 0.0, roll: float = 0.0) -> None:
        """Set the head orientation in degrees (see :mod:`.geometry` for the conventions)."""
        if not np.all(np.isfinite([yaw, pitch, roll])):
            raise RendererConfigError("head orientation contains NaN or infinite values")
        rotation = head_rotation_matrix(yaw, pitch, roll)
        if not np.array_equal(rotation, self._rotation):
            self._rotation = rotation
            self._pending[:] = True

    # ------------------------------------------------------------------ processing
    def process(self, block: np.ndarray) -> np.ndarray:
        """Render one block: (n_sources, block_size) mono inputs -> (block_size, 2) float32."""
        block = np.asarray(block)
        if block.shape != (self.n_sources, self.block_size):
            raise RendererConfigError(f"expected an input block of shape "
                                      f"{(self.n_sources, self.block_size)}, got {block.shape}")
        if not np.all(np.isfinite(block)):
            raise RendererConfigError("input block contains NaN or infinite samples")
        self._input.push(block)
        return self._render(self._input.spectra[0], self.frame_length)

    def process_spectra(self, input_spectra: np.ndarray) -> np.ndarray:
        """Render one block from input spectra transformed elsewhere -> (block_size, 2) float32.

        ``input_spectra`` is (F, n_sources, N' // 2 + 1) complex, F >= 1, newest first, as a
        :class:`~tutti.audio.convolver.SlidingSpectra` of frame length N' >= :attr:`frame_length`
        holds them (only the newest is read). Many renderers of the same inputs (one personal mix
        per listener of a room) share one forward transform per source this way instead of each
        transforming every source again; the output equals :meth:`process` of the same blocks.
        """
        shape = np.shape(input_spectra)
        frame_length = 2 * (shape[-1] - 1) if len(shape) == 3 else 0
        if (len(shape) != 3 or shape[0] < 1 or shape[1] != self.n_sources
                or frame_length < self.frame_length):
            raise RendererConfigError(f"expected input spectra of shape (>= 1, {self.n_sources}, "
                                      f">= {self.frame_length // 2 + 1}), got {shape}")
        return self._render(np.ascontiguousarray(input_spectra[0], dtype=np.complex64), frame_length)

    def _render(self, inputs: np.ndarray, frame_length: int) -> np.ndarray:
        self._use_frame_length(frame_length)
        if self._filters is None:  # first block: start on the target filters, no fade
            self._update_parameters(np.arange(self.n_sources))
            self._filters = np.empty((self.n_sources, 2, frame_length // 2 + 1), dtype=np.complex64)
            self._build(np.arange(self.n_sources))
            self._pending[:] = False
        due = self._pending
        if self.update_interval > 1:
            due = due & (self._update_phase == self._block_index % self.update_interval)
        self._block_index += 1
        changed = np.flatnonzero(due)
        if changed.size:
            self._update_parameters(changed)
        tables = self._tables
        sums = np.zeros((2, 2, frame_length // 2 + 1), dtype=np.complex64)
        mix_block(inputs, self._filters, due, self._indices, self._weights, self._whole,
                  self._fraction, tables.directions, tables.whole_ramps, tables.fraction_ramps, sums[0], sums[1])
        if changed.size:
            steady, moving = overlap_save_output(sums, frame_length, self.block_size)
            output = steady + (self._fade if self.crossfade else 1.0) * moving
        else:
            output = overlap_save_output(sums[0], frame_length, self.block_size)
        self._pending[changed] = False
        return np.ascontiguousarray(output.T, dtype=np.float32)

    def reset(self) -> None:
        """Forget all past input (silence), keep positions and orientation."""
        self._input.reset()

    def _use_frame_length(self, frame_length: int) -> None:
        """Tables for this frame length; the current filters are rebuilt at it (same filters, so
        the output stays continuous)."""
        if self._tables is not None and self._tables.frame_length == frame_length:
            return
        self._tables = spectral_tables(self.hrtf, frame_length)
        if self._filters is not None:
            self._filters = np.empty((self.n_sources, 2, frame_length // 2 + 1), dtype=np.complex64)
            self._build(np.arange(self.n_sources))

    def _build(self, sources: np.ndarray) -> None:
        tables = self._tables
        build_filters(sources, self._indices, self._weights, self._whole, self._fraction,
                      tables.directions, tables.whole_ramps, tables.fraction_ramps, self._filters)

    def _update_parameters(self, sources: np.ndarray) -> None:
        """Barycentric weights (x gain) and per-ear delays of ``sources`` at their positions now."""
        head_vectors = self._source_vectors[sources] @ self._rotation  # world -> head frame
        hints = None if self._triangles is None else self._triangles[sources]
        indices, weights, triangles = self.hrtf.triangulation.weights(head_vectors, hints)
        if self._triangles is None:
            self._triangles = np.zeros(self.n_sources, dtype=np.int64)
        self._triangles[sources] = triangles
        delays = np.einsum("nk,nke->ne", weights, self.hrtf.delays[indices])
        self._indices[sources] = indices
        self._weights[sources] = weights * self._source_gains[sources, None]
        self._whole[sources], self._fraction[sources] = split_delays(delays)

    def impulse_responses(self) -> np.ndarray:
        """The HRIR pairs (n_sources, 2, taps) the current positions and orientation call for."""
        head_vectors = self._source_vectors @ self._rotation
        return self.hrtf.impulse_responses(head_vectors, self._source_gains)
