"""The node's gate under abuse: sign-in work never stalls the audio loop, floods from accounts
without passes never lock a musician out, SIWE ``URI`` and ``Issued At`` are held to the node."""

from __future__ import annotations

import asyncio
import re
import threading
import time
import urllib.request
from datetime import datetime, timedelta, timezone

import aiohttp
import numpy as np
from eth_account import Account
from eth_account.messages import encode_defunct

from media.client import join, load_signal

from .conftest import client_result, run_client
from .test_media_node import _offer, _payload, _post_join


class LoopWatch:
    """Polls the node's /healthz from a thread; the slowest answer bounds any event-loop stall."""

    def __init__(self, url: str) -> None:
        self.url, self.worst, self._stop = url, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=30).read()
            except OSError:
                pass
            self.worst = max(self.worst, time.monotonic() - started)
            time.sleep(0.02)

    def __enter__(self) -> "LoopWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(35)


def _signed(account, message: str) -> dict:
    signature = account.sign_message(encode_defunct(text=message)).signature.hex()
    return {"message": message, "signature": "0x" + signature.removeprefix("0x")}


def test_long_siwe_messages_are_refused_without_stalling_the_node(node, musicians):
    """A long statement used to take seconds of CPU in the ABNF parser on the audio loop."""
    stranger = musicians[5]

    async def scenario() -> list[tuple[int, dict, float]]:
        sdp = await _offer()
        results = []
        for statement_length in (3_600, 650):  # just under the old 4 KiB bound; under the new 1 KiB
            payload = await _payload(node.url, stranger)
            message = payload["message"].replace("Join the Tutti jam session.", "J" * statement_length)
            started = time.monotonic()
            status, body = await _post_join(node.url, {**_signed(stranger, message), "sdp": sdp, "type": "offer"})
            results.append((status, body, time.monotonic() - started))
        async with aiohttp.ClientSession() as http:  # 1 MB: refused by size before it is read whole
            async with http.post(f"{node.url}/api/rooms/7/join", data=b"{" + b" " * 1_000_000) as response:
                results.append((response.status, {}, 0.0))
        return results

    with LoopWatch(node.url) as watch:
        (long_status, long_body, long_time), (short_status, short_body, short_time), (huge, _, _) = \
            asyncio.run(scenario())
    assert long_status == 401 and "longer than 1024 bytes" in long_body["error"], long_body
    # 650 characters of statement fit: parsed (linearly, in the worker) and refused for the pass.
    assert short_status == 403 and "no valid access pass" in short_body["error"], short_body
    assert huge == 413
    assert long_time < 2 and short_time < 2, (long_time, short_time)
    assert watch.worst < 1.0, f"the node's loop stalled for {watch.worst:.2f} s"
    assert node.alive()


def test_siwe_uri_and_issued_at_are_checked(node, musicians, grant):
    dave = musicians[3]
    grant(dave)
    future = (datetime.now(timezone.utc) + timedelta(days=365)).isoformat(timespec="milliseconds")

    async def scenario() -> list[tuple[int, dict]]:
        sdp = await _offer()
        results = []
        for pattern, replacement in ((r"URI: http://127\.0\.0\.1:", "URI: https://evil.example:"),
                                     (r"Issued At: .*", f"Issued At: {future.replace('+00:00', 'Z')}")):
            payload = await _payload(node.url, dave)
            message = re.sub(pattern, replacement, payload["message"], count=1)
            results.append(await _post_join(node.url, {**_signed(dave, message), "sdp": sdp, "type": "offer"}))
        return results

    (uri_status, uri_body), (future_status, future_body) = asyncio.run(scenario())
    assert uri_status == 401 and "URI" in uri_body["error"], uri_body
    assert future_status == 401 and "in the future" in future_body["error"], future_body


