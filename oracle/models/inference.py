"""Deterministic inference: what makes honest operators agree bit for bit."""

from __future__ import annotations

import hashlib
from contextlib import contextmanager


def seed_from(job_seed: int, purpose: str) -> int:
    """A 63-bit seed for one use of the job's seed (so separate samplers do not share a stream)."""
    digest = hashlib.sha256(f"{purpose}:{job_seed}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


@contextmanager
def deterministic(job_seed: int, purpose: str):
    """A seeded torch generator, one thread and deterministic kernels for the duration."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    generator = torch.Generator().manual_seed(seed_from(job_seed, purpose))
    try:
        yield generator
    finally:
        torch.set_num_threads(threads)
