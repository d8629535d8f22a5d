"""Audiences: a room heard live by pass holders who do not play, through a Janus SFU.

The node renders one *listener mix* per room (an audience seat: binaural, or plain stereo panning)
with the room's mixer, encodes it to Opus and sends it as RTP to a Janus streaming mountpoint it
created (:class:`RtpOpusSender`, :class:`Audience`). Janus fans it out to any number of WebRTC
listeners; the node never carries their media.

Admission stays at the node: a listener signs in with SIWE (``POST /api/rooms/{room}/listen``),
the pass is checked on chain like a musician's, and the node hands Janus a fresh token for that
listener alone (Admin API ``add_token``, restricted to the streaming plugin) and creates the
listener's Janus session with it. The listener's client then talks to Janus directly (attach,
``watch`` with the mountpoint's pin, answer Janus' offer). At every new block the node re-checks
every listener's pass; a pass gone (revoked, expired, transferred) removes the token and destroys
the session (Admin API), which hangs up the listener's PeerConnection. Janus serves only this
node, so every session the node did not create for an admitted listener is destroyed as well
(a listener cannot keep a second session alive past its pass).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import numpy as np
from aiohttp import web
from aiortc import codecs as aiortc_codecs
from aiortc.rtp import RtpPacket
from av import AudioFrame

from .janus import JanusClient, JanusEndpoints, JanusError
from .mixer import ListenerMix, MixTrack, default_azimuth
from .passes import RecheckClock, recheck_holders
from .room import JoinRefused, Room
from .server import refuse

logger = logging.getLogger(__name__)

AUDIENCE_ID = "audience"  # the audience seat's id among the mixer's listeners (never a musician's)
OPUS_PT = 111
KEEPALIVE_SECONDS = 10.0


class StereoAudienceMix(ListenerMix):
    """The room as a plain stereo mix: each musician equal-power panned to their default seat
    (cheaper than HRTF rendering, and what loudspeakers want)."""

    def render(self, blocks: dict[str, np.ndarray], block_size: int, shared=None) -> np.ndarray:
        sources = [sid for sid in blocks if sid != self.listener_id]
        out = np.zeros((block_size, 2), dtype=np.float32)
        for index, sid in enumerate(sources):
            angle = (default_azimuth(index, len(sources)) + 90.0) / 180.0 * (np.pi / 2)
            out[:, 0] += np.cos(angle) * blocks[sid]
            out[:, 1] += np.sin(angle) * blocks[sid]
        return out


def add_audience_mix(room: Room, kind: str = "binaural") -> ListenerMix:
    """Register the audience seat with the room's mixer: it then renders every musician."""
    mixer = room.mixer
    if kind == "stereo":
        mix = StereoAudienceMix(AUDIENCE_ID, MixTrack(), mixer.hrtfs.prepare_now(mixer.hrtfs.DEFAULT))
        mixer.listeners[AUDIENCE_ID] = mix
        return mix
    if kind != "binaural":
        raise ValueError(f"audience mix must be 'binaural' or 'stereo', not {kind!r}")
    return mixer.add_listener(AUDIENCE_ID)


