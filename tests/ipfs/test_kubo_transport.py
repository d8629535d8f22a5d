"""Kubo backend transport: retries with backoff, unreachable node, error mapping (no node)."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from tutti.ipfs import CidNotFound, IpfsError, IpfsUnavailable, NotPinned
from tutti.ipfs.kubo import KuboStore, RetryPolicy

FAST = RetryPolicy(attempts=3, initial_delay=0.01, max_delay=0.02)


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on, so connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def mocked_store(handler) -> KuboStore:
    client = httpx.Client(
        base_url="http://127.0.0.1:5001/api/v0", transport=httpx.MockTransport(handler)
    )
    return KuboStore("http://127.0.0.1:5001", retry=FAST, client=client)


def test_retry_policy_backs_off_exponentially_within_bounds() -> None:
    policy = RetryPolicy(attempts=5, initial_delay=0.5, multiplier=2.0, max_delay=1.5)
    assert list(policy.delays()) == [0.5, 1.0, 1.5, 1.5]
    assert list(RetryPolicy(attempts=1).delays()) == []


def test_connection_refused_raises_ipfs_unavailable_after_retries() -> None:
    store = KuboStore(f"http://127.0.0.1:{closed_port()}", retry=FAST)
    started = time.monotonic()
    with pytest.raises(IpfsUnavailable, match="after 3 attempt"):
        store.pins()
    assert time.monotonic() - started < 5


def test_transient_connection_errors_are_retried() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if len(calls) < 3:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(
            200, json={"Keys": {"QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn": {}}}
        )

    assert mocked_store(handler).pins() == ["QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"]
    assert len(calls) == 3


def test_upload_is_rebuilt_for_each_retry() -> None:
    bodies = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.read())
        if len(bodies) == 1:
            return httpx.Response(503)
        answer = '{"Name":"data","Hash":"QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"}\n'
        return httpx.Response(200, text=answer)

    assert mocked_store(handler).add_bytes(b"hello world\n").startswith("QmT78")
    # the second attempt sends the whole file again, not the rest of a consumed stream
    assert [body.count(b"hello world\n") for body in bodies] == [1, 1]
    assert len(bodies[0]) == len(bodies[1])


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("Failed to remove pin: Qm... is not pinned", NotPinned),
        ("merkledag: not found", CidNotFound),
        ('no link named "x" under Qm...', CidNotFound),
        ("context deadline exceeded", CidNotFound),
        ("something else broke", IpfsError),
    ],
)
def test_node_errors_map_to_exceptions(message: str, error: type[Exception]) -> None:
    store = mocked_store(lambda request: httpx.Response(500, json={"Message": message, "Code": 0}))
    with pytest.raises(error, match="something else|pinned|not found|no link|deadline"):
        store.unpin("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn")
