"""The node's HTTP side (aiohttp): SIWE nonces, joins (SDP offer -> answer), stats, web client.

Endpoints (JSON; every refusal is ``{"error": reason}`` with a 4xx/5xx status):

* ``GET  /api/room``                   what this node serves (room, chain, domain, limits, HRTFs)
* ``GET  /api/rooms/{room}/nonce``     a single-use SIWE nonce
* ``POST /api/rooms/{room}/join``      ``{message, signature, sdp, type}`` -> ``{id, sdp, type}``
* ``GET  /api/stats``                  mixer cost, participants, sessions ended and why
* ``GET  /healthz``                    liveness
* ``GET  /``                           the browser client (``web/``)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from aiohttp import web
from aiortc import RTCSessionDescription

from .auth import SignInError, SignInVerifier
from .lowlatency import LowLatency
from .room import JoinRefused, Room
from .stages import HOLDS, LoopLag, quantiles

logger = logging.getLogger(__name__)

# The checkout's web/, or the copy an installed wheel ships (tools/package_data.py).
WEB_DIR = next((d for d in (Path(__file__).resolve().parent.parent / "web", Path(__file__).resolve().parent / "web")
                if d.is_dir()), Path(__file__).resolve().parent / "web")
MAX_BODY_BYTES = 64 * 1024  # an SDP offer is a few KiB


@dataclass(frozen=True)
class NodeLimits:
    max_participants: int = 8
    max_pending_joins: int = 4  # pass holders' handshakes at once (each costs DTLS/ICE setup)
    max_pending_sign_ins: int = 256  # signed messages waiting for the sign-in worker
    # Pass lookups (an eth_call each: web3's request building and ABI decoding run on the loop):
    # this many at once, this many more waiting, the rest refused. A flood of signed sign-ins by
    # accounts without passes then costs the audio loop a bounded share at any moment.
    pass_checks_at_once: int = 4
    max_waiting_pass_checks: int = 128
    join_burst: int = 10  # per signed-in account: this many joins at once ...
    join_rate: float = 1.0  # ... then this many per second
    # Per client IP. Generous: a nonce costs microseconds, and musicians behind one NAT (or on
    # the flooder's host) must still get theirs; each nonce buys one sign-in attempt at most.
    nonce_burst: int = 300
    nonce_rate: float = 50.0


class RateLimiter:
    """Token bucket per key (a client IP for nonces, a signed-in account for joins)."""

    def __init__(self, burst: int, rate: float, max_clients: int = 10_000) -> None:
        self.burst, self.rate, self.max_clients = burst, rate, max_clients
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        tokens, stamp = self._buckets.get(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - stamp) * self.rate)
        if len(self._buckets) >= self.max_clients and client not in self._buckets:
            self._buckets.clear()  # crude but bounded: a spray of addresses cannot grow memory
        if tokens < 1.0:
            self._buckets[client] = (tokens, now)
            return False
        self._buckets[client] = (tokens - 1.0, now)
        return True


class BoundedWork:
    """At most ``at_once`` holders of a slot, at most ``max_waiting`` waiting for one; beyond that
    :meth:`slot` refuses at once (429) instead of queueing without end."""

    def __init__(self, at_once: int, max_waiting: int, what: str) -> None:
        self.at_once, self.max_waiting, self.what = at_once, max_waiting, what
        self.running = 0
        self.waiting = 0
        self._free = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def slot(self):
        if self.running >= self.at_once and self.waiting >= self.max_waiting:
            raise JoinRefused(429, f"too many {self.what} in progress; retry in a moment")
        self.waiting += 1
        try:
            async with self._free:
                await self._free.wait_for(lambda: self.running < self.at_once)
                self.running += 1
        finally:
            self.waiting -= 1
        try:
            yield
        finally:
            self.running -= 1
            async with self._free:
                self._free.notify(1)


def refuse(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


class MediaNode:
    """Wires SIWE, the room and the HTTP routes together; one room per node process."""

    def __init__(self, room: Room, verifier: SignInVerifier, latency: LowLatency,
                 limits: NodeLimits = NodeLimits(), origin: str | None = None,
                 pass_url: str | None = None) -> None:
        self.room = room
        self.verifier = verifier
        self.latency = latency
        self.limits = limits
        self.origin = origin or f"http://{verifier.domain}"
        self.pass_url = pass_url  # where a refused musician can get a pass (the web app's room page)
        self.join_limiter = RateLimiter(limits.join_burst, limits.join_rate)
        self.nonce_limiter = RateLimiter(limits.nonce_burst, limits.nonce_rate)
        self.pending_joins = 0
        self.pending_sign_ins = 0
        self.refusals: dict[int, int] = {}
        self.loop_lag = LoopLag()
        self.pass_checks = BoundedWork(limits.pass_checks_at_once, limits.max_waiting_pass_checks,
                                       "pass checks")

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[self._errors])
        app.router.add_get("/healthz", self.health)
        app.router.add_get("/api/room", self.room_info)
        app.router.add_get("/api/stats", self.stats)
        app.router.add_get("/api/rooms/{room}/nonce", self.nonce)
        app.router.add_post("/api/rooms/{room}/join", self.join)
        app.router.add_get("/", self.index)
        if WEB_DIR.is_dir():
            app.router.add_static("/web/", WEB_DIR, show_index=False)
        app.on_startup.append(self._startup)
        app.on_shutdown.append(self._shutdown)
        return app

    async def _startup(self, app: web.Application) -> None:
        await self.verifier.warm_up()
        self.room.start()
        self.loop_lag.start()

    async def _shutdown(self, app: web.Application) -> None:
        await self.loop_lag.stop()
        await self.room.close()
        self.verifier.close()

    @web.middleware
    async def _errors(self, request: web.Request, handler):
        """Turn every failure into a JSON refusal; nothing a client sends may stop the node."""
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            response = refuse(exc.status, exc.reason)
        except Exception:  # noqa: BLE001
            logger.exception("unhandled error on %s %s", request.method, request.path)
            response = refuse(500, "internal error (logged on the node)")
        if response.status >= 400:
            self.refusals[response.status] = self.refusals.get(response.status, 0) + 1
        return response

    def _room_or_404(self, request: web.Request) -> web.Response | None:
        raw = request.match_info["room"]
        if not raw.isdigit() or int(raw) != self.room.room_id:
            return refuse(404, f"unknown room {raw!r}: this node serves room {self.room.room_id}")
        return None

    # ------------------------------------------------------------------ handlers
    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def index(self, request: web.Request) -> web.StreamResponse:
        index = WEB_DIR / "index.html"
        if not index.exists():
            return refuse(404, "the browser client (web/) is not installed next to this node")
        return web.FileResponse(index)

    async def room_info(self, request: web.Request) -> web.Response:
        return web.json_response({
            "room": self.room.room_id, "chainId": self.verifier.chain_id,
            "domain": self.verifier.domain, "uri": self.origin,
            "maxParticipants": self.room.max_participants,
            "participants": len(self.room.participants),
            "hrtfs": self.room.mixer.hrtfs.names, "latency": asdict(self.latency),
            "passUrl": self.pass_url, "ice": self.room.ice.for_browser(),
        })

    async def stats(self, request: web.Request) -> web.Response:
        mixer = self.room.mixer
        return web.json_response({
            **self.room.describe(), "mixer": mixer.stats.summary(),
            "block_size": mixer.block_size, "latency": asdict(self.latency),
            "inputs": {sid: {"queued": b.queued, "underruns": b.underruns,
                             "dropped_samples": b.dropped_samples, "level_dbfs": round(b.level_dbfs, 1)}
                       for sid, b in mixer.inputs.items()},
            "sessions_ended": self.room.sessions_ended,
            "refusals": {str(k): v for k, v in sorted(self.refusals.items())},
            "outstanding_nonces": len(self.verifier.nonces),
            "stages": HOLDS.summary(),
            "jitter_per_sender": {sid: quantiles(holds.jitter) for sid, holds in self.room.sender_holds.items()},
            "loop_lag": self.loop_lag.describe(request.query.get("since")),
        })

    async def nonce(self, request: web.Request) -> web.Response:
        if (missing := self._room_or_404(request)) is not None:
            return missing
        if not self.nonce_limiter.allow(request.remote or "?"):
            return refuse(429, "too many nonce requests; slow down")
        return web.json_response({"nonce": self.verifier.nonces.issue(),
                                  "domain": self.verifier.domain, "uri": self.origin,
                                  "chainId": self.verifier.chain_id,
                                  "expiresIn": self.verifier.nonces.ttl})

    async def pass_holder_signed_in(self, body: dict):
        """The account that signed ``body``'s SIWE message, once it holds a valid pass; raises
        :class:`JoinRefused` (429 too many sign-ins or attempts, 401 bad sign-in, 403 no pass).
        Musicians' joins and listeners' tickets both pass through here."""
        if self.pending_sign_ins >= self.limits.max_pending_sign_ins:
            raise JoinRefused(429, "too many sign-ins in progress; retry in a moment")
        self.pending_sign_ins += 1
        try:
            signed_in = await self.verifier.verify(body.get("message"), body.get("signature"))
        except SignInError as exc:
            raise JoinRefused(401, exc.reason) from None
        finally:
            self.pending_sign_ins -= 1
        if not self.join_limiter.allow(signed_in.address):
            raise JoinRefused(429, f"too many attempts by {signed_in.address}; retry in a few seconds")
        async with self.pass_checks.slot():
            await self.room.check_pass(signed_in.address)
        return signed_in

    async def join(self, request: web.Request) -> web.Response:
        """Cheapest refusal first: room, body, nonce (in the verifier), signature (worker process),
        account rate, pass (eth_call); only a pass holder takes a handshake slot."""
        if (missing := self._room_or_404(request)) is not None:
            return missing
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
            return refuse(400, "the join request body must be JSON")
        if not isinstance(body, dict):
            return refuse(400, "the join request body must be a JSON object")
        sdp, kind = body.get("sdp"), body.get("type")
        if not isinstance(sdp, str) or not sdp.strip() or kind != "offer":
            return refuse(400, "a join needs an SDP offer: {\"sdp\": \"v=0...\", \"type\": \"offer\"}")
        try:
            signed_in = await self.pass_holder_signed_in(body)
        except JoinRefused as exc:
            return refuse(exc.status, exc.reason)
        if self.pending_joins >= self.limits.max_pending_joins:
            return refuse(429, "too many joins in progress; retry in a moment")
        self.pending_joins += 1
        try:
            participant_id, answer = await asyncio.wait_for(
                self.room.join(signed_in.address, RTCSessionDescription(sdp=sdp, type="offer")), 20)
        except JoinRefused as exc:
            return refuse(exc.status, exc.reason)
        except asyncio.TimeoutError:
            return refuse(504, "negotiation timed out")
        finally:
            self.pending_joins -= 1
        return web.json_response({"id": participant_id, "address": signed_in.address,
                                  "sdp": answer.sdp, "type": answer.type})