class RtpOpusSender:
    """Encodes a mix track to Opus (the node's frame length) and sends it as RTP over UDP."""

    def __init__(self, track: MixTrack, host: str, port: int) -> None:
        self.track, self.address = track, (host, port)
        self.encoder = aiortc_codecs.OpusEncoder()  # media.lowlatency's low-delay encoder once configured
        self.ssrc = random.getrandbits(32)
        self.sequence = random.getrandbits(16)
        self.timestamp_base = random.getrandbits(32)
        self.packets = 0
        self._transport: asyncio.DatagramTransport | None = None
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol,
                                                                 remote_addr=self.address)
        self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while True:
            frame = await self.track.recv()
            try:
                # the mixer's listeners come encoded (av.Packet); the stereo mix as frames
                payloads, timestamp = (self.encoder.encode(frame) if isinstance(frame, AudioFrame)
                                       else self.encoder.pack(frame))
                for payload in payloads:
                    packet = RtpPacket(payload_type=OPUS_PT, sequence_number=self.sequence,
                                       timestamp=(self.timestamp_base + timestamp) & 0xFFFFFFFF,
                                       ssrc=self.ssrc, payload=payload)
                    self._transport.sendto(packet.serialize())
                    self.sequence = (self.sequence + 1) & 0xFFFF
                    self.packets += 1
            except Exception:  # noqa: BLE001 - one bad frame must not end the audience's stream
                logger.exception("audience RTP frame failed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._transport is not None:
            self._transport.close()


@dataclass
class Listener:
    id: str
    address: str
    token: str
    session: int
    joined_at: float = field(default_factory=time.time)
    pass_check_failures: int = 0


class Audience:
    """A room's audience on one Janus instance: the mountpoint, the tokens, the pass re-checks."""

    def __init__(self, room: Room, janus: JanusEndpoints, *, mix: str = "binaural",
                 max_listeners: int = 500, block_poll_seconds: float = 0.5) -> None:
        self.room = room
        self.janus = janus
        self.mix_kind = mix
        self.max_listeners = max_listeners
        self.block_poll_seconds = block_poll_seconds
        self.listeners: dict[str, Listener] = {}
        self.ended: dict[str, str] = {}  # listener id -> why its stream ended
        self.swept = 0  # Janus sessions destroyed that no admitted listener owned
        self.mountpoint: int | None = None
        self.pin = secrets.token_hex(8)
        self.mountpoint_secret = secrets.token_hex(16)
        self._node_token = secrets.token_hex(16)
        self._admin = JanusClient(janus.url, admin_url=janus.admin_url, admin_secret=janus.admin_secret)
        self._api: JanusClient | None = None
        self._session: int | None = None
        self._sender: RtpOpusSender | None = None
        self._tasks: list[asyncio.Task] = []
        self._admitting = 0  # admissions between Janus' create and our record: no sweep meanwhile

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Create the room's mountpoint and start sending the audience mix to it."""
        await self._admin.add_token(self._node_token)
        self._api = JanusClient(self.janus.url, token=self._node_token, http=self._admin.http)
        self._session = await self._api.create_session()
        handle = await self._api.attach(self._session)
        reply = await self._api.message(self._session, handle, {
            "request": "create", "type": "rtp", "admin_key": self.janus.streaming_admin_key,
            "description": f"Tutti room {self.room.room_id}", "is_private": True,
            "secret": self.mountpoint_secret, "pin": self.pin, "permanent": False,
            "media": [{"type": "audio", "mid": "a", "port": 0, "pt": OPUS_PT, "codec": "opus",
                       "fmtp": "stereo=1;sprop-stereo=1"}]})
        stream = reply["plugindata"]["data"]["stream"]
        self.mountpoint = int(stream["id"])
        rtp_port = int(stream["ports"][0]["port"])
        mix = add_audience_mix(self.room, self.mix_kind)
        self._sender = RtpOpusSender(mix.track, urlsplit(self.janus.url).hostname or "127.0.0.1", rtp_port)
        await self._sender.start()
        self._tasks = [asyncio.ensure_future(self._monitor()), asyncio.ensure_future(self._keepalive())]
        logger.info("room %d: audience mountpoint %d on %s (RTP port %d, %s mix)", self.room.room_id,
                    self.mountpoint, self.janus.url, rtp_port, self.mix_kind)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for listener_id in list(self.listeners):
            await self.end(listener_id, "the node is shutting down")
        if self._sender is not None:
            await self._sender.stop()
        self.room.mixer.remove(AUDIENCE_ID)
        try:
            if self._session is not None:
                await self._api.destroy(self._session)
            await self._admin.remove_token(self._node_token)
        except JanusError as exc:
            logger.warning("audience teardown: %s", exc)
        await self._admin.close()

    async def _keepalive(self) -> None:
        while True:
            await asyncio.sleep(KEEPALIVE_SECONDS)
            try:
                await self._api.keepalive(self._session)
            except JanusError as exc:
                logger.warning("audience: Janus keepalive failed: %s", exc)

    # ------------------------------------------------------------------ admission
    async def admit(self, address: str) -> dict:
        """A signed-in pass holder (checked by the caller): a token and a Janus session of its own."""
        for lid, other in list(self.listeners.items()):
            if other.address == address:  # one stream per account: a new sign-in replaces the old
                await self.end(lid, "replaced by a new sign-in of the same account")
        if len(self.listeners) >= self.max_listeners:
            raise JoinRefused(409, f"room {self.room.room_id}'s audience is full ({self.max_listeners} listeners)")
        token = secrets.token_hex(16)
        self._admitting += 1
        try:
            await self._admin.add_token(token)
            session = await JanusClient(self.janus.url, token=token, http=self._admin.http).create_session()
        except JanusError as exc:
            logger.error("audience admission failed: %s", exc)
            raise JoinRefused(503, "the audience server (Janus) is not answering; retry") from exc
        finally:
            self._admitting -= 1
        listener = Listener(secrets.token_hex(4), address, token, session)
        self.listeners[listener.id] = listener
        logger.info("room %d: listener %s admitted as %s (%d listening)", self.room.room_id, address,
                    listener.id, len(self.listeners))
        return {"id": listener.id, "address": address, "janus": self.janus.listener_url, "token": token,
                "session": session, "mountpoint": self.mountpoint, "pin": self.pin}

    async def end(self, listener_id: str, reason: str) -> None:
        listener = self.listeners.pop(listener_id, None)
        if listener is None:
            return
        self.ended[listener_id] = reason
        logger.info("room %d: listener %s (%s) ended: %s", self.room.room_id, listener_id, listener.address, reason)
        for step in (self._admin.remove_token(listener.token), self._admin.destroy_session(listener.session)):
            try:
                await step
            except JanusError as exc:  # a session the listener already closed is not an error
                logger.debug("ending listener %s: %s", listener_id, exc)

    # ------------------------------------------------------------------ pass re-checks
    async def _monitor(self) -> None:
        """At every new block re-check every listener's pass (at the latest every
        ``room.pass_check_seconds``), end all at the room's end, and sweep stray Janus sessions."""
        clock = RecheckClock(self.room.passes, self.room.pass_check_seconds)
        while True:
            await asyncio.sleep(self.block_poll_seconds)
            try:
                await self._sweep()
                if not self.listeners:
                    continue
                valid_until = self.room.valid_until
                if valid_until is not None and time.time() >= valid_until:
                    for lid in list(self.listeners):
                        await self.end(lid, "access pass no longer valid (expired or revoked)")
                    continue
                if await clock.due():
                    await self.recheck_passes()
            except JanusError as exc:
                logger.warning("audience monitor: %s", exc)
            except Exception:  # noqa: BLE001 - the monitor must keep running
                logger.exception("audience monitor failed")

    async def recheck_passes(self) -> None:
        await recheck_holders(self.room.passes, self.room.room_id, list(self.listeners.values()),
                              self.room.pass_check_grace, self.end)

    async def _sweep(self) -> None:
        """Destroy every Janus session that is neither ours nor an admitted listener's."""
        if self._admitting:
            return
        sessions = await self._admin.list_sessions()
        if self._admitting:  # a session created while we listed may not be recorded yet
            return
        allowed = {self._session, *(listener.session for listener in self.listeners.values())}
        for session in sessions:
            if session not in allowed:
                self.swept += 1
                try:
                    await self._admin.destroy_session(session)
                except JanusError:
                    pass

    def describe(self) -> dict:
        return {"room": self.room.room_id, "janus": self.janus.listener_url, "mountpoint": self.mountpoint,
                "mix": self.mix_kind, "listeners": len(self.listeners), "max_listeners": self.max_listeners,
                "rtp_packets": self._sender.packets if self._sender else 0, "swept_sessions": self.swept,
                "ended": self.ended}


def mount_audience(app: web.Application, node, audience: Audience) -> None:
    """``POST /api/rooms/{room}/listen`` (SIWE + pass -> a Janus ticket) and ``GET /api/audience``."""

    async def listen(request: web.Request) -> web.Response:
        if (missing := node._room_or_404(request)) is not None:
            return missing
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
            return refuse(400, "the listen request body must be JSON")
        if not isinstance(body, dict):
            return refuse(400, "the listen request body must be a JSON object {message, signature}")
        try:
            signed_in = await node.pass_holder_signed_in(body)
            ticket = await audience.admit(signed_in.address)
        except JoinRefused as exc:
            return refuse(exc.status, exc.reason)
        return web.json_response(ticket)

    async def describe(request: web.Request) -> web.Response:
        return web.json_response(audience.describe())

    async def startup(app: web.Application) -> None:
        await audience.start()

    async def shutdown(app: web.Application) -> None:
        await audience.close()

    app.router.add_post("/api/rooms/{room}/listen", listen)
    app.router.add_get("/api/audience", describe)
    app.on_startup.append(startup)
    app.on_shutdown.insert(0, shutdown)
