"""Web app bundle size: the JavaScript the first page (the works list) loads, raw and gzip -9, from
esbuild's metafile (web/app/dist/meta.json), against the goal of 300 KB compressed.

    source bin/env && python bench/webapp.py
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

DIST = Path(__file__).resolve().parent.parent / "web" / "app" / "dist"
GOAL = 300 * 1024


def first_page_files(meta: dict) -> list[str]:
    """app.js and every chunk it imports statically (dynamic imports load with later pages)."""
    outputs = meta["outputs"]
    entry = next(name for name in outputs if name.endswith("/app.js") or name == "app.js")
    seen, todo = [], [entry]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.append(name)
        todo += [item["path"] for item in outputs[name].get("imports", []) if item["kind"] == "import-statement"]
    return seen


def main() -> None:
    meta_file = DIST / "meta.json"
    if not meta_file.exists():
        sys.exit("build the app first: (cd web/app && npm run build)")
    meta = json.loads(meta_file.read_text())
    files = first_page_files(meta)
    root = DIST.parent
    raw = sum((root / name).stat().st_size for name in files)
    packed = sum(len(gzip.compress((root / name).read_bytes(), 9)) for name in files)
    every = [name for name in meta["outputs"] if name.endswith(".js")]
    all_packed = sum(len(gzip.compress((root / name).read_bytes(), 9)) for name in every)
    print(f"first page: {len(files)} JS files, {raw / 1024:.0f} KiB raw, {packed / 1024:.0f} KiB gzip -9 "
          f"(goal < {GOAL // 1024} KiB: {'met' if packed < GOAL else 'NOT met'})")
    print(f"whole app:  {len(every)} JS files, {all_packed / 1024:.0f} KiB gzip -9")


if __name__ == "__main__":
    main()
