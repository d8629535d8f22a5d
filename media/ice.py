"""ICE servers (STUN / TURN) for the node, the CLI client and the browser page.

Configured the same way everywhere: ``--ice-server URL`` (repeatable) or ``TUTTI_ICE_SERVERS``
(space-separated URLs, or a JSON list of WebRTC ``iceServers`` entries), TURN credentials from
``TUTTI_TURN_USERNAME`` / ``TUTTI_TURN_CREDENTIAL`` (never on the command line, which other users
of the machine can read), and ``--relay-only`` / ``TUTTI_ICE_RELAY_ONLY=1`` for relay candidates
only. With ``TUTTI_TURN_SECRET`` (coturn's ``static-auth-secret``), the node hands each browser
page short-lived TURN credentials of the TURN REST scheme instead of a static password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aiortc import RTCConfiguration, RTCIceServer
from aiortc.rtcconfiguration import RTCIceTransportPolicy

SCHEMES = ("stun:", "stuns:", "turn:", "turns:")
BROWSER_CREDENTIAL_SECONDS = 3600


class IceConfigError(ValueError):
    """A bad ICE server setting; the message names it."""


@dataclass(frozen=True)
class IceSettings:
    servers: tuple[Mapping, ...] = ()  # WebRTC iceServers entries: {urls, username?, credential?}
    relay_only: bool = False
    turn_secret: str | None = None

    def configuration(self) -> RTCConfiguration:
        return RTCConfiguration(
            iceServers=[RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
                        for s in self.servers] or None,
            iceTransportPolicy=RTCIceTransportPolicy.RELAY if self.relay_only else RTCIceTransportPolicy.ALL)

    def for_browser(self, now: float | None = None) -> dict:
        """``RTCPeerConnection`` configuration for the jam page; TURN entries get short-lived
        credentials if a TURN secret is set (TURN REST API: username ``expiry:tutti``)."""
        servers = []
        for server in self.servers:
            entry = dict(server)
            if self.turn_secret and any(str(u).startswith(("turn:", "turns:")) for u in _urls(entry)):
                username = f"{int((now or time.time()) + BROWSER_CREDENTIAL_SECONDS)}:tutti"
                digest = hmac.new(self.turn_secret.encode(), username.encode(), hashlib.sha1).digest()
                entry.update(username=username, credential=base64.b64encode(digest).decode())
            servers.append(entry)
        return {"iceServers": servers, "iceTransportPolicy": "relay" if self.relay_only else "all"}


def _urls(server: Mapping) -> list[str]:
    urls = server.get("urls")
    return [urls] if isinstance(urls, str) else list(urls or [])


def ice_settings(urls: Sequence[str] = (), relay_only: bool = False,
                 environ: Mapping[str, str] | None = None) -> IceSettings:
    """Settings from command-line ``urls`` (else ``TUTTI_ICE_SERVERS``) and the settings model
    (``environ``, given as variables, replaces it)."""
    if environ is None:
        from tutti.settings import environment

        environ = environment()
    raw = environ.get("TUTTI_ICE_SERVERS", "").strip()
    if urls:
        servers = [{"urls": url} for url in urls]
    elif raw.startswith("["):
        try:
            servers = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise IceConfigError(f"TUTTI_ICE_SERVERS is not valid JSON: {exc}") from None
        if not isinstance(servers, list) or not all(isinstance(s, dict) and "urls" in s for s in servers):
            raise IceConfigError('TUTTI_ICE_SERVERS must be a JSON list of {"urls": ...} objects')
    else:
        servers = [{"urls": url} for url in raw.split()]
    username, credential = environ.get("TUTTI_TURN_USERNAME"), environ.get("TUTTI_TURN_CREDENTIAL")
    secret = environ.get("TUTTI_TURN_SECRET") or None
    for server in servers:
        for url in _urls(server):
            if not str(url).startswith(SCHEMES):
                raise IceConfigError(f"ICE server {url!r} must start with one of {', '.join(SCHEMES)}")
        if any(str(u).startswith(("turn:", "turns:")) for u in _urls(server)) and "username" not in server:
            if secret:  # the node's own TURN REST credentials
                username = f"{int(time.time() + 24 * 3600)}:tutti-node"
                credential = base64.b64encode(hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()).decode()
            if not (username and credential):
                raise IceConfigError(f"TURN server {_urls(server)[0]!r} needs TUTTI_TURN_USERNAME and "
                                     "TUTTI_TURN_CREDENTIAL (or TUTTI_TURN_SECRET) in the environment")
            server.update(username=username, credential=credential)
    relay_only = relay_only or environ.get("TUTTI_ICE_RELAY_ONLY", "") in ("1", "true", "yes")
    if relay_only and not any(str(u).startswith(("turn:", "turns:")) for s in servers for u in _urls(s)):
        raise IceConfigError("relay-only ICE needs a TURN server (--ice-server turn:HOST:PORT)")
    return IceSettings(tuple(servers), relay_only, secret)
