"""The `render` job kind: a scene directory in, a binaural WAV and FLAC out, the same bytes every run;
and the whole round trip through two worker processes, from the library and from the terminal."""

from __future__ import annotations

import functools
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from oracle.jobs import JobContext, kind_named
from oracle.jobs.base import JobInputError, files_reader
from oracle.worker import fetch_input
from tests.worker.conftest import PROJECT
from tutti.jobs import request_job, wait_for_result
from tutti.results import result_hash

RATE = 48000
FEE = 3 * 10**16


def encode(signal: np.ndarray, file_format: str = "WAV", subtype: str = "FLOAT", rate: int = RATE) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, signal.astype(np.float32), rate, format=file_format, subtype=subtype)
    return buffer.getvalue()


def tone(frequency: float, seconds: float, amplitude: float) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * frequency * np.arange(int(seconds * RATE)) / RATE)


def scene_files(**changes) -> dict[str, bytes]:
    """A 1 s scene: a 2 kHz tone (which the head shadows well) sweeping from the left ear (-90)
    to the right (+90) in front of the listener, and a quieter 220 Hz tone ahead from 0.25 s to
    0.75 s (a FLAC in the root)."""
    scene = {
        "format": "tutti.scene/1",
        "sample_rate": RATE,
        "sources": [
            {"name": "sweep", "stem": "stems/sweep.wav",
             "positions": [{"time": 0, "azimuth": -90}, {"time": 1, "azimuth": 90}]},
            {"name": "drone", "stem": "drone.flac", "gain_db": -12, "start": 0.25,
             "positions": [{"time": 0, "azimuth": 0, "distance": 2}]},
        ],
    }
    files = {
        "scene.json": json.dumps(scene).encode(),
        "stems/sweep.wav": encode(tone(2000, 1.0, 0.1)),
        "drone.flac": encode(tone(220, 0.5, 0.3), "FLAC", "PCM_16"),
    }
    files.update(changes)
    return {name: data for name, data in files.items() if data is not None}


def run_render(files: dict[str, bytes], params: dict | None = None):
    return kind_named("render").run(JobContext(1, 7, b"", params or {}, files_reader(files)))


def balance_db(stereo: np.ndarray) -> float:
    """Right-ear energy over left-ear energy, in dB (> 0: the sound is to the right)."""
    left, right = (np.sum(stereo[:, ear].astype(np.float64) ** 2) for ear in (0, 1))
    return 10 * np.log10(right / left)


@pytest.fixture
def rendered():
    return reference_render()


@functools.cache
def reference_render():
    # Memoised rather than a module-scoped fixture: ape would snapshot the chain around the module
    # and revert the session's deployment, first made by the last test here, for the next module.
    return run_render(scene_files())


def test_render_writes_a_two_channel_16_bit_wav_of_the_scenes_length(rendered):
    assert sorted(rendered.files) == ["binaural.flac", "binaural.wav"]
    samples, rate = soundfile.read(io.BytesIO(rendered.files["binaural.wav"]), dtype="int16")
    assert rate == RATE
    assert samples.shape == (RATE, 2)  # 1 s, the longest stem (the drone ends at 0.75 s)
    assert soundfile.info(io.BytesIO(rendered.files["binaural.wav"])).subtype == "PCM_16"
    flac, flac_rate = soundfile.read(io.BytesIO(rendered.files["binaural.flac"]), dtype="int16")
    assert flac_rate == RATE
    assert np.array_equal(flac, samples)  # lossless: the same samples
    assert rendered.metrics["frames"] == RATE
    assert rendered.metrics["duration_seconds"] == 1.0
    assert rendered.metrics["sources"] == 2
    assert -30 < rendered.metrics["peak_dbfs"] < 0
    assert "Gardner" in rendered.metrics["hrtf"]  # the KEMAR credit travels with every render


