"""Benchmark of the media node: added latency, mixing cost per frame, musicians per core.

Run: ``python bench/media.py`` (repository root, project venv with the ``media`` extra).

1. **Latency on loopback.** A musician sends silence with a 2 ms noise burst every 0.5 s; a
   listener records its personal mix. Both clients live in this process (one clock); the node
   runs in its own process (``python bench/media.py --node-process``) with a pass checker that
   admits everyone, so no chain is needed. Latency is measured from the moment the sender's
   frame holding the marker is handed to WebRTC to the moment the listener's WebRTC stack
   delivers the decoded frame holding it. The same measurement over a direct peer-to-peer
   connection (no node) gives the WebRTC share; the difference is the node's added latency.
2. **Mixing cost per frame**: one mixer tick (every musician's input block, one personal binaural
   mix of the N-1 others per musician) plus one Opus decode and one Opus encode per musician,
   the work the node does per frame; the largest N whose frame costs less than the frame lasts,
   on one core, is "musicians with personal mixes per core" (aiortc's packet handling, SRTP and
   asyncio overhead are not in that figure: see the live CPU check in docs/media.md).
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from typing import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# This file is called media.py: drop bench/ from the path so ``media`` is the package, not us.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from media.lowlatency import configure_aiortc  # noqa: E402
from tutti.net import free_port  # noqa: E402

SAMPLE_RATE = 48000
MARKER_PERIOD = 24000  # samples between markers (0.5 s)
MARKER_LENGTH = 96  # 2 ms burst


class AdmitEveryone:
    """Bench-only pass checker: the latency measurement must not depend on a chain."""

    async def has_valid_pass(self, room_id: int, address: str) -> bool:
        return True


def marker_signal(seconds: float) -> np.ndarray:
    signal = np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)
    rng = np.random.default_rng(0)
    for start in range(MARKER_PERIOD // 2, len(signal) - MARKER_LENGTH, MARKER_PERIOD):
        signal[start:start + MARKER_LENGTH] = rng.uniform(-1, 1, MARKER_LENGTH)
    return signal


def onsets(audio: np.ndarray, threshold: float = 0.02) -> list[int]:
    loud = np.flatnonzero(np.abs(audio) > threshold)
    found, last = [], -MARKER_PERIOD
    for index in loud:
        if index - last > MARKER_PERIOD // 2:
            found.append(int(index))
        last = index if index - last > MARKER_PERIOD // 2 else last
    return found


def time_of(sample: int, stamps: list[tuple[int, float]]) -> float:
    """Wall time of the frame holding ``sample`` (stamps: (first sample, time), ascending)."""
    firsts = np.asarray([s for s, _ in stamps])
    return stamps[int(np.searchsorted(firsts, sample, side="right")) - 1][1]


def latencies(sent_at, received_audio, received_at) -> list[float]:
    """Per marker: receive time minus send time (ms), matching each received marker to the
    latest marker sent before it."""
    sent_markers = [(m, time_of(m, sent_at)) for m in range(MARKER_PERIOD // 2, sent_at[-1][0], MARKER_PERIOD)]
    result = []
    for onset in onsets(received_audio.sum(axis=1)):
        t_received = time_of(onset, received_at)
        candidates = [t for _, t in sent_markers if t <= t_received]
        if candidates and t_received - candidates[-1] < MARKER_PERIOD / SAMPLE_RATE / 2:
            result.append((t_received - candidates[-1]) * 1e3)
    return result[1:]  # the first marker may meet a cold start


async def direct_latency(seconds: float, frame_samples: int) -> list[float]:
    from aiortc import RTCPeerConnection
    from aiortc.mediastreams import MediaStreamError

    from media.client import SignalTrack
    sender, receiver = RTCPeerConnection(), RTCPeerConnection()
    track = SignalTrack(marker_signal(seconds + 1), frame_samples, gain=0.5)
    sender.addTrack(track)
    chunks, stamps = [], []

    async def record(remote) -> None:
        first = 0
        try:
            while True:
                frame = await remote.recv()
                now = time.perf_counter()
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
    return latencies(track.sent_at, np.concatenate(chunks), stamps)


async def node_latency(url: str, seconds: float, frame_samples: int) -> list[float]:
    from eth_account import Account

    from media.client import join
    signal = marker_signal(seconds + 2)
    player = asyncio.ensure_future(join(url, 1, Account.create().key.hex(), signal, seconds + 1.0, frame_samples))
    await asyncio.sleep(0.5)
    listener = await join(url, 1, Account.create().key.hex(), None, seconds, frame_samples)
    played = await player
    return latencies(played.sent_at, listener.audio, listener.received_at)


def run_node_process(port: int, frame_ms: int) -> None:
    """The node of the latency measurement (its own process)."""
    from aiohttp import web

    from media.auth import SignInVerifier
    from media.mixer import HrtfLibrary, RoomMixer
    from media.room import Room
    from media.server import MediaNode, NodeLimits
    latency = configure_aiortc(frame_ms, 1)
    hrtfs = HrtfLibrary()
    hrtfs.prepare_now(HrtfLibrary.DEFAULT)
    room = Room(1, AdmitEveryone(), RoomMixer(latency.frame_samples, hrtfs))
    node = MediaNode(room, SignInVerifier(f"127.0.0.1:{port}", 31337), latency,
                     NodeLimits(join_burst=100, join_rate=100))
    web.run_app(node.app(), host="127.0.0.1", port=port, print=None, access_log=None)


@contextlib.contextmanager
def node_process(frame_ms: int) -> Iterator[tuple[subprocess.Popen, str]]:
    """The media node in its own process on a free port, ready to answer; stopped on exit."""
    port = free_port()
    node = subprocess.Popen([sys.executable, __file__, "--node-process", str(port), "--frame-ms", str(frame_ms)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield node, url
    finally:
        node.terminate()
        node.wait(10)


def measure_latency(frame_ms: int, seconds: float) -> dict:
    latency = configure_aiortc(frame_ms, 1)
    with node_process(frame_ms) as (_node, url):
        direct = asyncio.run(direct_latency(seconds, latency.frame_samples))
        via_node = asyncio.run(node_latency(url, seconds, latency.frame_samples))
        stats = json.load(urllib.request.urlopen(f"{url}/api/stats", timeout=5))
    summary = lambda values: {"median_ms": round(float(np.median(values)), 1),  # noqa: E731
                              "p90_ms": round(float(np.percentile(values, 90)), 1),
                              "p95_ms": round(float(np.percentile(values, 95)), 1),
                              "markers": len(values)} if values else {"markers": 0}
    result = {"frame_ms": frame_ms, "jitter_frames": 1, "direct_webrtc": summary(direct),
              "via_node": summary(via_node), "node_mixer": stats["mixer"],
              "node_inputs": stats["inputs"]}
    if direct and via_node:
        # Added by the node: its path minus the direct path's median (both measured in this run).
        result["node_added_ms"] = round(float(np.median(via_node) - np.median(direct)), 1)
        result["node_added_p95_ms"] = round(float(np.percentile(via_node, 95) - np.median(direct)), 1)
    return result


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_live_cpu(frame_ms: int, musicians: int, seconds: float = 6.0) -> dict:
    """CPU of the real node process (aiortc included) while ``musicians`` clients play."""
    from eth_account import Account

    from media.client import join
    latency = configure_aiortc(frame_ms, 1)
    with node_process(frame_ms) as (node, url):
        async def session() -> float:
            signal = np.random.default_rng(2).uniform(-0.3, 0.3, int((seconds + 4) * SAMPLE_RATE)).astype(np.float32)
            players = [asyncio.ensure_future(join(url, 1, Account.create().key.hex(), signal, seconds + 3,
                                                  latency.frame_samples)) for _ in range(musicians)]
            await asyncio.sleep(2.0)  # all connected
            before = process_cpu_seconds(node.pid)
            await asyncio.sleep(seconds)
            used = process_cpu_seconds(node.pid) - before
            await asyncio.gather(*players)
            return used
        used = asyncio.run(session())
    share = used / seconds
    return {"musicians": musicians, "node_cpu_share_of_one_core": round(share, 3),
            "per_musician": round(share / musicians, 4),
            "musicians_per_core_estimate": int(1 / (share / musicians))}


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
    start = time.perf_counter()
    packets = [encoder.encode(frame)[0] for frame in frames]
    encode = (time.perf_counter() - start) / repeats * 1e3
    packets = [p[0] for p in packets if p]
    start = time.perf_counter()
    for i, packet in enumerate(packets):
        decoder.decode(JitterFrame(data=packet, timestamp=i * frame_samples))
    decode = (time.perf_counter() - start) / len(packets) * 1e3
    return encode, decode


def mixing_cost(frame_ms: int, counts: list[int], ticks: int = 200) -> dict:
    from media.mixer import HrtfLibrary, RoomMixer
    latency = configure_aiortc(frame_ms, 1)
    block = latency.frame_samples
    hrtfs = HrtfLibrary()
    hrtfs.prepare_now(HrtfLibrary.DEFAULT)
    encode, decode = opus_costs(block)
    rows = []
    for n in counts:
        mixer = RoomMixer(block, hrtfs)
        rng = np.random.default_rng(n)
        for i in range(n):
            mixer.add_input(f"m{i}")
            mixer.add_listener(f"m{i}")
        noise = rng.uniform(-0.3, 0.3, (n, block)).astype(np.float32)
        best = float("inf")
        for _trial in range(3):
            start = time.perf_counter()
            for _ in range(ticks):
                for i, buffer in enumerate(mixer.inputs.values()):
                    buffer.write(noise[i])
                mixer.tick()
                for mix in mixer.listeners.values():  # what aiortc's sender would take
                    while not mix.track._frames.empty():
                        mix.track._frames.get_nowait()
            best = min(best, (time.perf_counter() - start) / ticks * 1e3)
        total = best + n * (encode + decode)
        rows.append({"musicians": n, "mix_ms": round(best, 3), "codec_ms": round(n * (encode + decode), 3),
                     "frame_ms_cost": round(total, 3), "core_load": round(total / frame_ms, 3)})
    fits = [r["musicians"] for r in rows if r["core_load"] < 1.0]
    return {"frame_ms": frame_ms, "opus_encode_ms": round(encode, 4), "opus_decode_ms": round(decode, 4),
            "rows": rows, "musicians_per_core": max(fits) if fits else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frame-ms", type=int, choices=(5, 10, 20), default=10)
    parser.add_argument("--seconds", type=float, default=8.0, help="latency measurement length")
    parser.add_argument("--live-musicians", type=int, default=4,
                        help="clients (all in this process) for the live node CPU check")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--latency-only", action="store_true", help="only the latency measurement")
    parser.add_argument("--node-process", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.node_process:
        run_node_process(args.node_process, args.frame_ms)
        return
    report = {"cpu": os.cpu_count(), "python": sys.version.split()[0],
              "load_average": [round(x, 2) for x in os.getloadavg()]}
    if not args.latency_only:
        report["mixing"] = mixing_cost(args.frame_ms, [2, 4, 8, 12, 16, 24, 32, 48, 64])
        report["live"] = measure_live_cpu(args.frame_ms, args.live_musicians)
    if not args.skip_latency:
        report["latency"] = measure_latency(args.frame_ms, args.seconds)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
