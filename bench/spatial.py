"""Benchmark: how many moving sources the binaural renderer sustains in real time on one core,
against Chromium's HRTF PannerNode measured the same way in the same run.

Run: ``python bench/spatial.py`` (from the repository root, with the project venv; Debian's
``chromium`` and the root ``node_modules/playwright-core`` for the browser part, else it is
skipped with a note). For block sizes 128 and 480 at 48 kHz it finds the largest number of
sources whose *continuous* render of ``--seconds`` (10 s) of audio takes less time than the audio
lasts, every source on its own circle around the listener (30-90 deg/s, its own height), moving
every block, filters rebuilt every block (``update_interval=1``). One continuous render per
trial, no best-of-N: a lucky short trial must not raise the figure. Then the same search for
Chromium's ``PannerNode`` (``panningModel = "HRTF"``) in an ``OfflineAudioContext`` in headless
Chromium (one audio thread), and the ratio. The renderer as it was at ``--baseline`` (a git
revision, default the one before filters were built in the frequency domain) is searched the
same way at block 128 in the same run, for the speed-up.
"""

from __future__ import annotations

import os

# One core, one thread: set before numpy/scipy load their thread pools.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                  "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import importlib  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tutti.audio import BinauralRenderer, HrtfSet, prepare_hrtf  # noqa: E402

SAMPLE_RATE = 48000


BASELINE = "7fac14c"  # the renderer with time-domain filter rebuilds (partitioned, 16-tap delay)


