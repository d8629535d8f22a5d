"""Moving sources and turning heads: no clicks, and head rotation mirrors source rotation."""

from __future__ import annotations

import numpy as np
import pytest

from tutti.audio import BinauralRenderer
from tutti.audio.geometry import directions_to_vectors, head_rotation_matrix, vectors_to_directions

from .audio_helpers import SAMPLE_RATE, worst_high_frequency_ratio_db


CLICK_THRESHOLD_DB = -60.0  # smooth renders measure about -86 dB, hard filter switches about -40 dB


def render_orbiting_sine(kemar_48k, block_size: int, crossfade: bool = True,
                         seconds: float = 1.0, frequency: float = 500.0) -> np.ndarray:
    """A 500 Hz sine orbiting at 360 deg/s while its elevation and distance wobble."""
    blocks = int(seconds * SAMPLE_RATE) // block_size
    time = np.arange(blocks * block_size) / SAMPLE_RATE
    sine = np.sin(2 * np.pi * frequency * time).astype(np.float32)[None]
    renderer = BinauralRenderer(1, SAMPLE_RATE, block_size, kemar_48k, crossfade=crossfade)
    output = []
    for index in range(blocks):
        now = (index + 1) * block_size / SAMPLE_RATE
        renderer.set_sources(-90 + 360 * now, 15 * np.sin(6 * now), 1.0 + 0.5 * np.sin(4 * now))
        output.append(renderer.process(sine[:, index * block_size:(index + 1) * block_size]))
    return np.concatenate(output)


@pytest.mark.parametrize("block_size", [64, 480, 960])
def test_moving_source_makes_no_clicks(kemar_48k, block_size):
    assert worst_high_frequency_ratio_db(render_orbiting_sine(kemar_48k, block_size)) < CLICK_THRESHOLD_DB


def test_click_metric_detects_abrupt_filter_switches(kemar_48k):
    """The metric is sensitive: the same motion without the cross-fade clicks audibly."""
    assert worst_high_frequency_ratio_db(render_orbiting_sine(kemar_48k, 480, crossfade=False)) > -50.0


def test_turning_head_makes_no_clicks(kemar_48k):
    block_size = 256
    sine = np.sin(2 * np.pi * 500 * np.arange(block_size * 150) / SAMPLE_RATE).astype(np.float32)
    renderer = BinauralRenderer(1, SAMPLE_RATE, block_size, kemar_48k)
    renderer.set_sources(30.0, 10.0)
    output = []
    for index in range(150):
        renderer.set_listener(yaw=2.0 * index, pitch=10 * np.sin(index / 10), roll=5 * np.sin(index / 7))
        output.append(renderer.process(sine[None, index * block_size:(index + 1) * block_size]))
    assert worst_high_frequency_ratio_db(np.concatenate(output)) < CLICK_THRESHOLD_DB


def render_static(kemar_48k, inputs, azimuth, elevation, orientation=(0.0, 0.0, 0.0)):
    renderer = BinauralRenderer(inputs.shape[0], SAMPLE_RATE, 480, kemar_48k)
    renderer.set_sources(azimuth, elevation)
    renderer.set_listener(*orientation)
    return np.concatenate([renderer.process(block) for block in np.split(inputs, 5, axis=1)])


def test_head_yaw_equals_opposite_source_rotation(kemar_48k, rng):
    inputs = rng.standard_normal((3, 2400)).astype(np.float32)
    azimuth, elevation = np.array([20.0, -75.0, 150.0]), np.array([0.0, 30.0, -20.0])
    turned_head = render_static(kemar_48k, inputs, azimuth, elevation, (35.0, 0.0, 0.0))
    turned_sources = render_static(kemar_48k, inputs, azimuth - 35.0, elevation)
    np.testing.assert_allclose(turned_head, turned_sources, atol=1e-5)
    # ... and it matters: the unturned render differs.
    assert np.max(np.abs(render_static(kemar_48k, inputs, azimuth, elevation) - turned_head)) > 0.1


def test_full_head_rotation_equals_inverse_source_rotation(kemar_48k, rng):
    inputs = rng.standard_normal((2, 2400)).astype(np.float32)
    azimuth, elevation = np.array([60.0, -120.0]), np.array([10.0, 40.0])
    orientation = (-40.0, 25.0, 15.0)
    # Rotate the sources by the inverse of the head rotation, with the head held still.
    in_head_frame = directions_to_vectors(azimuth, elevation) @ head_rotation_matrix(*orientation)
    head_azimuth, head_elevation = vectors_to_directions(in_head_frame)
    np.testing.assert_allclose(
        render_static(kemar_48k, inputs, azimuth, elevation, orientation),
        render_static(kemar_48k, inputs, head_azimuth, head_elevation), atol=1e-5)


def test_orientation_conventions():
    # Yaw right brings a source on the right to the front; pitch up lowers a frontal source.
    rotation = head_rotation_matrix(90.0, 0.0, 0.0)
    azimuth, _ = vectors_to_directions(directions_to_vectors(90.0, 0.0) @ rotation)
    assert azimuth == pytest.approx(0.0, abs=1e-9)
    _, elevation = vectors_to_directions(directions_to_vectors(0.0, 0.0) @ head_rotation_matrix(0, 30, 0))
    assert elevation == pytest.approx(-30.0)
    # Roll right (right ear down) raises a source on the right.
    _, elevation = vectors_to_directions(directions_to_vectors(90.0, 0.0) @ head_rotation_matrix(0, 0, 20))
    assert elevation == pytest.approx(20.0)


def test_static_sources_are_not_cross_faded_when_others_move(kemar_48k, rng):
    """Only the mover's filters change: the static source's output is untouched."""
    inputs = rng.standard_normal((2, 480 * 6)).astype(np.float32)
    solo = BinauralRenderer(2, SAMPLE_RATE, 480, kemar_48k)
    both = BinauralRenderer(2, SAMPLE_RATE, 480, kemar_48k)
    silent_mover = inputs.copy()
    silent_mover[1] = 0.0
    out_solo, out_both = [], []
    for index, (block, silent_block) in enumerate(zip(np.split(inputs, 6, axis=1),
                                                      np.split(silent_mover, 6, axis=1))):
        for renderer in (solo, both):
            renderer.set_sources([45.0, 10.0 * index], [0.0, 0.0])
        out_solo.append(solo.process(silent_block))
        out_both.append(both.process(block))
    static_only = BinauralRenderer(1, SAMPLE_RATE, 480, kemar_48k)
    static_only.set_sources(45.0)
    reference = np.concatenate([static_only.process(b[:1]) for b in np.split(inputs, 6, axis=1)])
    np.testing.assert_allclose(np.concatenate(out_solo), reference, atol=1e-6)
