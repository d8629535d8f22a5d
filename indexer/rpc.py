"""The few JSON-RPC calls the indexer makes, raw (no web3 result formatting) and retried.

Raw: web3.py turns every log into attribute dicts of ``HexBytes``, which cost more than decoding
them; the indexer only needs hex strings and integers. Retried: a node that restarts, a proxy that
drops a connection or answers half a JSON document, a timeout -- every transport fault is retried
with exponential backoff, forever, and logged, so ``tutti-indexer run`` never exits on a transient
fault. Only the node's own JSON-RPC errors come back to the caller (:class:`NodeRefused`): for
``eth_getLogs`` they mean "range too large", which the caller answers by asking for less.
"""

from __future__ import annotations

import itertools
import logging
import threading
from typing import Any, Callable

import orjson
import requests

logger = logging.getLogger(__name__)


#: Bytes per read of an answer.
READ_SIZE = 1 << 20


class NodeRefused(RuntimeError):
    """The node answered with a JSON-RPC error (not a transport fault)."""


class Rpc:
    """A JSON-RPC client for one HTTP endpoint that retries transport faults forever."""

    def __init__(self, url: str, *, timeout: float = 60, backoff: float = 0.25, max_backoff: float = 30,
                 stop: threading.Event | None = None, sleep: Callable[[float], Any] | None = None):
        self.url = url
        self.timeout = timeout
        self.backoff, self.max_backoff = backoff, max_backoff
        self.stop = stop or threading.Event()
        self._sleep = sleep or self.stop.wait
        self._local = threading.local()  # one pooled session per thread (the indexer's fetchers call concurrently)
        self._ids = itertools.count(1)
        self._faults_lock = threading.Lock()
        self.faults = 0  # transport faults seen (and survived)

    @property
    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _fault(self) -> None:
        with self._faults_lock:
            self.faults += 1

    # ------------------------------------------------------------------ transport
    def _post(self, payload: Any) -> Any:
        """The decoded answer to ``payload``, retried until the node gives one."""
        delay = self.backoff
        for attempt in itertools.count(1):
            try:
                with self._session.post(self.url, data=orjson.dumps(payload), timeout=self.timeout, stream=True,
                                        headers={"Content-Type": "application/json"}) as response:
                    if response.status_code >= 500 or response.status_code == 429:
                        raise OSError(f"HTTP {response.status_code}")
                    # In 1 MB reads: ``response.content`` reads 10 kB at a time, and a range of
                    # 20,000 logs is 14 MB of JSON.
                    body = b"".join(response.iter_content(READ_SIZE))
                answer = orjson.loads(body)  # a JSONDecodeError is a ValueError
                if isinstance(payload, list) != isinstance(answer, list):
                    raise ValueError("answer is not shaped like the request")
                return answer
            except (requests.RequestException, OSError, ValueError) as exc:  # JSONDecodeError is a ValueError
                self._fault()
                if self.stop.is_set():
                    raise InterruptedError("stopping") from exc
                logger.warning("RPC %s failed (attempt %d: %s: %s); retrying in %.2f s", _method(payload), attempt,
                               exc.__class__.__name__, str(exc)[:200], delay)
                self._sleep(delay)
                delay = min(self.max_backoff, delay * 2)
        raise AssertionError("unreachable")

    def call(self, method: str, *params: Any) -> Any:
        answer = self._post({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)})
        if not isinstance(answer, dict):
            raise NodeRefused(f"{method}: unexpected answer {str(answer)[:200]}")
        if "error" in answer:
            raise NodeRefused(f"{method}: {answer['error']}")
        return answer.get("result")

    def batch(self, calls: list[tuple[str, list]]) -> list[Any]:
        """Several calls in one request; results in the order of ``calls``."""
        if not calls:
            return []
        first = next(self._ids)
        payload = [{"jsonrpc": "2.0", "id": first + i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
        for _ in range(len(calls) - 1):
            next(self._ids)
        while True:
            answers = self._post(payload)
            by_id = {a.get("id"): a for a in answers if isinstance(a, dict)}
            if len(by_id) == len(calls):
                break
            # A proxy or node that loses part of a batch: a transport fault like any other.
            self._fault()
            logger.warning("RPC batch of %d calls came back with %d answers; retrying", len(calls), len(by_id))
            self._sleep(self.backoff)
        results = []
        for i, (method, _params) in enumerate(calls):
            answer = by_id[first + i]
            if "error" in answer:
                raise NodeRefused(f"{method}: {answer['error']}")
            results.append(answer.get("result"))
        return results

    # ------------------------------------------------------------------ calls
    def chain_id(self) -> int:
        return int(self.call("eth_chainId"), 16)

    def head(self) -> int:
        return int(self.call("eth_blockNumber"), 16)

    def block(self, number: int) -> dict | None:
        """The block header (``number``, ``hash``, ``parentHash``, ``timestamp``), or None past the head."""
        return _header(self.call("eth_getBlockByNumber", hex(number), False))

    def blocks(self, numbers: list[int]) -> list[dict | None]:
        return [_header(raw) for raw in self.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])]

    def logs(self, from_block: int, to_block: int, addresses: list[str]) -> list[dict]:
        return self.call("eth_getLogs", {"fromBlock": hex(from_block), "toBlock": hex(to_block),
                                         "address": addresses})


def _header(raw: dict | None) -> dict | None:
    if raw is None:
        return None
    return {"number": int(raw["number"], 16), "hash": raw["hash"], "parentHash": raw["parentHash"],
            "timestamp": int(raw["timestamp"], 16)}


def _method(payload: Any) -> str:
    if isinstance(payload, list):
        return f"batch of {len(payload)} ({payload[0]['method']}...)" if payload else "empty batch"
    return payload.get("method", "?")
