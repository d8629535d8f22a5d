"""Scenes: mono stems with positions over time, rendered offline to a binaural WAV/FLAC file.

Scene files are JSON (schema ``tutti.scene/1``, documented with an example in
docs/spatial-audio.md)::

    {"format": "tutti.scene/1", "sample_rate": 48000, "duration": 8.0,
     "hrtf": {"sofa": "me.sofa", "head_radius": 0.0875},
     "listener": {"orientation": [{"time": 0, "yaw": 0}, {"time": 8, "yaw": 90}]},
     "sources": [{"name": "voice", "stem": "voice.wav", "gain_db": -3, "start": 0.5,
                  "positions": [{"time": 0, "azimuth": -90}, {"time": 8, "azimuth": 270,
                                 "elevation": 20, "distance": 2}]}]}

Keyframes are interpolated linearly in time and held before the first and after the last one.
Azimuths are not wrapped before interpolation, so 0 -> 360 is a full clockwise circle.
Relative paths (stems, SOFA) are resolved against the scene file's directory.

:func:`render_scene` is the entry point for other services (e.g. the oracle's ``render`` job).
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .convolver import check_block_size
from .errors import SceneError, SpatialAudioError
from .hrtf import HrtfSet
from .interpolation import check_sample_rate
from .renderer import BinauralRenderer

logger = logging.getLogger(__name__)

SCENE_FORMAT = "tutti.scene/1"
OUTPUT_FORMATS = {".wav": ("WAV", "FLOAT"), ".flac": ("FLAC", "PCM_24")}
PEAK_AFTER_NORMALISATION = 10 ** (-1 / 20)  # -1 dBFS
MAX_DURATION_SECONDS = 4 * 3600

POSITION_FIELDS = {"azimuth": None, "elevation": 0.0, "distance": 1.0}  # None = required
ORIENTATION_FIELDS = {"yaw": 0.0, "pitch": 0.0, "roll": 0.0}


@dataclass(frozen=True)
class Trajectory:
    """Keyframed values: ``times`` (n,) seconds, strictly increasing; ``values`` (n, k)."""

    times: np.ndarray
    values: np.ndarray

    def at(self, times: np.ndarray) -> np.ndarray:
        """Values (len(times), k) by linear interpolation, held constant outside the keyframes."""
        times = np.asarray(times, dtype=np.float64)
        return np.column_stack([np.interp(times, self.times, column) for column in self.values.T])


@dataclass(frozen=True)
class SceneSource:
    """One mono stem and its trajectory of (azimuth, elevation, distance)."""

    name: str
    stem: Path
    gain: float
    start: float
    positions: Trajectory


@dataclass(frozen=True)
class Scene:
    """A validated scene; stems are referenced by path and loaded by :func:`load_stems`."""

    sample_rate: int
    sources: tuple[SceneSource, ...]
    orientation: Trajectory
    duration: float | None = None
    sofa: Path | None = None
    head_radius: float | None = None
    base_dir: Path = field(default_factory=Path.cwd)

    @classmethod
    def from_file(cls, path: str | Path) -> "Scene":
        """Read and validate a scene JSON file."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SceneError(f"scene file not found: {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SceneError(f"cannot read scene file {path}: {exc}") from exc
        except json.JSONDecodeError as exc:
            raise SceneError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: "
                             f"{exc.msg}") from exc
        return cls.from_dict(data, base_dir=path.resolve().parent)

    @classmethod
    def from_dict(cls, data: Any, base_dir: str | Path = ".") -> "Scene":
        """Validate a parsed scene document; relative paths resolve against ``base_dir``."""
        base_dir = Path(base_dir)
        _require(isinstance(data, dict), "scene must be a JSON object")
        _reject_unknown(data, {"format", "sample_rate", "duration", "hrtf", "listener", "sources"},
                        "scene")
        _require(data.get("format") == SCENE_FORMAT,
                 f"scene 'format' must be {SCENE_FORMAT!r}, got {data.get('format')!r}")
        try:
            sample_rate = check_sample_rate(data.get("sample_rate", 48000))
        except SpatialAudioError as exc:
            raise SceneError(f"scene 'sample_rate': {exc}") from None
        duration = data.get("duration")
        if duration is not None:
            _require(_is_number(duration) and 0 < duration <= MAX_DURATION_SECONDS,
                     f"'duration' must be a number of seconds in (0, {MAX_DURATION_SECONDS}], "
                     f"got {duration!r}")
        sofa, head_radius = _parse_hrtf(data.get("hrtf", {}), base_dir)
        listener = data.get("listener", {})
        _require(isinstance(listener, dict), "'listener' must be an object")
        _reject_unknown(listener, {"orientation"}, "listener")
        orientation = _parse_keyframes(listener.get("orientation", [{"time": 0}]),
                                       ORIENTATION_FIELDS, "listener.orientation")
        raw_sources = data.get("sources")
        _require(isinstance(raw_sources, list) and raw_sources,
                 "'sources' must be a non-empty list")
        sources = tuple(_parse_source(raw, index, base_dir) for index, raw in enumerate(raw_sources))
        names = [source.name for source in sources]
        _require(len(set(names)) == len(names), f"source names must be unique, got {names}")
        return cls(sample_rate, sources, orientation, float(duration) if duration else None,
                   sofa, head_radius, base_dir)

    def hrtf(self) -> HrtfSet:
        """The HRTF set the scene asks for (its SOFA file, or KEMAR)."""
        return HrtfSet.from_sofa(self.sofa) if self.sofa else HrtfSet.kemar()


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise SceneError(message)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _reject_unknown(obj: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(obj) - allowed)
    _require(not unknown, f"{where}: unknown field(s) {unknown}; allowed: {sorted(allowed)}")


