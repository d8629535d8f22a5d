"""Personal mixes from one forward transform per musician (shared across listeners) equal the
mixes each listener's renderer made by transforming every source itself."""

from __future__ import annotations

import numpy as np
import pytest

from media.mixer import HrtfLibrary, RoomMixer
from tutti.audio import BinauralRenderer, prepare_hrtf
from tutti.audio.errors import RendererConfigError
from tutti.audio.hrtf import HrtfSet
from tutti.audio.renderer import input_frame_length
from tutti.audio.spectral import spectral_tables

MUSICIANS = 6


@pytest.fixture(scope="module")
def hrtfs() -> HrtfLibrary:
    library = HrtfLibrary()
    library.prepare_now(HrtfLibrary.DEFAULT)
    library.prepare_now("kemar-measured")  # longer filters: more partitions than the default
    return library


def run_room(hrtfs: HrtfLibrary, share: bool, block: int, ticks: int = 40) -> dict[str, list[np.ndarray]]:
    """A room of musicians through ``RoomMixer.tick`` (what the node runs), each hearing the others,
    one listener turning its head, one moving a source, one on the measured-phase HRTF (more
    partitions); returns every listener's float mixes (captured before Opus's s16)."""
    mixer = RoomMixer(block, hrtfs, share_transforms=share)
    ids = [f"m{i}" for i in range(MUSICIANS)]
    mixes: dict[str, list[np.ndarray]] = {sid: [] for sid in ids}
    for sid in ids:
        mixer.add_input(sid)
        mixer.add_listener(sid).emit = mixes[sid].append
    mixer.listeners["m1"].use_hrtf("kemar-measured", hrtfs.prepare_now("kemar-measured"))
    mixer.listeners["m2"].place("m0", -80.0, 3.0)
    rng = np.random.default_rng(5)
    for tick in range(ticks):
        for sid in ids:
            mixer.write(sid, rng.uniform(-0.5, 0.5, block).astype(np.float32))
        if tick == ticks // 2:
            mixer.listeners["m3"].turn_head(35.0)
            mixer.listeners["m4"].place("m5", 120.0, 1.0)
        mixer.tick()
    return mixes


@pytest.mark.parametrize("block", [128, 480])
def test_shared_forward_transforms_give_the_same_mixes(hrtfs, block):
    shared, separate = run_room(hrtfs, True, block), run_room(hrtfs, False, block)
    for sid in shared:
        got, expected = np.concatenate(shared[sid]), np.concatenate(separate[sid])
        assert np.abs(expected).max() > 0.05  # the mixes carry the others' noise
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_a_musician_leaving_keeps_the_others_history(hrtfs):
    mixer = RoomMixer(480, hrtfs)
    for sid in ("a", "b", "c"):
        mixer.add_input(sid)
        mixer.add_listener(sid).emit = lambda stereo: None
    for _ in range(3):
        for sid in ("a", "b", "c"):
            mixer.write(sid, np.full(480, 0.25, np.float32))
        mixer.tick()
    assert mixer.shared.ids == ("a", "b", "c")
    mixer.remove("c")
    mixer.shared.push({"a": np.zeros(480, np.float32), "b": np.zeros(480, np.float32)}, 1)
    assert mixer.shared.ids == ("a", "b")
    # b's overlap-save frame kept its last block of 0.25s: not the spectrum of pure silence
    assert abs(mixer.shared.spectra_of(("b",))[0, 0, 0]) == pytest.approx(480 * 0.25, rel=1e-5)


def test_process_spectra_checks_its_input_shape():
    renderer = BinauralRenderer(2, 48000, 128, prepare_hrtf(HrtfSet.kemar(), 48000))
    with pytest.raises(RendererConfigError, match="input spectra"):
        renderer.process_spectra(np.zeros((renderer.n_partitions, 3, 129), np.complex64))


def test_spectral_tables_are_built_before_the_first_mix():
    """A renderer's first block must not transform every HRTF direction on the audio loop (a ~25 ms
    stall that ran the first musician's input dry and raised its buffer): the mixer builds the
    tables of every prepared set for its block size when it is made, and for sets prepared later."""
    library = HrtfLibrary()
    kemar = library.prepare_now(HrtfLibrary.DEFAULT)
    RoomMixer(480, library)
    measured = library.prepare_now("kemar-measured")
    for hrtf in (kemar, measured):
        hits = spectral_tables.cache_info().hits
        spectral_tables(hrtf, input_frame_length(hrtf, 480))
        assert spectral_tables.cache_info().hits == hits + 1
