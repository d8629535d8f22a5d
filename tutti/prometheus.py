"""Start a real Prometheus (the `prometheus` binary) that scrapes a list of local targets.

Used by ``make demo``, the one-command platform and the tests; also a command:

    python -m tutti.prometheus --target oracle=127.0.0.1:9101 --target indexer=127.0.0.1:8000 \\
        [--port 9090] [--data-dir .tutti/prometheus]

prints the URL and runs until interrupted. Targets are ``JOB=HOST:PORT`` (scraped at /metrics);
Tutti's alert rules (``deploy/prometheus/alerts.yml``) are loaded.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tutti.net import free_port

#: The alert rules: deploy/prometheus/alerts.yml in a checkout, the copy shipped as package data
#: (tools/package_data.py) in an installed wheel.
ALERT_RULES = next((p for p in (Path(__file__).resolve().parent.parent / "deploy" / "prometheus" / "alerts.yml",
                                Path(__file__).resolve().parent / "data" / "prometheus" / "alerts.yml") if p.is_file()),
                   Path(__file__).resolve().parent / "data" / "prometheus" / "alerts.yml")


@dataclass(frozen=True)
class Target:
    job: str
    address: str  # HOST:PORT
    path: str = "/metrics"

    @classmethod
    def parse(cls, text: str) -> Target:
        job, sep, address = text.partition("=")
        if not sep or not job or ":" not in address:
            raise ValueError(f"expected JOB=HOST:PORT, got {text!r}")
        return cls(job, address)


def config_for(targets: list[Target], rule_files: list[Path], scrape_interval: str = "2s") -> dict:
    """A prometheus.yml (as a dict; JSON is valid YAML) scraping ``targets``, grouped by job."""
    jobs: dict[tuple[str, str], list[str]] = {}
    for target in targets:
        jobs.setdefault((target.job, target.path), []).append(target.address)
    return {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval},
        "rule_files": [str(p) for p in rule_files],
        "scrape_configs": [{"job_name": job, "metrics_path": path, "static_configs": [{"targets": addresses}]}
                           for (job, path), addresses in jobs.items()],
    }


@dataclass
class Prometheus:
    url: str
    process: subprocess.Popen
    folder: Path
    _owned_folder: bool = field(default=False, repr=False)

    def query(self, expression: str) -> list[dict]:
        """Instant query; the result vector (``[{"metric": {...}, "value": [t, "v"]}, ...]``)."""
        with urllib.request.urlopen(f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": expression}),
                                    timeout=10) as response:
            return json.load(response)["data"]["result"]

    def targets(self) -> list[dict]:
        with urllib.request.urlopen(f"{self.url}/api/v1/targets", timeout=10) as response:
            return json.load(response)["data"]["activeTargets"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self._owned_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Prometheus:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def start_prometheus(targets: list[Target], *, port: int | None = None, data_dir: Path | None = None,
                     rule_files: list[Path] | None = None, scrape_interval: str = "2s",
                     binary: str = "prometheus", timeout: float = 60.0) -> Prometheus:
    """Start Prometheus on 127.0.0.1 (a free port unless given) scraping ``targets``; waits until ready."""
    exe = shutil.which(binary)
    if exe is None:
        raise FileNotFoundError(f"{binary!r} is not installed (Debian: apt-get install prometheus)")
    owned = data_dir is None
    folder = Path(tempfile.mkdtemp(prefix="tutti-prometheus-")) if owned else Path(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "prometheus.yml"
    rules = [ALERT_RULES] if rule_files is None else rule_files
    config.write_text(json.dumps(config_for(targets, rules, scrape_interval), indent=2))
    port = port or free_port()
    log = (folder / "prometheus.log").open("ab")
    process = subprocess.Popen(
        [exe, f"--config.file={config}", f"--storage.tsdb.path={folder / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=1d"],
        stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    server = Prometheus(f"http://127.0.0.1:{port}", process, folder, owned)
    give_up = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{server.url}/-/ready", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > give_up:
            server.stop()
            raise RuntimeError(f"prometheus did not start; its log:\n{(folder / 'prometheus.log').read_text()[-3000:]}")
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tutti.prometheus", description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", action="append", default=[], type=Target.parse, metavar="JOB=HOST:PORT")
    parser.add_argument("--port", type=int, default=None, help="Listen port (default: a free one).")
    parser.add_argument("--data-dir", type=Path, default=None, help="Config and TSDB folder (default: temporary).")
    parser.add_argument("--scrape-interval", default="2s")
    args = parser.parse_args(argv)
    if not args.target:
        parser.error("give at least one --target JOB=HOST:PORT")
    server = start_prometheus(args.target, port=args.port, data_dir=args.data_dir,
                              scrape_interval=args.scrape_interval)
    print(f"prometheus: {server.url}  (targets: {server.url}/targets, alerts: {server.url}/alerts)", flush=True)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        while not stopping and server.process.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
