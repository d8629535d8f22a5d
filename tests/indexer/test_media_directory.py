"""The room directory over a real index of the session's activity, on SQLite and PostgreSQL: rooms'
hosts (the session's accounts, signing with their own keys) announce media nodes, clients list them
until they expire. The API's wall clock is a fixture the tests move."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from indexer import schema
from indexer.api import create_app
from indexer.api.deps import wall_clock
from indexer.ingest import Indexer
from indexer.room_directory import MAX_NODES_PER_ROOM
from tests.indexer.conftest import empty_database, index, settings_for
from tutti import passes
from tutti.media_directory import MAX_TTL_SECONDS, NodeAnnouncement, announcement_signer, sign_announcement

MEDIA = schema.media_nodes
GOOD_URL = "https://media.example"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def directory_engine(request, activity, w3, tutti, tmp_path_factory):
    engine = index(w3, tutti, empty_database(request.param, tmp_path_factory.mktemp("directory"), request))
    yield engine
    engine.dispose()


@dataclass
class Clock:
    now: int


@pytest.fixture
def clock() -> Clock:
    return Clock(int(time.time()))


@pytest.fixture
def client(directory_engine, clock):
    """The API over the module's index, with an empty directory and the test's wall clock."""
    with directory_engine.begin() as connection:
        connection.execute(delete(MEDIA))
    app = create_app(engine=directory_engine)
    app.dependency_overrides[wall_clock] = lambda: clock.now
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def rooms(activity):
    return activity["rooms"]  # live and encore hosted by the artist, later by the vocalist


@pytest.fixture
def signed(tutti, clock):
    """``signed(account, room_id, url, expires_in=600, ...)``: a POST body signed by ``account``."""

    def sign(account, room_id: int, url: str, expires_in: int = 600, *, chain_id: int | None = None,
             passes_address: str | None = None) -> dict:
        announcement = NodeAnnouncement(room_id, url, clock.now + expires_in)
        signature = sign_announcement(account.private_key, announcement, chain_id or tutti.book.chain_id,
                                      passes_address or tutti.passes.address)
        return {"url": url, "expires_at": announcement.expires_at, "signature": "0x" + signature.hex()}

    return sign


def listed(client, room_id: int) -> list[tuple[str, int]]:
    response = client.get(f"/rooms/{room_id}/media-nodes")
    assert response.status_code == 200, response.text
    return [(node["url"], node["expires_at"]) for node in response.json()]


def stored_urls(engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(select(MEDIA.c.url)).scalars())


def test_the_host_announces_and_clients_find_its_nodes(client, signed, clock, tutti, rooms, artist, vocalist):
    live, later, encore = rooms
    response = client.post(f"/rooms/{live}/media-nodes", json=signed(artist, live, "https://media-1.example:8443"))
    assert response.status_code == 201, response.text
    node = response.json()
    assert (node["room_id"], node["url"], node["host"]) == (live, "https://media-1.example:8443", artist.address)
    assert (node["expires_at"], node["announced_at"]) == (clock.now + 600, clock.now)
    # The listing carries the host's signature: a client can check it against its own address book.
    announcement = NodeAnnouncement(live, node["url"], node["expires_at"])
    assert announcement_signer(announcement, bytes.fromhex(node["signature"][2:]), tutti.book.chain_id,
                               tutti.passes.address) == artist.address

    clock.now += 5
    second = signed(artist, live, "https://media-2.example", expires_in=300)
    assert client.post(f"/rooms/{live}/media-nodes", json=second).status_code == 201
    path_url = "http://10.0.0.7:9000/rooms/later"
    assert client.post(f"/rooms/{later}/media-nodes", json=signed(vocalist, later, path_url)).status_code == 201

    newest_first = [("https://media-2.example", clock.now + 300), ("https://media-1.example:8443", clock.now + 595)]
    assert listed(client, live) == newest_first
    assert [(n["url"], n["expires_at"]) for n in client.get(f"/rooms/{live}").json()["media_nodes"]] == newest_first
    assert listed(client, later) == [(path_url, clock.now + 600)]
    assert listed(client, encore) == [] and client.get(f"/rooms/{encore}").json()["media_nodes"] == []


def test_announcing_again_extends_the_listing_and_a_replay_cannot_shorten_it(client, signed, clock, rooms, artist):
    live = rooms[0]
    url = "https://media.example"
    short = signed(artist, live, url, expires_in=60)
    assert client.post(f"/rooms/{live}/media-nodes", json=short).status_code == 201
    clock.now += 30
    longer = client.post(f"/rooms/{live}/media-nodes", json=signed(artist, live, url, expires_in=MAX_TTL_SECONDS))
    assert longer.status_code == 201 and longer.json()["announced_at"] == clock.now
    assert listed(client, live) == [(url, clock.now + MAX_TTL_SECONDS)]

    replay = client.post(f"/rooms/{live}/media-nodes", json=short)  # still valid, but older
    assert replay.status_code == 200 and replay.json() == longer.json()
    assert listed(client, live) == [(url, clock.now + MAX_TTL_SECONDS)]


def test_only_the_host_may_announce(client, signed, rooms, artist, vocalist, fan):
    live, later, _ = rooms
    for intruder, room_id, host in ((vocalist, live, artist), (fan, live, artist), (artist, later, vocalist)):
        response = client.post(f"/rooms/{room_id}/media-nodes", json=signed(intruder, room_id, "https://evil.example"))
        assert response.status_code == 403, response.text
        assert f"signed by {intruder.address}" in response.text and f"host is {host.address}" in response.text
    assert listed(client, live) == [] and listed(client, later) == []


@pytest.mark.parametrize("tampered", ["url", "expires_at", "room"])
def test_an_announcement_changed_after_signing_recovers_someone_else(tampered, client, signed, rooms, artist):
    live, _, encore = rooms  # both hosted by the artist: the room id alone must still bind
    body, room_id = signed(artist, live, "https://media.example"), live
    if tampered == "url":
        body["url"] = "https://evil.example"
    elif tampered == "expires_at":
        body["expires_at"] += 1
    else:
        room_id = encore
    response = client.post(f"/rooms/{room_id}/media-nodes", json=body)
    assert response.status_code == 403, response.text
    assert f"host is {artist.address}" in response.text and f"signed by {artist.address}" not in response.text
    assert listed(client, room_id) == []


def test_a_signature_for_another_deployment_is_refused(client, signed, tutti, rooms, artist):
    live = rooms[0]
    for other in ({"chain_id": tutti.book.chain_id + 1}, {"passes_address": tutti.registry.address}):
        response = client.post(f"/rooms/{live}/media-nodes", json=signed(artist, live, GOOD_URL, **other))
        assert response.status_code == 403, response.text
        assert str(tutti.book.chain_id) in response.text and tutti.passes.address in response.text
    assert listed(client, live) == []


@pytest.mark.parametrize("url, expires_in, changes, status, reason", [
    (GOOD_URL, -1, {}, 400, "expired"),
    (GOOD_URL, 0, {}, 400, "expired"),
    (GOOD_URL, MAX_TTL_SECONDS + 1, {}, 400, f"at most {MAX_TTL_SECONDS} s"),
    ("ftp://media.example", 600, {}, 400, "http(s)"),
    ("media.example:8443", 600, {}, 400, "http(s)"),
    ("https://user:secret@media.example", 600, {}, 400, "credentials"),
    ("https://media.example/?room=1", 600, {}, 400, "query"),
    ("https://media.example:99999", 600, {}, 400, "not a url"),
    ("https://media.example/", 600, {}, 400, "trailing slash"),
    ("https://média.example", 600, {}, 400, "ascii"),
    ("https://media.example/\x00", 600, {}, 400, "ascii"),
    (GOOD_URL, 600, {"url": "https://" + "a" * 200}, 422, "url"),
    (GOOD_URL, 600, {"url": ""}, 422, "url"),
    (GOOD_URL, 600, {"expires_at": "1900000000"}, 422, "expires_at"),
    (GOOD_URL, 600, {"expires_at": 2**64}, 422, "expires_at"),
    (GOOD_URL, 600, {"signature": "0x1234"}, 422, "signature"),
    (GOOD_URL, 600, {"signature": "0x" + "zz" * 65}, 422, "signature"),
    (GOOD_URL, 600, {"signature": None}, 422, "signature"),
    (GOOD_URL, 600, {"signature": "0x" + "ff" * 65}, 400, "recovers to no account"),
    (GOOD_URL, 600, {"signature": "0x" + "11" * 64 + "05"}, 400, "recovers to no account"),
])
def test_bad_announcements_get_a_4xx_with_a_reason(url, expires_in, changes, status, reason, client, signed, rooms,
                                                   artist):
    live = rooms[0]
    body = {**signed(artist, live, url, expires_in), **changes}  # signed as is: the content alone is refused
    response = client.post(f"/rooms/{live}/media-nodes", json={k: v for k, v in body.items() if v is not None})
    assert response.status_code == status, response.text
    assert reason in response.text.lower()
    assert listed(client, live) == []


def test_an_unknown_room_is_404(client, signed, artist):
    response = client.post("/rooms/99999/media-nodes", json=signed(artist, 99999, "https://media.example"))
    assert response.status_code == 404 and "no room 99999" in response.text
    assert client.get("/rooms/99999/media-nodes").status_code == 404


def test_other_methods_get_a_405_naming_both(client, rooms):
    response = client.put(f"/rooms/{rooms[0]}/media-nodes", json={})
    assert response.status_code == 405 and response.headers["allow"] == "GET, POST"


def test_a_room_that_is_over_by_the_wall_clock_is_refused(client, signed, clock, rooms, artist, vocalist):
    live, later, _ = rooms
    clock.now = client.get(f"/rooms/{later}").json()["valid_until"] + 1  # live runs 10 days longer
    response = client.post(f"/rooms/{later}/media-nodes", json=signed(vocalist, later, "https://media.example"))
    assert response.status_code == 409 and "over" in response.text and "no one can join" in response.text
    assert client.post(f"/rooms/{live}/media-nodes", json=signed(artist, live, GOOD_URL)).status_code == 201


def test_a_room_lists_at_most_16_live_nodes(client, signed, clock, rooms, artist):
    live = rooms[0]
    for i in range(MAX_NODES_PER_ROOM):
        body = signed(artist, live, f"https://node-{i}.example", expires_in=600 + i)
        assert client.post(f"/rooms/{live}/media-nodes", json=body).status_code == 201
    one_more = signed(artist, live, "https://one-more.example")
    full = client.post(f"/rooms/{live}/media-nodes", json=one_more)
    assert full.status_code == 429 and f"already lists {MAX_NODES_PER_ROOM} live media nodes" in full.text
    assert full.headers["retry-after"] == "600"
    # A listed node can still refresh; another room has its own 16.
    assert client.post(f"/rooms/{live}/media-nodes",
                       json=signed(artist, live, "https://node-3.example", expires_in=900)).status_code == 201
    encore = rooms[2]
    assert client.post(f"/rooms/{encore}/media-nodes", json=signed(artist, encore, GOOD_URL)).status_code == 201

    clock.now += 600  # node-0 expires: a place frees up
    later_one = signed(artist, live, "https://one-more.example")
    assert client.post(f"/rooms/{live}/media-nodes", json=later_one).status_code == 201
    urls = [url for url, _ in listed(client, live)]
    assert len(urls) == MAX_NODES_PER_ROOM and urls[0] == "https://one-more.example"
    assert "https://node-0.example" not in urls


def test_concurrent_announcements_keep_to_the_cap(client, signed, directory_engine, rooms, artist):
    live = rooms[0]
    bodies = [signed(artist, live, f"https://rush-{i}.example") for i in range(MAX_NODES_PER_ROOM + 8)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda body: client.post(f"/rooms/{live}/media-nodes", json=body).status_code,
                                 bodies))
    assert sorted(statuses) == [201] * MAX_NODES_PER_ROOM + [429] * 8
    assert len(listed(client, live)) == MAX_NODES_PER_ROOM == len(stored_urls(directory_engine))


def test_expired_nodes_leave_the_list_then_the_table(client, signed, clock, directory_engine, rooms, artist, vocalist):
    live, later, _ = rooms
    for body, room_id in ((signed(artist, live, "https://short.example", expires_in=30), live),
                          (signed(artist, live, "https://long.example"), live),
                          (signed(vocalist, later, "https://later.example", expires_in=30), later)):
        assert client.post(f"/rooms/{room_id}/media-nodes", json=body).status_code == 201
    clock.now += 30
    assert listed(client, live) == [("https://long.example", clock.now + 570)]
    assert client.get(f"/rooms/{live}").json()["media_nodes"] == [{"url": "https://long.example",
                                                                    "expires_at": clock.now + 570}]
    assert listed(client, later) == []
    assert len(stored_urls(directory_engine)) == 3  # reads never write
    # The next accepted announcement, for any room, purges every expired row.
    assert client.post(f"/rooms/{live}/media-nodes", json=signed(artist, live, GOOD_URL)).status_code == 201
    assert stored_urls(directory_engine) == {"https://long.example", GOOD_URL}


def test_a_room_over_by_the_chain_clock_is_refused(client, signed, directory_engine, chain, w3, tutti, artist):
    """The chain's clock can be past a room's end while the wall clock is not (here the session's chain
    runs two weeks ahead): the room is over by the later of the two."""
    room = passes.create_room(tutti, artist, split_id=1, price=0, supply_cap=1, valid_from=0,
                              valid_until=chain.blocks.head.timestamp + 60, metadata_cid="bafy-room-short")
    chain.pending_timestamp += 120
    chain.mine(1)
    Indexer(w3, directory_engine, tutti.book, settings_for(str(directory_engine.url))).sync()
    assert client.get(f"/rooms/{room.room_id}").json()["phase"] == "over"
    response = client.post(f"/rooms/{room.room_id}/media-nodes", json=signed(artist, room.room_id, GOOD_URL))
    assert response.status_code == 409 and "no one can join" in response.text
