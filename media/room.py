"""A room's sessions: join (pass checked), per-participant control channel, pass monitoring.

Follows aiortc's examples/server/server.py: every open peer connection is kept (here in
:attr:`Room.participants`) and all are closed together on shutdown.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from dataclasses import dataclass, field

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from .ice import IceSettings
from .lowlatency import deliver_audio_directly
from .mixer import RoomMixer, frame_to_mono
from .passes import PassCheckError, PassChecker, RecheckClock, recheck_holders
from .stages import HOLDS, SenderHolds, now

logger = logging.getLogger(__name__)

STATE_INTERVAL = 0.25  # s between "who is playing" updates on each control channel
MAX_CONTROL_MESSAGE = 1024


class JoinRefused(Exception):
    """A join the node refuses; ``status`` is the HTTP status, ``reason`` is shown to the client."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass
class Participant:
    id: str
    address: str
    pc: RTCPeerConnection
    joined_at: float = field(default_factory=time.time)
    channel: object | None = None  # RTCDataChannel once the client opens it
    tasks: list[asyncio.Task] = field(default_factory=list)
    sends_audio: bool = False
    pass_check_failures: int = 0
    ended: str | None = None


class Room:
    """One room (one AccessPass id) served by this node process."""

    def __init__(self, room_id: int, passes: PassChecker, mixer: RoomMixer, *,
                 max_participants: int = 8, pass_check_seconds: float = 15.0,
                 pass_check_grace: int = 4, block_poll_seconds: float = 0.5,
                 ice: IceSettings | None = None) -> None:
        self.room_id = room_id
        self.passes = passes
        self.mixer = mixer
        self.max_participants = max_participants
        self.pass_check_seconds = pass_check_seconds
        self.pass_check_grace = pass_check_grace
        self.block_poll_seconds = block_poll_seconds
        self.ice = ice or IceSettings()
        self.valid_until: int | None = None  # the room's passes all expire then (unix time)
        self.participants: dict[str, Participant] = {}
        self._monitor: asyncio.Task | None = None
        self._state_task: asyncio.Task | None = None
        self.sessions_ended: dict[str, str] = {}  # id -> reason, for operators and tests
        self.sender_holds: dict[str, SenderHolds] = {}  # id -> its jitter buffer's hold times

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self.mixer.start()
        self._monitor = asyncio.ensure_future(self._monitor_passes())
        self._state_task = asyncio.ensure_future(self._broadcast_state())

    async def close(self) -> None:
        for task in (self._monitor, self._state_task):
            if task is not None:
                task.cancel()
        await asyncio.gather(*(self.end(pid, "the node is shutting down")
                               for pid in list(self.participants)), return_exceptions=True)
        await self.mixer.stop()

    # ------------------------------------------------------------------ join / leave
    async def check_pass(self, address: str) -> None:
        try:
            valid = await self.passes.has_valid_pass(self.room_id, address)
        except PassCheckError as exc:
            logger.warning("pass check failed: %s", exc)
            raise JoinRefused(503, "cannot check the access pass on chain right now; retry") from exc
        if not valid:
            raise JoinRefused(403, f"{address} holds no valid access pass for room {self.room_id}")

    async def join(self, address: str, offer: RTCSessionDescription) -> tuple[str, RTCSessionDescription]:
        """Admit ``address`` (signed in, pass checked by the caller) with its SDP offer;
        returns (id, answer)."""
        for pid, other in list(self.participants.items()):
            if other.address == address:  # a reconnect (e.g. a page reload) replaces the old one
                await self.end(pid, "replaced by a new sign-in of the same account")
        if len(self.participants) >= self.max_participants:
            raise JoinRefused(409, f"room {self.room_id} is full "
                                   f"({self.max_participants}/{self.max_participants} participants)")
        if "m=audio" not in offer.sdp:
            raise JoinRefused(400, "the SDP offer has no audio section (m=audio)")

        pc = RTCPeerConnection(self.ice.configuration())
        participant = Participant(secrets.token_hex(4), address, pc)
        self._wire(participant)  # before setRemoteDescription, which already fires "track"
        try:
            await pc.setRemoteDescription(offer)
        except Exception as exc:  # noqa: BLE001 - aiortc raises ValueError, KeyError, ...
            await self._discard(participant)
            raise JoinRefused(400, f"malformed SDP offer: {type(exc).__name__}: {str(exc)[:200]}") from exc
        if len(self.participants) >= self.max_participants:  # someone else got in meanwhile
            await self._discard(participant)
            raise JoinRefused(409, f"room {self.room_id} is full")
        self.participants[participant.id] = participant
        mix = self.mixer.add_listener(participant.id)
        try:
            for transceiver in pc.getTransceivers():
                if transceiver.kind == "audio":
                    # Our mix goes out on the client's audio m-line (sendrecv or recvonly offer).
                    pc.addTrack(mix.track)
                    break
            answer = await pc.createAnswer()
            await pc.setLocalDescription(answer)
            for sender in pc.getSenders():
                if sender.track is mix.track and sender.transport is not None:
                    mix.track.timer.wrap_transport(sender.transport)
        except Exception as exc:  # noqa: BLE001
            await self.end(participant.id, "negotiation failed")
            raise JoinRefused(400, f"cannot negotiate this offer: {type(exc).__name__}: "
                                   f"{str(exc)[:200]}") from exc
        logger.info("room %d: %s joined as %s (%d in the room)", self.room_id, address,
                    participant.id, len(self.participants))
        return participant.id, pc.localDescription

    def _wire(self, participant: Participant) -> None:
        pc = participant.pc

        @pc.on("track")
        def on_track(track) -> None:
            if track.kind == "audio" and not participant.sends_audio:
                participant.sends_audio = True
                self.mixer.add_input(participant.id)
                for receiver in pc.getReceivers():
                    # aiortc keeps the jitter buffer private; only its hold times are read
                    holds = getattr(getattr(receiver, "_RTCRtpReceiver__jitter_buffer", None), "holds", None)
                    if receiver.track is track and holds is not None:
                        self.sender_holds[participant.id] = holds
                        while len(self.sender_holds) > 64:  # kept after a session ends, for the stats
                            self.sender_holds.pop(next(iter(self.sender_holds)))
                pid = participant.id
                # Straight from the decoder into the mixer's input (no queue, no task per packet)
                if not deliver_audio_directly(pc, track, lambda frame: self._write_input(pid, frame)):
                    participant.tasks.append(asyncio.ensure_future(self._consume(track, pid)))

        @pc.on("datachannel")
        def on_datachannel(channel) -> None:
            participant.channel = channel
            self._send(participant, {"type": "welcome", "id": participant.id,
                                     "address": participant.address, "room": self.room_id,
                                     "hrtfs": self.mixer.hrtfs.names})

            @channel.on("message")
            def on_message(message) -> None:
                asyncio.ensure_future(self._control(participant, message))

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in ("failed", "closed") and participant.id in self.participants:
                await self.end(participant.id, f"connection {pc.connectionState}")

    async def _discard(self, participant: Participant) -> None:
        """Undo a join that never got in."""
        self.mixer.remove(participant.id)
        for task in participant.tasks:
            task.cancel()
        await participant.pc.close()

    def _write_input(self, participant_id: str, frame) -> None:
        if isinstance(frame.opaque, float):  # stamped at its jitter-buffer release
            HOLDS.add("decode", (now() - frame.opaque) * 1e3)
        self.mixer.write(participant_id, frame_to_mono(frame))

    async def _consume(self, track, participant_id: str) -> None:
        try:
            while True:
                self._write_input(participant_id, await track.recv())
        except MediaStreamError:
            pass
        except Exception:  # noqa: BLE001 - a bad stream ends this input only
            logger.exception("input stream failed")

    async def end(self, participant_id: str, reason: str) -> None:
        participant = self.participants.pop(participant_id, None)
        if participant is None:
            return
        participant.ended = reason
        self.sessions_ended[participant_id] = reason
        logger.info("room %d: session %s (%s) ended: %s", self.room_id, participant_id,
                    participant.address, reason)
        self._send(participant, {"type": "ended", "reason": reason})
        self.mixer.remove(participant_id)
        for task in participant.tasks:
            task.cancel()
        if participant.channel is not None:
            await asyncio.sleep(0.1)  # let the "ended" message leave before the transport closes
        await participant.pc.close()

    # ------------------------------------------------------------------ control channel
    def _send(self, participant: Participant, message: dict) -> None:
        channel = participant.channel
        if channel is not None and getattr(channel, "readyState", "") == "open":
            try:
                channel.send(json.dumps(message))
            except Exception:  # noqa: BLE001 - a closing channel is not an error of the room
                pass

    async def _control(self, participant: Participant, raw) -> None:
        """Apply one listener message; anything malformed gets an "error" reply, nothing more."""
        mix = self.mixer.listeners.get(participant.id)
        if mix is None:
            return
        try:
            if not isinstance(raw, str) or len(raw) > MAX_CONTROL_MESSAGE:
                raise ValueError(f"control messages are JSON text up to {MAX_CONTROL_MESSAGE} bytes")
            message = json.loads(raw)
            if not isinstance(message, dict):
                raise ValueError("a control message is a JSON object")
            kind = message.get("type")
            if kind == "place":
                source = message.get("id")
                if source not in self.participants or source == participant.id:
                    raise ValueError(f"no other participant {source!r} to place")
                mix.place(source, float(message["azimuth"]), float(message.get("distance", 1.5)))
            elif kind == "head":
                mix.turn_head(float(message.get("yaw", 0.0)), float(message.get("pitch", 0.0)))
            elif kind == "hrtf":
                name = message.get("name")
                if name not in self.mixer.hrtfs.choices:
                    raise ValueError(f"unknown HRTF {name!r}; choose one of {self.mixer.hrtfs.names}")
                mix.use_hrtf(name, await self.mixer.hrtfs.prepare(name))
                self._send(participant, {"type": "hrtf", "name": name})
            elif kind == "ping":
                self._send(participant, {"type": "pong", "t": message.get("t")})
            else:
                raise ValueError(f"unknown control message type {kind!r}")
        except (ValueError, TypeError, KeyError) as exc:
            self._send(participant, {"type": "error", "reason": str(exc)})

    async def _broadcast_state(self) -> None:
        while True:
            await asyncio.sleep(STATE_INTERVAL)
            for participant in list(self.participants.values()):
                mix = self.mixer.listeners.get(participant.id)
                if participant.channel is None or mix is None:
                    continue
                self._send(participant, {"type": "state", "participants": [
                    self._describe(other, mix) for other in self.participants.values()]})

    def _describe(self, other: Participant, mix) -> dict:
        buffer = self.mixer.inputs.get(other.id)
        level = round(buffer.level_dbfs, 1) if buffer is not None else -120.0
        placement = mix.placements.get(other.id)
        return {"id": other.id, "address": other.address, "you": other.id == mix.listener_id,
                "level": level, "playing": level > -45.0,
                "azimuth": placement.azimuth if placement else None,
                "distance": placement.distance if placement else None}

    # ------------------------------------------------------------------ pass monitoring
    async def _monitor_passes(self) -> None:
        """Re-check every participant's pass whenever a block is mined (a revocation, a transfer,
        a pass that expired at that block's time), at the latest every ``pass_check_seconds``, and
        end everyone when the room's validity ends (a timer: no block needed)."""
        room_valid_until = getattr(self.passes, "room_valid_until", None)
        if room_valid_until is not None:
            self.valid_until = await room_valid_until(self.room_id)
        clock = RecheckClock(self.passes, self.pass_check_seconds)
        while True:
            await asyncio.sleep(self.block_poll_seconds)
            if not self.participants:
                continue
            if self.valid_until is not None and time.time() >= self.valid_until:
                for pid in list(self.participants):
                    await self.end(pid, "access pass no longer valid (expired or revoked)")
                continue
            if await clock.due():
                await self.recheck_passes()

    async def recheck_passes(self) -> None:
        """Ask the chain again for every participant; end the sessions whose pass is gone."""
        await recheck_holders(self.passes, self.room_id, list(self.participants.values()),
                              self.pass_check_grace, self.end)

    def describe(self) -> dict:
        return {"room": self.room_id, "participants": len(self.participants),
                "max_participants": self.max_participants,
                "musicians": [{"id": p.id, "address": p.address, "sends_audio": p.sends_audio}
                              for p in self.participants.values()]}
