"""Overlap-save FFT convolution with one sliding frame per input channel.

Every block of B new samples, each channel's last N samples (the *frame*, N >= B + L - 1 for
filters of L taps) are transformed once with an N-point real FFT. A filter of at most N - B + 1
taps, given as its N-point spectrum, multiplies that spectrum; the last B samples of the inverse
transform are the linear convolution of the block (the first N - B wrap around and are discarded:
overlap-save). Products are summed over channels in the frequency domain, so many sources mixed
into two ears cost one inverse FFT per ear however many sources there are.

One frame instead of B-sample partitions keeps a filter a single spectrum, so a filter can be
built, interpolated and delayed in the frequency domain (see :mod:`.spectral`): a delay is then a
phase ramp, which cannot be applied to a filter cut into partitions.
"""

from __future__ import annotations

import numpy as np
import scipy.fft

from .errors import RendererConfigError

MIN_BLOCK_SIZE = 64
MAX_BLOCK_SIZE = 960


def check_block_size(block_size: int) -> int:
    """Validate a block size (samples per channel per call) and return it as int."""
    if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)):
        raise RendererConfigError(f"block size must be an integer, got {block_size!r}")
    if not MIN_BLOCK_SIZE <= block_size <= MAX_BLOCK_SIZE:
        raise RendererConfigError(f"block size {block_size} out of range: expected "
                                  f"{MIN_BLOCK_SIZE}..{MAX_BLOCK_SIZE} samples")
    return int(block_size)


def frame_length_for(filter_length: int, block_size: int) -> int:
    """Smallest fast, even FFT size N >= 2 x block_size with N - block_size + 1 >= filter_length."""
    needed = max(2 * block_size, block_size + filter_length - 1)
    return 2 * scipy.fft.next_fast_len(-(-needed // 2), real=True)


class SlidingSpectra:
    """Spectra of each channel's last ``frame_length`` samples, one real FFT per channel per block.

    ``spectra`` is (1, n_channels, frame_length // 2 + 1) complex64: the leading axis is the
    history depth the renderer reads (one frame holds all of it).
    """

    _SPARE_BLOCKS = 16  # the buffer holds this many blocks beyond a frame: one copy per 16 blocks

    def __init__(self, n_channels: int, block_size: int, frame_length: int) -> None:
        if frame_length < 2 * block_size or frame_length % 2:
            raise RendererConfigError(f"frame length must be even and >= 2 x the block "
                                      f"({block_size}), got {frame_length}")
        self.block_size = block_size
        self.frame_length = frame_length
        # The frame slides along a longer buffer instead of being shifted every block.
        self._buffer = np.zeros((n_channels, frame_length + self._SPARE_BLOCKS * block_size), np.float32)
        self._end = frame_length
        self.spectra = np.zeros((1, n_channels, frame_length // 2 + 1), dtype=np.complex64)

    @property
    def _frame(self) -> np.ndarray:
        """(n_channels, frame_length) view of the last ``frame_length`` samples (writable)."""
        return self._buffer[:, self._end - self.frame_length:self._end]

    def push(self, block: np.ndarray) -> None:
        """Add one block (n_channels, B) of input."""
        b = self.block_size
        if self._end + b > self._buffer.shape[1]:
            keep = self.frame_length - b
            self._buffer[:, :keep] = self._buffer[:, self._end - keep:self._end]
            self._end = keep
        self._buffer[:, self._end:self._end + b] = block
        self._end += b
        self.spectra[0] = scipy.fft.rfft(self._frame, axis=-1)

    def reset(self) -> None:
        self._buffer.fill(0.0)
        self.spectra.fill(0.0)


def overlap_save_output(spectra: np.ndarray, frame_length: int, block_size: int) -> np.ndarray:
    """Overlap-save output (..., B) float32 from summed spectra (..., frame_length // 2 + 1)."""
    return scipy.fft.irfft(spectra, n=frame_length, axis=-1)[..., frame_length - block_size:]