def test_flood_of_junk_and_passless_sign_ins_does_not_lock_out_a_musician(small_node, musicians, grant, tmp_path):
    """200 offers (100 junk, 100 signed by fresh accounts without passes, all from the musicians'
    own IP address) while Alice plays: Bob still gets in, Alice's audio keeps flowing."""
    alice, bob = musicians[0], musicians[1]
    grant(alice)
    grant(bob)
    playing = run_client(small_node, alice, send="noise:1", seconds=8, record=tmp_path / "alice.npz")
    deadline = time.monotonic() + 20
    while small_node.stats()["participants"] < 1:
        assert time.monotonic() < deadline, "alice never joined"
        time.sleep(0.2)
    strangers = [Account.create() for _ in range(100)]

    async def flood_and_join() -> tuple[list[int], object]:
        sdp = await _offer()
        async with aiohttp.ClientSession() as http:
            from media.client import sign_in_payload
            signed = await asyncio.gather(*(sign_in_payload(http, small_node.url, 7, s.key.hex()) for s in strangers))
        junk = [{"message": f"Nonce: {i:016d}", "signature": "0x00", "sdp": sdp, "type": "offer"} for i in range(100)]
        offers = [_post_join(small_node.url, body) for body in junk] + \
                 [_post_join(small_node.url, {**p, "sdp": sdp, "type": "offer"}) for p in signed]

        async def bob_joins():
            await asyncio.sleep(0.05)  # in the middle of the flood
            return await join(small_node.url, 7, bob.key.hex(), load_signal("noise:2", 4.0), 2.0)

        *statuses, bob_session = await asyncio.gather(*offers, bob_joins())
        return [status for status, _ in statuses], bob_session

    statuses, bob_session = asyncio.run(flood_and_join())
    assert statuses.count(401) == 100 and statuses.count(403) == 100, sorted(set(statuses))
    assert bob_session.id and len(bob_session.audio) > 48_000, "bob got in and heard the room"
    alice_result = client_result(playing)
    assert alice_result["ended"] is None, alice_result
    received_at = np.load(tmp_path / "alice.npz")["received_at"][:, 1]
    gaps = np.diff(received_at)
    # Before, a flood froze every room for seconds (50 s seen). Alice's client is a process of its
    # own on a machine shared with other test runs, so a scheduling pause of a fraction of a second
    # is the machine's (0.79 s seen at load average 11), not the node's.
    assert len(received_at) > 300 and gaps.max() < 2.0, f"alice's audio stopped for {gaps.max():.2f} s"


def test_presigned_flood_leaves_an_admitted_musicians_audio_flowing(node, musicians, grant, tmp_path):
    """200 offers prepared ahead (a live nonce each: 100 with junk signatures, 100 signed by
    accounts without a pass) arrive at once while Erin plays: her personal mix keeps arriving
    through the flood, never pausing half a second (a dropout a band would stop for)."""
    erin = musicians[4]
    grant(erin)
    playing = run_client(node, erin, send="noise:3", seconds=15, record=tmp_path / "erin.npz")
    deadline = time.monotonic() + 30
    while node.stats()["participants"] < 1:
        assert time.monotonic() < deadline, "erin never joined"
        time.sleep(0.2)
    time.sleep(1.0)  # her mix is flowing
    strangers = [Account.create() for _ in range(100)]

    async def flood() -> tuple[list[int], float, float]:
        from media.client import sign_in_payload
        sdp = await _offer()
        async with aiohttp.ClientSession() as http:  # every offer signed before the first is sent
            payloads = await asyncio.gather(*(sign_in_payload(http, node.url, 7, s.key.hex())
                                              for s in strangers + strangers))
        offers = [{**p, "sdp": sdp, "type": "offer"} | ({"signature": "0x" + "11" * 65} if i < 100 else {})
                  for i, p in enumerate(payloads)]
        started = time.perf_counter()  # the monotonic clock Erin's client stamps its frames with
        statuses = await asyncio.gather(*(_post_join(node.url, body) for body in offers))
        return [status for status, _ in statuses], started, time.perf_counter()

    statuses, started, ended = asyncio.run(flood())
    assert statuses.count(401) == 100 and statuses.count(403) == 100, sorted(set(statuses))
    result = client_result(playing)
    assert result["ended"] is None, result
    received_at = np.load(tmp_path / "erin.npz")["received_at"][:, 1]
    assert received_at[-1] > ended, "erin's session ended before the flood did"
    inside = received_at[(received_at >= started) & (received_at <= ended)]
    gaps = np.diff(np.concatenate([[started], inside, [ended]]))
    frame = 0.010
    assert gaps.max() < 50 * frame, (f"erin's mix paused {gaps.max() / frame:.0f} frames during the "
                                     f"{ended - started:.2f} s flood")
