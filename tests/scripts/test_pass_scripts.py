"""The access-pass scripts (create_room, buy_pass, revoke_pass, pass_status) driven as a host and
a fan would: separate `ape run` processes against the session's anvil and address book."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ape import chain

from tutti.passes import format_time
from tutti.royalties import ETH
from tutti.works import Share, register_work

PROJECT = Path(__file__).resolve().parents[2]
ETHER = 10**18
CID = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"


@pytest.fixture
def work(tutti, artist, producer):
    """A registered work: artist 80%, producer 20%."""
    return register_work(tutti, artist, metadata_cid=CID, content_hash=b"\x42" * 32,
                         contributors=[Share(artist.address, 8_000), Share(producer.address, 2_000)])


def test_host_opens_a_room_fan_buys_host_revokes(run, tutti, work, artist, fan, vocalist):
    done = run("create_room", "--work", str(work.work_id), "--price", "0.01", "--cap", "2", "--ends", "+2h",
               "--soulbound", "--metadata-cid", CID, account="TEST::1")
    room_id = int(re.search(r"Created room (\d+) \(pays split (\d+)\)", done.stdout).group(1))
    assert f"pays split {work.split_id}): 0.01 ETH a pass, at most 2, soulbound" in done.stdout
    room = tutti.passes.room(room_id)
    assert (room.host, room.hostSplitId, room.price, room.supplyCap, room.transferable) == (
        artist.address, work.split_id, ETHER // 100, 2, False,
    )
    assert room.validUntil - room.validFrom == 7_200

    done = run("buy_pass", "--room", str(room_id), "--to", vocalist.address, account="TEST::4")
    assert f"Bought a pass to room {room_id} for {vocalist.address}: 0.01 ETH (platform fee 0.0005 ETH)" in done.stdout
    assert tutti.splitter.totalReceived(work.split_id, ETH) == ETHER // 100 - ETHER // 2_000
    assert tutti.passes.hasValidPass(room_id, vocalist)

    tutti.passes.buyPass(room_id, fan, sender=fan, value=ETHER // 100)
    done = run("revoke_pass", "--room", str(room_id), "--holder", fan.address, account="TEST::1")
    assert f"Revoked {fan.address} from room {room_id} (1 pass burnt)" in done.stdout
    assert not tutti.passes.hasValidPass(room_id, fan)

    status = run("pass_status", "--room", str(room_id), "--holder", vocalist.address, "--holder", fan.address).stdout
    assert f"Room {room_id} hosted by {artist.address}, paying split {work.split_id}" in status
    assert "0.01 ETH a pass (platform fee 5.00%), 2 of 2 sold, soulbound" in status
    assert f"{vocalist.address}: VALID, 1 pass, valid until" in status
    assert f"{fan.address}: NOT VALID, 0 passes, revoked by the host" in status


def test_room_on_a_split_with_iso_window_sells_ahead(run, tutti, work, fan):
    starts = chain.blocks.head.timestamp + 86_400
    starts_iso = format_time(starts).replace(" ", "T")
    done = run("create_room", "--split", str(work.split_id), "--price", "0", "--cap", "5", "--starts", starts_iso,
               "--ends", "+90m", "--metadata-cid", CID, account="TEST::2")
    room_id = int(re.search(r"Created room (\d+)", done.stdout).group(1))
    assert "free a pass, at most 5, transferable" in done.stdout
    assert (tutti.passes.room(room_id).validFrom, tutti.passes.room(room_id).validUntil) == (starts, starts + 5_400)

    tutti.passes.buyPass(room_id, fan, sender=fan)  # presale: bought now, valid tomorrow
    status = run("pass_status", "--room", str(room_id), "--holder", fan.address).stdout
    assert f"valid {format_time(starts)} to {format_time(starts + 5_400)}: upcoming" in status
    assert f"{fan.address}: NOT VALID, 1 pass, not valid before {format_time(starts)}" in status


@pytest.mark.parametrize(
    "name, args, account, message",
    [
        ("buy_pass", ["--room", "999"], "TEST::4", "reverted: UnknownRoom(roomId=999)"),
        ("revoke_pass", ["--room", "{room}", "--holder", "{fan}"], "TEST::4",
         "reverted: NotHost(roomId={room}, caller={fan})"),
        ("create_room", ["--split", "{split}", "--price", "0.01", "--cap", "3", "--ends", "+2x",
                         "--metadata-cid", CID], "TEST::1", "'+2x' is not a duration"),
    ],
)
def test_mistakes_are_refused_in_one_line(run, tutti, work, artist, fan, name, args, account, message):
    now = chain.pending_timestamp
    receipt = tutti.passes.createRoom(0, 1, now, now + 3_600, True, work.split_id, CID, sender=artist)
    room_id = receipt.decode_logs(tutti.passes.RoomCreated)[0].roomId
    values = {"room": room_id, "fan": fan.address, "split": work.split_id}

    done = run(name, *[arg.format(**values) for arg in args], account=account, check=False)

    assert done.returncode != 0
    assert message.format(**values) in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "Call trace" not in done.stdout
