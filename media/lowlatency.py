"""Low-latency settings for aiortc 1.16, applied once per process by :func:`configure_aiortc`.

aiortc has no public knobs for these, so three of its module-level names are replaced:

* **Opus frames of ``frame_ms`` (default 10 ms)** instead of 20 ms, with libopus in its
  ``lowdelay`` application (CELT only, no SILK look-ahead: 2.5 ms algorithmic delay instead of
  6.5 ms). Each frame of the sender adds its own length to the latency.
* **Receive jitter buffer prefetch of ``jitter_frames`` (default 1)** instead of 4. aiortc hands
  a frame to the decoder only once ``prefetch`` later frames have arrived, so its default adds
  4 x 20 ms = 80 ms; 1 frame is the least its algorithm allows. Loopback and LAN have almost
  no jitter; on the internet raise it (``--jitter-frames``).

The replacements are checked against the pinned aiortc version, so an upgrade that moves them
fails loudly instead of silently falling back to the high-latency defaults.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aiortc
import aiortc.codecs
import aiortc.codecs.opus as aiortc_opus
import aiortc.rtcrtpreceiver as aiortc_receiver
from aiortc.jitterbuffer import JitterBuffer
from av import AudioResampler

logger = logging.getLogger(__name__)

SAMPLE_RATE = 48000
SUPPORTED_AIORTC = "1.16.0"
SUPPORTED_FRAME_MS = (10, 20)


@dataclass(frozen=True)
class LowLatency:
    """What :func:`configure_aiortc` set up (reported by the node and the benchmark)."""

    frame_ms: int
    jitter_frames: int

    @property
    def frame_samples(self) -> int:
        return SAMPLE_RATE * self.frame_ms // 1000


_active: LowLatency | None = None


def configure_aiortc(frame_ms: int = 10, jitter_frames: int = 1) -> LowLatency:
    """Switch this process's aiortc to small Opus frames and a small audio jitter buffer."""
    global _active
    if aiortc.__version__ != SUPPORTED_AIORTC:
        raise RuntimeError(f"media.lowlatency targets aiortc {SUPPORTED_AIORTC}, found "
                           f"{aiortc.__version__}: re-check the patched names before upgrading")
    if frame_ms not in SUPPORTED_FRAME_MS:
        raise ValueError(f"Opus frame length must be one of {SUPPORTED_FRAME_MS} ms, got {frame_ms}")
    if not 1 <= jitter_frames <= 8:
        raise ValueError(f"jitter buffer must hold 1..8 frames, got {jitter_frames}")
    settings = LowLatency(frame_ms, jitter_frames)
    samples = settings.frame_samples

    class LowDelayOpusEncoder(aiortc_opus.OpusEncoder):
        def __init__(self) -> None:
            super().__init__()
            self.codec.options = {"application": "lowdelay", "frame_duration": str(frame_ms)}
            self.resampler = AudioResampler(format="s16", layout="stereo", rate=SAMPLE_RATE,
                                            frame_size=samples)

    class SmallJitterBuffer(JitterBuffer):
        def __init__(self, capacity: int, prefetch: int = 0, is_video: bool = False) -> None:
            super().__init__(capacity, prefetch if is_video else jitter_frames, is_video)

    for module, name in ((aiortc.codecs, "OpusEncoder"), (aiortc_receiver, "JitterBuffer")):
        if not hasattr(module, name):
            raise RuntimeError(f"aiortc layout changed: {module.__name__}.{name} is gone")
    aiortc.codecs.OpusEncoder = LowDelayOpusEncoder
    aiortc_receiver.JitterBuffer = SmallJitterBuffer
    _active = settings
    logger.info("aiortc: Opus %d ms frames (lowdelay), audio jitter buffer %d frame(s)",
                frame_ms, jitter_frames)
    return settings


def active() -> LowLatency | None:
    """The settings applied in this process, if any."""
    return _active
