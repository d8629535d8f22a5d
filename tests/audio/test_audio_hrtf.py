"""HRTF sets: physics of the bundled KEMAR data, SOFA round trip, head-size personalisation."""

from __future__ import annotations

import numpy as np
import pytest

from tutti.audio import BinauralRenderer, HrtfError, HrtfSet, prepare_hrtf, read_sofa
from tutti.audio.geometry import directions_to_vectors, woodworth_itd
from tutti.audio.hrtf import KEMAR_ATTRIBUTION

from .audio_helpers import SAMPLE_RATE, interaural_level_difference, interaural_time_difference


def render_noise_at(renderer: BinauralRenderer, azimuth: float, rng, blocks: int = 20,
                    elevation: float = 0.0) -> np.ndarray:
    renderer.set_sources(azimuth, elevation)
    noise = rng.standard_normal((1, blocks * renderer.block_size)).astype(np.float32)
    return np.concatenate([renderer.process(block) for block in
                           np.split(noise, blocks, axis=1)])[renderer.block_size:]


def test_kemar_loads_with_credit(kemar):
    assert kemar.impulse_responses.shape == (710, 2, 512)
    assert kemar.sample_rate == 44100
    assert "Gardner" in kemar.attribution and "MIT Media Lab" in kemar.attribution
    assert kemar.attribution == KEMAR_ATTRIBUTION


def test_measured_kemar_right_source_reaches_right_ear_first_and_louder(kemar):
    """The raw measurement at +90 deg (our convention: right), before any processing."""
    right = kemar.impulse_responses[kemar.nearest_index(90, 0)].T
    itd = interaural_time_difference(right, sample_rate=int(kemar.sample_rate))
    assert 0.55e-3 <= itd <= 0.8e-3
    assert interaural_level_difference(right) > 6.0


@pytest.mark.parametrize("azimuth, sign", [(90.0, 1.0), (-90.0, -1.0)])
def test_rendered_lateral_source_itd_and_ild(kemar_48k, rng, azimuth, sign):
    renderer = BinauralRenderer(1, SAMPLE_RATE, 480, kemar_48k)
    stereo = render_noise_at(renderer, azimuth, rng)
    itd = interaural_time_difference(stereo)
    ild = interaural_level_difference(stereo)
    assert 0.55e-3 <= sign * itd <= 0.8e-3, itd
    assert 6.0 <= sign * ild <= 20.0, ild


def test_frontal_source_is_symmetric(kemar_48k, rng):
    stereo = render_noise_at(BinauralRenderer(1, SAMPLE_RATE, 480, kemar_48k), 0.0, rng)
    assert abs(interaural_time_difference(stereo)) < 25e-6
    assert abs(interaural_level_difference(stereo)) < 0.5


def test_itd_grows_monotonically_towards_the_side(kemar_48k):
    # Up to 80 deg; a real head's ITD flattens (and may dip slightly) right at the side.
    azimuth = np.arange(0.0, 81.0, 5.0)
    _, delays, _ = kemar_48k.interpolate(directions_to_vectors(azimuth, 0.0 * azimuth))
    itd = (delays[:, 0] - delays[:, 1]) / SAMPLE_RATE
    assert np.all(np.diff(itd) > 0)
    assert 0.55e-3 <= itd[-1] <= 0.8e-3


def test_interpolation_reproduces_measured_directions(kemar_48k, kemar):
    index = kemar.nearest_index(45, 20)
    filters, delays, _ = kemar_48k.interpolate(kemar.vectors[index][None])
    np.testing.assert_allclose(filters[0], kemar_48k.filters[index], atol=1e-6)
    np.testing.assert_allclose(delays[0], kemar_48k.delays[index], atol=1e-9)


def test_interpolated_direction_lies_between_its_neighbours(kemar_48k, kemar):
    # Azimuth 40 at elevation 0 is between the 35 and 40-ish measurements: ITD must be between.
    low, high = kemar.nearest_index(35, 0), kemar.nearest_index(45, 0)
    _, delays, _ = kemar_48k.interpolate(directions_to_vectors([kemar.directions[low, 0] + 2.0], [0.0]))
    itd = delays[0, 0] - delays[0, 1]
    itd_low, itd_high = (kemar_48k.delays[i, 0] - kemar_48k.delays[i, 1] for i in (low, high))
    assert min(itd_low, itd_high) <= itd <= max(itd_low, itd_high)


def test_head_radius_scales_the_itd(kemar):
    reference = prepare_hrtf(kemar, SAMPLE_RATE)
    bigger = prepare_hrtf(kemar, SAMPLE_RATE, head_radius=reference.reference_head_radius * 1.2)
    index = kemar.nearest_index(90, 0)
    itd_ref = reference.delays[index, 0] - reference.delays[index, 1]
    itd_big = bigger.delays[index, 0] - bigger.delays[index, 1]
    assert itd_big == pytest.approx(1.2 * itd_ref, rel=1e-9)
    # The fitted KEMAR radius is a plausible head, and the Woodworth model then gives ~0.65 ms.
    assert 0.075 <= reference.reference_head_radius <= 0.095
    assert 0.55e-3 <= woodworth_itd(90.0, 0.0, reference.reference_head_radius) <= 0.75e-3


def test_sofa_round_trip_is_identical(kemar, tmp_path):
    path = kemar.to_sofa(tmp_path / "kemar.sofa")
    again = read_sofa(path)
    np.testing.assert_array_equal(again.impulse_responses, kemar.impulse_responses)
    np.testing.assert_allclose(again.directions, kemar.directions, atol=1e-12)
    assert again.sample_rate == kemar.sample_rate
    assert again.attribution == kemar.attribution


def test_sofa_from_another_convention_keeps_right_on_the_right(kemar, tmp_path):
    """A SOFA file stores counter-clockwise azimuths: +90 there must be our -90 (left)."""
    import sofar

    sofa = sofar.read_sofa(str(kemar.to_sofa(tmp_path / "k.sofa")), verbose=False)
    left_row = np.flatnonzero((np.abs(sofa.SourcePosition[:, 0] - 90) < 1e-6)
                              & (sofa.SourcePosition[:, 1] == 0))[0]
    energy = np.sum(sofa.Data_IR[left_row] ** 2, axis=-1)
    assert energy[0] > energy[1]  # AES69 +90 deg is louder in the left receiver


def test_bad_sofa_files_raise_hrtf_error(tmp_path):
    with pytest.raises(HrtfError, match="not found"):
        read_sofa(tmp_path / "missing.sofa")
    garbage = tmp_path / "garbage.sofa"
    garbage.write_bytes(b"not a netCDF file")
    with pytest.raises(HrtfError, match="cannot read SOFA"):
        read_sofa(garbage)
    with pytest.raises(HrtfError, match=r"\.sofa"):
        HrtfSet.kemar().to_sofa(tmp_path / "kemar.nc")


def test_malformed_hrtf_set_is_rejected():
    with pytest.raises(HrtfError, match="shape"):
        HrtfSet(np.zeros((10, 3, 64)), np.zeros((10, 3)), 48000)
    with pytest.raises(HrtfError, match="NaN"):
        HrtfSet(np.full((10, 2, 64), np.nan), np.zeros((10, 3)), 48000)
    flat = np.column_stack([np.arange(0, 360, 30.0), np.zeros(12), np.ones(12)])
    with pytest.raises(HrtfError, match="3-D"):  # horizontal-plane-only sets cannot be triangulated
        prepare_hrtf(HrtfSet(np.random.default_rng(0).standard_normal((12, 2, 64)), flat, 48000), 48000)
