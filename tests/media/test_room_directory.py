"""The room directory end to end: a node announces itself to a real indexer (``tutti-indexer run``
and ``serve`` as processes, over the real AccessPass), a musician finds it there by room id; a key
that is not the room's host cannot start an announcing node; an unreachable indexer never stops one."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import aiohttp
from ape import chain
from eth_account import Account

from media.directory import DirectoryError, post_announcement
from tests.media.conftest import ROOT, client_result, run_client, start_node, stop_node, wait_until
from tutti.media_directory import NodeAnnouncement, sign_announcement
from tutti.net import free_port
from tutti.passes import buy_pass, create_room
from tutti.works import Share, register_work


def open_room(tutti, host) -> int:
    """A room hosted by ``host``, open for a day by both the chain's clock and the wall clock."""
    work = register_work(tutti, host, metadata_cid="QmDirectoryWork", content_hash=b"\x5d" * 32,
                         contributors=[Share(host.address, 10_000)])
    now = chain.blocks.head.timestamp
    return create_room(tutti, host, split_id=work.split_id, price=10**15, supply_cap=10, valid_from=now,
                       valid_until=max(now, int(time.time())) + 86_400, metadata_cid="QmDirectoryRoom").room_id


def announcing_node(tmp_path, tutti, room: int, host, indexer_url: str, name: str, ttl: int = 10):
    return start_node(tmp_path, ["--rpc-url", chain.provider.uri, "--pass-contract", tutti.passes.address,
                                 "--announce", indexer_url, "--announce-ttl", str(ttl)],
                      name, room=room, env={"TUTTI_MEDIA_HOST_KEY": host.private_key})


def serve_and_fail(tutti, room: int, host_key: str) -> subprocess.CompletedProcess:
    """``tutti-media serve --announce`` expected to refuse to start."""
    return subprocess.run(
        [sys.executable, "-m", "media.cli", "serve", "--room", str(room), "--port", str(free_port()),
         "--rpc-url", chain.provider.uri, "--pass-contract", tutti.passes.address,
         "--announce", f"http://127.0.0.1:{free_port()}"],
        cwd=ROOT, env={**os.environ, "TUTTI_MEDIA_HOST_KEY": host_key},
        capture_output=True, text=True, timeout=60)