def test_the_moving_source_pans_from_left_to_right(rendered):
    samples, _ = soundfile.read(io.BytesIO(rendered.files["binaural.wav"]), dtype="int16")
    first, last = samples[: RATE // 5], samples[-RATE // 5:]
    assert balance_db(first) < -6  # starts at the left ear
    assert balance_db(last) > 6  # ends at the right ear
    # Halfway it passes in front, where the drone also sits: roughly balanced.
    assert abs(balance_db(samples[RATE // 2 - 2400: RATE // 2 + 2400])) < 3


def test_render_output_is_identical_bytes_on_every_run(rendered):
    again = run_render(scene_files())
    assert again.files == rendered.files
    assert again.metrics == rendered.metrics
    assert len(kind_named("render").model_id) == 32


def test_render_honours_formats_and_block_size(rendered):
    wav_only = run_render(scene_files(), {"formats": ["wav"], "block_size": 128})
    assert sorted(wav_only.files) == ["binaural.wav"]
    assert wav_only.metrics["block_size"] == 128
    # Positions are sampled per block, so another block size is another (close) render.
    assert wav_only.files["binaural.wav"] != rendered.files["binaural.wav"]
    assert len(wav_only.files["binaural.wav"]) == len(rendered.files["binaural.wav"])


def test_a_mix_above_full_scale_is_scaled_to_minus_1_dbfs_not_clipped():
    loud = json.loads(scene_files()["scene.json"])
    loud["sources"][0]["gain_db"] = 20
    result = run_render(scene_files(**{"scene.json": json.dumps(loud).encode()}), {"formats": ["wav"]})
    assert result.metrics["peak_dbfs"] == pytest.approx(-1.0, abs=0.01)
    assert result.metrics["gain_db"] < 0


def scene_with(**source_changes) -> bytes:
    scene = json.loads(scene_files()["scene.json"])
    scene["sources"][1].update(source_changes)
    return json.dumps(scene).encode()


@pytest.mark.parametrize(
    "changes, params, message",
    [
        ({"drone.flac": None}, {}, "the input directory has no file 'drone.flac'"),
        ({"scene.json": None}, {}, "has no file 'scene.json'"),
        ({"scene.json": b'{"format": "tutti.scene/1",'}, {}, "scene.json: invalid JSON at line 1"),
        ({"scene.json": b'{"format": "tutti.scene/2"}'}, {}, "scene 'format' must be 'tutti.scene/1'"),
        ({"scene.json": scene_with(positions=[])}, {}, "sources[1].positions must be a non-empty list"),
        ({"scene.json": scene_with(stem="../../etc/passwd")}, {}, "not a relative path inside the input"),
        ({"scene.json": scene_with(stem="/etc/passwd")}, {}, "not a relative path inside the input"),
        ({"drone.flac": b"not audio at all"}, {}, "stem 'drone.flac' is not a readable audio file"),
        ({"drone.flac": encode(tone(220, 0.5, 0.3), rate=44100)}, {}, "is at 44100 Hz but the scene is at 48000"),
        ({}, {"block_size": 7}, "block_size must be an integer from 64 to 960"),
        ({}, {"formats": ["mp3"]}, "formats must be a non-empty list"),
        ({}, {"formats": [["wav"]]}, "formats must be a non-empty list"),
        ({}, {"normalise": True}, "unknown render parameters: normalise"),
    ],
)
def test_render_refuses_bad_input_clearly(changes, params, message):
    with pytest.raises(JobInputError) as refused:
        run_render(scene_files(**changes), params)
    assert message in str(refused.value)


def test_render_refuses_a_custom_sofa_and_a_single_file_input():
    scene = json.loads(scene_files()["scene.json"])
    scene["hrtf"] = {"sofa": "me.sofa"}
    with pytest.raises(JobInputError, match="'hrtf.sofa' is not supported"):
        run_render(scene_files(**{"scene.json": json.dumps(scene).encode()}))
    with pytest.raises(JobInputError, match="must be an IPFS directory"):
        kind_named("render").run(JobContext(1, 7, scene_files()["scene.json"], {}))


def test_the_worker_reads_a_directory_input_from_ipfs(job_store):
    files = scene_files()
    cid = job_store.add_directory(files, cid_version=1)
    input_bytes, read_input = fetch_input(job_store, cid)
    assert input_bytes == b""
    assert read_input("stems/sweep.wav") == files["stems/sweep.wav"]
    with pytest.raises(JobInputError, match="has no file 'missing.wav'"):
        read_input("missing.wav")
    with pytest.raises(JobInputError, match="'stems' in the input directory is not a file"):
        read_input("stems")
    with pytest.raises(JobInputError, match="not a relative path"):
        read_input("stems/../scene.json")
    # A single file stays a single file.
    assert fetch_input(job_store, job_store.add_bytes(b"midi", cid_version=1)) == (b"midi", None)


def test_two_workers_render_a_scene_and_agree(tutti, workers, job_store, operators, fan, rendered):
    for account in ("TEST::7", "TEST::8"):
        workers.start(account, "--kinds", "analyze,render")
    good = job_store.add_directory(scene_files(), cid_version=1)
    missing_stem = job_store.add_directory(scene_files(**{"drone.flac": None}), cid_version=1)

    job = request_job(tutti, fan, "render", good, fee=FEE)
    bad_job = request_job(tutti, fan, "render", missing_stem, fee=FEE)
    result = wait_for_result(tutti, job_store, job.job_id, timeout=90)

    assert result.files["binaural.wav"] == rendered.files["binaural.wav"]
    assert result.files["binaural.flac"] == rendered.files["binaural.flac"]
    assert result_hash(result.files) == result.result_hash
    assert result.model_id == kind_named("render").model_id
    assert sorted(result.operators) == sorted(op.address for op in operators[:2])
    metadata = json.loads(result.files["metadata.json"])
    assert metadata["input_cid"] == good and metadata["metrics"]["frames"] == RATE

    # A stem missing from the directory is the input's fault: the quorum attests to the error.
    refused = wait_for_result(tutti, job_store, bad_job.job_id, timeout=60)
    assert json.loads(refused.files["error.json"]) == {"error": "the input directory has no file 'drone.flac'"}


def test_a_user_renders_a_scene_directory_from_the_terminal(tutti, workers, tmp_path, rendered):
    for account in ("TEST::7", "TEST::8"):
        workers.start(account, "--kinds", "render")
    scene_dir, out_dir = tmp_path / "my-scene", tmp_path / "mix"
    for name, data in scene_files().items():
        (scene_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (scene_dir / name).write_bytes(data)

    done = subprocess.run(
        [str(Path(sys.executable).parent / "ape"), "run", "request_job", "--network", "ethereum:local:foundry",
         "--account", "TEST::4", "--kind", "render", "--input-dir", str(scene_dir), "--out", str(out_dir),
         "--timeout", "90"],
        cwd=PROJECT, env=workers.env, capture_output=True, text=True, timeout=150,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "Fulfilled by 2 operators" in done.stdout
    assert (out_dir / "binaural.wav").read_bytes() == rendered.files["binaural.wav"]
    assert (out_dir / "binaural.flac").read_bytes() == rendered.files["binaural.flac"]
