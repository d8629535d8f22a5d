"""The indexer's room directory, over HTTP: a node keeps itself listed, a client finds a room's node.

The indexer is a separate service; this module only speaks its HTTP API:

* ``POST {indexer}/rooms/{room}/media-nodes`` ``{url, expires_at, signature}`` -> 201 (or 200:
  already listed as long) with the listing; 4xx ``{"detail": reason}`` otherwise.
* ``GET  {indexer}/rooms/{room}/media-nodes`` -> the room's live nodes ``[{url, expires_at, ...}]``
  (or a page ``{"items": [...]}``), newest announcement first.

What is signed is :mod:`tutti.media_directory`'s EIP-712 ``MediaNode(roomId, url, expiresAt)``, by
the room's host. :class:`Announcer` posts one at start-up and again at half its TTL, so a node that
stops leaves the directory within one TTL; an indexer that is down or refuses costs one log line per
attempt and a growing wait, never the node.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp
from eth_account import Account

from tutti.media_directory import MAX_TTL_SECONDS, NodeAnnouncement, check_url, sign_announcement

logger = logging.getLogger(__name__)

#: Every directory request gives up after this; a slow indexer must not hold a node or a client.
TIMEOUT = aiohttp.ClientTimeout(total=10, sock_connect=5)
DEFAULT_TTL_SECONDS = 600
FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 60.0


class DirectoryError(Exception):
    """The directory could not be asked (``status`` None) or refused (``status``, its ``detail``)."""

    def __init__(self, indexer_url: str, reason: str, status: int | None = None,
                 retry_after: float | None = None) -> None:
        where = f"{indexer_url} answered HTTP {status}" if status is not None else f"cannot reach {indexer_url}"
        super().__init__(f"{where}: {reason}")
        self.indexer_url, self.reason, self.status, self.retry_after = indexer_url, reason, status, retry_after


class NoLiveNode(DirectoryError):
    """The directory lists no live media node for the room."""


def nodes_url(indexer_url: str, room_id: int) -> str:
    return f"{indexer_url.rstrip('/')}/rooms/{int(room_id)}/media-nodes"


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


async def _refusal(indexer_url: str, response: aiohttp.ClientResponse) -> DirectoryError:
    """A non-2xx answer as an error carrying the API's ``detail`` (FastAPI: a string, or a list for 422)."""
    try:
        body = await response.json(content_type=None)
    except (ValueError, aiohttp.ClientError):
        body = None
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, list):  # request validation: [{"loc": [...], "msg": ...}, ...]
        detail = "; ".join(f"{'.'.join(map(str, d.get('loc', [])))}: {d.get('msg')}" if isinstance(d, dict)
                           else str(d) for d in detail)
    reason = _one_line(detail or response.reason or "no reason given")
    retry_after = response.headers.get("Retry-After")
    return DirectoryError(indexer_url, reason, response.status,
                          float(retry_after) if retry_after and retry_after.isdigit() else None)


async def _json(indexer_url: str, response: aiohttp.ClientResponse) -> Any:
    try:
        return await response.json(content_type=None)
    except ValueError:
        raise DirectoryError(indexer_url, "the answer is not JSON; is this the indexer's API?",
                             response.status) from None


def _unreachable(indexer_url: str, exc: BaseException) -> DirectoryError:
    if isinstance(exc, asyncio.TimeoutError):
        return DirectoryError(indexer_url, f"no answer within {TIMEOUT.total:.0f} s")
    return DirectoryError(indexer_url, _one_line(f"{type(exc).__name__}: {exc}"))


async def post_announcement(http: aiohttp.ClientSession, indexer_url: str, announcement: NodeAnnouncement,
                            signature: bytes) -> dict[str, Any]:
    """List ``announcement`` in the directory at ``indexer_url``; returns the listing."""
    body = {"url": announcement.url, "expires_at": announcement.expires_at, "signature": "0x" + signature.hex()}
    try:
        async with http.post(nodes_url(indexer_url, announcement.room_id), json=body, timeout=TIMEOUT) as response:
            if response.status // 100 != 2:
                raise await _refusal(indexer_url, response)
            listed = await _json(indexer_url, response)
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise _unreachable(indexer_url, exc) from exc
    if not isinstance(listed, dict):
        raise DirectoryError(indexer_url, f"expected the listing as a JSON object, got {_one_line(listed, 100)}", 200)
    return listed


async def list_nodes(http: aiohttp.ClientSession, indexer_url: str, room_id: int) -> list[dict[str, Any]]:
    """Room ``room_id``'s live nodes as the directory lists them (newest announcement first)."""
    try:
        async with http.get(nodes_url(indexer_url, room_id), timeout=TIMEOUT) as response:
            if response.status // 100 != 2:
                raise await _refusal(indexer_url, response)
            body = await _json(indexer_url, response)
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise _unreachable(indexer_url, exc) from exc
    items = body.get("items") if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise DirectoryError(indexer_url, f"expected a list of nodes, got {_one_line(body, 100)}", 200)
    return [item for item in items if isinstance(item, dict) and isinstance(item.get("url"), str)]


