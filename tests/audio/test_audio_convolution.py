"""Block processing equals direct convolution: the overlap-save frames exactly, the renderer within
a stated tolerance of a time-domain reference built without any of its frequency-domain parts."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.fft
from scipy.signal import fftconvolve

from tutti.audio import BinauralRenderer
from tutti.audio.convolver import SlidingSpectra, frame_length_for, overlap_save_output
from tutti.audio.spectral import TAPER_START

from .audio_helpers import SAMPLE_RATE

BLOCK_SIZES = [64, 100, 128, 480, 960]
#: A static scene's output equals direct convolution with the interpolated, delayed HRIRs within
#: this fraction of the peak (-54 dB; measured -60 to -63 dB): what remains is the band-limited
#: delay's pre-ringing wrapping around the frame and the delay's rounding to 1/512 sample.
REFERENCE_TOLERANCE = 2e-3


def process_in_blocks(process, signal: np.ndarray, block_size: int) -> np.ndarray:
    blocks = signal.shape[1] // block_size
    return np.concatenate([process(signal[:, i * block_size:(i + 1) * block_size])
                           for i in range(blocks)])


def direct_mix(inputs: np.ndarray, filters: np.ndarray) -> np.ndarray:
    """Reference: sum over inputs of full-length float64 convolutions, (frames, outputs)."""
    frames = inputs.shape[1]
    return np.stack([sum(fftconvolve(inputs[i].astype(np.float64), filters[i, o].astype(np.float64))[:frames]
                         for i in range(inputs.shape[0])) for o in range(filters.shape[1])], axis=1)


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
@pytest.mark.parametrize("taps", [1, 63, 480, 1500])
def test_overlap_save_frames_equal_direct_convolution(rng, block_size, taps):
    filters = rng.standard_normal((3, 2, taps)).astype(np.float32)
    inputs = rng.standard_normal((3, block_size * 6)).astype(np.float32)
    frame_length = frame_length_for(taps, block_size)
    spectra = scipy.fft.rfft(filters, frame_length, axis=-1)
    line = SlidingSpectra(3, block_size, frame_length)

    def process(block):
        line.push(block)
        return overlap_save_output(np.einsum("ik,iok->ok", line.spectra[0], spectra),
                                   frame_length, block_size).T

    output = process_in_blocks(process, inputs, block_size)
    expected = direct_mix(inputs, filters)
    assert np.max(np.abs(output - expected)) <= 2e-6 * np.max(np.abs(expected))


def band_limited_delay(delay: float, taps: np.ndarray) -> np.ndarray:
    """The renderer's delay in closed form, in the time domain: a raised-cosine pulse (flat to
    TAPER_START x Nyquist, zero at Nyquist) centred on ``delay``, at integer ``taps``."""
    period = 1.0 / (0.5 + TAPER_START / 2)  # cycles/sample: the taper's centre is 1 / (2 period)
    beta = (1.0 - TAPER_START) / (1.0 + TAPER_START)
    t = (taps - delay) / period
    singular = np.isclose(np.abs(2 * beta * t), 1.0)
    safe = np.where(singular, 0.0, t)
    pulse = np.sinc(safe) * np.cos(np.pi * beta * safe) / (1.0 - (2 * beta * safe) ** 2)
    limit = np.pi / 4 * np.sinc(1 / (2 * beta))
    return np.where(singular, limit, pulse) / period


def time_domain_reference(prepared, head_vectors: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """(n, 2, taps) float64: barycentric mix of the onset-aligned filters, convolved with the
    band-limited delay of the interpolated per-ear delay (its pre-ringing included), times the
    gain, cut to t >= 0."""
    filters, delays, _ = prepared.interpolate(head_vectors)
    length, lead = prepared.max_filter_length, 4000  # the pulse's tails fall off as 1/t^3
    taps = np.arange(-lead, length)
    return np.stack([[np.convolve(filters[i, ear].astype(np.float64),
                                  band_limited_delay(delays[i, ear], taps))[lead:lead + length] * gains[i]
                      for ear in range(2)] for i in range(len(filters))])


@pytest.mark.parametrize("block_size", [64, 128, 480, 960])
def test_static_scene_equals_a_time_domain_reference(kemar_48k, rng, block_size):
    renderer = BinauralRenderer(4, SAMPLE_RATE, block_size, kemar_48k)
    renderer.set_sources(azimuth=[90, -37.5, 171, 12], elevation=[0, 22, -31, 75],
                         distance=[1.0, 2.5, 0.4, 1.0], gain=[1.0, 0.5, 1.0, 2.0])
    renderer.set_listener(yaw=10, pitch=-5, roll=3)
    inputs = rng.standard_normal((4, max(block_size * 4, 2400))).astype(np.float32)
    inputs = inputs[:, :inputs.shape[1] // block_size * block_size]
    output = process_in_blocks(renderer.process, inputs, block_size)
    head_vectors = renderer._source_vectors @ renderer._rotation
    reference = direct_mix(inputs, time_domain_reference(kemar_48k, head_vectors, renderer._source_gains))
    assert np.max(np.abs(output - reference)) <= REFERENCE_TOLERANCE * np.max(np.abs(reference))
    # The renderer's own statement of its filters is that same reference.
    np.testing.assert_allclose(renderer.impulse_responses(),
                               time_domain_reference(kemar_48k, head_vectors, renderer._source_gains),
                               atol=1e-5)


def test_impulse_response_is_the_rendered_impulse(kemar_48k):
    """Feeding a unit impulse returns the interpolated HRIR pair, with no added latency."""
    renderer = BinauralRenderer(1, SAMPLE_RATE, 128, kemar_48k)
    renderer.set_sources(azimuth=63.0, elevation=17.0, distance=2.0)
    impulse = np.zeros((1, 128 * 4), dtype=np.float32)
    impulse[0, 0] = 1.0
    output = process_in_blocks(renderer.process, impulse, 128)
    hrir = renderer.impulse_responses()[0]
    peak = np.abs(hrir).max()
    assert np.max(np.abs(output[:hrir.shape[1]].T - hrir)) <= REFERENCE_TOLERANCE * peak
    assert np.max(np.abs(output[hrir.shape[1]:])) <= REFERENCE_TOLERANCE * peak
    # 1/r distance law: at 2 m the pair carries a quarter of the energy it has at 1 m.
    renderer_near = BinauralRenderer(1, SAMPLE_RATE, 128, kemar_48k)
    renderer_near.set_sources(azimuth=63.0, elevation=17.0, distance=1.0)
    ratio = np.sum(hrir ** 2) / np.sum(renderer_near.impulse_responses()[0] ** 2)
    assert ratio == pytest.approx(0.25, rel=1e-5)
