"""Audiences through Janus: a real Janus (started by the node), a real node, real WebRTC clients.

A musician plays clicks into the room; a listener, signed in with SIWE and a pass, hears them
through Janus' streaming plugin; a listener without a pass is refused; a revoked pass loses the
stream within 2 s of its block; a second Janus session made with a listener's token is swept.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from media.clicks import click_delays_ms, tone_with_clicks
from media.janus import JanusClient, JanusError, janus_binary

from .conftest import ROOT, client_result, run_client, start_node, stop_node, wait_until
from .test_media_node import peak_correlation

pytestmark = pytest.mark.skipif(not janus_binary().exists(), reason="Debian's janus is not installed")


@pytest.fixture(scope="module")
def audience_node(tmp_path_factory, stub_pass, rpc_url):
    tmp = tmp_path_factory.mktemp("audience")
    node = start_node(tmp, ["--rpc-url", rpc_url, "--pass-contract", str(stub_pass.address),
                            "--janus", "auto", "--join-burst", "30", "--join-rate", "10"], "audience-node")
    yield node
    stop_node(node)


def audience(node) -> dict:
    import urllib.request
    with urllib.request.urlopen(f"{node.url}/api/audience", timeout=5) as response:
        return json.load(response)


def run_listener(node, account, seconds: float, record: Path | None = None) -> subprocess.Popen:
    args = [sys.executable, "-m", "media.cli", "--log-level", "WARNING", "listen", "--url", node.url,
            "--room", str(node.room), "--seconds", str(seconds)]
    if record is not None:
        args += ["--record", str(record)]
    return subprocess.Popen(args, cwd=ROOT, env={**os.environ, "TUTTI_MEDIA_KEY": account.key.hex()},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_listener_hears_the_musicians_clicks_through_janus(audience_node, musicians, grant):
    """Both clients in this process (aiortc), so the musician starts once the listener hears Janus
    (the listener stays 14 s: a loaded machine can take seconds over the musician's sign-in)."""
    from media.client import join
    from media.listener import listen

    player, listener = musicians[0], musicians[3]
    grant(player)
    grant(listener)
    signal = tone_with_clicks(330.0, 10.0)

    async def scenario():
        streaming = asyncio.Event()
        hearing = asyncio.ensure_future(listen(audience_node.url, audience_node.room, listener.key.hex(), 14.0,
                                               on_audio=lambda _: streaming.set()))
        await asyncio.wait_for(streaming.wait(), 30)
        playing = await join(audience_node.url, audience_node.room, player.key.hex(), signal, 6.0)
        return playing, await hearing

    playing, heard = asyncio.run(scenario())
    assert len(heard.audio) > 5 * 48000, heard.ended
    mono = heard.audio.sum(axis=1)
    assert peak_correlation(mono, signal) > 0.3
    delays = click_delays_ms({"sent_at": np.asarray(playing.sent_at, dtype=np.float64)},
                             {"audio": heard.audio, "received_at": np.asarray(heard.received_at, dtype=np.float64)})
    # Clicks heard, each within a quarter second of its sending (of 12 sent: on a loaded machine a
    # glitch louder than the clicks in the high band can hide some from the detector).
    assert len(delays) >= 3, delays
    assert audience(audience_node)["rtp_packets"] > 0


def test_listener_without_a_pass_is_refused(audience_node, musicians, grant):
    stranger = musicians[4]
    grant(stranger, valid=False)
    result = client_result(run_listener(audience_node, stranger, 2))
    assert result["refused"] == 403 and "no valid access pass" in result["reason"], result
    assert all(e != stranger.address for e in audience(audience_node)["ended"].values())


def test_revoked_pass_loses_the_stream_within_two_seconds(audience_node, musicians, grant, tmp_path):
    listener = musicians[5]
    grant(listener)
    process = run_listener(audience_node, listener, 30, tmp_path / "revoked.npz")
    wait_until(lambda: audience(audience_node)["listeners"] > 0, 60, "the listener's admission")
    time.sleep(2.0)  # the stream is flowing
    grant(listener, valid=False)  # mined: the block the node watches for
    revoked_at = time.perf_counter()  # CLOCK_MONOTONIC, the same clock as the listener's stamps
    result = client_result(process, timeout=60)
    assert result["ended"], result
    recording = dict(np.load(tmp_path / "revoked.npz"))
    assert len(recording["audio"]) > 48000, "the listener heard nothing before the revocation"
    last_audio = float(recording["received_at"][-1, 1])
    assert last_audio - revoked_at < 2.0, (last_audio - revoked_at, result)
    assert any("no longer valid" in reason for reason in audience(audience_node)["ended"].values())


def test_a_second_janus_session_with_a_listeners_token_is_swept(audience_node, musicians, grant):
    """Janus serves only the node: a session it did not make for an admitted listener is destroyed."""
    import aiohttp

    from media.listener import get_ticket

    listener = musicians[2]
    grant(listener)

    async def scenario() -> None:
        async with aiohttp.ClientSession() as http:
            ticket = await get_ticket(http, audience_node.url, audience_node.room, listener.key.hex())
            janus = JanusClient(ticket["janus"], token=ticket["token"], http=http)
            stray = await janus.create_session()
            await asyncio.sleep(1.5)  # the node sweeps every 0.5 s
            with pytest.raises(JanusError):
                await janus.keepalive(stray)
            await janus.keepalive(int(ticket["session"]))  # the ticket's own session lives on

    asyncio.run(scenario())


def test_browser_listen_mode_hears_the_room_through_janus(audience_node, musicians, grant, tmp_path):
    """The jam page's "Listen only" (web/listen.js) in Debian's headless Chromium."""
    from eth_account import Account

    from .test_browser import DRIVER, ensure_chromium

    ensure_chromium()
    listener, stranger, player = Account.create(), Account.create(), musicians[1]
    grant(listener)
    grant(player)
    musician = run_client(audience_node, player, send="noise:3", seconds=40)
    wait_until(lambda: any(m["sends_audio"] for m in audience_node.stats()["musicians"]), 60, "the musician")
    found = {}
    for account, name in ((listener, "listener"), (stranger, "stranger")):
        driver = subprocess.run(["node", str(DRIVER), audience_node.url, account.key.hex(),
                                 str(tmp_path / f"profile-{name}"), "listen"],
                                cwd=ROOT, capture_output=True, text=True, timeout=120)
        lines = [line for line in driver.stdout.splitlines() if line.startswith("{")]
        assert lines, driver.stderr[-3000:]
        found[name] = json.loads(lines[-1])
    musician.terminate()
    heard = found["listener"]
    assert "failure" not in heard and heard["listening"], heard
    assert min(heard["heard"]) > 0.001, heard  # both ears hear the room
    assert heard["ended"] == "left", heard
    assert not heard["console"], heard["console"]
    assert found["stranger"]["refused"] == 403, found["stranger"]


def test_cli_errors_are_one_line():
    """A --janus URL without its Admin API, and an unreachable node: one error line, no traceback."""
    key = {"TUTTI_MEDIA_KEY": "0x" + "11" * 32}
    runs = [
        (["serve", "--room", "1", "--janus", "http://127.0.0.1:1/janus"], "--janus URL needs --janus-admin"),
        (["listen", "--url", "http://127.0.0.1:1", "--room", "1"], "cannot reach http://127.0.0.1:1"),
    ]
    for args, expected in runs:
        done = subprocess.run([sys.executable, "-m", "media.cli", "--log-level", "ERROR", *args], cwd=ROOT,
                              env={**os.environ, **key}, capture_output=True, text=True, timeout=120)
        assert done.returncode != 0 and expected in done.stderr, done.stderr
        assert "Traceback" not in done.stderr, done.stderr
