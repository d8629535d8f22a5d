"""A Python musician client (aiortc): sign in, join, play a signal, record the personal mix.

Used by ``tutti-media join``, the tests (each client in its own process) and bench/media.py.
"""

from __future__ import annotations

import asyncio
import fractions
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import numpy as np
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame
from eth_account import Account
from eth_account.messages import encode_defunct

from .auth import build_message
from .ice import IceSettings
from .mixer import SAMPLE_RATE, frame_to_mono
from .stages import HOLDS

logger = logging.getLogger(__name__)


class JoinError(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"HTTP {status}: {reason}")
        self.status, self.reason = status, reason


class SignalTrack(MediaStreamTrack):
    """Plays a mono float signal (looped) in real time, frame by frame, keeping pts/time_base.

    ``sent_at`` maps a frame's first sample index to the wall-clock time it was handed to aiortc
    (for latency measurements).
    """

    kind = "audio"

    def __init__(self, signal: np.ndarray, frame_samples: int = 480, gain: float = 0.5) -> None:
        super().__init__()
        self.signal = np.asarray(signal, dtype=np.float32)
        self.frame_samples = frame_samples
        self.gain = gain
        self._pts = 0
        self._start: float | None = None
        self.sent_at: list[tuple[int, float]] = []

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.perf_counter()
        else:
            wait = self._start + self._pts / SAMPLE_RATE - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
        n = self.frame_samples
        index = np.arange(self._pts, self._pts + n) % len(self.signal)
        pcm = np.clip(self.signal[index] * self.gain * 32767, -32768, 32767).astype(np.int16)
        frame = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self.sent_at.append((self._pts, time.perf_counter()))
        self._pts += n
        return frame


@dataclass
class Session:
    """What a client saw: its id, the mix it received (stereo float) and how the session ended."""

    id: str | None = None
    address: str | None = None
    chunks: list[np.ndarray] = field(default_factory=list)
    received_at: list[tuple[int, float]] = field(default_factory=list)  # (first sample, time)
    ended: str | None = None
    messages: list[dict] = field(default_factory=list)

    @property
    def audio(self) -> np.ndarray:
        return np.concatenate(self.chunks) if self.chunks else np.zeros((0, 2), np.float32)


async def sign_in_payload(http: aiohttp.ClientSession, base_url: str, room: int, key: str) -> dict:
    """Fetch a nonce and sign the SIWE message for it with ``key``."""
    async with http.get(f"{base_url}/api/rooms/{room}/nonce") as response:
        body = await response.json()
        if response.status != 200:
            raise JoinError(response.status, body.get("error", "?"))
    account = Account.from_key(key)
    message = build_message(domain=body["domain"], uri=body["uri"], address=account.address,
                            chain_id=body["chainId"], nonce=body["nonce"])
    signature = account.sign_message(encode_defunct(text=message)).signature.hex()
    return {"message": message, "signature": signature if signature.startswith("0x") else "0x" + signature}


async def receive_stereo(track, on_block, with_pts: bool = False) -> None:
    """Hand ``on_block(stereo, arrived_at)`` every frame of ``track`` as float32 stereo (a mono
    track doubled), timed on the monotonic clock as it arrives, until the track ends;
    ``with_pts``: ``on_block(stereo, arrived_at, pts)``, the frame's RTP timestamp (48 kHz)."""
    try:
        while True:
            frame = await track.recv()
            arrived_at = time.perf_counter()
            if isinstance(frame.opaque, float):  # stamped at its jitter-buffer release (media.stages)
                HOLDS.add("decode", (arrived_at - frame.opaque) * 1e3)
            data = frame.to_ndarray().reshape(-1, len(frame.layout.channels)).astype(np.float32) / 32768
            stereo = data if data.shape[1] == 2 else np.repeat(data, 2, axis=1)
            on_block(stereo, arrived_at, frame.pts) if with_pts else on_block(stereo, arrived_at)
    except MediaStreamError:
        pass


