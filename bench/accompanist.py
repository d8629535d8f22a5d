"""Benchmark of the live AI accompanist: beats until tempo lock, chord-change reaction, phase.

Run: ``make bench-accompanist`` (or ``python bench/accompanist.py [--bpm 90 120 150] [--trials 2] [--bars 8]
[--lead-ms N]``): every tempo ``--trials`` times, one table row per run and a count of the goals met.

Per tempo, three processes on loopback: the media node (``bench/media.py --node-process``, the real
node with a pass checker that admits everyone, so no chain is needed), the accompanist
(``tutti-media accompany``, its own key) and a musician (``tutti-media join --send prog.npy
--record``) playing a chord progression (one chord per bar of quarter-note strums,
``media.progression``). The accompanist's answer is found in what the musician receives: its bass
onsets (tempo, lock, phase against the musician's beats) and its pad's chord (reaction to each chord
change), all on the machine's monotonic clock (``media.progression.measure``).

Baseline, same run: the same accompanist code fed the same signal directly, frame by frame on a
simulated clock (no network, no node, no Opus): what the followers themselves need. The difference
to the live figures is the room's share (transport, node, codec, scheduling on a loaded machine).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
from eth_account import Account

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from media.accompanist import Accompanist  # noqa: E402
from media.progression import (  # noqa: E402
    DEFAULT_CHORDS,
    beats_until_lock,
    clock_of,
    measure,
    progression_signal,
    tracker_lock,
)
from tutti.net import free_port  # noqa: E402

SAMPLE_RATE = 48000


def strikes_lock(summary: dict, beats: np.ndarray, bpm: float) -> int | None:
    """Beats until the accompanist's own strikes (as it handed them over, before the node) keep the
    tempo, as :func:`beats_until_lock` counts the heard ones: where the way out loses the lock."""
    strikes = np.array([at for at, _chord in summary["timeline"]["strikes"]])
    strikes = strikes[(strikes >= beats[0]) & (strikes <= beats[-1] + 60 / bpm)]
    return beats_until_lock(strikes, beats) if len(strikes) > 4 else None


def offline(bpm: float, bars: int) -> dict:
    """The baseline: the accompanist fed the progression directly, one 10 ms block at a time."""
    signal = progression_signal(bpm, DEFAULT_CHORDS, bars)
    accompanist = Accompanist(lead=0.0)
    out = []
    for start in range(0, len(signal) - 480 + 1, 480):
        now = (start + 480) / SAMPLE_RATE
        accompanist.hear(signal[start:start + 480, None].repeat(2, axis=1), now)
        out.append(accompanist.render(480, now))
    stamps = np.array([[i * 480, (i + 1) * 480 / SAMPLE_RATE] for i in range(len(out))])
    recording = {"audio": np.concatenate(out)[:, None].repeat(2, axis=1), "received_at": stamps,
                 "sent_at": np.array([[0, 0.0]])}
    figures = measure(recording, bpm, DEFAULT_CHORDS, bars)
    beats = np.arange(bars * 4) * 60 / bpm
    figures["tracker_beats_until_lock"] = tracker_lock(accompanist.summary()["timeline"]["beats"], beats, bpm)
    figures["strikes_beats_until_lock"] = strikes_lock(accompanist.summary(), beats, bpm)
    return figures


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} never answered") from None
            time.sleep(0.2)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def participants(url: str) -> int:
    with urllib.request.urlopen(f"{url}/api/stats", timeout=5) as response:
        return int(json.load(response)["participants"])


def live(bpm: float, bars: int, folder: Path, lead_ms: float | None) -> tuple[dict, dict]:
    """One node, the accompanist, one musician playing the progression; returns (figures, summary)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    signal = progression_signal(bpm, DEFAULT_CHORDS, bars)
    np.save(folder / "progression.npy", signal)
    seconds = len(signal) / SAMPLE_RATE
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    node = subprocess.Popen([sys.executable, str(ROOT / "bench" / "media.py"), "--node-process", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    processes = [node]
    try:
        wait_http(f"{url}/healthz")
        media = [sys.executable, "-m", "media.cli", "--log-level", "WARNING"]
        lead = [] if lead_ms is None else ["--lead-ms", str(lead_ms)]
        accompanist = subprocess.Popen([*media, "accompany", "--url", url, "--room", "1", "--seconds",
                                        str(seconds + 60), *lead], cwd=ROOT,
                                       env={**env, "TUTTI_MEDIA_KEY": Account.create().key.hex()},
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        processes.append(accompanist)
        deadline = time.monotonic() + 90
        while participants(url) < 1:
            if time.monotonic() > deadline or accompanist.poll() is not None:
                raise RuntimeError(f"the accompanist never joined: {accompanist.stderr.read()[-2000:]}")
            time.sleep(0.2)
        cpu_before, started = cpu_seconds(accompanist.pid), time.monotonic()
        musician = subprocess.run([*media, "join", "--url", url, "--room", "1", "--send",
                                   str(folder / "progression.npy"), "--seconds", str(seconds),
                                   "--record", str(folder / "musician.npz")], cwd=ROOT,
                                  env={**env, "TUTTI_MEDIA_KEY": Account.create().key.hex()},
                                  capture_output=True, text=True, timeout=seconds + 400)
        if musician.returncode != 0:
            raise RuntimeError(f"the musician failed: {musician.stderr[-2000:]}")
        cpu = (cpu_seconds(accompanist.pid) - cpu_before) / (time.monotonic() - started)
        accompanist.terminate()  # it leaves cleanly and prints its summary
        out, _err = accompanist.communicate(timeout=30)
        summary = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
        recording = dict(np.load(folder / "musician.npz"))
        figures = measure(recording, bpm, DEFAULT_CHORDS, bars)
        beats = clock_of(recording["sent_at"])(np.round(np.arange(bars * 4) * 60 / bpm * SAMPLE_RATE).astype(np.int64))
        figures["tracker_beats_until_lock"] = tracker_lock(summary["timeline"]["beats"], beats, bpm)
        figures["strikes_beats_until_lock"] = strikes_lock(summary, beats, bpm)
        return figures, {**summary, "cpu_share": round(cpu, 3)}
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:  # a loaded machine: stop it the hard way
                process.kill()
                process.wait()


def bars(beats: int | None) -> str:
    return "never" if beats is None else f"{beats / 4:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bpm", type=float, nargs="+", default=[90.0, 120.0, 150.0])
    parser.add_argument("--trials", type=int, default=2, help="runs per tempo")
    parser.add_argument("--bars", type=int, default=8)
    parser.add_argument("--lead-ms", type=float, default=None, help="default: the accompanist measures it")
    args = parser.parse_args()
    results = []
    baselines = {bpm: offline(bpm, args.bars) for bpm in args.bpm}  # deterministic: once per tempo
    with tempfile.TemporaryDirectory(prefix="bench-accompanist-") as tmp:
        for trial in range(args.trials):
            for bpm in args.bpm:
                load_before = os.getloadavg()[0]
                try:
                    figures, summary = live(bpm, args.bars, Path(tmp), args.lead_ms)
                except (RuntimeError, subprocess.TimeoutExpired) as exc:  # a failed run is a figure too
                    print(json.dumps({"bpm": bpm, "trial": trial + 1, "load_average": round(os.getloadavg()[0], 1),
                                      "failed": str(exc)[-500:]}), flush=True)
                    continue
                row = {"bpm": bpm, "trial": trial + 1,
                       "load_average": round((load_before + os.getloadavg()[0]) / 2, 1),
                       "live": figures, "offline_baseline": baselines[bpm],
                       "lead_ms": summary["lead_ms"], "round_trip_ms_min": summary["round_trip_ms_min"],
                       "stream_faults": summary["stream_faults"],
                       "accompanist_followed_bpm": summary["bpm"],
                       "accompanist_cpu_share_of_a_core": summary["cpu_share"],
                       "accompanist_chords": [c for _t, c in summary["timeline"]["chords"]][:12]}
                results.append(row)
                print(json.dumps(row), flush=True)
    print("\n| trial | tempo | load | lead (round trip) | tracker: bars to lock | sent strikes: bars to lock | "
          "heard: bars to lock (goal <= 4) | "
          "first note (beat) | phase median / p90 abs | chord changes reflected (median delay) | "
          "chord delay max (beats; goal <= 1) | offline, same run: tracker / heard bars to lock, delay max |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in results:
        live_, base = row["live"], row["offline_baseline"]
        delays = [d for d in live_["chord_delay_ms"] if d is not None]
        print(f"| {row['trial']} | {row['bpm']:.0f} BPM | {row['load_average']} | {row['lead_ms']} ms "
              f"({row['round_trip_ms_min']} ms) | {bars(live_['tracker_beats_until_lock'])} | "
              f"{bars(live_['strikes_beats_until_lock'])} | "
              f"{bars(live_['beats_until_tempo_lock'])} | {live_['first_note_beat']} | {live_['phase_ms_median']} / "
              f"{live_['phase_ms_p90_abs']} ms | {live_['chord_changes'] - live_['chord_changes_missed']} of "
              f"{live_['chord_changes']} ({int(np.median(delays)) if delays else '-'} ms) | "
              f"{live_['chord_delay_beats_max']} | {bars(base['tracker_beats_until_lock'])} / "
              f"{bars(base['beats_until_tempo_lock'])}, {base['chord_delay_beats_max']} |")
    within = [row["live"]["beats_until_tempo_lock"] for row in results]
    tracker = [row["live"]["tracker_beats_until_lock"] for row in results]
    sent = [row["live"]["strikes_beats_until_lock"] for row in results]
    worst = [row["live"]["chord_delay_beats_max"] for row in results]
    changes = sum(row["live"]["chord_changes"] for row in results)
    late = sum(row["live"]["chord_changes_missed"] + sum(1 for d in row["live"]["chord_delay_ms"]
                                                        if d is not None and d / 1000 > 60 / row["bpm"])
               for row in results)
    print(f"\nheard lock within 4 bars: {sum(b is not None and b <= 16 for b in within)} of {len(results)} runs; "
          f"tracker within 4 bars: {sum(b is not None and b <= 16 for b in tracker)} of {len(results)}; "
          f"strikes as sent within 4 bars: {sum(b is not None and b <= 16 for b in sent)} of {len(results)}; "
          f"chord changes reflected within a beat: {changes - late} of {changes} "
          f"(worst run {max((d for d in worst if d is not None), default=None)} beats)")


if __name__ == "__main__":
    main()
