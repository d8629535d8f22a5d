"""A Python audience client (aiortc): sign in at the node, then hear the room through Janus.

1. SIWE at the node (``POST /api/rooms/{room}/listen``): the node checks the pass and answers
   with a ticket: Janus' URL, a token of this listener's own, a Janus session made with it, the
   room's mountpoint and pin.
2. At Janus: attach the streaming plugin, ``watch`` the mountpoint (Janus sends the SDP offer as
   an event), answer with aiortc, ``start``; keep the session alive; record what arrives.

The stream ends when Janus hangs up (the node removed the token and destroyed the session: pass
revoked or expired), the session is gone, or ``seconds`` have passed.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import numpy as np
from aiortc import RTCPeerConnection, RTCSessionDescription

from .client import JoinError, Session, receive_stereo, sign_in_payload
from .ice import IceSettings
from .janus import JanusClient, JanusError

logger = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 10.0


async def get_ticket(http: aiohttp.ClientSession, node_url: str, room: int, key: str) -> dict:
    """Sign in at the node as a listener; :class:`JoinError` carries a refusal's status and reason."""
    payload = await sign_in_payload(http, node_url, room, key)
    async with http.post(f"{node_url}/api/rooms/{room}/listen", json=payload) as response:
        body = await response.json(content_type=None)
        if response.status != 200:
            raise JoinError(response.status, (body or {}).get("error", "?"))
    return body


async def listen(node_url: str, room: int, key: str, seconds: float, *, ice: IceSettings | None = None,
                 ticket: dict | None = None, on_audio=None, keep_audio: bool = True) -> Session:
    """Listen to room ``room`` for ``seconds`` (or until the stream is taken away); ``keep_audio``
    False keeps only the frames' timing (many listeners in one process, e.g. a benchmark)."""
    session = Session()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=45)) as http:
        ticket = ticket or await get_ticket(http, node_url.rstrip("/"), room, key)
        session.id, session.address = ticket["id"], ticket["address"]
        janus = JanusClient(ticket["janus"], token=ticket["token"], http=http)
        await _watch(janus, ticket, session, seconds, ice, on_audio, keep_audio)
    return session


async def _watch(janus: JanusClient, ticket: dict, session: Session, seconds: float,
                 ice: IceSettings | None, on_audio, keep_audio: bool) -> None:
    janus_session = int(ticket["session"])
    pc = RTCPeerConnection(ice.configuration() if ice else None)
    done = asyncio.Event()
    tasks: list[asyncio.Task] = []
    closing = False  # our own close at the end is no reason the stream ended

    def finish(reason: str) -> None:
        if session.ended is None and not closing:
            session.ended = reason
        done.set()

    def recorder():
        first = 0

        def record(stereo: np.ndarray, arrived_at: float) -> None:
            nonlocal first
            session.received_at.append((first, arrived_at))
            if keep_audio:
                session.chunks.append(stereo)
            first += len(stereo)
            if on_audio is not None:
                on_audio(stereo)
        return record

    @pc.on("track")
    def on_track(track) -> None:
        if track.kind == "audio":
            tasks.append(asyncio.ensure_future(receive_stereo(track, recorder())))

    @pc.on("connectionstatechange")
    async def on_state() -> None:
        if pc.connectionState in ("failed", "closed"):
            finish(f"connection {pc.connectionState}")

    try:
        handle = await janus.attach(janus_session)
        await janus.message(janus_session, handle, {"request": "watch", "id": ticket["mountpoint"],
                                                    "pin": ticket["pin"], "offer_audio": True})
        offer = await asyncio.wait_for(_offer(janus, janus_session), 30)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type=offer["type"]))
        await pc.setLocalDescription(await pc.createAnswer())
        await janus.message(janus_session, handle, {"request": "start"},
                            jsep={"type": "answer", "sdp": pc.localDescription.sdp})
        tasks.append(asyncio.ensure_future(_follow(janus, janus_session, finish)))
        tasks.append(asyncio.ensure_future(_keepalive(janus, janus_session)))
        try:
            await asyncio.wait_for(done.wait(), seconds)
        except asyncio.TimeoutError:
            pass
    except JanusError as exc:
        raise JoinError(502, str(exc)) from None
    except asyncio.TimeoutError:
        raise JoinError(504, "Janus sent no offer within 30 s") from None
    finally:
        closing = True
        for task in tasks:
            task.cancel()
        await pc.close()
        if session.ended is None:  # we left: free our Janus session (the node's sweep would, later)
            try:
                await janus.destroy(janus_session)
            except JanusError:
                pass


async def _offer(janus: JanusClient, janus_session: int) -> dict:
    """Janus answers ``watch`` with an event carrying its SDP offer."""
    while True:
        for event in await janus.events(janus_session):
            data = event.get("plugindata", {}).get("data", {})
            if "error" in data:
                raise JoinError(502, f"Janus refused to stream: {data['error']}")
            if event.get("jsep"):
                return event["jsep"]


async def _follow(janus: JanusClient, janus_session: int, finish) -> None:
    """Janus' events: a hangup or a vanished session ends the stream."""
    while True:
        try:
            events = await janus.events(janus_session)
        except JanusError as exc:
            finish(f"Janus session gone ({exc})")
            return
        for event in events:
            kind = event.get("janus")
            if kind in ("hangup", "detached", "timeout"):
                finish(f"Janus {kind}: {event.get('reason', '')}".strip())
                return


async def _keepalive(janus: JanusClient, janus_session: int) -> None:
    while True:
        await asyncio.sleep(KEEPALIVE_SECONDS)
        try:
            await janus.keepalive(janus_session)
        except JanusError:
            return
