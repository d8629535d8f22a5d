"""Block processing equals direct full-length convolution."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import fftconvolve

from tutti.audio import BinauralRenderer
from tutti.audio.convolver import UniformPartitionedConvolver

from .audio_helpers import SAMPLE_RATE


BLOCK_SIZES = [64, 100, 128, 480, 960]


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
def test_partitioned_convolver_equals_direct_convolution(rng, block_size, taps):
    filters = rng.standard_normal((3, 2, taps)).astype(np.float32)
    inputs = rng.standard_normal((3, block_size * 6)).astype(np.float32)
    convolver = UniformPartitionedConvolver(filters, block_size)
    output = process_in_blocks(convolver.process, inputs, block_size)
    expected = direct_mix(inputs, filters)
    assert output.dtype == np.float32
    assert np.max(np.abs(output - expected)) <= 2e-6 * np.max(np.abs(expected))


@pytest.mark.parametrize("block_size", [64, 128, 480, 960])
def test_static_scene_render_equals_direct_convolution(kemar_48k, rng, block_size):
    renderer = BinauralRenderer(4, SAMPLE_RATE, block_size, kemar_48k)
    renderer.set_sources(azimuth=[90, -37.5, 171, 12], elevation=[0, 22, -31, 75],
                         distance=[1.0, 2.5, 0.4, 1.0], gain=[1.0, 0.5, 1.0, 2.0])
    renderer.set_listener(yaw=10, pitch=-5, roll=3)
    inputs = rng.standard_normal((4, max(block_size * 4, 2400))).astype(np.float32)
    inputs = inputs[:, :inputs.shape[1] // block_size * block_size]
    output = process_in_blocks(renderer.process, inputs, block_size)
    expected = direct_mix(inputs, renderer.impulse_responses())
    assert np.max(np.abs(output - expected)) <= 2e-6 * np.max(np.abs(expected))


def test_impulse_response_is_the_rendered_impulse(kemar_48k):
    """Feeding a unit impulse returns the interpolated HRIR pair, with no added latency."""
    renderer = BinauralRenderer(1, SAMPLE_RATE, 128, kemar_48k)
    renderer.set_sources(azimuth=63.0, elevation=17.0, distance=2.0)
    impulse = np.zeros((1, 128 * 4), dtype=np.float32)
    impulse[0, 0] = 1.0
    output = process_in_blocks(renderer.process, impulse, 128)
    hrir = renderer.impulse_responses()[0]
    np.testing.assert_allclose(output[:hrir.shape[1]].T, hrir, atol=1e-6)
    assert np.max(np.abs(output[hrir.shape[1]:])) < 1e-6
    # 1/r distance law: at 2 m the pair carries a quarter of the energy it has at 1 m.
    renderer_near = BinauralRenderer(1, SAMPLE_RATE, 128, kemar_48k)
    renderer_near.set_sources(azimuth=63.0, elevation=17.0, distance=1.0)
    ratio = np.sum(hrir ** 2) / np.sum(renderer_near.impulse_responses()[0] ** 2)
    assert ratio == pytest.approx(0.25, rel=1e-5)
