"""The receive jitter buffer and decoder the node and its clients run (after configure_aiortc),
fed real Opus packets: one lost packet must not leave the stream behind."""

from __future__ import annotations

import aiortc.rtcrtpreceiver as aiortc_receiver
import numpy as np
from aiortc import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket
from av import AudioFrame, CodecContext

from media.lowlatency import configure_aiortc

FRAME = 480  # 10 ms at 48 kHz
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111)


def opus_packets(signal: np.ndarray) -> list[RtpPacket]:
    """``signal`` (mono float) as 10 ms lowdelay Opus RTP packets, as the node's encoder makes them."""
    encoder = CodecContext.create("libopus", "w")
    encoder.bit_rate, encoder.format, encoder.layout, encoder.sample_rate = 96000, "s16", "stereo", 48000
    encoder.options = {"application": "lowdelay", "frame_duration": "10"}
    payloads = []
    for start in range(0, len(signal) - FRAME + 1, FRAME):
        pcm = (np.repeat(signal[start:start + FRAME, None], 2, axis=1) * 32767).astype(np.int16)
        frame = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="stereo")
        frame.sample_rate, frame.pts = 48000, start
        payloads += [bytes(p) for p in encoder.encode(frame)]
    packets = []
    for index, payload in enumerate(payloads):
        packet = RtpPacket(payload_type=111, sequence_number=(65500 + index) & 0xFFFF,  # wraps
                           timestamp=(2**32 - 10 * FRAME + index * FRAME) % 2**32, payload=payload)
        packet._data = payload  # what aiortc's receiver sets after depayloading
        packets.append(packet)
    return packets


def receive(packets: list[RtpPacket]) -> tuple[list[int], np.ndarray]:
    """Feed ``packets`` in order through the configured buffer and decoder, as aiortc's receiver
    does; returns the frames still owed after each packet and the decoded audio (left channel)."""
    buffer = aiortc_receiver.JitterBuffer(capacity=16, prefetch=4)  # aiortc's own call for audio
    decoder = aiortc_receiver.get_decoder(OPUS)
    owed, audio, sent = [], [], 0
    for packet in packets:
        sent += FRAME
        _, encoded = buffer.add(packet)
        if encoded is not None:
            for frame in decoder.decode(encoded):
                audio.append(frame.to_ndarray().reshape(-1, 2)[:, 0] / 32768)
        decoded = sum(len(a) for a in audio)
        owed.append((sent - decoded) // FRAME)
    return owed, np.concatenate(audio)


def test_one_lost_packet_does_not_leave_the_stream_behind():
    configure_aiortc(10, 1)
    n = 300
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(n * FRAME) / 48000)).astype(np.float32)
    packets = opus_packets(tone)
    lost = 100
    owed, audio = receive(packets[:lost] + packets[lost + 1:])
    # Before the loss the stream is current; after it, back to current at the next packet and
    # for good (aiortc's buffer stayed ~14 frames behind from here on).
    assert max(owed[:lost]) <= 1, owed[:lost]
    assert max(owed[lost + 1:]) <= 1, owed[lost:lost + 20]
    # The lost slot was concealed: the timeline keeps its length, and the tone goes on in phase.
    assert abs(len(audio) - len(packets) * FRAME) <= FRAME
    delay = 120  # lowdelay Opus: 2.5 ms algorithmic delay at 48 kHz
    tail = slice((lost + 5) * FRAME, (n - 5) * FRAME)
    err = audio[tail] - tone[tail.start - delay:tail.stop - delay]
    assert np.sqrt(np.mean(err ** 2)) < 0.05 * np.sqrt(np.mean(tone[tail] ** 2)), "out of step after the loss"


def test_reordered_packets_are_waited_for_after_the_first_surprise():
    configure_aiortc(10, 1)
    packets = opus_packets(np.random.default_rng(3).uniform(-0.3, 0.3, 200 * FRAME).astype(np.float32))
    order = list(range(200))
    for swap in (50, 120):  # two pairs arrive swapped
        order[swap], order[swap + 1] = order[swap + 1], order[swap]
    buffer = aiortc_receiver.JitterBuffer(capacity=16, prefetch=4)
    for index in order:
        buffer.add(packets[index])
    # The first swap costs one concealed frame (its packet came late) and raises the wait; the
    # second is then reordered without loss. Nothing stays held.
    assert (buffer.lost, buffer.late, buffer.reorder_wait) == (1, 1, 1)
    assert buffer.held == 0 or buffer.held <= buffer.reorder_wait
