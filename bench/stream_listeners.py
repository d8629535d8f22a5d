"""Listeners holding the indexer's live stream open (for bench/indexer_api.py).

    python bench/stream_listeners.py BASE_URL COUNT OUT.json

Opens COUNT connections to BASE_URL/stream (one asyncio process, plain sockets), prints
``connected N`` once all are open, notes when each event id reaches each connection (Unix time),
and on SIGTERM writes {"connected": N, "errors": E, "events": {id: [times]}} to OUT.json.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from collections import defaultdict
from urllib.parse import urlsplit


async def listen(host: str, port: int, received: dict, opened: list, errors: list) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(f"GET /stream HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode())
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            raise ConnectionError(status.decode(errors="replace").strip())
        opened.append(1)
        while line := await reader.readline():
            if line.startswith(b"id:"):
                received[int(line[3:])].append(time.time())
        errors.append("closed by the server")
    except (OSError, ConnectionError) as exc:
        errors.append(repr(exc))


async def main(base: str, count: int, out: str) -> None:
    address = urlsplit(base)
    received: dict[int, list[float]] = defaultdict(list)
    opened: list[int] = []
    errors: list[str] = []
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    tasks = []
    for _ in range(count):
        tasks.append(asyncio.create_task(listen(address.hostname, address.port, received, opened, errors)))
        await asyncio.sleep(0.002)  # 500 new connections a second, as users arrive
    while len(opened) + len(errors) < count:
        await asyncio.sleep(0.05)
    print(f"connected {len(opened)}", flush=True)
    await stop.wait()
    for task in tasks:
        task.cancel()
    with open(out, "w") as handle:
        json.dump({"connected": len(opened), "errors": len(errors), "error_kinds": sorted(set(errors))[:5],
                   "events": received}, handle)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
