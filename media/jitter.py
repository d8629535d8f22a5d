"""The receive side of an audio stream: an RTP jitter buffer that never falls behind, and an Opus
decoder that conceals lost frames.

aiortc's :class:`aiortc.jitterbuffer.JitterBuffer` waits at a missing packet until its ring
(16 packets) overflows, and then hands out one frame per arriving packet: after a single lost
packet it stays ~14 frames (140 ms at 10 ms frames) behind for the rest of the session.

:class:`AudioJitterBuffer` (Opus: one RTP packet per frame) instead

* releases a packet the moment it arrives if it is the next one (no prefetch: the mixer's
  per-sender :class:`~media.mixer.InputBuffer` absorbs jitter in samples),
* waits at a gap for at most ``reorder_wait`` later packets (0 on a clean link; raised by one
  each time a packet arrives after its slot was given up, lowered again after a clean stretch),
  then declares the missing packets lost,
* hands out everything that became ready *in one* :class:`FrameBurst` (aiortc takes one frame per
  arriving packet), the lost slots as ``None``, so it never keeps a backlog.

:class:`ConcealingOpusDecoder` decodes a burst with libopus through ``ctypes`` (PyAV cannot ask
libopus for packet-loss concealment): each lost slot becomes one frame of Opus PLC, so the
timeline keeps its length and downstream buffers see no hole.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fractions
import glob
import os
from typing import Optional

import numpy as np
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtp import RtpPacket
from av import AudioFrame

from .stages import HOLDS, SenderHolds, now

SAMPLE_RATE = 48000
CHANNELS = 2
TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)
MAX_FRAME_SAMPLES = 5760  # 120 ms, the longest Opus packet
RESYNC_DISTANCE = 100  # packets: a jump this far (a restarted sender) starts over


def _seq_diff(a: int, b: int) -> int:
    """``a - b`` for 16-bit RTP sequence numbers, in -32768..32767."""
    return ((a - b + 0x8000) & 0xFFFF) - 0x8000


class FrameBurst(JitterFrame):
    """Consecutive Opus payloads handed to the decoder at once; ``None`` marks a lost one."""

    def __init__(self, payloads: list[Optional[bytes]], timestamp: int) -> None:
        super().__init__(data=b"".join(p for p in payloads if p), timestamp=timestamp)
        self.payloads = payloads
        self.released_at = now()  # the decoded frame carries it on (``decode`` stage)


class AudioJitterBuffer:
    """Drop-in for aiortc's ``JitterBuffer`` on audio (same constructor and ``add``)."""

    MAX_REORDER_WAIT = 3
    CLEAN_PACKETS_TO_RELAX = 500  # 5 s at 10 ms without a late packet: wait one packet less

    def __init__(self, capacity: int = 16, prefetch: int = 0, is_video: bool = False,
                 reorder_wait: int = 0) -> None:
        if is_video:
            raise ValueError("AudioJitterBuffer is for audio (one RTP packet per frame)")
        self._capacity = capacity
        self.reorder_wait = reorder_wait
        self._expected: Optional[int] = None
        self._expected_timestamp = 0
        self._frame_samples = 480  # learnt from neighbouring packets; sizes concealment
        self._last: Optional[tuple[int, int]] = None  # (sequence number, timestamp) last released
        self._held: dict[int, RtpPacket] = {}
        self._arrived: dict[int, float] = {}  # sequence number -> arrival (``jitter`` stage)
        self.holds = SenderHolds()
        self._clean = 0
        self.lost = 0  # slots given up and concealed
        self.late = 0  # packets that came after their slot was given up
        self.released = 0

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def held(self) -> int:
        """Packets waiting at a gap (the buffer's own delay, in frames)."""
        return len(self._held)

    def add(self, packet: RtpPacket) -> tuple[bool, Optional[FrameBurst]]:
        seq = packet.sequence_number
        if self._expected is None:
            self._expected, self._expected_timestamp = seq, packet.timestamp
        ahead = _seq_diff(seq, self._expected)
        if ahead < 0:
            if ahead > -RESYNC_DISTANCE:  # its slot was already concealed: wait longer next time
                self.late += 1
                self._clean = 0
                self.reorder_wait = min(self.reorder_wait + 1, self.MAX_REORDER_WAIT)
                return False, None
            ahead = self._restart(packet)
        elif ahead >= RESYNC_DISTANCE:
            ahead = self._restart(packet)
        self._held[seq] = packet
        self._arrived[seq] = now()
        if ahead > 0 and len(self._held) <= self.reorder_wait:
            return False, None  # a gap: give the missing packet a chance to arrive
        return False, self._release()

    def _restart(self, packet: RtpPacket) -> int:
        self._held.clear()
        self._arrived.clear()
        self._expected, self._expected_timestamp = packet.sequence_number, packet.timestamp
        return 0

    def _release(self) -> FrameBurst:
        """Everything up to the last held packet, in order; lost slots as ``None``."""
        timestamp = self._expected_timestamp
        payloads: list[Optional[bytes]] = []
        release_time = now()
        while self._held:
            packet = self._held.pop(self._expected, None)
            if packet is None:
                payloads.append(None)
                self.lost += 1
                self._clean = 0
                self._expected_timestamp = (self._expected_timestamp + self._frame_samples) & 0xFFFFFFFF
            else:
                if not payloads:
                    timestamp = packet.timestamp
                held_ms = (release_time - self._arrived.pop(self._expected, release_time)) * 1e3
                HOLDS.add("jitter", held_ms)
                self.holds.jitter.append(held_ms)
                if self._last is not None and self._last[0] == (packet.sequence_number - 1) & 0xFFFF:
                    step = (packet.timestamp - self._last[1]) & 0xFFFFFFFF  # neighbours: a frame's length
                    if 0 < step <= MAX_FRAME_SAMPLES:
                        self._frame_samples = step
                self._last = (packet.sequence_number, packet.timestamp)
                payloads.append(getattr(packet, "_data", packet.payload))
                self._expected_timestamp = (packet.timestamp + self._frame_samples) & 0xFFFFFFFF
                self._clean += 1
            self._expected = (self._expected + 1) & 0xFFFF
        if self._clean >= self.CLEAN_PACKETS_TO_RELAX and self.reorder_wait:
            self.reorder_wait -= 1
            self._clean = 0
        self.released += len(payloads)
        return FrameBurst(payloads, timestamp)


