"""The whole local platform in one command, for the web app: ``make platform`` (``bin/platform``).

Starts, each on a free 127.0.0.1 port, with its state in one folder: anvil; ``ape run deploy``;
the IPFS HTTP face over the embedded store (``tutti ipfs serve``); ``ape run sample_works`` (three
works and a remix, a room, voters, bonded operators); three oracle workers; the indexer and its
API (CORS open to the app); a media node for the sample room (listed in the room directory) with the
AI accompanist in it (``tutti-media accompany``, its own pass); the web app (web/app/dist) with a
``config.json`` naming all of them; and Prometheus scraping every service's /metrics (the workers',
the IPFS service's, the indexer API's, the media node's), with Tutti's alert rules, when Debian's
``prometheus`` is installed. The app is also added to
IPFS as a directory, so the same build is served by the gateway. Prints the URL to open and runs
until Ctrl-C (or SIGTERM), then stops everything it started.

Tests use :class:`Platform` directly (tests/webapp: one platform per session).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tutti.net import free_port

ROOT = Path(__file__).resolve().parent.parent
APP_DIST = ROOT / "web" / "app" / "dist"
MNEMONIC = "test test test test test test test test test test test junk"
NETWORK = "ethereum:local:foundry"
#: Test accounts 7, 8, 9 run the oracle (two must agree), 1 hosts the sample room.
OPERATORS = (7, 8, 9)
ROOM_HOST = 1
#: Test account 3 is the live AI accompanist of the sample room: it buys its pass like anyone.
ACCOMPANIST = 3


class PlatformError(RuntimeError):
    """A service did not start; the message names it and where its log is."""


def anvil_key(index: int) -> str:
    """Private key of anvil's test account ``index`` (public knowledge: the standard test mnemonic)."""
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}").key.hex()


def anvil_address(index: int) -> str:
    from eth_account import Account

    return Account.from_key(anvil_key(index)).address


class _AppHandler(SimpleHTTPRequestHandler):
    """Serves the built app; ``/config.json`` comes from memory (it names this run's ports)."""

    config_bytes = b"{}"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.split("?")[0] == "/config.json":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(self.config_bytes)))
            self.end_headers()
            self.wfile.write(self.config_bytes)
            return
        super().do_GET()

    def log_message(self, *args) -> None:
        pass