def baseline_engine(revision: str, directory: Path):
    """``tutti.audio`` as it was at ``revision`` (read with git show), importable next to today's."""
    package = directory / "tutti_audio_baseline"
    package.mkdir()
    names = subprocess.run(["git", "ls-tree", "--name-only", f"{revision}:tutti/audio"], cwd=ROOT,
                           check=True, capture_output=True, text=True).stdout.split()
    for name in (n for n in names if n.endswith(".py")):
        source = subprocess.run(["git", "show", f"{revision}:tutti/audio/{name}"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout
        (package / name).write_text(source)
    sys.path.insert(0, str(directory))
    return importlib.import_module("tutti_audio_baseline")


def real_time_factor(hrtf, n_sources: int, block_size: int, seconds: float, clock=time.perf_counter,
                     renderer_class=BinauralRenderer) -> float:
    """Processing time / audio time of one continuous render, every source moving every block
    (``clock``: wall time, or this thread's CPU time, which other processes' load does not count)."""
    rng = np.random.default_rng(n_sources)
    renderer = renderer_class(n_sources, SAMPLE_RATE, block_size, hrtf, update_interval=1)
    block = rng.standard_normal((n_sources, block_size)).astype(np.float32)
    start_angle = rng.uniform(-180, 180, n_sources)
    speed = rng.uniform(30, 90, n_sources) * rng.choice([-1, 1], n_sources)  # deg/s
    elevation = rng.uniform(-30, 60, n_sources)
    distance = rng.uniform(1.0, 3.0, n_sources)
    blocks = int(seconds * SAMPLE_RATE / block_size)
    block_seconds = block_size / SAMPLE_RATE
    renderer.set_sources(start_angle, elevation, distance)
    renderer.process(block)  # first filters
    start = clock()
    for index in range(1, blocks + 1):
        renderer.set_sources(start_angle + speed * index * block_seconds, elevation, distance)
        renderer.process(block)
    return (clock() - start) / (blocks * block_seconds)


def largest_real_time(factor_of, start: int = 16) -> tuple[int, float]:
    """Largest N with real-time factor < 1: doubling, then bisection (2 %). Returns (N, its RTF)."""
    low, low_factor, high = 0, 0.0, start
    while (factor := factor_of(high)) < 1.0:
        low, low_factor, high = high, factor, high * 2
    while high - low > max(1, low // 50):
        middle = (low + high) // 2
        if (factor := factor_of(middle)) < 1.0:
            low, low_factor = middle, factor
        else:
            high = middle
    return low, low_factor


def chromium_factor(seconds: float):
    """RTF of Chromium's HRTF panner for N sources (None if Chromium or playwright is missing)."""
    driver = Path(__file__).with_name("spatial_chromium.mjs")
    if not (Path("/usr/bin/chromium").exists() and shutil.which("node")
            and (ROOT / "node_modules" / "playwright-core").is_dir()):
        return None

    def factor(n: int) -> float:
        # Not pinned with taskset: Chromium pinned to one busy core hung in its start-up; its
        # offline rendering runs on one audio thread anyway.
        # Bounded: the driver stops a render once it is slower than real time, so a trial takes
        # about ``seconds`` plus Chromium's start; a hung start-up counts as "not real time".
        try:
            result = subprocess.run(["node", str(driver), str(seconds), str(n)],
                                    cwd=ROOT, capture_output=True, text=True, timeout=3 * seconds + 90)
        except subprocess.TimeoutExpired:
            print(f"# Chromium trial with {n} sources timed out: counted as slower than real time",
                  flush=True)
            return float("inf")
        lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
        if not lines:
            raise RuntimeError(f"Chromium benchmark failed: {result.stderr[-2000:]}")
        return json.loads(lines[-1])["rtf"]
    return factor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="audio rendered per trial (continuous)")
    parser.add_argument("--no-chromium", action="store_true", help="skip Chromium's panner")
    parser.add_argument("--baseline", default=BASELINE,
                        help="git revision of the renderer to compare with at block 128 ('' skips it)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="also search with this thread's CPU time (what an unshared core would do: "
                             "for a machine loaded by others; Chromium's figure stays wall time)")
    args = parser.parse_args()
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    hrtf = prepare_hrtf(HrtfSet.kemar(), SAMPLE_RATE)
    print(f"# spatial audio benchmark: {platform.processor() or platform.machine()}, "
          f"python {platform.python_version()}, numpy {np.__version__}, core {core}, one thread")
    print(f"# HRTF: {hrtf.source.name}, {hrtf.filter_taps}-tap {hrtf.phase}-phase filters + delay "
          f"(up to {hrtf.max_filter_length} taps), {SAMPLE_RATE} Hz; sources on circles, all moving, "
          f"filters rebuilt every block; {args.seconds:g} s continuous renders")
    print(f"# load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"(other processes share this machine: compare within one run)")
    print()
    print("| renderer | block | max moving sources in real time | RTF at that N |")
    print("|----------|------:|--------------------------------:|--------------:|")
    ours, ours_cpu = {}, {}
    for block_size in (128, 480):
        count, factor = largest_real_time(lambda n, block=block_size: real_time_factor(hrtf, n, block, args.seconds))
        ours[block_size] = count
        print(f"| tutti.audio | {block_size} | {count} | {factor:.2f} |", flush=True)
        if args.cpu_time:
            count, factor = largest_real_time(lambda n, block=block_size: real_time_factor(
                hrtf, n, block, args.seconds, time.thread_time))
            ours_cpu[block_size] = count
            print(f"| tutti.audio, CPU time | {block_size} | {count} | {factor:.2f} |", flush=True)
    if args.baseline:
        with tempfile.TemporaryDirectory() as directory:
            old = baseline_engine(args.baseline, Path(directory))
            old_hrtf = old.prepare_hrtf(old.HrtfSet.kemar(), SAMPLE_RATE)
            count, factor = largest_real_time(lambda n: real_time_factor(
                old_hrtf, n, 128, args.seconds, renderer_class=old.BinauralRenderer))
            print(f"| tutti.audio at {args.baseline} (time-domain filter rebuilds) | 128 | {count} | "
                  f"{factor:.2f} |", flush=True)
            speed_up = ours[128] / max(count, 1)
            if args.cpu_time:
                count, factor = largest_real_time(lambda n: real_time_factor(
                    old_hrtf, n, 128, args.seconds, time.thread_time, renderer_class=old.BinauralRenderer))
                print(f"| tutti.audio at {args.baseline}, CPU time | 128 | {count} | {factor:.2f} |",
                      flush=True)
                cpu_speed_up = ours_cpu[128] / max(count, 1)
    chromium = None if args.no_chromium else chromium_factor(args.seconds)
    if chromium is None:
        print("| Chromium PannerNode HRTF | 128 | skipped (no chromium / node / playwright-core) | |")
    else:
        count, factor = largest_real_time(chromium, start=8)
        print(f"| Chromium PannerNode HRTF | 128 (render quantum) | {count} | {factor:.2f} |")
        print()
        print(f"ratio at block 128: {ours[128] / max(count, 1):.1f}x Chromium's sources")
    if args.baseline:
        print(f"speed-up at block 128 over the renderer at {args.baseline}: {speed_up:.1f}x"
              + (f" (CPU time: {cpu_speed_up:.1f}x)" if args.cpu_time else ""))
    print(f"# load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
