"""``render``: a spatial scene in; its binaural (headphone) mix out, as 16-bit WAV and FLAC.

The job's input CID is an IPFS **directory** holding ``scene.json`` (schema ``tutti.scene/1``, see
docs/spatial-audio.md) and the stems it names by relative path (``"stem": "stems/voice.wav"``),
so one CID pins everything the result depends on. The scene is rendered with
:func:`tutti.audio.render_scene` and the bundled MIT KEMAR HRTFs (a scene's own SOFA file is
refused: the HRTF set is part of the model id), then quantised to 16 bits by rounding, without
dither, so every operator on the same platform writes the same bytes.

Parameters (JSON): ``block_size`` (64..960, default 480: positions are sampled once per block, so
it shapes the result) and ``formats`` (a subset of ``["wav", "flac"]``, default both).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
import math
import wave
from dataclasses import dataclass

from eth_utils import keccak

from oracle.jobs.base import JobContext, JobInputError, JobResult, check_input_path, job_kind

logger = logging.getLogger(__name__)

SCENE_FILE = "scene.json"
OUTPUT_STEM = "binaural"
FORMATS = ("wav", "flac")
#: Bump when the same input and parameters would render different bytes.
ENGINE = "tutti.render/1 tutti.audio.render_scene/2 pcm16-round-nodither"  # /2: frequency-domain filters
#: Limits every operator applies alike, so an oversized request is refused, not half-computed.
MAX_SECONDS = 20 * 60
MAX_SOURCES = 64
PCM16_FULL_SCALE = 32767
#: A mix louder than full scale is scaled to -1 dBFS (as the engine does for FLAC), never clipped.
PEAK_AFTER_NORMALISATION = 10 ** (-1 / 20)


@dataclass(frozen=True)
class RenderParams:
    block_size: int = 480
    formats: tuple[str, ...] = FORMATS

    @classmethod
    def parse(cls, params: dict) -> "RenderParams":
        unknown = set(params) - {"block_size", "formats"}
        if unknown:
            raise JobInputError(f"unknown render parameters: {', '.join(sorted(unknown))}; "
                                "allowed: block_size, formats")
        block_size = params.get("block_size", 480)
        if isinstance(block_size, bool) or not isinstance(block_size, int) or not 64 <= block_size <= 960:
            raise JobInputError(f"block_size must be an integer from 64 to 960 samples, got {block_size!r}")
        formats = params.get("formats", list(FORMATS))
        if (not isinstance(formats, list) or not formats or not all(isinstance(f, str) for f in formats)
                or len(set(formats)) != len(formats) or not set(formats) <= set(FORMATS)):
            raise JobInputError(f"formats must be a non-empty list of distinct values from {list(FORMATS)}, "
                                f"got {formats!r}")
        return cls(block_size, tuple(f for f in FORMATS if f in formats))


class RenderJob:
    name = "render"

    @functools.cached_property
    def model_id(self) -> bytes:
        """The engine version, the numeric stack it runs on and the HRTF data's digest.

        Computed on first use: it loads the KEMAR set (and needs the ``audio`` extra)."""
        import numba
        import numpy
        import scipy
        import soundfile

        return keccak(text=f"{ENGINE} hrtf=mit-kemar-normal-pinna:sha256:{kemar_digest()} "
                           f"numpy=={numpy.__version__} scipy=={scipy.__version__} numba=={numba.__version__} "
                           f"libsndfile=={soundfile.__libsndfile_version__}")

    def run(self, context: JobContext) -> JobResult:
        params = RenderParams.parse(context.params)
        if context.read_input is None:
            raise JobInputError(f"the render job's input must be an IPFS directory holding {SCENE_FILE} "
                                "and the stems it names, not a single file")
        scene, stem_names = read_scene(context.read_input(SCENE_FILE))
        stems = decode_stems(scene, stem_names, context.read_input)
        return render(scene, stems, params)


job_kind(RenderJob())


def kemar_digest() -> str:
    """sha256 of the KEMAR set as the engine uses it: impulse responses, directions, rate."""
    import numpy as np

    from tutti.audio import HrtfSet

    kemar = HrtfSet.kemar()
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(kemar.impulse_responses, dtype="<f8").tobytes())
    digest.update(np.ascontiguousarray(kemar.directions, dtype="<f8").tobytes())
    digest.update(repr(float(kemar.sample_rate)).encode())
    return digest.hexdigest()


def read_scene(data: bytes):
    """The validated :class:`~tutti.audio.Scene` and each source's stem path in the directory."""
    from tutti.audio import Scene, SceneError

    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise JobInputError(f"{SCENE_FILE} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise JobInputError(f"{SCENE_FILE}: invalid JSON at line {exc.lineno} column {exc.colno}: "
                            f"{exc.msg}") from None
    hrtf = document.get("hrtf") if isinstance(document, dict) else None
    if isinstance(hrtf, dict) and "sofa" in hrtf:
        raise JobInputError(f"{SCENE_FILE}: 'hrtf.sofa' is not supported by the render job, which "
                            "renders with the MIT KEMAR set its model id names")
    try:
        # Stems are not touched here (they come from the directory), so no path reaches a message.
        scene = Scene.from_dict(document)
    except SceneError as exc:
        raise JobInputError(f"{SCENE_FILE}: {exc}") from None
    if len(scene.sources) > MAX_SOURCES:
        raise JobInputError(f"{SCENE_FILE}: {len(scene.sources)} sources; the render job takes at most "
                            f"{MAX_SOURCES}")
    names = []
    for index, raw in enumerate(document["sources"]):
        try:
            check_input_path(raw["stem"])
        except JobInputError as exc:
            raise JobInputError(f"{SCENE_FILE}: sources[{index}].stem: {exc}") from None
        names.append(raw["stem"])
    return scene, names


