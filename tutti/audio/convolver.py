"""Uniformly partitioned overlap-save FFT convolution, batched over channels.

A filter of L taps is cut into P = ceil(L / B) partitions of the block size B; each partition is
transformed with a 2B-point real FFT. Every block, the last 2B input samples are transformed
once per input channel and pushed into a frequency-domain delay line (FDL) holding the last P
input spectra. An output spectrum is the sum over partitions *and over input channels* of
FDL spectrum x filter spectrum, so many sources mixed into two ears cost one inverse FFT per ear.
The second half of the inverse transform is the linear convolution of the current block (the
first half is circular wrap-around and is discarded: overlap-save).
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


def partition_count(filter_length: int, block_size: int) -> int:
    """Number of B-sample partitions needed for a filter of ``filter_length`` taps."""
    return max(1, -(-filter_length // block_size))


def partition_spectra(filters: np.ndarray, block_size: int, n_partitions: int) -> np.ndarray:
    """Spectra (P, ..., B + 1) complex64 of FIRs (..., L) cut into P partitions of B taps."""
    length = filters.shape[-1]
    if length > n_partitions * block_size:
        raise ValueError(f"{length}-tap filters do not fit {n_partitions} x {block_size} partitions")
    padded = np.zeros(filters.shape[:-1] + (n_partitions * block_size,), dtype=np.float32)
    padded[..., :length] = filters
    partitions = padded.reshape(filters.shape[:-1] + (n_partitions, block_size))
    spectra = scipy.fft.rfft(partitions, n=2 * block_size, axis=-1)  # zero-padded to 2B
    return np.moveaxis(spectra, -2, 0)


class FrequencyDomainDelayLine:
    """The last P input spectra of each channel: ``spectra[p]`` is the block p blocks ago."""

    def __init__(self, n_channels: int, block_size: int, n_partitions: int) -> None:
        self.block_size = block_size
        self._frame = np.zeros((n_channels, 2 * block_size), dtype=np.float32)
        self.spectra = np.zeros((n_partitions, n_channels, block_size + 1), dtype=np.complex64)

    def push(self, block: np.ndarray) -> None:
        """Add one block (n_channels, B) of input."""
        b = self.block_size
        self._frame[:, :b] = self._frame[:, b:]
        self._frame[:, b:] = block
        if len(self.spectra) > 1:
            self.spectra[1:] = self.spectra[:-1]
        self.spectra[0] = scipy.fft.rfft(self._frame, axis=-1)

    def reset(self) -> None:
        self._frame.fill(0.0)
        self.spectra.fill(0.0)


def mix_spectra(input_spectra: np.ndarray, filter_spectra: np.ndarray) -> np.ndarray:
    """Sum over partitions and inputs: (P, n_in, K) x (P, n_in, n_out, K) -> (n_out, K)."""
    return np.einsum("pik,piok->ok", input_spectra, filter_spectra)


def spectra_to_block(spectra: np.ndarray, block_size: int) -> np.ndarray:
    """Overlap-save output (n_out, B) float32 from summed spectra (n_out, B + 1)."""
    return scipy.fft.irfft(spectra, n=2 * block_size, axis=-1)[..., block_size:]


class UniformPartitionedConvolver:
    """Fixed multi-input, multi-output FIR convolver: ``out[o] = sum_i in[i] * filters[i, o]``.

    Processes blocks of exactly ``block_size`` samples with no latency beyond the block.
    """

    def __init__(self, filters: np.ndarray, block_size: int) -> None:
        filters = np.asarray(filters, dtype=np.float32)
        if filters.ndim != 3:
            raise RendererConfigError(f"filters must be (inputs, outputs, taps), got {filters.shape}")
        self.block_size = check_block_size(block_size)
        self.n_inputs, self.n_outputs, taps = filters.shape
        self.n_partitions = partition_count(taps, self.block_size)
        self._filter_spectra = partition_spectra(filters, self.block_size, self.n_partitions)
        self._delay_line = FrequencyDomainDelayLine(self.n_inputs, self.block_size, self.n_partitions)

    def process(self, block: np.ndarray) -> np.ndarray:
        """Convolve one block (n_inputs, B); returns (B, n_outputs) float32."""
        block = np.asarray(block, dtype=np.float32)
        if block.shape != (self.n_inputs, self.block_size):
            raise RendererConfigError(f"expected a block of shape {(self.n_inputs, self.block_size)}, "
                                      f"got {block.shape}")
        self._delay_line.push(block)
        mixed = mix_spectra(self._delay_line.spectra, self._filter_spectra)
        return spectra_to_block(mixed, self.block_size).T

    def reset(self) -> None:
        self._delay_line.reset()
