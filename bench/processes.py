"""The benchmarks' child processes: each started in a process group of its own, so stopping it
also stops whatever it started (workers, node helpers), first politely, then for good."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start(argv: list[str], cwd: Path = ROOT, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(argv, cwd=cwd, start_new_session=True, **kwargs)


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
