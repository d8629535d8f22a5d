"""Benchmark: how many moving sources the binaural renderer sustains in real time on one core.

Run: ``python bench/spatial.py`` (from the repository root, with the project venv). Prints, for
block sizes 128 and 480 at 48 kHz, the largest number of sources, all moving every block, whose
rendering takes less time than the audio lasts (real-time factor < 1), and a table of cost
against the number of sources.
"""

from __future__ import annotations

import os

# One core, one thread: set before numpy/scipy load their thread pools.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                  "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tutti.audio import BinauralRenderer, HrtfSet, prepare_hrtf  # noqa: E402

SAMPLE_RATE = 48000


def real_time_factor(hrtf, n_sources: int, block_size: int, seconds: float) -> float:
    """Processing time / audio time with every source moving (new direction every block).

    Best of three trials: timing noise (other processes, frequency scaling) only ever adds time.
    """
    rng = np.random.default_rng(n_sources)
    renderer = BinauralRenderer(n_sources, SAMPLE_RATE, block_size, hrtf)
    block = rng.standard_normal((n_sources, block_size)).astype(np.float32)
    azimuth = rng.uniform(-180, 180, n_sources)
    elevation = rng.uniform(-40, 80, n_sources)
    speed = rng.uniform(-2, 2, n_sources)  # degrees per block: ~200 deg/s at block 480
    blocks = max(20, int(seconds * SAMPLE_RATE / block_size))
    for index in range(5):  # warm-up: first filters, caches
        renderer.set_sources(azimuth + speed * index, elevation, 1.5)
        renderer.process(block)
    trials = []
    for _ in range(3):
        start = time.perf_counter()
        for index in range(5, 5 + blocks):
            renderer.set_sources(azimuth + speed * index, elevation + np.sin(index / 9.0), 1.5)
            renderer.process(block)
        trials.append(time.perf_counter() - start)
    return min(trials) / (blocks * block_size / SAMPLE_RATE)


def max_real_time_sources(hrtf, block_size: int, seconds: float) -> tuple[int, float]:
    """Largest N with real-time factor < 1: doubling, then bisection. Returns (N, its RTF)."""
    low, low_factor, high = 0, 0.0, 16
    while (factor := real_time_factor(hrtf, high, block_size, seconds)) < 1.0:
        low, low_factor, high = high, factor, high * 2
    while high - low > max(1, low // 50):  # 2 % resolution
        middle = (low + high) // 2
        if (factor := real_time_factor(hrtf, middle, block_size, seconds)) < 1.0:
            low, low_factor = middle, factor
        else:
            high = middle
    return low, low_factor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.5, help="audio rendered per trial")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    hrtf = prepare_hrtf(HrtfSet.kemar(), SAMPLE_RATE)
    print(f"# spatial audio benchmark: {platform.processor() or platform.machine()}, "
          f"python {platform.python_version()}, numpy {np.__version__}, one core, one thread")
    print(f"# HRTF: {hrtf.source.name}, {hrtf.filter_taps}-tap minimum-phase filters + delay "
          f"(up to {hrtf.max_filter_length} taps), {SAMPLE_RATE} Hz, all sources moving")
    print()
    print("| block | max moving sources in real time | RTF at that N |")
    print("|------:|--------------------------------:|--------------:|")
    for block_size in (128, 480):
        count, factor = max_real_time_sources(hrtf, block_size, args.seconds)
        print(f"| {block_size} | {count} | {factor:.2f} |", flush=True)
    print()
    print("| sources | block | ms per block | us per source per block | RTF |")
    print("|--------:|------:|-------------:|------------------------:|----:|")
    for block_size in (128, 480):
        for count in (1, 16, 64, 256, 512):
            factor = real_time_factor(hrtf, count, block_size, args.seconds)
            block_ms = factor * block_size / SAMPLE_RATE * 1e3
            print(f"| {count} | {block_size} | {block_ms:.2f} | {block_ms * 1e3 / count:.1f} | "
                  f"{factor:.3f} |", flush=True)


if __name__ == "__main__":
    main()
