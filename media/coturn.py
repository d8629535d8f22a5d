"""Debian's coturn as a TURN relay on 127.0.0.1 for the relay test and bench (its own port and relay
port range, long-term credentials, loopback peers allowed: every allocation stays on this machine)."""

from __future__ import annotations

import contextlib
import random
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tutti.net import free_port

TURN_USER, TURN_PASSWORD = "tutti", "relay-test-password"


class CoturnMissing(RuntimeError):
    """``turnserver`` is not installed (Debian: apt-get install coturn)."""


@dataclass(frozen=True)
class Relay:
    url: str  # turn:127.0.0.1:PORT?transport=udp
    log: Path
    username: str = TURN_USER
    credential: str = TURN_PASSWORD

    @property
    def env(self) -> dict[str, str]:
        """The environment a node or client reads TURN credentials from (media/ice.py)."""
        return {
            "TUTTI_TURN_USERNAME": self.username,
            "TUTTI_TURN_CREDENTIAL": self.credential,
        }

    def allocations(self) -> int:
        """Relay allocations coturn granted so far (one per relayed peer connection)."""
        return (
            self.log.read_text().count("ALLOCATE processed, success")
            if self.log.exists()
            else 0
        )


@contextlib.contextmanager
def coturn(folder: Path) -> Iterator[Relay]:
    """``turnserver`` on a free port of 127.0.0.1, logging into ``folder``; stopped on exit."""
    if shutil.which("turnserver") is None:
        raise CoturnMissing("coturn is not installed (Debian: apt-get install coturn)")
    port = free_port()
    relay_low = random.randrange(40000, 59000, 200)  # a relay port range of its own
    log = folder / "turnserver.log"
    process = subprocess.Popen(
        [
            "turnserver",
            "-n",
            "--listening-ip",
            "127.0.0.1",
            "--listening-port",
            str(port),
            "--relay-ip",
            "127.0.0.1",
            "--min-port",
            str(relay_low),
            "--max-port",
            str(relay_low + 199),
            "--lt-cred-mech",
            "--user",
            f"{TURN_USER}:{TURN_PASSWORD}",
            "--realm",
            "tutti",
            "--allow-loopback-peers",
            "--no-cli",
            "--no-tls",
            "--no-dtls",
            "--verbose",
            "--log-file",
            str(log),
            "--simple-log",
            "--pidfile",
            str(folder / "turn.pid"),
            "--userdb",
            str(folder / "turndb"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(1.0)
        if process.poll() is not None:
            raise RuntimeError(
                log.read_text()[-2000:] if log.exists() else "turnserver exited"
            )
        yield Relay(f"turn:127.0.0.1:{port}?transport=udp", log)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
