"""Benchmark of the media node: added latency, capacity, a join flood, loss and jitter, mixing cost.

Run: ``python bench/media.py`` (repository root, project venv with the ``media`` extra); parts can
be chosen (``--parts latency,flood,loss,capacity,mixing``). Measured from outside, like a musician:

1. **Latency on loopback.** A musician sends silence with a distinct 2 ms noise click every 0.5 s;
   a listener records its personal mix. Each click is found by normalised cross-correlation in
   what the listener received (``media.clicks.correlated_delays_ms``); the delay is the found
   sample's delivery time minus the sent sample's hand-over time to WebRTC, one monotonic clock
   (both clients in this process). The node runs in its own process with a pass checker that
   admits everyone (no chain). The same clicks over a direct aiortc connection (no node, same
   settings), measured in the same run, are the baseline; the difference is the node's share.
   For 10 ms and 5 ms frames.
2. **Flood**: the same session while 200 offers arrive at once (100 junk signatures on real nonces,
   100 signed by accounts the node refuses for want of a pass): the listener's late frames and
   click delays during the flood against before it.
3. **Loss and jitter**: the same session with every packet between each client and the node through
   ``media.impairment.LossyUdpProxy`` (5 % loss, 0-20 ms delay, each way): clicks found, concealed
   frames, delays.
4. **Capacity**: 8, 16, 32 musicians, each sending and receiving a personal binaural mix; the
   node pinned to core 0, the client processes to core 1. Two measured musicians (live-encoded
   clicks, a decoded mix searched for them); the others send pre-encoded Opus and time their
   mixes' arrival without decoding (still real aiortc peers: ICE, DTLS, SRTP, RTCP). Per count
   the node's CPU (and per musician), late frames and delay growth at every client, the click
   delay in the first and last third, mixer ticks that ran late, and the node's cProfile.
5. **Mixing cost per frame**: one mixer tick (personal mixes of the N-1 others for N musicians,
   shared forward transforms against per-listener ones) plus one Opus decode and encode per musician.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from typing import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import fractions  # noqa: E402

import numpy as np  # noqa: E402
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack  # noqa: E402
from av import Packet  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# This file is called media.py: drop bench/ from the path so ``media`` is the package, not us.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from media.clicks import CLICK_SAMPLES, click_train, correlated_delays_ms, frame_lateness  # noqa: E402
from media.ice import ice_settings  # noqa: E402
from media.lowlatency import configure_aiortc  # noqa: E402
from media.stages import HOLDS, STAGE_ORDER  # noqa: E402
from tutti.net import free_port  # noqa: E402

SAMPLE_RATE = 48000


class AdmitEveryone:
    """Bench-only pass checker: admits everyone but the addresses in ``refused`` (the flooders),
    so the measurement does not depend on a chain."""

    def __init__(self, refused: set[str] | None = None) -> None:
        self.refused = refused or set()

    async def has_valid_pass(self, room_id: int, address: str) -> bool:
        return address.lower() not in self.refused


def summary(values: list[float]) -> dict:
    if not values:
        return {"clicks": 0}
    return {"median_ms": round(float(np.median(values)), 1), "p90_ms": round(float(np.percentile(values, 90)), 1),
            "p95_ms": round(float(np.percentile(values, 95)), 1), "max_ms": round(float(np.max(values)), 1),
            "clicks": len(values)}


def load_now() -> float:
    return round(os.getloadavg()[0], 2)


async def direct_session(seconds: float, frame_samples: int, ice=None) -> dict:
    """Clicks over a direct aiortc connection (no node): the WebRTC baseline (``ice``: both ends
    relay-only through a TURN server)."""
    from aiortc import RTCPeerConnection
    from aiortc.mediastreams import MediaStreamError

    from media.client import SignalTrack
    signal, starts = click_train(seconds + 1, seed=11)
    configuration = ice.configuration() if ice is not None else None
    sender, receiver = RTCPeerConnection(configuration), RTCPeerConnection(configuration)
    track = SignalTrack(signal, frame_samples, gain=0.5)
    sender.addTrack(track)
    chunks, stamps = [], []

    async def record(remote) -> None:
        first = 0
        try:
            while True:
                frame = await remote.recv()
                now = time.perf_counter()
                if isinstance(frame.opaque, float):  # the client's decode stage (media.stages)
                    HOLDS.add("decode", (now - frame.opaque) * 1e3)
                data = frame.to_ndarray().reshape(-1, len(frame.layout.channels)).astype(np.float32) / 32768
                stamps.append((first, now))
                chunks.append(data[:, :2] if data.shape[1] >= 2 else np.repeat(data, 2, axis=1))
                first += len(data)
        except MediaStreamError:
            pass

    tasks = []
    receiver.on("track", lambda remote: tasks.append(asyncio.ensure_future(record(remote))))
    await sender.setLocalDescription(await sender.createOffer())
    await receiver.setRemoteDescription(sender.localDescription)
    await receiver.setLocalDescription(await receiver.createAnswer())
    await sender.setRemoteDescription(receiver.localDescription)
    await asyncio.sleep(seconds)
    for task in tasks:
        task.cancel()
    await sender.close()
    await receiver.close()
    found = correlated_delays_ms(signal, starts, CLICK_SAMPLES, track.sent_at, np.concatenate(chunks), stamps)
    return {"delays": [d for _, d in found[1:]], "sent_clicks": len(track.sent_at) * frame_samples // (SAMPLE_RATE // 2),
            "lateness": frame_lateness(stamps, frame_samples), "received_at": stamps}


async def node_session(url: str, seconds: float, frame_samples: int, during=None, impairment=None,
                       ice=None, during_after: float = 2.0) -> dict:
    """A player sending clicks and a listener through the node; ``during()``: a coroutine run
    ``during_after`` s into the session (the flood), whose (start, end) times are returned;
    ``impairment``: both clients reach the node through lossy proxies; ``ice``: both clients'
    ICE settings (relay-only through TURN)."""
    from eth_account import Account

    from media.client import join
    from media.impairment import impair_candidates
    proxies: list = []
    hook = None if impairment is None else (lambda sdp: impair_candidates(sdp, impairment, proxies))
    signal, starts = click_train(seconds + 3, seed=12)
    player = asyncio.ensure_future(join(url, 1, Account.create().key.hex(), signal, seconds + 1.5,
                                        frame_samples, offer_hook=hook, answer_hook=hook, ice=ice))
    await asyncio.sleep(0.5)
    listening = asyncio.ensure_future(join(url, 1, Account.create().key.hex(), None, seconds,
                                           frame_samples, offer_hook=hook, answer_hook=hook, ice=ice))
    window = None
    if during is not None:
        await asyncio.sleep(during_after)
        started = time.perf_counter()
        extra = await during()
        window = (started, time.perf_counter(), extra)
    listener, played = await listening, await player
    for proxy in proxies:
        proxy.close()
    found = correlated_delays_ms(signal, starts, CLICK_SAMPLES, played.sent_at, listener.audio, listener.received_at)
    sent_clicks = sum(1 for s in starts if s <= played.sent_at[-1][0] and
                      played.sent_at[0][1] + s / SAMPLE_RATE > listener.received_at[0][1])
    result = {"found": found[1:], "delays": [d for _, d in found[1:]], "sent_clicks": sent_clicks,
              "lateness": frame_lateness(listener.received_at, frame_samples), "window": window,
              "received_at": listener.received_at, "player_received_at": played.received_at}
    return result


def run_node_process(port: int, frame_ms: int, refused_file: str | None, profile: str | None,
                     relay_url: str | None = None) -> None:
    """The node of the measurements (its own process); ``profile``: cProfile stats written there
    when the node stops (SIGTERM ends aiohttp's run_app cleanly); ``relay_url``: relay-only ICE
    through that TURN server (credentials from the environment, as ``tutti-media serve``)."""
    from aiohttp import web

    from media.auth import SignInVerifier
    from media.mixer import HrtfLibrary, RoomMixer
    from media.room import Room
    from media.server import MediaNode, NodeLimits
    latency = configure_aiortc(frame_ms, 1)
    hrtfs = HrtfLibrary()
    hrtfs.prepare_now(HrtfLibrary.DEFAULT)
    refused = set(Path(refused_file).read_text().split()) if refused_file else set()
    ice = ice_settings([relay_url], relay_only=True, environ=os.environ) if relay_url else None
    room = Room(1, AdmitEveryone(refused), RoomMixer(latency.frame_samples, hrtfs), max_participants=64, ice=ice)
    node = MediaNode(room, SignInVerifier(f"127.0.0.1:{port}", 31337), latency,
                     NodeLimits(join_burst=100, join_rate=100))
    if profile:
        import cProfile
        # CPU time of the main thread, not wall time: on a loaded machine wall time would be
        # charged to whatever function the node was preempted in.
        profiler = cProfile.Profile(time.thread_time)
        profiler.enable()
    web.run_app(node.app(), host="127.0.0.1", port=port, print=None, access_log=None)
    if profile:
        profiler.disable()
        profiler.dump_stats(profile)


@contextlib.contextmanager
def node_process(frame_ms: int, refused_file: str | None = None, profile: str | None = None,
                 cpu: int | None = None, relay=None) -> Iterator[tuple[subprocess.Popen, str]]:
    """The media node in its own process on a free port (pinned to ``cpu`` if given; relay-only
    through ``relay``, a :class:`media.coturn.Relay`, if given), ready to answer; stopped on exit."""
    port = free_port()
    command = [sys.executable, __file__, "--node-process", str(port), "--frame-ms", str(frame_ms)]
    command += ["--refused-file", refused_file] if refused_file else []
    command += ["--profile-to", profile] if profile else []
    command += ["--relay-turn", relay.url] if relay is not None else []
    if cpu is not None:
        command = ["taskset", "-c", str(cpu)] + command
    env = {**os.environ, **(relay.env if relay is not None else {})}
    node = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300  # a loaded machine starts a node slowly
        while True:
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=5)
                break
            except OSError:
                if node.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the bench's media node did not start") from None
                time.sleep(0.2)
        yield node, url
    finally:
        node.terminate()
        node.wait(30)


def node_stats(url: str, full: bool = False) -> dict:
    stats = json.load(urllib.request.urlopen(f"{url}/api/stats", timeout=10))
    summary = {"mixer": stats["mixer"], "underruns": sum(i["underruns"] for i in stats["inputs"].values()),
               "dropped_samples": sum(i["dropped_samples"] for i in stats["inputs"].values()),
               "refusals": stats["refusals"]}
    if full:
        lags = [lag for _, lag in stats["loop_lag"]["lags"]]
        summary |= {"stages": stats.get("stages", {}), "jitter_per_sender": stats.get("jitter_per_sender", {}),
                    "loop_lag": {"timer_ms": stats["loop_lag"]["period_ms"], "samples": stats["loop_lag"]["samples"],
                                 "over_2ms": len(lags), "over_10ms": sum(lag > 10 for lag in lags),
                                 "max_ms": max(lags, default=0.0)}}
    return summary


def playout_needed(received_at, rate: int = SAMPLE_RATE, skip_seconds: float = 1.0) -> dict:
    """The listener's playout stage: how much buffer a playout with a fixed delay (anchored on the
    earliest-arriving frame) needs so that 95 % / 99 % of the frames are on time; the stream's
    arrival jitter, which any client playout must hold (the Python client plays nothing itself)."""
    stamps = np.asarray(received_at, dtype=np.float64).reshape(-1, 2)
    if len(stamps) < 20:
        return {"frames": int(len(stamps))}
    lag = (stamps[:, 1] - stamps[0, 1] - (stamps[:, 0] - stamps[0, 0]) / rate) * 1e3
    lag = lag[stamps[:, 1] > stamps[0, 1] + skip_seconds]
    lag = lag - lag.min()
    return {"p95_ms": round(float(np.percentile(lag, 95)), 2), "p99_ms": round(float(np.percentile(lag, 99)), 2),
            "frames": int(len(lag))}


def client_stages() -> dict:
    """This process's receive stages (the bench's clients: their jitter buffers and decoders)."""
    return {f"client_{stage}": summary for stage, summary in HOLDS.summary().items()}


def stage_budget(node: dict, clients: dict, playout: dict, added_ms: float | None) -> dict:
    """The node's stages beside the end-to-end figure: the median of each stage, their sum (what
    the node holds a sample for, by stage), and what the clicks say the node added."""
    medians = {stage: node[stage]["median_ms"] for stage in STAGE_ORDER
               if stage in node and node[stage].get("count") and stage != "mixer_wait"}  # part of input
    return {"node_stages_median_ms": medians, "node_stages_sum_ms": round(sum(medians.values()), 2),
            "node_added_by_clicks_ms": added_ms, "clients": clients, "listener_playout_needed": playout}


def measure_latency(frame_ms: int, seconds: float) -> dict:
    latency = configure_aiortc(frame_ms, 1)
    with node_process(frame_ms) as (_node, url):
        load_before = load_now()
        HOLDS.clear()
        direct = asyncio.run(direct_session(seconds, latency.frame_samples))
        direct_clients = client_stages()
        HOLDS.clear()
        via_node = asyncio.run(node_session(url, seconds, latency.frame_samples))
        node_clients = client_stages()
        stats = node_stats(url, full=True)
    result = {"frame_ms": frame_ms, "load_average": [load_before, load_now()],
              "direct_webrtc": summary(direct["delays"]), "via_node": summary(via_node["delays"]),
              "clicks_sent": via_node["sent_clicks"], "listener_frames": via_node["lateness"], "node": stats}
    if direct["delays"] and via_node["delays"]:
        base = float(np.median(direct["delays"]))
        result["node_added_ms"] = round(float(np.median(via_node["delays"])) - base, 1)
        result["node_added_p95_ms"] = round(float(np.percentile(via_node["delays"], 95)) - base, 1)
    result["stages"] = stage_budget(stats["stages"], {"direct": direct_clients, "via_node": node_clients},
                                    {"direct": playout_needed(direct["received_at"]),
                                     "via_node": playout_needed(via_node["received_at"])},
                                    result.get("node_added_ms"))
    return result


async def presigned_offers(url: str, count: int, refused_keys: list[str]) -> list[dict]:
    """``count`` join bodies, prepared before the flood (a nonce each, signed): half with junk
    signatures on real nonces (refused after the signature check), half signed by accounts the node
    refuses (no pass). Signing is the flooder's slow part; a real attacker would do it ahead too."""
    import aiohttp
    from eth_account import Account
    from eth_account.messages import encode_defunct

    from media.auth import build_message
    fake_sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    async with aiohttp.ClientSession() as http:
        async def nonce() -> dict:
            async with http.get(f"{url}/api/rooms/1/nonce") as response:
                return await response.json()
        nonces = await asyncio.gather(*(nonce() for _ in range(count)))
    offers = []
    for index, issued in enumerate(nonces):
        account = Account.from_key(refused_keys[index % len(refused_keys)])
        message = build_message(domain=issued["domain"], uri=issued["uri"], address=account.address,
                                chain_id=issued["chainId"], nonce=issued["nonce"])
        if index % 2 == 0:  # junk: a signature that recovers to nobody who signed this
            signature = "0x" + "11" * 65
        else:
            signature = "0x" + account.sign_message(encode_defunct(text=message)).signature.hex().removeprefix("0x")
        offers.append({"message": message, "signature": signature, "sdp": fake_sdp, "type": "offer"})
    return offers


