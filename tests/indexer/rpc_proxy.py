"""A JSON-RPC proxy in front of the test anvil that injects faults: the indexer talks to the real node
through it, and a test decides, request by request, to drop the connection, answer garbage, change
an answer, or act on the chain right after a call (a reorg landing inside a batch)."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

import requests

from tutti.net import free_port

#: ``fault(payload)``: None to forward, "drop" to close the connection without an answer, "garbage" to
#: answer half a JSON document, "bad gateway" for an HTTP 502.
Fault = Callable[[Any], str | None]
#: ``after(payload, answer)``: called once the node answered; returns the answer to send (possibly changed).
After = Callable[[Any, Any], Any]


class RpcProxy:
    def __init__(self, upstream: str):
        self.upstream = upstream
        self.fault: Fault | None = None
        self.after: After | None = None
        self.requests: list[str] = []  # method (or "batch:<method>") of every request seen
        self.injected = 0
        self._session = requests.Session()
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                payload = json.loads(body)
                with proxy._lock:
                    proxy.requests.append(_name(payload))
                    fault = proxy.fault(payload) if proxy.fault else None
                    if fault:
                        proxy.injected += 1
                if fault == "drop":
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if fault == "garbage":
                    return self._answer(200, b'{"jsonrpc": "2.0", "id": 1, "resu')
                if fault == "bad gateway":
                    return self._answer(502, b"<html>bad gateway</html>")
                answer = proxy._session.post(proxy.upstream, data=body,
                                             headers={"Content-Type": "application/json"}, timeout=60).json()
                if proxy.after is not None:
                    answer = proxy.after(payload, answer)
                self._answer(200, json.dumps(answer).encode())

            def _answer(self, status: int, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "RpcProxy":
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def count(self, method: str) -> int:
        with self._lock:
            return sum(1 for name in self.requests if name.endswith(method))


def _name(payload: Any) -> str:
    if isinstance(payload, list):
        return f"batch:{payload[0]['method']}" if payload else "batch:"
    return payload.get("method", "?")
