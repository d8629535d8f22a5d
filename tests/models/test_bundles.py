"""The shipped bundles are what the manifest says, small, and their hashes are the attested ids."""

from __future__ import annotations

import hashlib
import json

from oracle.jobs import kind_named
from oracle.models.bundles import CHECKPOINTS, load_bundle, model_id


def test_manifest_hashes_match_the_files_and_bundles_are_small():
    manifest = json.loads((CHECKPOINTS / "manifest.json").read_text())
    assert set(manifest) >= {"composer", "composer_baseline", "composer_structure", "improviser", "improviser_rhythm",
                             "harmonizer", "recommender"}
    assert set(manifest) - {"composer_transformer", "composer_lstm"} == {
        "composer", "composer_baseline", "composer_structure", "improviser", "improviser_rhythm", "harmonizer",
        "recommender"}
    for name, entry in manifest.items():
        data = (CHECKPOINTS / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert len(data) < 5_000_000
        assert entry["trained_by"].startswith(f"tutti-train train {name.replace('_', '-')}")
        bundle = load_bundle(name)
        assert bundle["step"] is not None
        if name == "composer_structure":
            assert bundle["structure"]["pieces"] and bundle["structure"]["forms"]
        elif name == "improviser_rhythm":
            assert bundle["rhythm"].sum() > 0 and 0 < bundle["temperature"] <= 1
        else:
            assert bundle["config"]


def test_job_model_ids_are_the_bundle_hashes():
    # compose attests the network and the structure statistics its decoding uses
    assert kind_named("compose").model_id == model_id("composer", "composer_structure")
    hashes = sorted(load_bundle(name)["sha256"] for name in ("composer", "composer_structure"))
    assert kind_named("compose").model_id == hashlib.sha256("".join(hashes).encode()).digest()
    # improvise attests the GAN and the rhythm model (with its temperature) it draws rhythms from
    hashes = sorted(load_bundle(name)["sha256"] for name in ("improviser", "improviser_rhythm"))
    assert kind_named("improvise").model_id == hashlib.sha256("".join(hashes).encode()).digest()
    assert len(kind_named("accompany").model_id) == 32