async def send_flood(url: str, offers: list[dict]) -> dict:
    """All ``offers`` at once; the statuses seen and the flood's start and end (``time.perf_counter``,
    the machine's monotonic clock, as the musicians' stamps)."""
    import aiohttp
    statuses: dict[str, int] = {}
    connector = aiohttp.TCPConnector(limit=0)  # every offer on its own connection, at once
    async with aiohttp.ClientSession(connector=connector) as http:
        async def one(body: dict) -> None:
            try:
                async with http.post(f"{url}/api/rooms/1/join", json=body) as response:
                    key = str(response.status)
            except Exception as exc:  # noqa: BLE001 - a flood request may fail any way; count it
                key = type(exc).__name__
            statuses[key] = statuses.get(key, 0) + 1
        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one(body) for body in offers))
        return {"statuses": statuses, "start": started, "end": time.perf_counter(),
                "flooder_cpu_seconds": round(time.process_time() - cpu, 3)}


def run_flooder(url: str, count: int, keys_file: str, out: str) -> None:
    """The flooding process: prepare every offer, say "ready", wait for "go" on stdin, send them all
    at once, write the statuses and the flood's times to ``out``."""
    prepared = time.perf_counter()
    offers = asyncio.run(presigned_offers(url, count, Path(keys_file).read_text().split()))
    print(json.dumps({"ready": True, "prepare_seconds": round(time.perf_counter() - prepared, 2)}), flush=True)
    sys.stdin.readline()
    Path(out).write_text(json.dumps(asyncio.run(send_flood(url, offers))))