async def find_node(indexer_url: str, room_id: int, now: float | None = None) -> str:
    """The base URL of the node the directory lists first (newest) for ``room_id``, among those
    not expired by this machine's clock; :class:`NoLiveNode` if there is none."""
    async with aiohttp.ClientSession() as http:
        try:
            nodes = await list_nodes(http, indexer_url, room_id)
        except DirectoryError as exc:
            if exc.status == 404:  # the room is not (yet) in the index: it has no node either
                raise NoLiveNode(indexer_url, f"room {room_id} is not in the index ({exc.reason})", 404) from None
            raise
    now = time.time() if now is None else now
    live = [node for node in nodes if int(node.get("expires_at") or 0) > now]
    if not live:
        raise NoLiveNode(indexer_url, f"room {room_id} has no live media node in the directory")
    return live[0]["url"].rstrip("/")


class Announcer:
    """Keeps ``public_url`` listed as room ``room_id``'s node in every directory of ``indexer_urls``.

    One asyncio task per directory, on the node's event loop (:meth:`start` / :meth:`stop` fit
    aiohttp's ``on_startup`` / ``on_cleanup``). Each announcement expires ``ttl`` seconds after it
    is signed (wall clock) and is renewed at half that; a failed attempt is retried after 1, 2, 4 ...
    seconds, at most ``min(60, ttl / 2)`` (or the directory's ``Retry-After``).
    """

    def __init__(self, indexer_urls: Sequence[str], room_id: int, public_url: str, host_key: bytes | str,
                 chain_id: int, passes_address: str, ttl: int = DEFAULT_TTL_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:
        if not 2 <= ttl <= MAX_TTL_SECONDS:
            raise ValueError(f"the announcement TTL must be 2 to {MAX_TTL_SECONDS} s, not {ttl}")
        self.indexer_urls = [url.rstrip("/") for url in indexer_urls]
        self.room_id, self.url = int(room_id), check_url(public_url)
        self.account = Account.from_key(host_key)
        self.chain_id, self.passes_address = int(chain_id), passes_address
        self.ttl, self.clock = int(ttl), clock
        self.refresh_seconds = ttl / 2
        self.max_retry_seconds = min(MAX_RETRY_SECONDS, ttl / 2)
        #: Per directory: the expiry of the last listing it confirmed (None until one succeeds).
        self.listed_until: dict[str, int | None] = {url: None for url in self.indexer_urls}
        self._http: aiohttp.ClientSession | None = None
        self._tasks: list[asyncio.Task] = []

    def sign(self) -> tuple[NodeAnnouncement, bytes]:
        announcement = NodeAnnouncement(self.room_id, self.url, int(self.clock()) + self.ttl)
        return announcement, sign_announcement(self.account.key, announcement, self.chain_id, self.passes_address)

    async def start(self, _app: object = None) -> None:
        self._http = aiohttp.ClientSession()
        self._tasks = [asyncio.create_task(self._keep_listed(url), name=f"announce to {url}")
                       for url in self.indexer_urls]

    async def stop(self, _app: object = None) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def announce_once(self, indexer_url: str) -> dict[str, Any]:
        assert self._http is not None, "start() first"
        announcement, signature = self.sign()
        listed = await post_announcement(self._http, indexer_url, announcement, signature)
        self.listed_until[indexer_url] = int(listed.get("expires_at") or announcement.expires_at)
        return listed

    async def _keep_listed(self, indexer_url: str) -> None:
        retry = FIRST_RETRY_SECONDS
        failing = False
        while True:
            try:
                await self.announce_once(indexer_url)
            except Exception as exc:  # noqa: BLE001 - nothing a directory does may stop the node
                wait = min(retry, self.max_retry_seconds)
                if isinstance(exc, DirectoryError) and exc.retry_after is not None:
                    wait = max(wait, min(exc.retry_after, self.refresh_seconds))
                message = str(exc) if isinstance(exc, DirectoryError) else f"{type(exc).__name__}: {exc}"
                logger.warning("room %d: announcing %s failed: %s; next attempt in %.0f s", self.room_id, self.url,
                               _one_line(message, 500), wait)
                retry, failing = min(retry * 2, self.max_retry_seconds), True
                await asyncio.sleep(wait)
                continue
            logger.info("room %d: %s listed by %s until %s%s", self.room_id, self.url, indexer_url,
                        time.strftime("%H:%M:%S", time.localtime(self.listed_until[indexer_url])),
                        " (directory reachable again)" if failing else "")
            retry, failing = FIRST_RETRY_SECONDS, False
            await asyncio.sleep(self.refresh_seconds)
