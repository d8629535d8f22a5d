"""Training through Spark's TorchDistributor: two local processes (DDP) write a loadable bundle."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from oracle.training.config import PrepareConfig
from oracle.training.prepare import prepare
from tests.models.test_prepare import SOURCES

PROJECT = Path(__file__).resolve().parents[2]


def test_composer_trains_on_two_processes_through_torch_distributor(spark, tmp_path):
    data, output = tmp_path / "prepared", tmp_path / "bundles"
    prepare(PrepareConfig(output=str(data), transpositions=(0,), folds=3, partitions=2), spark=spark, sources=SOURCES)

    done = subprocess.run(
        [str(Path(sys.executable).parent / "tutti-train"), "train", "composer", "--data", str(data),
         "--steps", "3", "--distributed", "2", "--output", str(output)],
        cwd=PROJECT, env=dict(os.environ), capture_output=True, text=True, timeout=300,
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-3000:]
    assert "Finished local training with 2 processes" in log
    manifest = json.loads((output / "manifest.json").read_text())
    bundle = output / manifest["composer"]["file"]
    assert manifest["composer"]["sha256"] == hashlib.sha256(bundle.read_bytes()).hexdigest()
    assert manifest["composer"]["step"] == 3
    assert (output / "curves" / "composer.png").exists()  # curves go beside the bundle, not into the repo

    from oracle.models.bundles import load_bundle

    payload = load_bundle("composer", output)  # checks the file against the manifest, then loads it
    assert payload  # the bundle the distributed run wrote loads for inference
