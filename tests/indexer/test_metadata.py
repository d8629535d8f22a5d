"""Works' metadata read from a real IPFS store into the index, off the ingest path: title and artist
search, licence, derivative and AI-made filters, retries with backoff, and the response cache
following metadata that arrives without a new block."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner
from eth_utils import keccak
from fastapi.testclient import TestClient
from sqlalchemy import select

from indexer import schema
from indexer.api import create_app
from indexer.api.main import VERSION_TTL_SECONDS
from indexer.cli import main as cli
from indexer.metadata import MetadataFetcher, parse
from tests.indexer.test_faults import follower
from tutti.ipfs import open_store
from tutti.works import Share, register_work

MISSING = {"name": "Late Arrival", "artist": "Kim"}


@pytest.fixture(scope="module")
def catalogue(activity, tutti, fan, tmp_path_factory):
    """Works by `fan` whose metadata is in an embedded IPFS store (one not yet: added later)."""
    folder = tmp_path_factory.mktemp("ipfs")
    store = open_store(f"file://{folder}")
    documents = {
        "blue": json.dumps({"name": "Blue Morning", "artist": "Ada Lovelace", "ai": False}).encode(),
        "machine": json.dumps({"name": "Machine 100% Dreams", "artist": "Bot_x", "ai": True,
                               "description": "made by a model\u0000"}).encode(),
        "garbage": b"\x00\xff not json",
        "list": b"[1, 2]",
    }
    cids = {tag: store.add_bytes(document, cid_version=1) for tag, document in documents.items()}
    # The CID the late document will have, computed by adding it to a throw-away store.
    cids["late"] = open_store(f"file://{tmp_path_factory.mktemp('scratch')}").add_bytes(
        json.dumps(MISSING).encode(), cid_version=1)

    def register(tag: str, license: str, parents=()):
        return register_work(tutti, fan, metadata_cid=cids[tag], content_hash=keccak(text=f"metadata-{tag}"),
                             contributors=[Share(fan.address, 10_000)], parents=parents, license=license).work_id

    blue = register("blue", "CC-BY-4.0")
    works = {"blue": blue, "machine": register("machine", "CC-BY-NC-4.0", [Share(str(blue), 1_000)]),
             "garbage": register("garbage", "CC-BY-4.0"), "list": register("list", "CC-BY-4.0"),
             "late": register("late", "CC0-1.0")}
    return store, works, folder


def test_metadata_json_is_read_into_columns_every_database_can_store():
    assert parse(b'{"title": "T\\u0000", "artist": "A\\ud800", "ai": "yes"}') == {
        "title": "T", "artist_name": "A?", "description": None, "ai": False}
    for bad in (b"[]", b"nope", b'"text"', b"{" * 10):
        with pytest.raises(ValueError):
            parse(bad)


def test_works_are_searched_and_filtered_on_their_metadata(catalogue, w3, tutti, rpc_url, new_database, fan):
    store, works, _ = catalogue
    live = follower(rpc_url, tutti, new_database())
    live.sync()
    now = [time.time()]
    fetcher = MetadataFetcher(live.engine, store, clock=lambda: now[0])

    def ids(**params) -> list[int]:
        answer = client.get("/works", params={"artist": fan.address, "limit": 500, **params})
        assert answer.status_code == 200, answer.text
        return [w["work_id"] for w in answer.json()["items"]]

    with TestClient(create_app(engine=live.engine)) as client:
        assert ids(q="blue") == []  # nothing read yet
        while fetcher.run_once():
            pass
        time.sleep(VERSION_TTL_SECONDS * 1.5)  # no new block: the metadata counter moves the cache on
        assert ids(q="blue") == [works["blue"]]
        assert ids(q="MORNING") == ids(q="ada love") == [works["blue"]]
        assert ids(q="100%") == [works["machine"]]  # % and _ are text, not wildcards
        assert ids(q="t_x") == [works["machine"]] and ids(q="0_%") == []
        assert ids(ai=True) == [works["machine"]]
        assert ids(ai=False) == [works["blue"]]  # unreadable metadata is neither
        assert ids(derivative=True) == [works["machine"]]
        assert ids(derivative=False, license="CC-BY-4.0") == [works["blue"], works["garbage"], works["list"]]
        assert ids(license="CC-BY-NC-4.0", ai=True, q="dreams") == [works["machine"]]
        machine = client.get(f"/works/{works['machine']}").json()
        assert (machine["title"], machine["artist_name"], machine["ai"]) == ("Machine 100% Dreams", "Bot_x", True)
        statuses = {w["work_id"]: w["metadata_status"] for w in
                    client.get("/works", params={"artist": fan.address, "limit": 500}).json()["items"]}
        assert statuses == {works["blue"]: "ok", works["machine"]: "ok", works["garbage"]: "invalid",
                            works["list"]: "invalid", works["late"]: "retrying"}
        licenses = {row["license"]: row["works"] for row in client.get("/works/licenses").json()}
        assert licenses["CC-BY-NC-4.0"] >= 1 and licenses["CC0-1.0"] >= 1

        # The late document arrives: nothing is asked before its backoff, then it is read.
        store.add_bytes(json.dumps(MISSING).encode(), cid_version=1)
        assert fetcher.run_once() == 0
        now[0] += 3
        assert fetcher.run_once() == 1
        time.sleep(VERSION_TTL_SECONDS * 1.5)
        assert ids(q="arrival") == [works["late"]]

        for params, reason in (({"q": "\x00"}, "NUL"), ({"q": ""}, "at least 1"),
                               ({"ai": "maybe"}, "valid boolean")):
            answer = client.get("/works", params=params)
            assert answer.status_code in (400, 422) and reason in answer.text, answer.text
        graphql = client.post("/graphql", json={"query": '{ works(q: "blue", ai: false) { items { title artistName '
                                                         'ai metadataStatus } } }'}).json()
        assert graphql["data"]["works"]["items"] == [
            {"title": "Blue Morning", "artistName": "Ada Lovelace", "ai": False, "metadataStatus": "ok"}]


def test_the_metadata_command_reads_what_is_pending(catalogue, w3, tutti, rpc_url, new_database):
    _, works, folder = catalogue
    url = new_database()
    follower(rpc_url, tutti, url).sync()
    result = CliRunner().invoke(cli, ["metadata", "--database-url", url, "--ipfs-url", f"file://{folder}", "--once"])
    assert result.exit_code == 0, result.output
    engine = follower(rpc_url, tutti, url).engine
    with engine.connect() as connection:
        rows = dict(connection.execute(select(schema.work_metadata.c.title, schema.work_metadata.c.status)
                                       .where(schema.work_metadata.c.title.is_not(None))).all())
    assert rows["Blue Morning"] == "ok" and rows["Late Arrival"] == "ok"