async def join(base_url: str, room: int, key: str, signal: np.ndarray | None, seconds: float,
               frame_samples: int = 480, payload: dict | None = None,
               on_open=None, ice: IceSettings | None = None, track: MediaStreamTrack | None = None,
               on_audio=None, keep_audio: bool = True, offer_hook=None, answer_hook=None,
               on_message=None) -> Session:
    """Join, play ``signal`` (None: listen only) and record the mix for ``seconds``
    (``ice``: STUN/TURN servers and relay-only, see :mod:`media.ice`).

    ``track`` sends that track instead of ``signal`` (the accompanist's live output); ``on_audio(chunk,
    arrived_at, pts)`` sees every received stereo block as it arrives, with its RTP timestamp;
    ``on_message(message)`` every control message from the node; ``keep_audio=False`` keeps no copy
    (a participant that stays for hours). ``offer_hook`` / ``answer_hook``: async functions given our
    SDP offer / the node's answer, returning the one to use, e.g.
    :func:`media.impairment.impair_candidates` for a lossy path."""
    session = Session()
    pc = RTCPeerConnection(ice.configuration() if ice else None)
    channel = pc.createDataChannel("control")
    sender_track = track if track is not None else SignalTrack(signal, frame_samples) if signal is not None else None
    if sender_track is not None:
        pc.addTrack(sender_track)
    else:
        pc.addTransceiver("audio", direction="recvonly")
    done = asyncio.Event()
    closing = False
    tasks: list[asyncio.Task] = []

    def recorder():
        first = 0

        def record(stereo: np.ndarray, arrived_at: float, pts: int) -> None:
            nonlocal first
            if on_audio is not None:
                on_audio(stereo, arrived_at, pts)
            if keep_audio:
                session.received_at.append((first, arrived_at))
                session.chunks.append(stereo)
            first += len(stereo)
        return record

    @pc.on("track")
    def on_track(track) -> None:
        if track.kind == "audio":
            tasks.append(asyncio.ensure_future(receive_stereo(track, recorder(), with_pts=True)))

    @channel.on("open")
    def on_open_channel() -> None:
        if on_open is not None:
            on_open(channel)

    @channel.on("message")
    def on_channel_message(raw) -> None:
        message = json.loads(raw)
        if on_message is not None:
            on_message(message)
        if message.get("type") != "state":
            session.messages.append(message)
        else:
            session.messages.append(message) if len(session.messages) < 200 else None
        if message.get("type") == "ended":
            session.ended = message.get("reason")
            done.set()

    @pc.on("connectionstatechange")
    async def on_state() -> None:
        if pc.connectionState in ("failed", "closed") and not closing:
            session.ended = session.ended or f"connection {pc.connectionState}"
            done.set()

    await pc.setLocalDescription(await pc.createOffer())
    try:
        async with aiohttp.ClientSession() as http:
            payload = payload or await sign_in_payload(http, base_url, room, key)
            offer = pc.localDescription.sdp if offer_hook is None else await offer_hook(pc.localDescription.sdp)
            async with http.post(f"{base_url}/api/rooms/{room}/join",
                                 json={**payload, "sdp": offer, "type": "offer"}) as response:
                body = await response.json()
                if response.status != 200:
                    raise JoinError(response.status, body.get("error", "?"))
        session.id, session.address = body["id"], body["address"]
        answer = body["sdp"] if answer_hook is None else await answer_hook(body["sdp"])
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type=body["type"]))
        try:
            await asyncio.wait_for(done.wait(), seconds)
        except asyncio.TimeoutError:
            pass
    finally:
        closing = True
        for task in tasks:
            task.cancel()
        await pc.close()
    if isinstance(sender_track, SignalTrack):
        session.sent_at = sender_track.sent_at  # type: ignore[attr-defined]
    return session


def load_signal(spec: str, seconds: float = 10.0) -> np.ndarray | None:
    """``none``, ``noise:<seed>`` (white noise), ``tone:<hz>`` or a .npy / .wav file path."""
    n = int(SAMPLE_RATE * seconds)
    if spec == "none":
        return None
    if spec.startswith("noise:"):
        return np.random.default_rng(int(spec[6:])).uniform(-1, 1, n).astype(np.float32)
    if spec.startswith("tone:"):
        return (np.sin(2 * np.pi * float(spec[5:]) * np.arange(n) / SAMPLE_RATE)).astype(np.float32)
    path = Path(spec)
    if path.suffix == ".npy":
        return np.load(path).astype(np.float32)
    import soundfile
    data, rate = soundfile.read(path, dtype="float32", always_2d=True)
    if rate != SAMPLE_RATE:
        raise ValueError(f"{path} is at {rate} Hz; the node runs at {SAMPLE_RATE} Hz")
    return data.mean(axis=1)


__all__ = ["JoinError", "Session", "SignalTrack", "join", "load_signal", "sign_in_payload",
           "frame_to_mono"]