class Platform:
    """Every service of a local Tutti, started in order and stopped in reverse."""

    def __init__(self, state_dir: Path | None = None, *, media_node: bool = True, quiet: bool = False,
                 prometheus: bool = True) -> None:
        self._owns_state = state_dir is None
        self.state = Path(state_dir or tempfile.mkdtemp(prefix="tutti-platform-"))
        self.state.mkdir(parents=True, exist_ok=True)
        self.media_node = media_node
        self.quiet = quiet
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.urls: dict[str, str] = {}
        self.room_id: int | None = None
        self.app_cid: str | None = None
        self._http: ThreadingHTTPServer | None = None
        self.want_prometheus = prometheus
        self.prometheus = None  # tutti.prometheus.Prometheus once started
        self.metrics_targets: list = []  # tutti.prometheus.Target of every service
        tools = Path(sys.executable).parent
        self.env = {
            **os.environ,
            "PATH": f"{ROOT / 'tools/bin'}:{tools}:{os.environ.get('PATH', '')}",
            "TUTTI_DEPLOYMENTS_DIR": str(self.state / "deployments"),
            "TUTTI_DATA_DIR": str(self.state / "data"),
            "PYTHONPATH": f"{ROOT}:{os.environ.get('PYTHONPATH', '')}".rstrip(":"),
        }

    # --- helpers ------------------------------------------------------------------------------
    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, flush=True)

    def _spawn(self, name: str, command: list[str], **extra_env: str) -> subprocess.Popen:
        log = open(self.state / f"{name}.log", "wb")
        process = subprocess.Popen(command, cwd=ROOT, env={**self.env, **extra_env}, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append((name, process))
        return process

    def _run(self, name: str, command: list[str]) -> str:
        result = subprocess.run(command, cwd=ROOT, env=self.env, capture_output=True, text=True)
        (self.state / f"{name}.log").write_text(result.stdout + result.stderr)
        if result.returncode != 0:
            raise PlatformError(f"{name} failed (see {self.state / f'{name}.log'}):\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
        return result.stdout

    def _wait(self, name: str, check, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        process = dict(self.processes).get(name)
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                if check():
                    return
            if process is not None and process.poll() is not None:
                raise PlatformError(f"{name} exited with {process.returncode} (see {self.state / f'{name}.log'})")
            time.sleep(0.1)
        raise PlatformError(f"{name} did not come up within {timeout:.0f} s (see {self.state / f'{name}.log'})")

    @staticmethod
    def _port_open(port: int) -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True

    @staticmethod
    def _answers(url: str) -> bool:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200

    # --- start ---------------------------------------------------------------------------------
    def start(self) -> Platform:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        if not (APP_DIST / "index.html").exists():
            raise PlatformError("the web app is not built: run `bin/setup` (or `npm run build` in web/app)")
        port = free_port()
        self._spawn("anvil", ["anvil", "--host", "127.0.0.1", "--port", str(port), "--hardfork", "prague", "--silent",
                              "--accounts", "10", "--mnemonic", MNEMONIC])
        self._wait("anvil", lambda: self._port_open(port))
        self.urls["rpc"] = f"http://127.0.0.1:{port}"
        self.env["APE_FOUNDRY_HOST"] = self.urls["rpc"]
        self.say(f"== anvil on {self.urls['rpc']}")

        operators = [f"--operator={anvil_address(i)}" for i in OPERATORS]
        self._run("deploy", ["ape", "run", "deploy", "--network", NETWORK, "--account", "TEST::0", "--oracle-quorum", "2",
                             "--oracle-min-bond", str(10**18 // 2), *operators])
        self.say("== deployed (ape run deploy)")

        ipfs_port = free_port()
        self._spawn("ipfs", [sys.executable, "-c", "from tutti.cli import main; main()", "ipfs", "serve", "--port", str(ipfs_port)])
        self.urls["ipfs"] = f"http://127.0.0.1:{ipfs_port}"
        self._scrape("ipfs", ipfs_port)
        self._wait("ipfs", lambda: self._port_open(ipfs_port))
        self.say(f"== IPFS (embedded store): RPC {self.urls['ipfs']}/api/v0, gateway {self.urls['ipfs']}/ipfs/")

        output = self._run("samples", ["ape", "run", "sample_works", "--network", NETWORK])
        self.room_id = int(output.strip().splitlines()[-1].split()[-1])
        self.say(f"== sample works, room {self.room_id}, voters and bonded operators")

        # Confirmations: the local default (0). Anvil mines only on demand, so a job waiting to be
        # buried under a later block would wait for somebody else's transaction.
        for index in OPERATORS:
            metrics_port = free_port()
            self._spawn(f"worker{index}", ["tutti-oracle", "run", "--network", NETWORK, "--account", f"TEST::{index}",
                                           "--kinds", "analyze,render,compose,improvise,accompany,usage", "--poll-interval", "0.3",
                                           "--journal", str(self.state / f"worker{index}.sqlite"),
                                           "--metrics-port", str(metrics_port)])
            self._scrape("oracle", metrics_port)
        self.say("== three oracle workers (test accounts 7, 8, 9)")

        api_port, app_port = free_port(), free_port()
        self.urls["app"] = f"http://127.0.0.1:{app_port}"
        database = f"sqlite:///{self.state / 'indexer.sqlite3'}"
        self._spawn("indexer", ["tutti-indexer", "run", "--rpc-url", self.urls["rpc"], "--network", "ethereum:local",
                                "--poll-interval", "0.3", "--database-url", database])
        self.urls["indexer"] = f"http://127.0.0.1:{api_port}"
        self._spawn("indexer-api", ["tutti-indexer", "serve", "--port", str(api_port), "--database-url", database],
                    TUTTI_INDEXER_CORS_ORIGINS="*", TUTTI_INDEXER_RPC_URL=self.urls["rpc"])  # /readyz asks the chain
        self._wait("indexer-api", lambda: self._answers(f"{self.urls['indexer']}/health"))
        self._scrape("indexer", api_port)
        self.say(f"== indexer API {self.urls['indexer']} (docs at /docs, live events at /stream)")

        if self.media_node:
            media_port = free_port()
            self.urls["media"] = f"http://127.0.0.1:{media_port}"
            book = json.loads((self.state / "deployments/ethereum/local.json").read_text())
            self._spawn("media", ["tutti-media", "serve", "--room", str(self.room_id), "--port", str(media_port),
                                  "--rpc-url", self.urls["rpc"], "--pass-contract", book["contracts"]["AccessPass"],
                                  "--announce", self.urls["indexer"], "--pass-url", f"{self.urls['app']}/#/rooms"],
                        TUTTI_MEDIA_HOST_KEY=anvil_key(ROOM_HOST))
            self._wait("media", lambda: self._answers(f"{self.urls['media']}/healthz"))
            self._scrape("media", media_port)
            self.say(f"== media node for room {self.room_id}: {self.urls['media']}/ (listed in the room directory)")
            with self._optional("the AI accompanist"):
                self._start_accompanist()

        self._serve_app(app_port)
        self.say(f"== web app {self.urls['app']}/ (also on IPFS: {self.urls['ipfs']}/ipfs/{self.app_cid}/)")
        if self.media_node and dict(self.processes).get("accompanist"):  # its models take a while to load
            with self._optional("the AI accompanist"):
                self._wait("accompanist", self._accompanist_joined, timeout=180)
        self._start_prometheus()

    # --- metrics -------------------------------------------------------------------------------
    def _scrape(self, job: str, port: int) -> None:
        from tutti.prometheus import Target

        self.metrics_targets.append(Target(job, f"127.0.0.1:{port}"))

    def _start_prometheus(self) -> None:
        """Prometheus beside the services, scraping every one (skipped, with a line saying so,
        where Debian's ``prometheus`` is not installed)."""
        from tutti.prometheus import start_prometheus

        if not self.want_prometheus:
            return
        if shutil.which("prometheus") is None:
            self.say("== no Prometheus: `prometheus` is not installed (Debian: apt-get install prometheus)")
            return
        self.prometheus = start_prometheus(self.metrics_targets, data_dir=self.state / "prometheus")
        self.urls["prometheus"] = self.prometheus.url
        self.say(f"== Prometheus {self.prometheus.url}/targets scraping {len(self.metrics_targets)} services "
                 f"(graphs at /graph, alerts at /alerts)")

    @contextlib.contextmanager
    def _optional(self, what: str):
        """A part the platform can run without: its failure is reported, not fatal."""
        try:
            yield
        except PlatformError as exc:
            self.say(f"!! {what} is not running ({exc}); everything else is")

    def _start_accompanist(self) -> None:
        """The AI accompanist (``tutti-media accompany``) buys a pass and joins the sample room."""
        self._run("accompanist-pass", ["ape", "run", "buy_pass", "--network", NETWORK, "--account",
                                       f"TEST::{ACCOMPANIST}", "--room", str(self.room_id)])
        self._spawn("accompanist", ["tutti-media", "accompany", "--url", self.urls["media"], "--room", str(self.room_id)],
                    TUTTI_MEDIA_KEY=anvil_key(ACCOMPANIST))
        self.say(f"== AI accompanist (test account {ACCOMPANIST}, its own pass) in room {self.room_id}: "
                 "plays bass and chords to whoever plays")

    def _accompanist_joined(self) -> bool:
        with urllib.request.urlopen(f"{self.urls['media']}/api/stats", timeout=1) as response:
            return anvil_address(ACCOMPANIST) in {m["address"] for m in json.load(response)["musicians"]}

    def app_config(self) -> dict:
        book = json.loads((self.state / "deployments/ethereum/local.json").read_text())
        return {
            "chainId": book["chain_id"], "chainName": "Local chain (anvil)", "rpcUrl": self.urls["rpc"],
            "indexerUrl": self.urls["indexer"], "ipfsApiUrl": self.urls["ipfs"], "gatewayUrl": self.urls["ipfs"],
            "contracts": book["contracts"], "extras": book.get("extras", {}),
        }

    def _serve_app(self, port: int) -> None:
        config = json.dumps(self.app_config(), indent=2).encode()
        handler = type("Handler", (_AppHandler,), {"config_bytes": config})
        self._http = ThreadingHTTPServer(("127.0.0.1", port), partial(handler, directory=str(APP_DIST)))
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        # The same build, pinned as a directory with its config: served by any gateway, relative paths.
        from tutti.ipfs.embedded import EmbeddedStore

        files: dict = {"config.json": config}
        for path in APP_DIST.rglob("*"):
            if path.is_file() and not path.name.endswith(".map") and path.name != "meta.json":
                parts = path.relative_to(APP_DIST).parts
                node = files
                for part in parts[:-1]:
                    node = node.setdefault(part, {})
                node[parts[-1]] = path.read_bytes()
        self.app_cid = EmbeddedStore(self.state / "data" / "ipfs").add_directory(files, cid_version=1)

    # --- stop ----------------------------------------------------------------------------------
    def stop(self) -> None:
        if self.prometheus is not None:
            self.prometheus.stop()
            self.prometheus = None
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        for _name, process in reversed(self.processes):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for _name, process in reversed(self.processes):
            try:
                process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()
        if self._owns_state:
            shutil.rmtree(self.state, ignore_errors=True)

    def __enter__(self) -> Platform:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def main() -> None:
    platform = Platform()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM stops it like Ctrl-C
    try:
        platform.start()  # Ctrl-C while starting stops what has started (Platform.start)
    except PlatformError as exc:
        sys.exit(f"platform: {exc}")
    except KeyboardInterrupt:
        sys.exit("platform: interrupted while starting; everything started was stopped")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    if "prometheus" in platform.urls:
        print(f"\nMetrics of every service: {platform.urls['prometheus']}/targets", flush=True)
    print(f"\nOpen {platform.urls['app']}/ (Ctrl-C stops everything; state in {platform.state})", flush=True)
    try:
        stop.wait()
    finally:
        print("\nstopping…", flush=True)
        platform.stop()


if __name__ == "__main__":
    main()
