"""Real networks: the node and two musicians with relay-only ICE through Debian's coturn on
127.0.0.1 (no host candidate may carry the audio), and the click-to-ear latency of that path."""

from __future__ import annotations

import numpy as np
import pytest

from media.clicks import click_delays_ms, tone_with_clicks
from media.coturn import TURN_PASSWORD, TURN_USER, CoturnMissing
from media.coturn import coturn as run_coturn

from .conftest import client_result, run_client, start_node, stop_node


@pytest.fixture
def coturn(tmp_path):
    try:
        with run_coturn(tmp_path) as relay:
            yield relay.url, relay.log
    except CoturnMissing as exc:
        pytest.skip(str(exc))


def test_musicians_play_through_a_turn_relay(coturn, stub_pass, rpc_url, musicians, grant, tmp_path):
    turn_url, turn_log = coturn
    env = {"TUTTI_TURN_USERNAME": TURN_USER, "TUTTI_TURN_CREDENTIAL": TURN_PASSWORD}
    relay = ["--ice-server", turn_url, "--relay-only"]
    alice, bob = musicians[0], musicians[1]
    grant(alice)
    grant(bob)
    node = start_node(tmp_path, ["--rpc-url", rpc_url, "--pass-contract", stub_pass.address, *relay],
                      "relay-node", env=env)
    try:
        info = node.stats()  # the node is up; the page gets the same servers, relay-only
        import json
        import urllib.request
        with urllib.request.urlopen(f"{node.url}/api/room", timeout=5) as response:
            ice = json.load(response)["ice"]
        assert ice["iceTransportPolicy"] == "relay" and ice["iceServers"][0]["urls"] == turn_url, ice
        assert info["participants"] == 0
        for name, tone in (("alice", 440), ("bob", 660)):
            np.save(tmp_path / f"{name}-send.npy", tone_with_clicks(tone, 8.0))
        clients = [run_client(node, account, send=str(tmp_path / f"{name}-send.npy"), seconds=5,
                              record=tmp_path / f"{name}.npz", extra=relay, env=env)
                   for name, account in (("alice", alice), ("bob", bob))]
        results = [client_result(c, timeout=120) for c in clients]
    finally:
        stop_node(node)
    assert all(r["ended"] is None and r["samples"] > 48000 for r in results), results
    delays = click_delays_ms(np.load(tmp_path / "alice.npz"), np.load(tmp_path / "bob.npz"))
    assert delays, "bob heard none of alice's clicks through the relay"
    # The figure (reported, not asserted: the machine is shared); compare bench/media.py's
    # direct and node paths measured the same way.
    print(f"relay-only click-to-ear through the node: median {np.median(delays):.1f} ms over {len(delays)} clicks")
    log = turn_log.read_text()
    # Every peer connection (node side and client side) allocated a relay on coturn.
    assert log.count("ALLOCATE processed, success") >= 4, log[-3000:]


def test_ice_settings_are_checked_and_turn_secrets_give_short_lived_browser_credentials():
    import base64
    import hashlib
    import hmac

    from media.ice import IceConfigError, ice_settings

    with pytest.raises(IceConfigError, match="must start with"):
        ice_settings(["http://turn.example"], environ={})
    with pytest.raises(IceConfigError, match="TUTTI_TURN_USERNAME"):
        ice_settings(["turn:turn.example:3478"], environ={})
    with pytest.raises(IceConfigError, match="needs a TURN server"):
        ice_settings(["stun:stun.example:3478"], relay_only=True, environ={})
    settings = ice_settings(environ={"TUTTI_ICE_SERVERS": "stun:stun.example:3478 turn:turn.example:3478",
                                     "TUTTI_TURN_SECRET": "s3cret"})
    browser = settings.for_browser(now=1_000_000)
    stun, turn = browser["iceServers"]
    assert stun == {"urls": "stun:stun.example:3478"} and browser["iceTransportPolicy"] == "all"
    assert turn["username"] == "1003600:tutti"  # expires in an hour (TURN REST API)
    expected = base64.b64encode(hmac.new(b"s3cret", b"1003600:tutti", hashlib.sha1).digest()).decode()
    assert turn["credential"] == expected
    assert settings.configuration().iceServers[1].username.endswith(":tutti-node")
