"""Deterministic inference: what makes honest operators agree bit for bit.

Operators run on different CPUs. The same float32 network gives logits that differ in the last
bits between code paths (AVX512 / AVX2 / plain kernels, MKL's dispatch), and ``torch.randn``
itself draws different numbers on the AVX2 path than on the plain one. A sample that falls on a
boundary then splits the quorum. So every decision a job takes is made CPU-independent:

* the network runs in float64 (code paths then differ by ~1e-15, not ~1e-6);
* its logits are rounded to a grid of :data:`QUANTUM` (1.5e-5) before anything is decided, so the
  few-ulp float64 noise changes a decision only if a logit lies within ~1e-15 of a grid midpoint;
* noise and uniform draws come from Python's Mersenne Twister (``random.Random``), whose output
  for a seed is fixed by the language, not from torch's vectorised generators;
* softmax, top-k and the inverse-CDF draw are plain Python arithmetic on the integers.

Every quantized distribution a sampler decides on is hashed into :attr:`Sampler.digest`;
``tests/models/test_cpu_paths.py`` runs the jobs under several CPU code paths (ATen kernels,
MKL dispatch) in subprocesses and compares their bytes and these digests. The worker process also
pins MKL's reproducibility mode (:func:`pin_numeric_environment`) and runs jobs on one thread.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import sys
from contextlib import contextmanager

#: Logits are decided on in whole multiples of this (2**-16).
QUANTUM = 2.0 ** -16

#: Set for the worker process before torch loads: MKL's conditional numerical reproducibility mode
#: (the same instruction path on every x86-64 CPU) for the float32 parts that remain.
NUMERIC_ENVIRONMENT = {"MKL_CBWR": "COMPATIBLE"}


def seed_from(job_seed: int, purpose: str) -> int:
    """A 63-bit seed for one use of the job's seed (so separate samplers do not share a stream)."""
    digest = hashlib.sha256(f"{purpose}:{job_seed}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def pin_numeric_environment() -> bool:
    """Pin the math library's reproducibility mode for this process; returns False (and changes
    nothing) when torch is already loaded, since MKL reads the setting once at start-up."""
    if "torch" in sys.modules:
        return False
    for name, value in NUMERIC_ENVIRONMENT.items():
        os.environ[name] = value
    return True


class Sampler:
    """Every random decision of one job: draws from quantized logits with a seeded Python RNG."""

    def __init__(self, job_seed: int, purpose: str):
        self.random = random.Random(seed_from(job_seed, purpose))
        self._digest = hashlib.sha256(purpose.encode())

    @property
    def digest(self) -> str:
        return self._digest.hexdigest()

    def quantize(self, logits) -> list[int]:
        """The logits (a 1-D tensor or sequence) as integer multiples of QUANTUM, recorded."""
        values = logits.tolist() if hasattr(logits, "tolist") else list(logits)
        grid = [round(float(v) / QUANTUM) for v in values]
        self._digest.update(b"|" + ",".join(map(str, grid)).encode())
        return grid

    def choose(self, logits, *, allowed=None, temperature: float = 1.0, top_k: int = 0) -> int:
        """An index drawn from softmax(logits / temperature) over ``allowed`` (all indices if None),
        keeping the ``top_k`` largest (ties: the lower index) when top_k > 0."""
        grid = self.quantize(logits)
        candidates = range(len(grid)) if allowed is None else allowed
        ranked = sorted(candidates, key=lambda i: (-grid[i], i))
        if top_k:
            ranked = ranked[:top_k]
        best = grid[ranked[0]]
        scale = QUANTUM / max(temperature, 1e-4)
        weights = [math.exp((grid[i] - best) * scale) for i in ranked]
        point = self.random.random() * math.fsum(weights)
        for index, weight in zip(ranked, weights):
            point -= weight
            if point < 0:
                return index
        return ranked[-1]

    def argmax(self, logits) -> int:
        """The most likely index (ties: the lower index)."""
        grid = self.quantize(logits)
        return max(range(len(grid)), key=lambda i: (grid[i], -i))

    def normal(self, count: int):
        """``count`` standard normal draws as a float64 row vector (1, count)."""
        import torch

        return torch.tensor([[self.random.gauss(0.0, 1.0) for _ in range(count)]], dtype=torch.float64)


@contextmanager
def deterministic(job_seed: int, purpose: str):
    """A :class:`Sampler` for the job, one thread and deterministic kernels for the duration."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    try:
        yield Sampler(job_seed, purpose)
    finally:
        torch.set_num_threads(threads)


def load_model(name: str, model_class):
    """The bundle ``name`` as a float64 ``model_class`` in eval mode, and the bundle."""
    from oracle.models.bundles import load_bundle

    bundle = load_bundle(name)
    model = model_class(**bundle["config"])
    model.load_state_dict(bundle["model"])
    return model.double().eval(), bundle
