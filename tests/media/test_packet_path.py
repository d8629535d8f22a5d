"""The node's per-packet path without thread hand-offs: the mixer encodes each personal mix to an
Opus packet itself (aiortc only packs it into RTP), and audio receivers decode in the event loop."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest
from aiortc import RTCPeerConnection
from aiortc.jitterbuffer import JitterFrame
from av import Packet

from media.client import SignalTrack
from media.jitter import ConcealingOpusDecoder
from media.lowlatency import InlineAudioDecoding, configure_aiortc, deliver_audio_directly
from media.mixer import HrtfLibrary, RoomMixer
from media.opusenc import OpusPacketEncoder

FRAME = 480


def tone(seconds: float, hz: float = 440.0) -> np.ndarray:
    return (0.3 * np.sin(2 * np.pi * hz * np.arange(int(48000 * seconds)) / 48000)).astype(np.float32)


def test_mixes_leave_the_mixer_as_opus_packets_that_decode_to_the_mix():
    mixer = RoomMixer(FRAME, HrtfLibrary())
    for sid in ("a", "b"):
        mixer.add_input(sid)
    mix = mixer.add_listener("b")
    signal = tone(0.2)
    packets = []
    for start in range(0, len(signal), FRAME):
        mixer.inputs["a"].write(signal[start:start + FRAME])
        mixer.tick()
        packets.append(mix.track._frames.get_nowait())  # what aiortc's sender would take
    assert all(isinstance(p, Packet) for p in packets)
    assert [p.pts for p in packets] == list(range(0, len(signal), FRAME))
    decoder = ConcealingOpusDecoder()
    heard = np.concatenate([decoder.decode(JitterFrame(bytes(p), p.pts))[0].to_ndarray().reshape(-1, 2)
                            for p in packets]) / 32768.0
    assert heard.shape == (len(signal), 2)
    assert np.sqrt(np.mean(heard[FRAME * 4:] ** 2)) > 0.02  # a's tone, rendered and through Opus


def test_encoder_round_trip_keeps_the_level_and_refuses_bad_blocks():
    encoder, decoder = OpusPacketEncoder(FRAME), ConcealingOpusDecoder()
    signal = np.repeat(tone(0.5)[:, None], 2, axis=1)
    out = [decoder.decode(JitterFrame(bytes(encoder.encode(signal[i:i + FRAME], i)), i))[0].to_ndarray()
           for i in range(0, len(signal), FRAME)]
    heard = np.concatenate(out).reshape(-1, 2) / 32768.0
    assert abs(np.sqrt(np.mean(heard[4800:] ** 2)) - np.sqrt(np.mean(signal ** 2))) < 0.02
    for bad in (np.zeros((FRAME, 1), np.float32), np.zeros((100, 2), np.float32)):
        try:
            encoder.encode(bad, 0)
        except ValueError:
            continue
        raise AssertionError(f"a {bad.shape} block was encoded")


@pytest.mark.parametrize("direct", [False, True], ids=["track.recv", "deliver_audio_directly"])
def test_audio_receivers_decode_in_the_event_loop_without_a_decoder_thread(direct):
    """Read through the track as any aiortc app does, or handed straight to a sink (the node's
    path into the mixer)."""
    configure_aiortc(10, 1)

    async def session() -> tuple[int, list, list[str]]:
        sender, receiver = RTCPeerConnection(), RTCPeerConnection()
        sender.addTrack(SignalTrack(tone(2.0), FRAME))
        frames: list = []

        async def record(track) -> None:
            while True:
                frames.append(await track.recv())

        tasks, delivered = [], []

        @receiver.on("track")
        def on_track(track) -> None:
            if direct:
                delivered.append(deliver_audio_directly(receiver, track, frames.append))
            else:
                tasks.append(asyncio.ensure_future(record(track)))

        await sender.setLocalDescription(await sender.createOffer())
        await receiver.setRemoteDescription(sender.localDescription)
        await receiver.setLocalDescription(await receiver.createAnswer())
        await sender.setRemoteDescription(receiver.localDescription)
        await asyncio.sleep(1.5)
        queues = [t.receiver._RTCRtpReceiver__decoder_queue for t in receiver.getTransceivers()]
        threads = [t.name for t in threading.enumerate() if t.is_alive()]
        for task in tasks:
            task.cancel()
        await sender.close()
        await receiver.close()
        assert delivered == ([True] if direct else [])
        return len(frames), queues, threads

    received, queues, threads = asyncio.run(session())
    assert received > 50  # ~100 frames/s once connected
    assert all(isinstance(q, InlineAudioDecoding) for q in queues)
    assert "audio-decoder" not in threads
