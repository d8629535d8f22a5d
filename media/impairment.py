"""A loopback UDP proxy that loses and delays packets, to try the media path on a bad network.

Used by the loss test and ``bench/media.py`` where ``tc netem`` is not available (no netem qdisc
in this kernel, no root). Both sides' views are rewritten: :func:`impair_candidates` points every IPv4 host candidate of the
client's SDP offer and of the node's answer at a proxy on this machine (other candidates are
removed, so no direct path is left), which forwards to the real
address and back, dropping each datagram with probability ``loss`` and delaying each by a uniform
0..``jitter_ms`` (so packets also reorder), in both directions. Every packet of the session
(STUN, DTLS, SRTP) goes through it. The proxy listens on the candidate's own (local) address.
"""

from __future__ import annotations

import asyncio
import random
import re
from dataclasses import dataclass, field

CANDIDATE = re.compile(r"^(a=candidate:\S+ \d+ udp \d+ )(\S+) (\d+)( typ host.*)$", re.IGNORECASE | re.MULTILINE)


@dataclass
class Impairment:
    loss: float = 0.05  # probability a datagram is dropped, each direction
    jitter_ms: float = 20.0  # each datagram delayed by uniform 0..jitter_ms
    seed: int = 1
    forwarded: int = 0
    dropped: int = 0
    _random: random.Random = field(init=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.loss < 1.0 or self.jitter_ms < 0:
            raise ValueError("loss must be in [0, 1) and jitter_ms >= 0")
        self._random = random.Random(self.seed)

    def send_later(self, transport: asyncio.DatagramTransport, data: bytes, address) -> None:
        if self._random.random() < self.loss:
            self.dropped += 1
            return
        self.forwarded += 1
        delay = self._random.uniform(0.0, self.jitter_ms / 1e3)
        asyncio.get_running_loop().call_later(delay, _send, transport, data, address)


def _send(transport: asyncio.DatagramTransport, data: bytes, address) -> None:
    if not transport.is_closing():
        transport.sendto(data, address)


class _Upstream(asyncio.DatagramProtocol):
    """The proxy's socket towards the node: what comes back goes to the client."""

    def __init__(self, proxy: "LossyUdpProxy") -> None:
        self.proxy = proxy

    def datagram_received(self, data: bytes, address) -> None:
        if self.proxy.client is not None and self.proxy.downstream is not None:
            self.proxy.impairment.send_later(self.proxy.downstream, data, self.proxy.client)


class LossyUdpProxy(asyncio.DatagramProtocol):
    """Client <-> (target's address, another port) (this proxy) <-> ``target``, impaired both ways."""

    def __init__(self, target: tuple[str, int], impairment: Impairment) -> None:
        self.target, self.impairment = target, impairment
        self.client: tuple[str, int] | None = None
        self.downstream: asyncio.DatagramTransport | None = None
        self.upstream: asyncio.DatagramTransport | None = None
        self.port = 0

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        self.downstream, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=(self.target[0], 0))
        self.upstream, _ = await loop.create_datagram_endpoint(lambda: _Upstream(self), local_addr=(self.target[0], 0))
        self.port = self.downstream.get_extra_info("sockname")[1]
        return self.port

    def datagram_received(self, data: bytes, address) -> None:
        self.client = address
        self.impairment.send_later(self.upstream, data, self.target)

    def close(self) -> None:
        for transport in (self.downstream, self.upstream):
            if transport is not None:
                transport.close()


async def impair_candidates(sdp: str, impairment: Impairment, proxies: list[LossyUdpProxy]) -> str:
    """An offer or answer with its IPv4 host candidates replaced by lossy proxies to them (the
    others removed, so every packet takes the impaired path); started proxies go into ``proxies``."""
    lines = []
    for line in sdp.splitlines():
        match = CANDIDATE.match(line)
        if line.startswith("a=candidate:") and not (match and ":" not in match.group(2)):
            continue
        if match:
            proxy = LossyUdpProxy((match.group(2), int(match.group(3))), impairment)
            port = await proxy.start()
            proxies.append(proxy)
            line = f"{match.group(1)}{match.group(2)} {port}{match.group(4)}"
        lines.append(line)
    return "\r\n".join(lines) + "\r\n"

