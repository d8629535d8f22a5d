"""The media node against the real AccessPass contract (the other media tests use a settable
stand-in for pass policy): a pass bought on chain admits a musician, no pass is refused, and the
host's revocation ends the running session."""

from __future__ import annotations

import json
import time

from ape import chain
from eth_account import Account

from tests.media.conftest import client_result, run_client, start_node, stop_node
from tutti.passes import buy_pass, create_room, revoke
from tutti.works import Share, register_work


def test_a_pass_bought_on_chain_admits_and_its_revocation_ends_the_session(tutti, artist, fan, tmp_path):
    work = register_work(tutti, artist, metadata_cid="QmRoomWork", content_hash=b"\x77" * 32,
                         contributors=[Share(artist.address, 10_000)])
    now = chain.blocks.head.timestamp
    room = create_room(tutti, artist, split_id=work.split_id, price=10**15, supply_cap=10, valid_from=now,
                       valid_until=now + 3_600, metadata_cid="QmRoom").room_id
    player, stranger = Account.create(), Account.create()
    buy_pass(tutti, fan, room, to=player.address)  # a gift: the musician's key never holds ether

    node = start_node(tmp_path, ["--rpc-url", chain.provider.uri, "--pass-contract", tutti.passes.address],
                      "real-pass-node", room=room)
    try:
        refused = client_result(run_client(node, stranger, seconds=2))
        assert refused["refused"] == 403 and "no valid access pass" in refused["reason"]

        client = run_client(node, player, send="tone:440", seconds=20)
        deadline = time.monotonic() + 30
        while player.address not in json.dumps(node.stats()["musicians"]):
            assert time.monotonic() < deadline, "the pass holder never joined"
            time.sleep(0.2)
        revoke(tutti, artist, room, player.address)
        revoked_at = time.monotonic()
        while not node.stats()["sessions_ended"]:
            assert time.monotonic() - revoked_at < 10, "the session outlived its revoked pass"
            time.sleep(0.05)
        assert time.monotonic() - revoked_at < 2.0  # seen at the revoking block, not a 15 s re-check
        result = client_result(client, timeout=30)
        assert result["ended"] == "access pass no longer valid (expired or revoked)", result
    finally:
        stop_node(node)


def test_a_session_ends_when_the_rooms_passes_expire_without_a_new_block(tutti, artist, fan, tmp_path):
    """Expiry needs no transaction: the node times the room's validUntil itself."""
    work = register_work(tutti, artist, metadata_cid="QmExpiringRoomWork", content_hash=b"\x78" * 32,
                         contributors=[Share(artist.address, 10_000)])
    now = chain.blocks.head.timestamp
    lifetime = 45  # the node and the client start within it, even on a loaded machine
    room = create_room(tutti, artist, split_id=work.split_id, price=10**15, supply_cap=10, valid_from=now,
                       valid_until=now + lifetime, metadata_cid="QmExpiringRoom").room_id
    player = Account.create()
    buy_pass(tutti, fan, room, to=player.address)
    # The room's end on this machine's clock (a test chain may run ahead of it).
    ends_at = time.time() + (now + lifetime - chain.blocks.head.timestamp)
    node = start_node(tmp_path, ["--rpc-url", chain.provider.uri, "--pass-contract", tutti.passes.address],
                      "expiring-pass-node", room=room)
    try:
        client = run_client(node, player, send="tone:440", seconds=60)
        while not node.stats()["participants"]:
            assert time.time() < ends_at, f"the pass holder did not get in before the room ended: {client.poll()}"
            time.sleep(0.2)
        while not node.stats()["sessions_ended"]:
            assert time.time() < ends_at + 10, "the session outlived the room's passes"
            time.sleep(0.05)
        assert time.time() < ends_at + 2.0
        result = client_result(client, timeout=30)
        assert result["ended"] == "access pass no longer valid (expired or revoked)", result
    finally:
        stop_node(node)