def decode_stems(scene, stem_names: list[str], read_input):
    """Each stem mixed down to mono and placed at its start: (n_sources, frames) float32, as
    :func:`tutti.audio.scene.load_stems` does for files on disk."""
    import numpy as np
    import soundfile

    decoded: dict[str, np.ndarray] = {}
    signals = []
    for source, name in zip(scene.sources, stem_names):
        if name not in decoded:
            data = read_input(name)  # outside the try: an IPFS outage must not read as a bad stem
            try:
                audio, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
            except Exception:  # libsndfile errors carry no stable type (nor stable text)
                raise JobInputError(f"stem {name!r} is not a readable audio file (WAV, FLAC, OGG...)") from None
            if rate != scene.sample_rate:
                raise JobInputError(f"stem {name!r} is at {rate} Hz but the scene is at {scene.sample_rate} Hz; "
                                    "resample it first")
            decoded[name] = audio.mean(axis=1, dtype=np.float32)
        offset = int(round(source.start * scene.sample_rate))
        signals.append((offset, decoded[name]))
    frames = (int(round(scene.duration * scene.sample_rate)) if scene.duration
              else max(offset + len(signal) for offset, signal in signals))
    if frames == 0:
        raise JobInputError("the scene is empty: all stems have zero length")
    if frames > MAX_SECONDS * scene.sample_rate:
        raise JobInputError(f"the scene lasts {frames / scene.sample_rate:.1f} s; the render job renders at "
                            f"most {MAX_SECONDS} s")
    stems = np.zeros((len(signals), frames), dtype=np.float32)
    for row, (offset, signal) in enumerate(signals):
        if offset < frames:
            part = signal[:frames - offset]
            stems[row, offset:offset + len(part)] = part
    return stems


def render(scene, stems, params: RenderParams) -> JobResult:
    from tutti.audio import HrtfSet, KEMAR_ATTRIBUTION, render_scene

    audio = render_scene(scene, params.block_size, stems=stems, hrtf=HrtfSet.kemar())
    samples, gain = quantize_pcm16(audio)
    files = {}
    if "wav" in params.formats:
        files[f"{OUTPUT_STEM}.wav"] = wav_bytes(samples, scene.sample_rate)
    if "flac" in params.formats:
        files[f"{OUTPUT_STEM}.flac"] = flac_bytes(samples, scene.sample_rate)
    peak = int(abs(samples.astype("int32")).max()) / PCM16_FULL_SCALE
    metrics = {
        "duration_seconds": round(len(samples) / scene.sample_rate, 6),
        "frames": len(samples),
        "sample_rate": scene.sample_rate,
        "channels": 2,
        "sources": len(scene.sources),
        "block_size": params.block_size,
        "peak_dbfs": round(20 * math.log10(peak), 2) if peak > 0 else None,
        "gain_db": round(20 * math.log10(gain), 2),
        "hrtf": KEMAR_ATTRIBUTION,
    }
    logger.info("rendered %d sources, %.2f s, peak %s dBFS", len(scene.sources), metrics["duration_seconds"],
                metrics["peak_dbfs"])
    return JobResult(files=files, metrics=metrics)


def quantize_pcm16(audio):
    """(frames, 2) float -> little-endian int16 by rounding (half to even); a mix above full scale
    is scaled to -1 dBFS first. Returns the samples and the gain applied."""
    import numpy as np

    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    gain = PEAK_AFTER_NORMALISATION / peak if peak > 1.0 else 1.0
    scaled = np.rint(np.asarray(audio, dtype=np.float64) * (gain * PCM16_FULL_SCALE))
    return np.clip(scaled, -PCM16_FULL_SCALE - 1, PCM16_FULL_SCALE).astype("<i2"), gain


def wav_bytes(samples, sample_rate: int) -> bytes:
    """A canonical 44-byte-header PCM WAV (the standard library's writer: no extra chunks)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(samples.shape[1])
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


def flac_bytes(samples, sample_rate: int) -> bytes:
    """Lossless FLAC of the same 16-bit samples (bytes fixed by the libsndfile/libFLAC build)."""
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, samples, sample_rate, format="FLAC", subtype="PCM_16")
    return buffer.getvalue()
