"""Low-latency settings for aiortc 1.16, applied once per process by :func:`configure_aiortc`.

aiortc has no public knobs for these, so module-level names are replaced:

* **Opus frames of ``frame_ms`` (default 10 ms)** instead of 20 ms, with libopus in its
  ``lowdelay`` application (CELT only, no SILK look-ahead: 2.5 ms algorithmic delay instead of
  6.5 ms). Each frame of the sender adds its own length to the latency.
* **Audio jitter buffer** :class:`media.jitter.AudioJitterBuffer` instead of aiortc's (which,
  with any prefetch, falls ~14 frames behind after one lost packet and never catches up): a
  packet is released as soon as it is the next one; at a gap it waits for at most
  ``jitter_frames - 1`` later packets to start with (adapting to the reordering it sees).
* **Opus decoder** :class:`media.jitter.ConcealingOpusDecoder`: lost frames become libopus
  packet-loss concealment instead of a hole in the timeline.
* **Audio decoded in the event loop** (:class:`InlineAudioDecoding`): aiortc hands every
  received packet to a decoder thread and every decoded frame back to the loop (two thread
  hand-offs per packet, each waking the loop); an Opus decode takes ~0.02 ms, less than the
  hand-offs, so audio receivers decode where the packet arrives. Video keeps aiortc's thread.

The replacements are checked against the pinned aiortc version, so an upgrade that moves them
fails loudly instead of silently falling back to the high-latency defaults.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import aiortc
import aiortc.codecs
import aiortc.codecs.opus as aiortc_opus
import aiortc.rtcrtpreceiver as aiortc_receiver
from aiortc.codecs import get_decoder
from aiortc.jitterbuffer import JitterBuffer
from av import AudioResampler

from .jitter import AudioJitterBuffer, ConcealingOpusDecoder

logger = logging.getLogger(__name__)

SAMPLE_RATE = 48000
SUPPORTED_AIORTC = "1.16.0"
SUPPORTED_FRAME_MS = (5, 10, 20)


@dataclass(frozen=True)
class LowLatency:
    """What :func:`configure_aiortc` set up (reported by the node and the benchmark)."""

    frame_ms: int
    jitter_frames: int

    @property
    def frame_samples(self) -> int:
        return SAMPLE_RATE * self.frame_ms // 1000


_active: LowLatency | None = None


class InlineAudioDecoding:
    """Stands in for an audio receiver's decoder queue (aiortc calls ``put((codec, frame))`` in
    the event loop for every reassembled frame, ``put(None)`` at the end): decodes right there
    and queues the frames on the receiver's track, with no thread in between."""

    def __init__(self) -> None:
        self.output: asyncio.Queue | None = None  # the track's queue, given when the receiver starts
        self._codec_name: str | None = None
        self._decoder = None
        self.sink = None  # set by deliver_audio_directly: frames go there, not to the track's queue
        self.failures = 0

    def put(self, task) -> None:
        if self.output is None:
            return
        if task is None:
            self.output.put_nowait(None)  # ends the track, as aiortc's decoder thread does
            return
        codec, encoded_frame = task
        if codec.name != self._codec_name:
            self._decoder, self._codec_name = aiortc_receiver.get_decoder(codec), codec.name
        try:
            frames = self._decoder.decode(encoded_frame)
        except Exception as exc:  # noqa: BLE001 - one bad packet must not end the stream
            self.failures += 1
            logger.warning("audio decode failed: %s", exc)
            return
        for frame in frames:
            if self.sink is None:
                self.output.put_nowait(frame)
                continue
            try:
                self.sink(frame)
            except Exception:  # noqa: BLE001 - a bad frame ends nothing
                self.failures += 1
                logger.exception("audio sink failed")


def deliver_audio_directly(pc, track, sink) -> bool:
    """Hand the remote audio ``track``'s decoded frames to ``sink(frame)`` in the event loop as
    they are decoded, instead of queueing them for ``track.recv()`` (which costs a task wake-up
    per packet). False if its receiver does not decode inline (then read the track as usual)."""
    for receiver in pc.getReceivers():
        decoding = getattr(receiver, "_RTCRtpReceiver__decoder_queue", None)
        if receiver.track is track and isinstance(decoding, InlineAudioDecoding):
            decoding.sink = sink
            return True
    return False


def _decode_inline_for_audio() -> None:
    """Patch ``RTCRtpReceiver`` so audio receivers decode in the loop (see the module doc)."""
    receiver_class = aiortc_receiver.RTCRtpReceiver
    if getattr(receiver_class, "_tutti_inline_audio", False):
        return
    original_init, original_worker = receiver_class.__init__, aiortc_receiver.decoder_worker

    def __init__(self, kind, transport) -> None:
        original_init(self, kind, transport)
        if kind == "audio":
            self._RTCRtpReceiver__decoder_queue = InlineAudioDecoding()

    def decoder_worker(loop, input_q, output_q, decode_error) -> None:
        if isinstance(input_q, InlineAudioDecoding):
            input_q.output = output_q  # nothing to do in a thread: the loop decodes
            return
        original_worker(loop, input_q, output_q, decode_error)

    receiver_class.__init__ = __init__
    aiortc_receiver.decoder_worker = decoder_worker
    receiver_class._tutti_inline_audio = True


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

    def jitter_buffer(capacity: int, prefetch: int = 0, is_video: bool = False):
        if is_video:
            return JitterBuffer(capacity, prefetch, is_video)
        return AudioJitterBuffer(capacity, reorder_wait=jitter_frames - 1)

    def decoder(codec):
        if codec.mimeType.lower() == "audio/opus":
            return ConcealingOpusDecoder()
        return get_decoder(codec)

    for module, name in ((aiortc.codecs, "OpusEncoder"), (aiortc_receiver, "JitterBuffer"),
                         (aiortc_receiver, "get_decoder"), (aiortc_receiver, "decoder_worker")):
        if not hasattr(module, name):
            raise RuntimeError(f"aiortc layout changed: {module.__name__}.{name} is gone")
    aiortc.codecs.OpusEncoder = LowDelayOpusEncoder
    aiortc_receiver.JitterBuffer = jitter_buffer
    aiortc_receiver.get_decoder = decoder
    _decode_inline_for_audio()
    _active = settings
    logger.info("aiortc: Opus %d ms frames (lowdelay), audio jitter buffer waiting up to %d "
                "packet(s) at a gap, Opus PLC", frame_ms, jitter_frames - 1)
    return settings


def active() -> LowLatency | None:
    """The settings applied in this process, if any."""
    return _active