def _window_lateness(stamps, frame_samples: int, start: float, end: float) -> dict:
    """``frame_lateness`` of the frames received between ``start`` and ``end``, and the longest gap
    between two frames there (in frames)."""
    inside = [(f, t) for f, t in stamps if start <= t <= end]
    if len(inside) < 8:
        return {"frames": len(inside)}
    times = np.asarray([t for _, t in inside])
    gaps = np.diff(np.concatenate([[start], times, [end]]))
    frame_seconds = frame_samples / SAMPLE_RATE
    return frame_lateness(inside, frame_samples) | {
        "frames_expected": int(round((end - start) / frame_seconds)),
        "longest_gap_frames": round(float(gaps.max()) / frame_seconds, 1)}


def _loop_lag(lags: list, start: float, end: float) -> dict:
    """The node's event-loop lags (above its reporting threshold) inside a window."""
    inside = [lag for t, lag in lags if start <= t <= end]
    return {"lags_over_2ms": len(inside), "max_ms": max(inside, default=0.0),
            "total_ms": round(sum(inside), 1)}


def measure_flood(frame_ms: int, seconds: float, offers: int = 200, window: float = 3.0,
                  profile_dir: str | None = None) -> dict:
    """Two admitted musicians play; after a quiet window of ``window`` s, ``offers`` pre-signed
    offers arrive at once from a process of their own; the musicians' received frames and the
    node's loop in the flood's window (at least ``window`` s) against the quiet one, same session."""
    import aiohttp
    from eth_account import Account
    latency = configure_aiortc(frame_ms, 1)
    keys = [Account.create() for _ in range(offers // 2)]
    scratch = Path(tempfile.mkdtemp(prefix="tutti-bench-"))
    refused = scratch / "refused.txt"
    refused.write_text("\n".join(a.address.lower() for a in keys))
    keys_file, out = scratch / "keys.txt", scratch / "flood.json"
    keys_file.write_text("\n".join(a.key.hex() for a in keys))
    seconds = max(seconds, 2 * window + 12.0)  # the flood's sign-ins wait for a low-priority worker
    try:
        profile = f"{profile_dir}/node-flood.prof" if profile_dir else None
        with node_process(frame_ms, str(refused), profile=profile) as (node, url):
            load_before = load_now()
            flooder = subprocess.Popen([sys.executable, __file__, "--flood", url, str(offers), str(keys_file), str(out)],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            prepared = json.loads(flooder.stdout.readline() or "{}")  # signed before the session starts
            marks: dict[str, float] = {}

            async def node_mixer() -> dict:
                async with aiohttp.ClientSession() as http:
                    async with http.get(f"{url}/api/stats") as response:
                        return (await response.json())["mixer"]

            cpu: dict[str, dict] = {}

            async def quiet_then_flood() -> dict:
                marks["quiet"], mixer_quiet = time.perf_counter(), await node_mixer()
                cpu["quiet"] = node_cpu(node.pid)
                await asyncio.sleep(window)
                mixer_flood = await node_mixer()
                cpu["flood"] = node_cpu(node.pid)
                flooder.stdin.write("go\n")
                flooder.stdin.flush()
                await asyncio.get_running_loop().run_in_executor(None, flooder.wait, 120)
                flood = json.loads(out.read_text()) if out.exists() else {"failed": flooder.returncode}
                flood_start = flood.get("start", time.perf_counter())
                await asyncio.sleep(max(flood_start + window - time.perf_counter(), 0.0))
                marks["end"], mixer_end = time.perf_counter(), await node_mixer()
                cpu["end"] = node_cpu(node.pid)
                flood["mixer"] = {"quiet": _mixer_delta(mixer_quiet, mixer_flood), "flood": _mixer_delta(mixer_flood, mixer_end)}
                return flood
            session = asyncio.run(node_session(url, seconds, latency.frame_samples, during=quiet_then_flood,
                                               during_after=2.5))
            stats = json.load(urllib.request.urlopen(f"{url}/api/stats", timeout=10))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    _, _, flood = session["window"]
    start = flood.get("start", marks.get("end", 0.0))
    end = max(flood.get("end", start), marks.get("end", start))
    # The window ends with the musicians' sessions at the latest (a gap after them is no dropout).
    end = min(end, session["received_at"][-1][1], session["player_received_at"][-1][1])
    quiet = (marks["quiet"], start)
    lags = stats["loop_lag"]["lags"]
    windows = {}
    for name, following, (a, b) in (("quiet", "flood", quiet), ("flood", "end", (start, end))):
        clicks = [d for t, d in session["found"] if a <= t <= b]
        windows[name] = {"seconds": round(b - a, 2),
                         "listener": _window_lateness(session["received_at"], latency.frame_samples, a, b),
                         "player": _window_lateness(session["player_received_at"], latency.frame_samples, a, b),
                         "clicks": summary(clicks), "node_loop": _loop_lag(lags, a, b),
                         "node_mixer": flood.get("mixer", {}).get(name),
                         "node_cpu_seconds": {k: round(cpu[following][k] - cpu[name][k], 3) for k in cpu[name]}}
    return {"frame_ms": frame_ms, "offers": offers, "load_average": [load_before, load_now()],
            "flooder_prepare_seconds": prepared.get("prepare_seconds"),
            "flood_sending_seconds": round(flood.get("end", start) - start, 2),
            "flooder_cpu_seconds": flood.get("flooder_cpu_seconds"),
            "statuses": flood.get("statuses", flood), "windows": windows,
            "listener_whole_session": session["lateness"], "node": {"refusals": stats["refusals"]}} | (
                {"profile_top": profile_top(profile, 25)} if profile and Path(profile).exists() else {})


def _mixer_delta(before: dict, after: dict) -> dict:
    return {"ticks": after["ticks"] - before["ticks"], "late_ticks": after["late_ticks"] - before["late_ticks"],
            "waited_out": after["waited_out"] - before["waited_out"]}


def measure_relay(frame_ms: int, seconds: float) -> dict:
    """Relay-only ICE through Debian's coturn on 127.0.0.1 (started here as the relay test does),
    in one run: the direct connection and the node without a relay (the baselines), then the direct
    connection and the node with every peer connection relay-only. Clicks by cross-correlation."""
    from media.coturn import coturn
    latency = configure_aiortc(frame_ms, 1)
    samples = latency.frame_samples
    folder = Path(tempfile.mkdtemp(prefix="tutti-bench-turn-"))
    try:
        with coturn(folder) as relay:
            relay_ice = ice_settings([relay.url], relay_only=True, environ=relay.env)
            load_before = load_now()
            direct = asyncio.run(direct_session(seconds, samples))
            direct_relayed = asyncio.run(direct_session(seconds, samples, ice=relay_ice))
            with node_process(frame_ms) as (_node, url):
                via_node = asyncio.run(node_session(url, seconds, samples))
            allocations = relay.allocations()
            with node_process(frame_ms, relay=relay) as (_node, url):
                via_node_relayed = asyncio.run(node_session(url, seconds, samples, ice=relay_ice))
                stats = node_stats(url, full=True)
            node_allocations = relay.allocations() - allocations
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    paths = {"direct": direct, "direct_relay_only": direct_relayed, "via_node": via_node,
             "via_node_relay_only": via_node_relayed}
    result = {"frame_ms": frame_ms, "load_average": [load_before, load_now()],
              "paths": {name: summary(p["delays"]) for name, p in paths.items()},
              "coturn_allocations_node_run": node_allocations, "node_relay_run": stats}

    def median_difference(a: str, b: str) -> float | None:
        if not (paths[a]["delays"] and paths[b]["delays"]):
            return None
        return round(float(np.median(paths[a]["delays"]) - np.median(paths[b]["delays"])), 1)
    result["relay_added_direct_ms"] = median_difference("direct_relay_only", "direct")
    result["relay_added_via_node_ms"] = median_difference("via_node_relay_only", "via_node")
    result["node_added_ms"] = median_difference("via_node", "direct")
    result["node_and_relay_added_ms"] = median_difference("via_node_relay_only", "direct")
    return result


def measure_loss(frame_ms: int, seconds: float, loss: float = 0.05, jitter_ms: float = 20.0) -> dict:
    from media.impairment import Impairment
    latency = configure_aiortc(frame_ms, 1)
    impairment = Impairment(loss=loss, jitter_ms=jitter_ms)
    with node_process(frame_ms) as (_node, url):
        load_before = load_now()
        clean = asyncio.run(node_session(url, seconds, latency.frame_samples))
    with node_process(frame_ms) as (_node, url):
        lossy = asyncio.run(node_session(url, seconds, latency.frame_samples, impairment=impairment))
        stats = node_stats(url)
    return {"frame_ms": frame_ms, "loss": loss, "jitter_ms": jitter_ms, "load_average": [load_before, load_now()],
            "datagrams_forwarded": impairment.forwarded, "datagrams_dropped": impairment.dropped,
            "clean": summary(clean["delays"]) | {"clicks_sent": clean["sent_clicks"]},
            "lossy": summary(lossy["delays"]) | {"clicks_sent": lossy["sent_clicks"]},
            "lossy_listener_frames": lossy["lateness"], "node": stats}


class PreEncodedTrack(MediaStreamTrack):
    """Bench-only sender: loops Opus packets encoded before the session, paced in real time.
    aiortc's sender only packs an ``av.Packet`` into RTP (no encoder, no audio level), so one
    core can drive 16-32 real WebRTC musicians (DTLS, SRTP, RTCP all still run)."""

    kind = "audio"

    def __init__(self, packets: list[bytes], frame_samples: int) -> None:
        super().__init__()
        self.packets, self.frame_samples = packets, frame_samples
        self._index, self._start = 0, None

    async def recv(self) -> Packet:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.perf_counter()
        wait = self._start + self._index * self.frame_samples / SAMPLE_RATE - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        packet = Packet(self.packets[self._index % len(self.packets)])
        packet.pts, packet.time_base = self._index * self.frame_samples, fractions.Fraction(1, SAMPLE_RATE)
        self._index += 1
        return packet


def noise_packets(frame_samples: int, seconds: float = 2.0, seed: int = 0) -> list[bytes]:
    """``seconds`` of quiet stereo noise as Opus packets, encoded once with the node's settings."""
    from media.opusenc import OpusPacketEncoder
    encoder = OpusPacketEncoder(frame_samples)
    noise = np.random.default_rng(seed).uniform(-0.05, 0.05, int(seconds * SAMPLE_RATE)).astype(np.float32)
    return [bytes(encoder.encode(np.repeat(noise[i:i + frame_samples, None], 2, axis=1), i))
            for i in range(0, len(noise) - frame_samples + 1, frame_samples)]


class ArrivalRecorder:
    """Bench-only decoder for the musicians nobody listens to: records when each received frame
    (its RTP timestamp, in samples) reached the receiver and decodes nothing, so the late-frame
    count covers every musician at a fraction of the cost. Every instance is kept in ``all``."""

    all: list = []

    def __init__(self) -> None:
        self.received_at: list[tuple[int, float]] = []
        ArrivalRecorder.all.append(self)

    def decode(self, encoded_frame) -> list:
        self.received_at.append((encoded_frame.timestamp, time.perf_counter()))
        return []


def run_clients(url: str, count: int, seconds: float, frame_ms: int, measured: bool, out: str) -> None:
    """A worker process of the capacity run. ``measured``: two musicians, one playing clicks
    (encoded live), one recording its decoded mix (the clicks are found there). Otherwise
    ``count`` musicians sending pre-encoded noise whose mixes are only timed
    (:class:`ArrivalRecorder`). Writes a JSON summary to ``out``."""
    import aiortc.rtcrtpreceiver as aiortc_receiver
    from eth_account import Account

    from media.client import JoinError, join
    latency = configure_aiortc(frame_ms, 1)
    frame = latency.frame_samples
    if not measured:
        aiortc_receiver.get_decoder = lambda codec: ArrivalRecorder()

    async def session() -> dict:
        clicks, starts = click_train(seconds + 5, seed=21)
        packets = noise_packets(frame, seed=os.getpid())

        async def musician(index: int):
            if measured:
                signal, track = (clicks, None) if index == 0 else (np.zeros(frame, np.float32), None)
            else:
                skew = packets[index * 7 % len(packets):] + packets[:index * 7 % len(packets)]
                signal, track = None, PreEncodedTrack(skew, frame)
            for attempt in range(60):  # the node takes 4 handshakes at a time: 429 means retry
                try:
                    return await join(url, 1, Account.create().key.hex(), signal, seconds, frame, track=track,
                                      keep_audio=measured)
                except JoinError as error:
                    if error.status != 429:
                        raise
                    await asyncio.sleep(0.5 + 0.1 * attempt)
            raise RuntimeError("no handshake slot in 60 attempts")

        joins = [asyncio.ensure_future(musician(index)) for index in range(count)]
        sessions = await asyncio.gather(*joins, return_exceptions=True)
        result = {"clients": [], "errors": [repr(s) for s in sessions if isinstance(s, BaseException)]}
        timelines = [s.received_at for s in sessions if not isinstance(s, BaseException)] if measured \
            else [r.received_at for r in ArrivalRecorder.all]
        for stamps in timelines:  # drop the first 3 s (joins, ICE) from the late-frame count
            t0 = stamps[0][1] if stamps else 0
            result["clients"].append(frame_lateness([r for r in stamps if r[1] > t0 + 3.0], frame))
        if measured and len(sessions) > 1 and not any(isinstance(s, BaseException) for s in sessions[:2]):
            found = correlated_delays_ms(clicks, starts, CLICK_SAMPLES, sessions[0].sent_at,
                                         sessions[1].audio, sessions[1].received_at)
            result["click_delays"] = [(t - found[0][0], d) for t, d in found] if found else []
        return result
    Path(out).write_text(json.dumps(asyncio.run(session())))


CLIENT_CPU = 1  # the node gets core 0, every client process core 1


def measure_capacity(frame_ms: int, counts: list[int], seconds: float, profile_dir: str | None) -> list[dict]:
    rows = []
    for musicians in counts:
        # One process with the two measured musicians (live clicks, decoded mix), the others in
        # processes of at most 8 that send pre-encoded packets and only time what they receive.
        others = musicians - 2
        workers = max(1, -(-others // 8))
        per = [2] + [others // workers + (1 if i < others % workers else 0) for i in range(workers)]
        profile = f"{profile_dir}/node-{musicians}.prof" if profile_dir else None
        with node_process(frame_ms, profile=profile, cpu=0) as (node, url):
            load_before = load_now()
            scratch = Path(tempfile.mkdtemp(prefix="tutti-bench-"))
            outs = [str(scratch / f"clients-{i}.json") for i in range(len(per))]
            # Clients play long enough for everyone to join (slow on a loaded machine) and then
            # ``seconds`` all together, which is the window the node's CPU is measured over.
            session = seconds + 60.0
            procs = [subprocess.Popen(["taskset", "-c", str(CLIENT_CPU), sys.executable, __file__, "--clients", url,
                                       str(n), str(session), str(frame_ms), "1" if i == 0 else "0", outs[i]],
                                      stdout=subprocess.DEVNULL)
                     for i, n in enumerate(per)]
            started, joined = time.monotonic(), 0
            while time.monotonic() - started < 55.0 and joined < musicians:
                time.sleep(0.5)
                joined = json.load(urllib.request.urlopen(f"{url}/api/stats", timeout=10))["participants"]
            all_joined_after = round(time.monotonic() - started, 1)
            cpu_before, wall_before = process_cpu_seconds(node.pid), time.perf_counter()
            clients_cpu_before = sum(process_cpu_seconds(p.pid) for p in procs)
            ticks_before = node_stats(url)["mixer"]
            time.sleep(min(seconds, max(session - (time.monotonic() - started) - 3.0, 1.0)))
            window = time.perf_counter() - wall_before
            cpu_seconds = process_cpu_seconds(node.pid) - cpu_before
            cpu_share = cpu_seconds / window
            clients_share = (sum(process_cpu_seconds(p.pid) for p in procs) - clients_cpu_before) / window
            stats = node_stats(url)
            stats["window_ticks"] = stats["mixer"]["ticks"] - ticks_before["ticks"]
            stats["window_late_ticks"] = stats["mixer"]["late_ticks"] - ticks_before["late_ticks"]
            packets = sum(stats["mixer"].get(k, 0) - ticks_before.get(k, 0) for k in ("frames_in", "mixes_out"))
            window_seconds = round(window, 1)
            for proc in procs:
                proc.wait(session + 120)
        results = [json.loads(Path(o).read_text()) for o in outs if Path(o).exists()]
        shutil.rmtree(scratch, ignore_errors=True)
        clients = [c for r in results for c in r["clients"] if "late_frames_pct" in c]
        clicks = [d for r in results for d in r.get("click_delays", [])]
        third = len(clicks) // 3
        row = {"musicians": musicians, "seconds": window_seconds, "client_processes": len(per),
               "joined": joined, "all_joined_after_s": all_joined_after,
               "load_average": [load_before, load_now()], "node_cpu_share_of_one_core": round(cpu_share, 3),
               "node_cpu_per_musician_pct": round(100 * cpu_share / musicians, 2),
               # the node's CPU per block it mixed: what real time needs, even when a loaded
               # machine gave the node too little CPU to mix every block
               "node_cpu_ms_per_mixed_block": round(1e3 * cpu_seconds / max(stats["window_ticks"], 1), 2),
               # the node's CPU per packet it handled (received and decoded, or mixed and sent):
               # what one musician costs in real time is 2 x 1000 / frame_ms packets a second of it,
               # a figure a loaded machine inflates less than the CPU share (which it caps)
               "node_cpu_us_per_packet": round(1e6 * cpu_seconds / max(packets, 1), 1),
               "musicians_per_core_at_this_cost": round(
                   1.0 / max(cpu_seconds / max(packets, 1) * 2 * 1000 / frame_ms, 1e-9), 1),
               "clients_cpu_share_of_one_core": round(clients_share, 3),
               "clients_measured": len(clients), "errors": [e for r in results for e in r["errors"]][:3],
               "late_frames_pct_mean": round(float(np.mean([c["late_frames_pct"] for c in clients])), 2) if clients else None,
               "late_frames_pct_worst": max((c["late_frames_pct"] for c in clients), default=None),
               "behind_clock_ms_median": float(np.median([c["behind_clock_ms"] for c in clients])) if clients else None,
               "click_delay_first_third_ms": round(float(np.median([d for _, d in clicks[:third]])), 1) if third else None,
               "click_delay_last_third_ms": round(float(np.median([d for _, d in clicks[-third:]])), 1) if third else None,
               "clicks_found": len(clicks), "node": stats}
        if profile and Path(profile).exists():
            row["profile_cpu_pct"] = profile_breakdown(profile)
            row["profile_top"] = profile_top(profile)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    return rows


PROFILE_CATEGORIES = (  # (category, substrings of the function's file), first match wins
    ("Opus encode of the mixes", ("media/opusenc.py", "aiortc/codecs/opus.py")),
    ("Opus decode, jitter buffer", ("media/jitter.py", "media/lowlatency.py")),
    ("mixing (render, FFTs, input buffers)", ("tutti/audio/", "media/mixer.py", "numpy/", "scipy/")),
    ("SRTP, DTLS", ("pylibsrtp", "rtcdtlstransport.py", "OpenSSL", "cryptography")),
    ("aiortc RTP send", ("rtcrtpsender.py", "aiortc/rtp.py", "aiortc/clock.py", "aiortc/utils.py")),
    ("aiortc RTP receive, RTCP", ("rtcrtpreceiver.py", "aiortc/jitterbuffer.py", "aiortc/rate.py")),
    ("ICE, UDP", ("aioice/",)),
    ("SCTP data channels, control, HTTP", ("rtcsctptransport.py", "media/room.py", "aiohttp/", "json/")),
    ("asyncio scheduling", ("asyncio/", "selectors.py", "threading.py", "queue.py", "concurrent/")),
)


def _category(func: tuple) -> str | None:
    filename = func[0]
    for name, parts in PROFILE_CATEGORIES:
        if any(part in filename for part in parts):
            return name
    return None if filename == "~" else "other"


def profile_breakdown(path: str) -> dict[str, float]:
    """Share of the node's main-thread CPU time per category (built-in functions count for the
    category of the code that called them)."""
    import pstats
    stats = pstats.Stats(path).stats
    totals: dict[str, float] = {}
    for func, (_cc, _nc, tottime, _ct, callers) in stats.items():
        category = _category(func)
        if category is not None:
            totals[category] = totals.get(category, 0.0) + tottime
            continue
        for caller, entry in callers.items():  # a built-in: charge each caller its part
            caller_category = _category(caller) or "other"
            totals[caller_category] = totals.get(caller_category, 0.0) + entry[2]
    whole = sum(totals.values()) or 1.0
    return {k: round(100 * v / whole, 1) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}


def profile_top(path: str, count: int = 12) -> list[str]:
    """The functions with the most time spent in them (tottime) in the node's main thread."""
    import pstats
    stats = pstats.Stats(path)
    total = sum(v[2] for v in stats.stats.values()) or 1.0
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:count]
    return [f"{100 * v[2] / total:.1f}% {Path(k[0]).name}:{k[1]}({k[2]})" for k, v in rows]


def thread_cpu_seconds(pid: int, tid: int) -> float:
    fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def node_cpu(pid: int) -> dict:
    """CPU seconds so far of the node's main thread (its event loop), its other threads (aiortc's
    codecs, the executor's feeders) and its child processes (the sign-in worker)."""
    main = thread_cpu_seconds(pid, pid)
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            children += [int(c) for c in (task / "children").read_text().split()]
    return {"loop_thread": main, "other_threads": process_cpu_seconds(pid) - main,
            "sign_in_worker": sum(process_cpu_seconds(c) for c in children)}


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def opus_costs(frame_samples: int, repeats: int = 400) -> tuple[float, float]:
    """Mean ms of one Opus encode (stereo mix) and one decode, as aiortc configures them."""
    import aiortc.codecs
    from aiortc.codecs.opus import OpusDecoder
    from aiortc.jitterbuffer import JitterFrame

    from media.mixer import stereo_to_frame
    encoder = aiortc.codecs.OpusEncoder()
    decoder = OpusDecoder()
    rng = np.random.default_rng(1)
    frames = [stereo_to_frame(rng.uniform(-0.3, 0.3, (frame_samples, 2)).astype(np.float32), i * frame_samples)
              for i in range(repeats)]
    start = time.thread_time()
    packets = [encoder.encode(frame)[0] for frame in frames]
    encode = (time.thread_time() - start) / repeats * 1e3
    packets = [p[0] for p in packets if p]
    start = time.thread_time()
    for i, packet in enumerate(packets):
        decoder.decode(JitterFrame(data=packet, timestamp=i * frame_samples))
    decode = (time.thread_time() - start) / len(packets) * 1e3
    return encode, decode


def mixing_cost(frame_ms: int, counts: list[int], ticks: int = 200) -> dict:
    """CPU time (this thread's, so other processes' load does not count) of one mixer tick per
    musician count, forward transforms shared across listeners against one per listener-source."""
    from media.mixer import HrtfLibrary, RoomMixer
    latency = configure_aiortc(frame_ms, 1)
    block = latency.frame_samples
    hrtfs = HrtfLibrary()
    hrtfs.prepare_now(HrtfLibrary.DEFAULT)
    encode, decode = opus_costs(block)

    def tick_ms(n: int, share: bool) -> float:
        mixer = RoomMixer(block, hrtfs, share_transforms=share)
        noise = np.random.default_rng(n).uniform(-0.3, 0.3, (n, block)).astype(np.float32)
        for i in range(n):
            mixer.add_input(f"m{i}")
            mixer.add_listener(f"m{i}").emit = lambda stereo: None  # aiortc's sender's share is in codec_ms
        mixer.tick()
        start = time.thread_time()
        for _ in range(ticks):
            for i, buffer in enumerate(mixer.inputs.values()):
                buffer.write(noise[i])
            mixer.tick()
        return (time.thread_time() - start) / ticks * 1e3

    rows = []
    for n in counts:
        shared, separate = tick_ms(n, True), tick_ms(n, False)
        total = shared + n * (encode + decode)
        rows.append({"musicians": n, "mix_ms": round(shared, 3), "mix_ms_unshared_fft": round(separate, 3),
                     "codec_ms": round(n * (encode + decode), 3), "frame_ms_cost": round(total, 3),
                     "core_load": round(total / frame_ms, 3)})
    fits = [r["musicians"] for r in rows if r["core_load"] < 1.0]
    return {"frame_ms": frame_ms, "opus_encode_ms": round(encode, 4), "opus_decode_ms": round(decode, 4),
            "rows": rows, "musicians_per_core": max(fits) if fits else 0}


PARTS = ("latency", "relay", "flood", "loss", "capacity", "mixing")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)}")
    parser.add_argument("--frame-ms", type=int, nargs="+", choices=(5, 10, 20), default=[10, 5],
                        help="frame lengths of the latency part (the others use the first)")
    parser.add_argument("--seconds", type=float, default=10.0, help="latency, flood and loss session length")
    parser.add_argument("--capacity", type=int, nargs="+", default=[8, 16, 32], help="musician counts")
    parser.add_argument("--capacity-seconds", type=float, default=60.0)
    parser.add_argument("--profile-dir", default=None, help="write the node's cProfile stats per count here")
    parser.add_argument("--node-process", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--refused-file", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--relay-turn", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--clients", nargs=6, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--flood", nargs=4, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.node_process:
        run_node_process(args.node_process, args.frame_ms[0], args.refused_file, args.profile_to, args.relay_turn)
        return
    if args.flood:
        url, count, keys_file, out = args.flood
        run_flooder(url, int(count), keys_file, out)
        return
    if args.clients:
        url, count, seconds, frame_ms, first, out = args.clients
        run_clients(url, int(count), float(seconds), int(frame_ms), first == "1", out)
        return
    parts = set(args.parts.split(","))
    frame = args.frame_ms[0]
    report = {"cpu": os.cpu_count(), "python": sys.version.split()[0], "load_average": list(os.getloadavg())}
    print(json.dumps(report), flush=True)
    measurements = {
        "latency": lambda: [measure_latency(f, args.seconds) for f in args.frame_ms],
        "relay": lambda: measure_relay(frame, args.seconds),
        "flood": lambda: measure_flood(frame, args.seconds, profile_dir=args.profile_dir),
        "loss": lambda: measure_loss(frame, args.seconds),
        "capacity": lambda: measure_capacity(frame, args.capacity, args.capacity_seconds, args.profile_dir),
        "mixing": lambda: mixing_cost(frame, [2, 8, 16, 32, 48]),
    }
    for part in PARTS:  # one JSON line per part as it ends: a long run's parts are not lost
        if part in parts:
            try:
                print(json.dumps({part: measurements[part]()}), flush=True)
            except Exception as exc:  # noqa: BLE001 - report the part's failure and go on
                print(json.dumps({part: {"failed": f"{type(exc).__name__}: {exc}"}}), flush=True)
    print(json.dumps({"load_average_after": list(os.getloadavg())}), flush=True)


if __name__ == "__main__":
    main()
