"""Opus encoding in the mixer's own loop: a personal mix becomes an RTP-ready packet at once.

aiortc encodes every outgoing audio frame in a thread pool (``run_in_executor``: two thread
hand-offs per packet) and computes the RFC 6464 audio level of every frame in pure Python; with
16-32 personal mixes per 10 ms those were a large share of the node's loop (docs/media.md,
"Capacity"). Handing aiortc an already encoded ``av.Packet`` instead takes its other path,
``encoder.pack``: no thread, no audio-level loop (the header extension is left out; the mixer
still reports each musician's level on the control channel). libopus is called through ctypes
(the same library :class:`media.jitter.ConcealingOpusDecoder` loads), with the settings of
:mod:`media.lowlatency`'s encoder: ``lowdelay`` (CELT), 96 kbit/s, the node's frame length.
"""

from __future__ import annotations

import ctypes
import fractions

import numpy as np
from av import Packet

from . import jitter

SAMPLE_RATE = 48000
CHANNELS = 2
TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)
OPUS_APPLICATION_RESTRICTED_LOWDELAY = 2051
OPUS_SET_BITRATE_REQUEST = 4002
BITRATE = 96000  # aiortc's OpusEncoder's bit rate
MAX_PACKET_BYTES = 1500


def is_opus_frame(samples: int) -> bool:
    """An Opus frame length this encoder takes (5, 10 or 20 ms at 48 kHz)."""
    return samples in (240, 480, 960)


def _libopus() -> ctypes.CDLL:
    lib = jitter._libopus or jitter._load_libopus()
    jitter._libopus = lib
    lib.opus_encoder_create.restype = ctypes.c_void_p
    lib.opus_encoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    lib.opus_encode.restype = ctypes.c_int32
    lib.opus_encode.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int32]
    lib.opus_encoder_destroy.argtypes = [ctypes.c_void_p]
    return lib


class OpusPacketEncoder:
    """Stereo float blocks of ``frame_samples`` -> Opus ``av.Packet`` s (pts in samples at 48 kHz)."""

    def __init__(self, frame_samples: int, bitrate: int = BITRATE) -> None:
        if not is_opus_frame(frame_samples):
            raise ValueError(f"Opus frames of 5, 10 or 20 ms only, got {frame_samples} samples")
        self._lib = _libopus()
        error = ctypes.c_int()
        self._encoder = self._lib.opus_encoder_create(SAMPLE_RATE, CHANNELS, OPUS_APPLICATION_RESTRICTED_LOWDELAY,
                                                      ctypes.byref(error))
        if error.value != 0 or not self._encoder:
            raise RuntimeError(f"opus_encoder_create failed ({error.value})")
        self._lib.opus_encoder_ctl(ctypes.c_void_p(self._encoder), ctypes.c_int(OPUS_SET_BITRATE_REQUEST),
                                   ctypes.c_int32(bitrate))
        self.frame_samples = frame_samples
        self._out = ctypes.create_string_buffer(MAX_PACKET_BYTES)

    def __del__(self) -> None:
        if getattr(self, "_encoder", None):
            self._lib.opus_encoder_destroy(self._encoder)
            self._encoder = None

    def encode(self, stereo: np.ndarray, pts: int) -> Packet:
        """One frame, (frame_samples, 2) float in [-1, 1], as a packet stamped ``pts``."""
        if stereo.shape != (self.frame_samples, CHANNELS):
            raise ValueError(f"expected ({self.frame_samples}, 2) samples, got {stereo.shape}")
        pcm = np.clip(stereo * 32767.0, -32768, 32767).astype(np.int16)  # interleaved L R L R ...
        size = self._lib.opus_encode(self._encoder, pcm.ctypes.data, self.frame_samples, self._out, MAX_PACKET_BYTES)
        if size < 0:
            raise RuntimeError(f"opus_encode failed ({size})")
        packet = Packet(self._out.raw[:size])
        packet.pts = pts
        packet.time_base = TIME_BASE
        return packet
