"""Benchmark of audiences through Janus: listeners per core, Janus' CPU per listener, added latency.

Run: ``python bench/audience.py`` (repository root; Debian's janus installed), or
``make bench-audience``. No chain: the node admits every signed-in account (a bench-only pass
checker); sign-in, tickets, Janus tokens and sessions are the real ones.

1. **Added latency for a listener.** A musician plays a tone with a 2 ms click every 0.5 s; a
   second musician (the node's path: a personal mix over WebRTC) and a listener (the audience
   mix, RTP to Janus, WebRTC from Janus) record what they hear. All three clients run in this
   process (one clock): per click, the time from the sender's frame to each receiver's decoded
   frame. The listener's added latency is its median minus the musician's, measured in the same run.
2. **Listeners per core.** Janus runs pinned to one core (``taskset``); N real WebRTC listeners
   (aiortc, each decoding the stream) run in worker processes. Over a 10 s window: Janus' CPU
   time (``/proc/PID/stat``), and the frames each listener received against the 100 per second
   sent. Janus' CPU per listener is the least-squares slope over the steps; listeners per core is
   a full core divided by it (Janus' fan-out, not the listeners' decoding, which here runs on the
   same two cores and limits how many listeners this machine can drive: ``listeners_driven``, the
   most whose median received at least 95 % of the frames).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from media.clicks import click_delays_ms, tone_with_clicks  # noqa: E402
from media.janus import JanusEndpoints, JanusProcess  # noqa: E402
from media.lowlatency import configure_aiortc  # noqa: E402
from tutti.net import free_port  # noqa: E402

ROOM = 1
WINDOW = 10.0  # s of steady listening measured per step
CLK_TCK = os.sysconf("SC_CLK_TCK")


class AdmitEveryone:
    """Bench-only pass checker: the figures must not depend on a chain."""

    async def has_valid_pass(self, room_id: int, address: str) -> bool:
        return True


def run_node(port: int, endpoints: dict) -> None:
    """The node with its audience (its own process)."""
    from aiohttp import web

    from media.audience import Audience, mount_audience
    from media.auth import SignInVerifier
    from media.mixer import HrtfLibrary, RoomMixer
    from media.room import Room
    from media.server import MediaNode, NodeLimits

    latency = configure_aiortc(10, 1)
    hrtfs = HrtfLibrary()
    hrtfs.prepare_now(HrtfLibrary.DEFAULT)
    room = Room(ROOM, AdmitEveryone(), RoomMixer(latency.frame_samples, hrtfs))
    node = MediaNode(room, SignInVerifier(f"127.0.0.1:{port}", 31337), latency,
                     NodeLimits(join_burst=1000, join_rate=1000))
    app = node.app()
    mount_audience(app, node, Audience(room, JanusEndpoints(**endpoints), max_listeners=10_000))
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def run_listeners(url: str, count: int) -> None:
    """``count`` listeners in this process: 'ready' once all hear the stream, then on stdin's
    'stop' a JSON line with the frames each received since 'ready'."""
    from eth_account import Account

    from media.listener import listen

    configure_aiortc(10, 1)

    async def main() -> None:
        counts = [0] * count
        heard = [asyncio.Event() for _ in range(count)]
        window = {"open": False}
        gate = asyncio.Semaphore(8)

        def counter(index):
            def on_audio(_):
                heard[index].set()
                if window["open"]:
                    counts[index] += 1
            return on_audio

        async def one(index):
            async with gate:
                task = asyncio.ensure_future(listen(url, ROOM, Account.create().key.hex(), 3600,
                                                    on_audio=counter(index), keep_audio=False))
                await asyncio.wait([task, asyncio.ensure_future(heard[index].wait())],
                                   return_when=asyncio.FIRST_COMPLETED)
            return task

        tasks = await asyncio.gather(*(one(i) for i in range(count)))
        await asyncio.wait_for(asyncio.gather(*(h.wait() for h in heard)), 120)
        window["open"], opened = True, time.monotonic()
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        window["open"] = False
        print(json.dumps({"frames": counts, "seconds": time.monotonic() - opened}), flush=True)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def load() -> float:
    return round(os.getloadavg()[0], 2)


async def latency_run(url: str, seconds: float) -> dict:
    from eth_account import Account

    from media.client import join
    from media.listener import listen

    signal = tone_with_clicks(330.0, seconds + 4)
    streaming = asyncio.Event()
    listener = asyncio.ensure_future(listen(url, ROOM, Account.create().key.hex(), seconds + 2,
                                            on_audio=lambda _: streaming.set()))
    await asyncio.wait_for(streaming.wait(), 60)
    musician = asyncio.ensure_future(join(url, ROOM, Account.create().key.hex(), None, seconds + 1))
    await asyncio.sleep(0.5)
    player = await join(url, ROOM, Account.create().key.hex(), signal, seconds)
    heard_musician, heard_listener = await musician, await listener
    sent = {"sent_at": np.asarray(player.sent_at, dtype=np.float64)}

    def delays(session) -> list[float]:
        return click_delays_ms(sent, {"audio": session.audio,
                                      "received_at": np.asarray(session.received_at, dtype=np.float64)})

    return {"musician": delays(heard_musician), "listener": delays(heard_listener)}


def summary(values: list[float]) -> dict:
    if not values:
        return {"clicks": 0}
    return {"median_ms": round(float(np.median(values)), 1), "p95_ms": round(float(np.percentile(values, 95)), 1),
            "clicks": len(values)}


def capacity_step(url: str, janus_pid: int, listeners: int, workers: int) -> dict:
    per_worker = [listeners // workers + (i < listeners % workers) for i in range(workers)]
    processes = [subprocess.Popen([sys.executable, __file__, "--listeners-process", url, str(n)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                 for n in per_worker if n]
    try:
        for process in processes:
            line = process.stdout.readline()
            if line.strip() != "ready":
                raise RuntimeError(f"a listener worker failed (exit {process.poll()})")
        cpu0, t0 = cpu_seconds(janus_pid), time.monotonic()
        time.sleep(WINDOW)
        cpu1, t1 = cpu_seconds(janus_pid), time.monotonic()
        received = []  # per listener: frames received / frames sent over its worker's window
        for process in processes:
            process.stdin.write("stop\n")
            process.stdin.flush()
        for process in processes:
            report = json.loads(process.stdout.readline())
            received += [n / (100 * report["seconds"]) for n in report["frames"]]
            process.wait(30)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    received = np.asarray(received)
    return {"listeners": listeners, "janus_cpu_percent": round(100 * (cpu1 - cpu0) / (t1 - t0), 1),
            "frames_received_median": round(float(np.median(received)), 3),
            "listeners_below_95_percent": int(np.sum(received < 0.95)), "load": load()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listeners", default="0,10,25,40,60", help="listener counts to measure")
    parser.add_argument("--workers", type=int, default=2, help="processes driving the listeners")
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument("--latency-runs", type=int, default=2)
    parser.add_argument("--janus-cpu", type=int, default=0, help="the core Janus is pinned to")
    parser.add_argument("--node-process", nargs=2, metavar=("PORT", "ENDPOINTS"), help=argparse.SUPPRESS)
    parser.add_argument("--listeners-process", nargs=2, metavar=("URL", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.node_process:
        return run_node(int(args.node_process[0]), json.loads(args.node_process[1]))
    if args.listeners_process:
        return run_listeners(args.listeners_process[0], int(args.listeners_process[1]))

    configure_aiortc(10, 1)
    janus = JanusProcess(debug_level=2, cpu=args.janus_cpu)
    endpoints = janus.start()
    port = free_port()
    node = subprocess.Popen([sys.executable, __file__, "--node-process", str(port), json.dumps(endpoints.__dict__)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{url}/api/audience", timeout=1) as response:
                    if json.load(response)["mountpoint"]:
                        break
            except (OSError, ValueError):
                time.sleep(0.2)
        print(f"load before: {load()}", flush=True)
        delays = {"musician": [], "listener": []}
        for _ in range(args.latency_runs):  # one run's median each, pooled
            for path, values in asyncio.run(latency_run(url, args.latency_seconds)).items():
                delays[path] += values
        result = {"latency": {"musician_via_node": summary(delays["musician"]),
                              "listener_via_janus": summary(delays["listener"]), "load": load()}}
        if delays["musician"] and delays["listener"]:
            result["latency"]["listener_added_ms"] = round(
                float(np.median(delays["listener"]) - np.median(delays["musician"])), 1)
        print(json.dumps(result["latency"]), flush=True)
        steps = []
        for count in [int(c) for c in args.listeners.split(",")]:
            steps.append(capacity_step(url, janus.pid, count, args.workers) if count else
                         _idle_step(janus.pid))
            print(json.dumps(steps[-1]), flush=True)
        result["capacity"] = steps
        # Janus' cost per listener: a least-squares line through all steps (Janus sends every packet
        # to every listener over UDP whether or not the listener keeps up). listeners_driven: the
        # most listeners whose median got >= 95 % of the frames (this machine's limit to drive them).
        healthy = [s for s in steps if s.get("frames_received_median", 1.0) >= 0.95]
        result["listeners_driven"] = max(s["listeners"] for s in healthy)
        if len(steps) > 1:
            per_listener = float(np.polyfit([s["listeners"] for s in steps],
                                            [s["janus_cpu_percent"] for s in steps], 1)[0])
            result["janus_cpu_percent_per_listener"] = round(per_listener, 3)
            result["listeners_per_core_janus"] = int(100 / per_listener) if per_listener > 0 else None
        result["janus_cpu"] = args.janus_cpu
        print(json.dumps(result, indent=1))
    finally:
        node.terminate()
        node.wait(15)
        janus.stop()


def _idle_step(janus_pid: int) -> dict:
    cpu0, t0 = cpu_seconds(janus_pid), time.monotonic()
    time.sleep(WINDOW)
    cpu1, t1 = cpu_seconds(janus_pid), time.monotonic()
    return {"listeners": 0, "janus_cpu_percent": round(100 * (cpu1 - cpu0) / (t1 - t0), 1), "load": load()}


if __name__ == "__main__":
    main()
