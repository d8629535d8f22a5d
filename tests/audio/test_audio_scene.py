"""Scenes and the CLI: rendering files, and clear errors for every kind of bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

from tutti.audio import (BinauralRenderer, RendererConfigError, Scene, SceneError,
                         SpatialAudioError, render_scene, render_scene_file)
from tutti.audio.cli import audio

from .audio_helpers import SAMPLE_RATE, interaural_level_difference


@pytest.fixture
def scene_dir(tmp_path, rng):
    seconds = 1.0
    time = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    soundfile.write(tmp_path / "tone.wav", 0.3 * np.sin(2 * np.pi * 440 * time), SAMPLE_RATE)
    soundfile.write(tmp_path / "noise.flac", 0.2 * rng.standard_normal((len(time) // 2, 2)),
                    SAMPLE_RATE)
    scene = {
        "format": "tutti.scene/1", "sample_rate": SAMPLE_RATE,
        "listener": {"orientation": [{"time": 0}, {"time": 1, "yaw": 20}]},
        "sources": [
            {"name": "tone", "stem": "tone.wav", "positions": [
                {"time": 0, "azimuth": -90}, {"time": 1, "azimuth": 90, "distance": 2}]},
            {"name": "noise", "stem": "noise.flac", "gain_db": -6, "start": 0.25,
             "positions": [{"time": 0, "azimuth": 90, "elevation": 20}]},
        ],
    }
    (tmp_path / "scene.json").write_text(json.dumps(scene))
    return tmp_path


def write_scene(directory, **changes) -> str:
    scene = json.loads((directory / "scene.json").read_text())
    scene.update(changes)
    path = directory / "changed.json"
    path.write_text(json.dumps(scene))
    return str(path)


@pytest.mark.parametrize("suffix", [".wav", ".flac"])
def test_render_scene_file(scene_dir, suffix):
    result = render_scene_file(scene_dir / "scene.json", scene_dir / f"out{suffix}")
    audio_out, rate = soundfile.read(result.path)
    assert rate == SAMPLE_RATE and audio_out.shape == (SAMPLE_RATE, 2)
    assert 0.01 < np.max(np.abs(audio_out)) <= 1.0


def test_scene_motion_is_audible_in_the_render(scene_dir):
    """The tone starts on the left and ends on the right (head turned only 20 deg)."""
    scene = Scene.from_file(scene_dir / "scene.json")
    stems = np.zeros((2, SAMPLE_RATE), dtype=np.float32)
    stems[0] = np.random.default_rng(1).standard_normal(SAMPLE_RATE)
    stereo = render_scene(scene, 480, stems=stems)
    assert interaural_level_difference(stereo[:4800]) < -6.0
    assert interaural_level_difference(stereo[-4800:]) > 6.0


def test_stems_are_placed_at_their_start_time(scene_dir):
    from tutti.audio.scene import load_stems

    stems = load_stems(Scene.from_file(scene_dir / "scene.json"))
    assert stems.shape == (2, SAMPLE_RATE)
    assert np.all(stems[1, :SAMPLE_RATE // 4] == 0) and np.any(stems[1, SAMPLE_RATE // 4:] != 0)


@pytest.mark.parametrize("changes, message", [
    ({"format": "other/2"}, "format"),
    ({"sources": []}, "non-empty"),
    ({"sample_rate": 12345.5}, "sample rate"),
    ({"duration": -1}, "duration"),
    ({"volume": 3}, "unknown field"),
    ({"sources": [{"stem": "tone.wav", "positions": [{"time": 0}]}]}, "missing 'azimuth'"),
    ({"sources": [{"stem": "tone.wav", "positions": [{"time": 1, "azimuth": 0},
                                                       {"time": 0, "azimuth": 0}]}]}, "increasing"),
    ({"sources": [{"stem": "tone.wav", "positions": [{"time": 0, "azimuth": "left"}]}]}, "number"),
    ({"sources": [{"stem": "tone.wav", "positions": [{"time": 0, "azimuth": 0, "elevation": 120}]}]},
     "elevation"),
    ({"hrtf": {"sofa": "missing.sofa"}}, "SOFA file not found"),
])
def test_malformed_scene_raises_scene_error(scene_dir, changes, message):
    with pytest.raises(SceneError, match=message):
        Scene.from_file(write_scene(scene_dir, **changes))


def test_invalid_json_names_the_position(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "tutti.scene/1",\n "sources": [}')
    with pytest.raises(SceneError, match="line 2"):
        Scene.from_file(path)


def test_missing_stem_and_wrong_stem_rate(scene_dir):
    missing = write_scene(scene_dir, sources=[{"stem": "gone.wav", "positions": [{"time": 0, "azimuth": 0}]}])
    with pytest.raises(SceneError, match="not found"):
        render_scene_file(missing, scene_dir / "out.wav")
    soundfile.write(scene_dir / "slow.wav", np.zeros(4410), 44100)
    wrong_rate = write_scene(scene_dir, sources=[{"stem": "slow.wav", "positions": [{"time": 0, "azimuth": 0}]}])
    with pytest.raises(SceneError, match="44100 Hz"):
        render_scene_file(wrong_rate, scene_dir / "out.wav")


@pytest.mark.parametrize("kwargs, message", [
    ({"block_size": 32}, "out of range"),
    ({"block_size": 961}, "out of range"),
    ({"block_size": 480.0}, "integer"),
    ({"sample_rate": 8000}, "sample rate"),
    ({"sample_rate": 0}, "sample rate"),
    ({"n_sources": 0}, "n_sources"),
])
def test_bad_renderer_configuration(kemar, kwargs, message):
    arguments = {"n_sources": 1, "sample_rate": SAMPLE_RATE, "block_size": 480, "hrtf": kemar} | kwargs
    with pytest.raises(RendererConfigError, match=message):
        BinauralRenderer(**arguments)


def test_bad_blocks_and_positions(kemar_48k):
    renderer = BinauralRenderer(2, SAMPLE_RATE, 128, kemar_48k)
    with pytest.raises(RendererConfigError, match="shape"):
        renderer.process(np.zeros((2, 127), dtype=np.float32))
    with pytest.raises(RendererConfigError, match="NaN"):
        renderer.process(np.full((2, 128), np.nan, dtype=np.float32))
    with pytest.raises(RendererConfigError, match="azimuth"):
        renderer.set_sources(azimuth=[0.0, 1.0, 2.0])
    with pytest.raises(RendererConfigError, match="elevation"):
        renderer.set_sources(azimuth=0.0, elevation=95.0)
    with pytest.raises(RendererConfigError, match="prepared HRTF is at 48000"):
        BinauralRenderer(1, 44100, 128, kemar_48k)
    assert issubclass(RendererConfigError, SpatialAudioError)


def test_cli_render_and_plots(scene_dir):
    runner = CliRunner()
    result = runner.invoke(audio, ["render", str(scene_dir / "scene.json"), str(scene_dir / "o.flac"),
                                   "--block-size", "256"])
    assert result.exit_code == 0, result.output
    assert soundfile.info(str(scene_dir / "o.flac")).frames == SAMPLE_RATE
    for command in (["plot-scene", str(scene_dir / "scene.json"), "-o", str(scene_dir / "s.png")],
                    ["plot-hrtf", "-o", str(scene_dir / "h.png")],
                    ["export-sofa", str(scene_dir / "k.sofa")]):
        result = runner.invoke(audio, command)
        assert result.exit_code == 0, result.output
    assert (scene_dir / "s.png").read_bytes()[:4] == b"\x89PNG"
    assert (scene_dir / "h.png").read_bytes()[:4] == b"\x89PNG"
    result = runner.invoke(audio, ["plot-hrtf", "--sofa", str(scene_dir / "k.sofa"),
                                   "-o", str(scene_dir / "h2.png")])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("arguments, message", [
    (["render", "{dir}/nope.json", "{dir}/o.wav"], "scene file not found"),
    (["render", "{dir}/scene.json", "{dir}/o.mp3"], "must end in .wav or .flac"),
    (["render", "{dir}/scene.json", "{dir}/o.wav", "--block-size", "4096"], "out of range"),
    (["plot-hrtf", "--sofa", "{dir}/nope.sofa"], "SOFA file not found"),
])
def test_cli_errors_are_messages_not_tracebacks(scene_dir, arguments, message):
    result = CliRunner().invoke(audio, [a.format(dir=scene_dir) for a in arguments])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, SpatialAudioError)  # converted to a click error


def test_cli_help_everywhere():
    runner = CliRunner()
    for command in ([], ["render"], ["plot-hrtf"], ["plot-scene"], ["export-sofa"]):
        result = runner.invoke(audio, [*command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output
