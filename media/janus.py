"""Janus (the Meetecho WebRTC server) as the audience's SFU: our own instance and its HTTP APIs.

:class:`JanusProcess` starts Debian's ``/usr/bin/janus`` with a configuration folder written here
(never the system service's ``/etc/janus``): the HTTP transport and the Admin API on 127.0.0.1 on
free ports, only the streaming plugin loaded, ``token_auth`` on (every Janus API request needs a
token the node added with the Admin API's ``add_token``), a streaming-plugin ``admin_key`` (so a
listener's token cannot create or edit mountpoints) and an Admin API secret, all random per run.

:class:`JanusClient` speaks Janus' JSON-over-HTTP API (``/janus``: sessions, handles, plugin
messages, long-poll events) and its Admin API (``/admin``: tokens, sessions), with aiohttp.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tutti.net import free_port
from tutti.settings import get_settings

logger = logging.getLogger(__name__)



def janus_binary() -> Path:
    """The Janus binary ``--janus auto`` starts (``TUTTI_JANUS_BINARY``)."""
    return Path(get_settings().janus.binary)
STREAMING = "janus.plugin.streaming"


class JanusError(RuntimeError):
    """Janus refused a request or could not be reached; the message says which and why."""


@dataclass(frozen=True)
class JanusEndpoints:
    """Where a Janus instance answers and the secrets that operate it (the node keeps these)."""

    url: str  # the Janus API, e.g. http://127.0.0.1:8088/janus
    admin_url: str  # the Admin API, e.g. http://127.0.0.1:7088/admin
    admin_secret: str
    streaming_admin_key: str
    public_url: str | None = None  # what listeners are told to use [default: url]

    @property
    def listener_url(self) -> str:
        return self.public_url or self.url


def write_config(folder: Path, *, http_port: int, admin_port: int, admin_secret: str,
                 streaming_admin_key: str, rtp_ports: tuple[int, int] | None = None,
                 debug_level: int = 3) -> None:
    """Janus configuration for an audience SFU on this machine (libconfig syntax, .jcfg)."""
    folder.mkdir(parents=True, exist_ok=True)
    lib_dir = get_settings().janus.lib_dir
    plugins = sorted(p.name for p in (lib_dir / "plugins").glob("libjanus_*.so")
                     if p.name != "libjanus_streaming.so")
    transports = sorted(p.name for p in (lib_dir / "transports").glob("libjanus_*.so")
                        if p.name != "libjanus_http.so")
    media = f'\trtp_port_range = "{rtp_ports[0]}-{rtp_ports[1]}"\n' if rtp_ports else ""
    (folder / "janus.jcfg").write_text(
        "general: {\n"
        f'\tconfigs_folder = "{folder}"\n'
        f'\tplugins_folder = "{lib_dir / "plugins"}"\n'
        f'\ttransports_folder = "{lib_dir / "transports"}"\n'
        f'\tevents_folder = "{lib_dir / "events"}"\n'
        f'\tloggers_folder = "{lib_dir / "loggers"}"\n'
        f"\tdebug_level = {int(debug_level)}\n"
        f'\tadmin_secret = "{admin_secret}"\n'
        "\ttoken_auth = true\n"  # every /janus request needs a token from add_token
        "\tsession_timeout = 30\n"  # a listener gone silent (no keepalive) is dropped
        "}\n"
        f"media: {{\n{media}}}\n"
        "nat: {\n\tnice_debug = false\n\tice_ignore_list = \"vmnet\"\n}\n"
        f'plugins: {{\n\tdisable = "{",".join(plugins)}"\n}}\n'
        f'transports: {{\n\tdisable = "{",".join(transports)}"\n}}\n'
        "events: {\n\tbroadcast = false\n}\n")
    (folder / "janus.transport.http.jcfg").write_text(
        "general: {\n\tjson = \"compact\"\n\tbase_path = \"/janus\"\n\thttp = true\n"
        f'\tport = {int(http_port)}\n\tip = "127.0.0.1"\n\thttps = false\n}}\n'
        "admin: {\n\tadmin_base_path = \"/admin\"\n\tadmin_http = true\n"
        f'\tadmin_port = {int(admin_port)}\n\tadmin_ip = "127.0.0.1"\n\tadmin_https = false\n}}\n'
        "cors: {\n}\n")
    (folder / "janus.plugin.streaming.jcfg").write_text(
        f'general: {{\n\tadmin_key = "{streaming_admin_key}"\n\tevents = false\n}}\n')


class JanusProcess:
    """Our own Janus: configuration in a temporary folder, ports on 127.0.0.1, stopped with us."""

    def __init__(self, *, debug_level: int = 3, cpu: int | None = None, log: Path | None = None) -> None:
        self.debug_level = debug_level
        self.cpu = cpu  # pin Janus to one core (benchmarks)
        self.log_path = log
        self.folder: Path | None = None
        self.process: subprocess.Popen | None = None
        self.endpoints: JanusEndpoints | None = None

    def start(self, timeout: float = 20.0) -> JanusEndpoints:
        binary = janus_binary()
        if not binary.exists():
            raise JanusError(f"{binary} not found: install Debian's janus package "
                             "(apt-get install janus) or set TUTTI_JANUS_BINARY")
        self.folder = Path(tempfile.mkdtemp(prefix="tutti-janus-"))
        http_port, admin_port = free_port(), free_port()
        endpoints = JanusEndpoints(f"http://127.0.0.1:{http_port}/janus", f"http://127.0.0.1:{admin_port}/admin",
                                   secrets.token_hex(16), secrets.token_hex(16))
        write_config(self.folder, http_port=http_port, admin_port=admin_port,
                     admin_secret=endpoints.admin_secret, streaming_admin_key=endpoints.streaming_admin_key,
                     debug_level=self.debug_level)
        log = (self.log_path or self.folder / "janus.log").open("w")
        command = [str(binary), "--configs-folder", str(self.folder), "--config", str(self.folder / "janus.jcfg"),
                   "--disable-colors"]
        if self.cpu is not None:
            command = ["taskset", "-c", str(self.cpu), *command]
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                        preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        while not _answers(endpoints.url + "/info"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log_tail()
                self.stop()
                raise JanusError(f"Janus did not start (exit {self.process.returncode}):\n{tail}")
            time.sleep(0.1)
        self.endpoints = endpoints
        logger.info("Janus %d: API %s, admin %s", self.process.pid, endpoints.url, endpoints.admin_url)
        return endpoints

    def log_tail(self, chars: int = 3000) -> str:
        path = self.log_path or (self.folder / "janus.log" if self.folder else None)
        return path.read_text(errors="replace")[-chars:] if path and path.exists() else ""

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # our own session: Janus and nothing else
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        if self.folder is not None and self.log_path is None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the node dies, however it dies (Linux prctl)."""
    import ctypes
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _answers(url: str) -> bool:
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


