"""Bundles: the unit that ships (Magenta's term): model weights + config + training step +
metadata in one ``.pt`` file under ``checkpoints/``, listed in ``checkpoints/manifest.json`` with
its sha256. That sha256 is the model id a job attests on chain, so a changed file is a new model.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

CHECKPOINTS = Path(__file__).resolve().parent / "checkpoints"
MANIFEST = "manifest.json"


class BundleError(RuntimeError):
    pass


def save_bundle(name: str, payload: dict, folder: Path = CHECKPOINTS, command: str = "") -> dict:
    """Write ``name.pt`` and its manifest entry; returns the entry."""
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.pt"
    torch.save(payload, path)
    data = path.read_bytes()
    entry = {"file": path.name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
             "step": payload.get("step"), "trained_by": command}
    manifest_path = folder / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest[name] = entry
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    load_bundle.cache_clear()
    return entry


@lru_cache(maxsize=None)
def load_bundle(name: str, folder: Path = CHECKPOINTS) -> dict:
    """The bundle's payload, after checking the file is the one the manifest names."""
    import torch

    manifest_path = folder / MANIFEST
    if not manifest_path.exists():
        raise BundleError(f"no model manifest in {folder}; train with `tutti-train train`")
    entry = json.loads(manifest_path.read_text()).get(name)
    if entry is None:
        raise BundleError(f"model {name!r} is not in {manifest_path}")
    data = (folder / entry["file"]).read_bytes()
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise BundleError(f"{entry['file']} does not match its manifest sha256")
    import io

    payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    payload["sha256"] = entry["sha256"]
    return payload


def model_id(*names: str, folder: Path = CHECKPOINTS) -> bytes:
    """32 bytes: the bundle's sha256 (one model), or the sha256 of the sorted bundle hashes (a job
    that uses several). Read from the manifest so importing a job kind does not load torch."""
    manifest = json.loads((folder / MANIFEST).read_text()) if (folder / MANIFEST).exists() else {}
    hashes = [manifest.get(name, {}).get("sha256", "0" * 64) for name in names]
    if len(hashes) == 1:
        return bytes.fromhex(hashes[0])
    return hashlib.sha256("".join(sorted(hashes)).encode()).digest()