def _load_libopus() -> ctypes.CDLL:
    candidates = [ctypes.util.find_library("opus")]
    import av  # PyAV's wheels bundle a libopus next to themselves
    candidates += sorted(glob.glob(os.path.join(os.path.dirname(av.__file__), os.pardir, "av.libs",
                                                "libopus*.so*")))
    for name in filter(None, candidates):
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        lib.opus_decoder_create.restype = ctypes.c_void_p
        lib.opus_decoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
        lib.opus_decode.restype = ctypes.c_int
        lib.opus_decode.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32,
                                    ctypes.POINTER(ctypes.c_int16), ctypes.c_int, ctypes.c_int]
        lib.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
        return lib
    raise RuntimeError("libopus not found (Debian: libopus0)")


_libopus: Optional[ctypes.CDLL] = None


class ConcealingOpusDecoder:
    """Opus -> s16 stereo 48 kHz frames; a lost slot becomes a frame of libopus concealment."""

    def __init__(self) -> None:
        global _libopus
        _libopus = _libopus or _load_libopus()
        self._lib = _libopus
        error = ctypes.c_int()
        self._decoder = self._lib.opus_decoder_create(SAMPLE_RATE, CHANNELS, ctypes.byref(error))
        if error.value != 0 or not self._decoder:
            raise RuntimeError(f"opus_decoder_create failed ({error.value})")
        self._pcm = (ctypes.c_int16 * (MAX_FRAME_SAMPLES * CHANNELS))()
        self._last_samples = 480
        self.concealed = 0

    def __del__(self) -> None:
        if getattr(self, "_decoder", None):
            self._lib.opus_decoder_destroy(self._decoder)
            self._decoder = None

    def _decode_one(self, payload: Optional[bytes]) -> np.ndarray:
        if payload is None:  # PLC: as long as the previous frame
            count = self._lib.opus_decode(self._decoder, None, 0, self._pcm, self._last_samples, 0)
            self.concealed += 1
        else:
            count = self._lib.opus_decode(self._decoder, payload, len(payload), self._pcm, MAX_FRAME_SAMPLES, 0)
        if count < 0:  # a corrupt packet: conceal it instead
            count = self._lib.opus_decode(self._decoder, None, 0, self._pcm, self._last_samples, 0)
        count = max(count, 0)
        if payload is not None:
            self._last_samples = count or self._last_samples
        return np.ctypeslib.as_array(self._pcm)[:count * CHANNELS].copy()

    def decode(self, encoded_frame: JitterFrame) -> list[AudioFrame]:
        payloads = getattr(encoded_frame, "payloads", None) or [encoded_frame.data]
        pcm = np.concatenate([self._decode_one(p) for p in payloads])
        if not len(pcm):
            return []
        frame = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="stereo")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = encoded_frame.timestamp
        frame.time_base = TIME_BASE
        frame.opaque = getattr(encoded_frame, "released_at", None)  # ``decode`` stage: see media.stages
        return [frame]
