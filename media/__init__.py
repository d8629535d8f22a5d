"""Tutti media node: WebRTC jam sessions with a personal binaural mix for every listener.

* :mod:`media.auth` - Sign-In with Ethereum (EIP-4361): single-use nonces, domain/chain binding.
* :mod:`media.passes` - :class:`PassChecker` and its on-chain ``eth_call`` implementation.
* :mod:`media.mixer` - input buffers, per-listener binaural mixes (``tutti.audio``), the clock.
* :mod:`media.room` - sessions: join, control data channel, pass re-checks, shutdown.
* :mod:`media.server` - HTTP signalling (aiohttp) and the browser client in ``web/``.
* :mod:`media.directory` - the indexer's room directory over HTTP: announce this node, find a room's.
* :mod:`media.lowlatency` - aiortc tuned for small frames and a small jitter buffer.
* :mod:`media.client` / :mod:`media.cli` - a Python musician client; ``tutti-media serve|join``.

Imports only the shared ``tutti`` package (the indexer is reached over HTTP). See docs/media.md.
"""

from .passes import PassChecker, PassCheckError, Web3PassChecker

__all__ = ["PassCheckError", "PassChecker", "Web3PassChecker"]
