"""Issue 12.9: job results must not depend on the CPU's floating-point path.

Each job runs in a fresh subprocess under a different code path: ATen's kernels pinned to the plain
(``default``) or the AVX2 build and MKL's dispatch pinned to its reproducible (``COMPATIBLE``) or its
AVX2 path. The test first shows that these really are different paths (the float64 composer's
raw logits and torch's own normal draws differ between them), then that every quantized
distribution a job sampled from, and every byte it wrote, are identical."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from oracle.models.inference import QUANTUM, Sampler

PROJECT = Path(__file__).resolve().parents[2]

PROBE = r"""
import hashlib, json
import torch
from oracle.jobs import JobContext, kind_named
from oracle.models import inference
from oracle.models.composer import Composer
from oracle.models.midi import melody_track, read_melody, write_midi
from oracle.models.vocabulary import Conditioning
from tests.worker.midi_samples import chorale_midi

samplers = []

class RecordingSampler(inference.Sampler):  # the jobs' own sampler, kept to read its digest
    def __init__(self, *args):
        super().__init__(*args)
        samplers.append(self)

inference.Sampler = RecordingSampler

def sha(data):
    return hashlib.sha256(data).hexdigest()

model, _ = inference.load_model("composer", Composer)
tokens = torch.randint(1, 40, (1, 200), generator=torch.Generator().manual_seed(1))
positions = torch.randint(0, 16, (1, 200), generator=torch.Generator().manual_seed(2))
with torch.no_grad():
    logits, _ = model(tokens, positions, torch.tensor([Conditioning(2, "minor", "4/4", "folk").ids]), phrases=positions)
raw = {"composer_logits": sha(logits.numpy().tobytes()),
       "torch_randn": sha(torch.randn(64, generator=torch.Generator().manual_seed(3)).numpy().tobytes())}

song = read_melody(chorale_midi("bach/bwv66.6"))
melody = write_midi([melody_track(song.events, start=song.start_position)], bpm=80, meter=song.meter)
jobs = {}
for kind, given, params in [
        ("compose", b"", {"key": "F# minor", "bars": 24, "temperature": 1.3}),
        ("compose", melody, {"bars": 8, "top_k": 12}),
        ("improvise", b"", {"chords": ["A", "F#m", "D", "E7"] * 4, "temperature": 1.5}),
        ("accompany", melody, {"style": "jazz", "temperature": 1.0}),
        ("accompany", melody, {"style": "folk"})]:
    result = kind_named(kind).run(JobContext(1, 77, given, params))
    jobs[f"{kind} {json.dumps(params, sort_keys=True)}"] = {
        "files": {name: sha(data) for name, data in sorted(result.files.items())},
        "sampling": samplers[-1].digest}
print(json.dumps({"capability": torch.backends.cpu.get_cpu_capability(), "raw": raw, "jobs": jobs}))
"""

PATHS = ({"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE"},
         {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2"})


def _run_probe(environment: dict) -> dict:
    import os

    env = {**os.environ, "PYTHONPATH": str(PROJECT), **environment}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=PROJECT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_jobs_give_the_same_bytes_on_plain_and_avx2_code_paths():
    if "avx2" not in Path("/proc/cpuinfo").read_text():
        pytest.skip("this CPU has no AVX2 path to compare with the plain one")
    plain, avx2 = (_run_probe(environment) for environment in PATHS)
    assert (plain["capability"], avx2["capability"]) == ("DEFAULT", "AVX2")
    # The two processes really compute differently ...
    assert plain["raw"]["composer_logits"] != avx2["raw"]["composer_logits"]
    assert plain["raw"]["torch_randn"] != avx2["raw"]["torch_randn"]
    # ... yet decide on identical quantized distributions and write identical bytes.
    assert plain["jobs"] == avx2["jobs"]
    assert len(plain["jobs"]) == 5


def test_sampler_decisions_ignore_noise_far_below_the_quantum():
    import random

    rng = random.Random(5)
    rows = [[rng.uniform(-8, 8) for _ in range(40)] for _ in range(300)]
    noisy = [[value + rng.uniform(-1e-12, 1e-12) for value in row] for row in rows]
    first, second = Sampler(9, "test"), Sampler(9, "test")
    assert [first.choose(r, temperature=0.7) for r in rows] == [second.choose(r, temperature=0.7) for r in noisy]
    assert first.digest == second.digest
    # A change of a whole quantum is a different distribution, and the digest says so.
    third = Sampler(9, "test")
    third.choose([rows[0][0] + 2 * QUANTUM, *rows[0][1:]])
    assert Sampler(9, "test").digest != third.digest


def test_sampler_keeps_to_allowed_indices_and_top_k():
    sampler = Sampler(3, "test")
    logits = [0.0, 5.0, 4.9, 4.8, -1.0, 3.0]
    draws = [sampler.choose(logits, allowed=[0, 2, 3, 4], top_k=2, temperature=2.0) for _ in range(400)]
    assert set(draws) == {2, 3}
    assert sampler.argmax([1.0, 3.0, 3.0 + QUANTUM / 4]) == 1  # a tie within the quantum: the lower index