def one_line_error(result: subprocess.CompletedProcess, status: int = 1) -> str:
    """The CLI's error: exit ``status`` (click: 1, 2 for a usage error), no traceback, one ``Error:`` line."""
    assert result.returncode == status, (result.returncode, result.stderr[-3000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr[-3000:]
    assert errors[0] == result.stderr.strip().splitlines()[-1]
    return errors[0]


def test_a_node_announces_itself_and_a_musician_finds_it_in_the_indexer(tutti, artist, fan, indexer_service,
                                                                       tmp_path):
    room = open_room(tutti, artist)
    player = Account.create()
    buy_pass(tutti, fan, room, to=player.address)
    indexer = indexer_service()
    indexer.wait_for_room(room)

    node = announcing_node(tmp_path, tutti, room, artist, indexer.url, "announcing-node", ttl=10)
    try:
        listed = wait_until(lambda: [n for n in indexer.media_nodes(room) if n["url"] == node.url], 30,
                            "the node's listing", indexer)
        first_expiry = listed[0]["expires_at"]
        assert 0 < first_expiry - time.time() <= 10

        result = client_result(run_client(None, player, indexer=indexer.url, room=room, send="tone:440",
                                          seconds=3))
        assert result["url"] == node.url and result["id"] and result["address"] == player.address, result
        assert result["ended"] is None and result["samples"] > 0, result

        # Renewed at half the TTL, so the listing outlives any one announcement.
        wait_until(lambda: indexer.media_nodes(room)[0]["expires_at"] > first_expiry, 15, "a renewal", indexer)
    finally:
        stop_node(node)
    assert "failed" not in node.log.read_text()


def test_join_through_the_indexer_needs_a_listed_node_and_refusals_carry_reasons(tutti, artist, fan,
                                                                                  indexer_service):
    room = open_room(tutti, artist)
    indexer = indexer_service()
    indexer.wait_for_room(room)

    async def announce(signer, expires_in: int = 60) -> DirectoryError:
        announcement = NodeAnnouncement(room, "http://127.0.0.1:9", int(time.time()) + expires_in)
        signature = sign_announcement(signer.private_key, announcement, chain.chain_id, tutti.passes.address)
        async with aiohttp.ClientSession() as http:
            try:
                await post_announcement(http, indexer.url, announcement, signature)
            except DirectoryError as exc:
                return exc
        raise AssertionError("the directory listed a refused announcement")

    refused = asyncio.run(announce(fan))  # what the node's own host check keeps from happening
    assert refused.status == 403 and fan.address in refused.reason and artist.address in refused.reason
    assert asyncio.run(announce(artist, expires_in=-5)).status == 400
    assert indexer.media_nodes(room) == []
    for unlisted, reason in ((room, f"room {room} has no live media node"),
                             (room + 1000, f"room {room + 1000} is not in the index")):
        process = run_client(None, Account.create(), indexer=indexer.url, room=unlisted, seconds=1)
        out, err = process.communicate(timeout=60)
        result = subprocess.CompletedProcess(process.args, process.returncode, out, err)
        assert reason in one_line_error(result)
        assert out == ""

    process = run_client(None, Account.create(), indexer=f"http://127.0.0.1:{free_port()}", room=room, seconds=1)
    out, err = process.communicate(timeout=60)
    assert "cannot reach" in one_line_error(subprocess.CompletedProcess(process.args, process.returncode, out, err))


def test_only_the_rooms_host_can_start_an_announcing_node(tutti, artist, fan):
    room = open_room(tutti, artist)
    error = one_line_error(serve_and_fail(tutti, room, fan.private_key))
    assert f"--host-key is {fan.address}, but room {room}'s host is {artist.address}" in error

    error = one_line_error(serve_and_fail(tutti, room + 1000, artist.private_key))
    assert f"cannot announce room {room + 1000}" in error and "has no room" in error

    error = one_line_error(serve_and_fail(tutti, room, "0xnotakey"), status=2)
    assert "--host-key" in error and "notakey" not in error  # what was given is never echoed


def test_an_unreachable_indexer_never_stops_the_node_and_is_caught_up_with(tutti, artist, fan, indexer_service,
                                                                         tmp_path):
    room = open_room(tutti, artist)
    player = Account.create()
    buy_pass(tutti, fan, room, to=player.address)
    port = free_port()
    node = announcing_node(tmp_path, tutti, room, artist, f"http://127.0.0.1:{port}", "lonely-node", ttl=10)
    try:
        def failed_announcements() -> list[str]:
            return [line for line in node.log.read_text().splitlines() if "announcing" in line and "failed" in line]

        failures = wait_until(lambda: len(failed_announcements()) >= 2 and failed_announcements(), 20,
                              "two failed announcements")
        assert all(f"cannot reach http://127.0.0.1:{port}" in line and "next attempt in" in line
                   for line in failures), failures
        assert "Traceback" not in node.log.read_text()
        # The node serves meanwhile: a musician who knows its URL joins.
        result = client_result(run_client(node, player, send="tone:440", seconds=2))
        assert result["ended"] is None and result["samples"] > 0, result

        indexer = indexer_service(port)  # the indexer comes up where the node has been knocking
        listed = wait_until(lambda: [n for n in indexer.media_nodes(room) if n["url"] == node.url], 30,
                            "the node's listing after the indexer came up", indexer)
        assert listed[0]["expires_at"] > time.time()
        assert node.alive()
    finally:
        stop_node(node)
    assert "(directory reachable again)" in node.log.read_text()