def _parse_hrtf(raw: Any, base_dir: Path) -> tuple[Path | None, float | None]:
    _require(isinstance(raw, dict), "'hrtf' must be an object")
    _reject_unknown(raw, {"sofa", "head_radius"}, "hrtf")
    sofa = raw.get("sofa")
    if sofa is not None:
        _require(isinstance(sofa, str) and sofa, "'hrtf.sofa' must be a file path")
        sofa = base_dir / sofa
        _require(sofa.is_file(), f"SOFA file not found: {sofa}")
    head_radius = raw.get("head_radius")
    if head_radius is not None:
        _require(_is_number(head_radius) and 0.04 <= head_radius <= 0.15,
                 f"'hrtf.head_radius' must be 0.04..0.15 metres, got {head_radius!r}")
    return sofa, head_radius


def _parse_keyframes(raw: Any, fields: dict[str, float | None], where: str) -> Trajectory:
    _require(isinstance(raw, list) and raw, f"{where} must be a non-empty list of keyframes")
    times, rows = [], []
    for index, frame in enumerate(raw):
        _require(isinstance(frame, dict), f"{where}[{index}] must be an object")
        _reject_unknown(frame, {"time", *fields}, f"{where}[{index}]")
        time = frame.get("time")
        _require(_is_number(time) and time >= 0,
                 f"{where}[{index}].time must be a number >= 0, got {time!r}")
        row = []
        for name, default in fields.items():
            value = frame.get(name, default)
            _require(value is not None, f"{where}[{index}] is missing '{name}'")
            _require(_is_number(value), f"{where}[{index}].{name} must be a number, got {value!r}")
            row.append(float(value))
        times.append(float(time))
        rows.append(row)
    _require(all(b > a for a, b in zip(times, times[1:])),
             f"{where}: keyframe times must be strictly increasing, got {times}")
    values = np.array(rows)
    if "elevation" in fields:
        _require(np.all(np.abs(values[:, 1]) <= 90), f"{where}: elevation must be within -90..90")
        _require(np.all(values[:, 2] >= 0), f"{where}: distance must not be negative")
    return Trajectory(np.array(times), values)


def _parse_source(raw: Any, index: int, base_dir: Path) -> SceneSource:
    where = f"sources[{index}]"
    _require(isinstance(raw, dict), f"{where} must be an object")
    _reject_unknown(raw, {"name", "stem", "gain_db", "start", "positions"}, where)
    name = raw.get("name", f"source{index}")
    _require(isinstance(name, str) and name, f"{where}.name must be a non-empty string")
    stem = raw.get("stem")
    _require(isinstance(stem, str) and stem, f"{where}.stem must be an audio file path")
    gain_db = raw.get("gain_db", 0.0)
    _require(_is_number(gain_db) and gain_db <= 40, f"{where}.gain_db must be a number <= 40")
    start = raw.get("start", 0.0)
    _require(_is_number(start) and start >= 0, f"{where}.start must be a number >= 0")
    positions = _parse_keyframes(raw.get("positions"), POSITION_FIELDS, f"{where}.positions")
    return SceneSource(name, base_dir / stem, 10 ** (gain_db / 20), float(start), positions)


def load_stems(scene: Scene) -> np.ndarray:
    """Read every stem (mixed down to mono), placed at its start time: (n_sources, frames) float32."""
    import soundfile

    signals = []
    for source in scene.sources:
        if not source.stem.is_file():
            raise SceneError(f"stem of source {source.name!r} not found: {source.stem}")
        try:
            audio, rate = soundfile.read(str(source.stem), dtype="float32", always_2d=True)
        except Exception as exc:  # libsndfile errors carry no stable type
            raise SceneError(f"cannot read stem {source.stem}: {exc}") from exc
        if rate != scene.sample_rate:
            raise SceneError(f"stem {source.stem} is at {rate} Hz but the scene is at "
                             f"{scene.sample_rate} Hz; resample it first")
        if audio.shape[1] > 1:
            logger.info("stem %s has %d channels: mixing down to mono", source.stem, audio.shape[1])
        offset = int(round(source.start * scene.sample_rate))
        signals.append(np.concatenate([np.zeros(offset, np.float32), audio.mean(axis=1)]))
    frames = (int(round(scene.duration * scene.sample_rate)) if scene.duration
              else max(len(signal) for signal in signals))
    if frames == 0:
        raise SceneError("the scene is empty: all stems have zero length")
    stems = np.zeros((len(signals), frames), dtype=np.float32)
    for row, signal in enumerate(signals):
        stems[row, :min(frames, len(signal))] = signal[:frames]
    return stems


