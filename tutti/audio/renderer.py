"""Real-time block renderer: many moving point sources to binaural stereo.

Per block the renderer
1. transforms each source's input once (overlap-save FFT, see :mod:`.convolver`), or takes the
   spectra from a caller that shares them between renderers (:meth:`BinauralRenderer.process_spectra`);
2. for sources whose direction, distance or gain changed (or all, if the head turned), builds
   new interpolated HRIR pairs (:mod:`.interpolation`) and their partitioned spectra;
3. sums source spectra x current filters per ear, plus, for the changed sources only,
   source spectra x (new - current filters); two inverse FFTs per ear give the output with the
   old filters and the correction towards the new ones, and a raised-cosine fade across the block
   blends them. Since the fade is linear in the filters it can be applied after mixing, so the
   cross-fade costs no per-source time-domain work and motion makes no clicks.
A static scene is therefore an exact linear time-invariant convolution.
"""

from __future__ import annotations

import logging

import numpy as np

from .convolver import (FrequencyDomainDelayLine, check_block_size, mix_spectra,
                        partition_count, partition_spectra, spectra_to_block)
from .errors import RendererConfigError
from .geometry import directions_to_vectors, head_rotation_matrix
from .hrtf import HrtfSet
from .interpolation import PreparedHrtf, prepare_hrtf

logger = logging.getLogger(__name__)

REFERENCE_DISTANCE = 1.0  # m: distance at which the distance gain is 1
MIN_DISTANCE = 0.1  # m: closer sources are clamped, so 1/r cannot blow up


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
        self.n_partitions = partition_count(self.hrtf.max_filter_length, self.block_size)
        self._filter_length = self.n_partitions * self.block_size
        self._delay_line = FrequencyDomainDelayLine(self.n_sources, self.block_size, self.n_partitions)
        # A raised-cosine fade from the old filters (0) to the new (1) across one block.
        ramp = (np.arange(self.block_size) + 1.0) / self.block_size
        self._fade = (0.5 - 0.5 * np.cos(np.pi * ramp)).astype(np.float32)

        self._positions = np.tile([0.0, 0.0, REFERENCE_DISTANCE, 1.0], (self.n_sources, 1))
        self._source_vectors = np.tile([1.0, 0.0, 0.0], (self.n_sources, 1))
        self._source_gains = np.ones(self.n_sources)  # user gain x distance gain
        self._rotation = np.eye(3)
        self._pending = np.ones(self.n_sources, dtype=bool)  # filters to rebuild next block
        self._triangles: np.ndarray | None = None  # interpolation search hints per source
        self._filter_spectra: np.ndarray | None = None  # (P, n_sources, 2, B + 1)
        logger.debug("renderer: %d sources, %d Hz, block %d, %d partition(s)", self.n_sources,
                     self.sample_rate, self.block_size, self.n_partitions)

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
        self._delay_line.push(block)
        return self._render(self._delay_line.spectra)

    def process_spectra(self, input_spectra: np.ndarray) -> np.ndarray:
        """Render one block from input spectra transformed elsewhere -> (block_size, 2) float32.

        ``input_spectra`` is (P', n_sources, B + 1) with P' >= :attr:`n_partitions`: the newest
        first, as a :class:`~tutti.audio.convolver.FrequencyDomainDelayLine` holds them (only the
        first :attr:`n_partitions` are used). Many renderers of the same inputs (one personal mix
        per listener of a room) share one forward transform per source this way instead of each
        transforming every source again; the output equals :meth:`process` of the same blocks.
        """
        if (input_spectra.ndim != 3 or input_spectra.shape[0] < self.n_partitions
                or input_spectra.shape[1:] != (self.n_sources, self.block_size + 1)):
            raise RendererConfigError(f"expected input spectra of shape (>= {self.n_partitions}, "
                                      f"{self.n_sources}, {self.block_size + 1}), got {input_spectra.shape}")
        return self._render(input_spectra[:self.n_partitions])

    def _render(self, inputs: np.ndarray) -> np.ndarray:
        if self._filter_spectra is None:  # first block: start on the target filters, no fade
            self._filter_spectra = self._build_filter_spectra(np.arange(self.n_sources))
            self._pending[:] = False
        output = spectra_to_block(mix_spectra(inputs, self._filter_spectra), self.block_size)

        due = self._pending
        if self.update_interval > 1:
            due = due & (self._update_phase == self._block_index % self.update_interval)
        self._block_index += 1
        changed = np.flatnonzero(due)
        if changed.size == self.n_sources:
            # Everything moved: mix the new filters directly, no difference of spectra needed.
            new_spectra = self._build_filter_spectra(changed)
            target = spectra_to_block(mix_spectra(inputs, new_spectra), self.block_size)
            output += (self._fade if self.crossfade else 1.0) * (target - output)
            self._filter_spectra = new_spectra
        elif changed.size:
            # Only the movers: add their (new - old) contribution, faded in across the block.
            new_spectra = self._build_filter_spectra(changed)
            difference = new_spectra - self._filter_spectra[:, changed]
            correction = spectra_to_block(mix_spectra(inputs[:, changed], difference),
                                          self.block_size)
            output += (self._fade if self.crossfade else 1.0) * correction
            self._filter_spectra[:, changed] = new_spectra
        self._pending[changed] = False
        return np.ascontiguousarray(output.T, dtype=np.float32)

    def reset(self) -> None:
        """Forget all past input (silence), keep positions and orientation."""
        self._delay_line.reset()

    def _build_filter_spectra(self, sources: np.ndarray) -> np.ndarray:
        """Partitioned spectra (P, len(sources), 2, B + 1) of the target HRIRs of ``sources``."""
        head_vectors = self._source_vectors[sources] @ self._rotation  # world -> head frame
        hints = None if self._triangles is None else self._triangles[sources]
        impulse_responses, triangles = self.hrtf.delayed_filters(
            head_vectors, self._source_gains[sources], hints, self._filter_length)
        if self._triangles is None:
            self._triangles = np.zeros(self.n_sources, dtype=np.int64)
        self._triangles[sources] = triangles
        return partition_spectra(impulse_responses, self.block_size, self.n_partitions)

    def impulse_responses(self) -> np.ndarray:
        """The HRIR pairs (n_sources, 2, taps) the current positions and orientation call for."""
        head_vectors = self._source_vectors @ self._rotation
        return self.hrtf.impulse_responses(head_vectors, self._source_gains)