class JanusClient:
    """The Janus API and Admin API over HTTP. ``token`` authenticates Janus API requests."""

    def __init__(self, url: str, *, token: str | None = None, admin_url: str | None = None,
                 admin_secret: str | None = None, http: aiohttp.ClientSession | None = None) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.admin_url = admin_url
        self.admin_secret = admin_secret
        self._http = http
        self._own_http = http is None

    async def __aenter__(self) -> JanusClient:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=40))
        return self._http

    async def close(self) -> None:
        if self._own_http and self._http is not None:
            await self._http.close()
            self._http = None

    async def _post(self, url: str, body: dict) -> dict:
        body = {**body, "transaction": secrets.token_hex(8)}
        try:
            async with self.http.post(url, json=body) as response:
                reply = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise JanusError(f"Janus at {url} did not answer: {type(exc).__name__}: {exc}") from None
        if reply.get("janus") == "error":
            error = reply.get("error", {})
            raise JanusError(f"Janus refused {body.get('janus')!r}: {error.get('code')} {error.get('reason')}")
        return reply

    async def request(self, path: str, janus: str, **fields) -> dict:
        body = {"janus": janus, **fields}
        if self.token:
            body["token"] = self.token
        return await self._post(f"{self.url}{path}", body)

    async def admin(self, janus: str, path: str = "", **fields) -> dict:
        if not self.admin_url:
            raise JanusError("no Janus Admin API configured")
        return await self._post(f"{self.admin_url.rstrip('/')}{path}",
                                {"janus": janus, "admin_secret": self.admin_secret, **fields})

    # ------------------------------------------------------------------ Janus API
    async def create_session(self) -> int:
        return int((await self.request("", "create"))["data"]["id"])

    async def attach(self, session: int, plugin: str = STREAMING) -> int:
        return int((await self.request(f"/{session}", "attach", plugin=plugin))["data"]["id"])

    async def message(self, session: int, handle: int, body: dict, jsep: dict | None = None) -> dict:
        """A plugin request; synchronous ones answer with ``plugindata``, others with "ack"."""
        fields = {"body": body, **({"jsep": jsep} if jsep else {})}
        reply = await self.request(f"/{session}/{handle}", "message", **fields)
        data = reply.get("plugindata", {}).get("data", {})
        if "error" in data:
            raise JanusError(f"{body.get('request')!r} refused: {data.get('error_code')} {data['error']}")
        return reply

    async def events(self, session: int, max_events: int = 10) -> list[dict]:
        """Long-poll the session's events (Janus holds the request up to 30 s)."""
        params = {"maxev": str(max_events), "rid": str(time.time_ns())}
        if self.token:
            params["token"] = self.token
        try:
            async with self.http.get(f"{self.url}/{session}", params=params) as response:
                reply = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise JanusError(f"Janus event poll failed: {type(exc).__name__}: {exc}") from None
        replies = reply if isinstance(reply, list) else [reply]
        for item in replies:
            if item.get("janus") == "error":
                raise JanusError(f"Janus event poll refused: {item.get('error', {}).get('reason')}")
        return [r for r in replies if r.get("janus") != "keepalive"]

    async def keepalive(self, session: int) -> None:
        await self.request(f"/{session}", "keepalive")

    async def destroy(self, session: int) -> None:
        await self.request(f"/{session}", "destroy")

    # ------------------------------------------------------------------ Admin API
    async def add_token(self, token: str, plugins: list[str] | None = None) -> None:
        await self.admin("add_token", token=token, plugins=plugins or [STREAMING])

    async def remove_token(self, token: str) -> None:
        await self.admin("remove_token", token=token)

    async def list_sessions(self) -> list[int]:
        return [int(s) for s in (await self.admin("list_sessions")).get("sessions", [])]

    async def destroy_session(self, session: int) -> None:
        """End a session and hang up its PeerConnections (Admin API, whatever its token)."""
        await self.admin("destroy_session", path=f"/{session}")