def render_scene(scene: Scene, block_size: int = 480, stems: np.ndarray | None = None,
                 hrtf: HrtfSet | None = None,
                 progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Render a scene to binaural stereo (frames, 2) float32, frames = the scene's duration.

    Positions and orientation are sampled at the end of each block and reached by a cross-fade
    across it. Args ``stems``/``hrtf`` override what the scene file names (useful in tests and
    for services that already hold the audio); ``progress(done, total)`` is called per block.
    """
    block_size = check_block_size(block_size)
    stems = load_stems(scene) if stems is None else np.asarray(stems, dtype=np.float32)
    if stems.ndim != 2 or stems.shape[0] != len(scene.sources):
        raise SceneError(f"expected stems of shape ({len(scene.sources)}, frames), got {stems.shape}")
    frames = stems.shape[1]
    n_blocks = -(-frames // block_size)
    padded = np.zeros((len(scene.sources), n_blocks * block_size), dtype=np.float32)
    padded[:, :frames] = stems

    renderer = BinauralRenderer(len(scene.sources), scene.sample_rate, block_size,
                                hrtf or scene.hrtf(), head_radius=scene.head_radius)
    block_ends = (np.arange(n_blocks) + 1) * block_size / scene.sample_rate
    positions = np.stack([source.positions.at(block_ends) for source in scene.sources])
    orientation = scene.orientation.at(block_ends)
    gains = np.array([source.gain for source in scene.sources])
    output = np.empty((n_blocks * block_size, 2), dtype=np.float32)
    for index in range(n_blocks):
        azimuth, elevation, distance = positions[:, index].T
        renderer.set_sources(azimuth, elevation, distance, gains)
        renderer.set_listener(*orientation[index])
        span = slice(index * block_size, (index + 1) * block_size)
        output[span] = renderer.process(padded[:, span])
        if progress:
            progress(index + 1, n_blocks)
    return output[:frames]


@dataclass(frozen=True)
class RenderResult:
    path: Path
    frames: int
    sample_rate: int
    peak: float
    gain_applied: float


def write_audio(path: str | Path, audio: np.ndarray, sample_rate: int) -> tuple[float, float]:
    """Write stereo audio as WAV (32-bit float) or FLAC (24-bit); never clips silently.

    FLAC cannot hold samples beyond full scale, so a louder mix is scaled to -1 dBFS (and logged).
    Returns (peak of the written audio, gain applied).
    """
    import soundfile

    path = Path(path)
    if path.suffix.lower() not in OUTPUT_FORMATS:
        raise SceneError(f"output must end in {' or '.join(OUTPUT_FORMATS)}, got {path.name}")
    file_format, subtype = OUTPUT_FORMATS[path.suffix.lower()]
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    gain = 1.0
    if subtype != "FLOAT" and peak > 1.0:
        gain = PEAK_AFTER_NORMALISATION / peak
        logger.warning("mix peaks at %.1f dBFS: scaled by %.1f dB to fit %s", 20 * np.log10(peak),
                       20 * np.log10(gain), file_format)
    elif peak > 1.0:
        logger.warning("mix peaks at %.1f dBFS (kept: WAV float has headroom)", 20 * np.log10(peak))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(str(path), audio * gain, sample_rate, subtype=subtype, format=file_format)
    except Exception as exc:
        raise SceneError(f"cannot write {path}: {exc}") from exc
    return peak * gain, gain


def render_scene_file(scene_path: str | Path, output_path: str | Path, block_size: int = 480,
                      progress: Callable[[int, int], None] | None = None) -> RenderResult:
    """Render a scene JSON file to a WAV or FLAC file (the offline renderer's one-call API)."""
    output_path = Path(output_path)
    if output_path.suffix.lower() not in OUTPUT_FORMATS:  # fail before the expensive part
        raise SceneError(f"output must end in {' or '.join(OUTPUT_FORMATS)}, got {output_path.name}")
    scene = Scene.from_file(scene_path)
    audio = render_scene(scene, block_size, progress=progress)
    peak, gain = write_audio(output_path, audio, scene.sample_rate)
    logger.info("rendered %s -> %s (%d frames, peak %.3f)", scene_path, output_path, len(audio), peak)
    return RenderResult(output_path, len(audio), scene.sample_rate, peak, gain)
