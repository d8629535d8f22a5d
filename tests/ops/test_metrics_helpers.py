"""The shared probe server, the ASGI probes and the IPFS service metrics of tutti.metrics."""

from __future__ import annotations

import asyncio
import json

import pytest
from prometheus_client import CollectorRegistry, Counter

from tutti.ipfs.kubo import KuboStore
from tutti.metrics import IpfsServiceMetrics, Readiness, asgi_probes, ipfs_unreachable, serve_metrics
from tests.http import get
from tutti.net import free_port


def test_probe_server_answers_metrics_health_and_readiness_with_reasons():
    registry = CollectorRegistry()
    Counter("tutti_test_things", "Things", registry=registry).inc(3)
    state = {"chain": "node unreachable"}
    readiness = Readiness()
    readiness.add("chain", lambda: state["chain"])
    readiness.add("broken", lambda: 1 / 0)  # a crashing check reads as "not ready", never a 500
    server = serve_metrics(0, registry, readiness)
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        assert b"tutti_test_things_total 3.0" in get(f"{url}/metrics")[1]
        assert get(f"{url}/healthz") == (200, b'{"ok": true}')
        status, body = get(f"{url}/readyz")
        assert status == 503
        assert json.loads(body)["reasons"] == ["chain: node unreachable", "broken: ZeroDivisionError: division by zero"]
        state["chain"] = None
        readiness.checks.pop("broken")
        assert get(f"{url}/readyz") == (200, b'{"ready": true, "reasons": []}')
        assert get(f"{url}/nothing")[0] == 404
    finally:
        server.shutdown()


def call_asgi(app, path: str) -> tuple[int, bytes]:
    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request"}

    asyncio.run(app({"type": "http", "path": path, "method": "GET"}, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_ipfs_service_metrics_through_the_asgi_probes():
    metrics = IpfsServiceMetrics()
    with metrics.timed("add") as op:
        op.bytes_in = 1234
    with pytest.raises(RuntimeError), metrics.timed("cat"):
        raise RuntimeError("block not found")

    async def ready():
        return ["ipfs: store unreachable"]

    app = asgi_probes(metrics.registry, ready)
    status, body = call_asgi(app, "/metrics")
    text = body.decode()
    assert status == 200
    assert 'tutti_ipfs_requests_total{op="add",outcome="ok"} 1.0' in text
    assert 'tutti_ipfs_requests_total{op="cat",outcome="error"} 1.0' in text
    assert "tutti_ipfs_bytes_in_total 1234.0" in text
    assert call_asgi(app, "/readyz") == (503, b'{"ready": false, "reasons": ["ipfs: store unreachable"]}')


def test_ipfs_readiness_asks_the_kubo_api(ipfs_node_url):
    assert ipfs_unreachable(KuboStore(ipfs_node_url)) is None
    reason = ipfs_unreachable(KuboStore(f"http://127.0.0.1:{free_port()}"), timeout=2)
    assert reason and "unreachable" in reason
