"""GraphQL at /graphql: the same answers as the REST routes, paging, filters, bad input answered with
reasons (never a 500), and queries generated from the schema itself (hypothesis-graphql)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, nodes, queries

from indexer.api import create_app
from indexer.api.graphql import schema
from tests.indexer.conftest import index


@pytest.fixture(scope="module")
def client(activity, w3, tutti, tmp_path_factory):
    engine = index(w3, tutti, f"sqlite:///{tmp_path_factory.mktemp('graphql') / 'index.sqlite3'}")
    with TestClient(create_app(engine=engine)) as test_client:
        yield test_client
    engine.dispose()


def ask(client, query: str, **variables):
    return client.post("/graphql", json={"query": query, "variables": variables})


def test_works_match_the_rest_api_with_nested_fields(client):
    answer = ask(client, "{ works(limit: 500) { items { workId artist licence: license contributors { account shareBps }"
                         " parents { parentWorkId } derivatives received { token amount } } nextCursor } }")
    assert answer.status_code == 200, answer.text
    works = answer.json()["data"]["works"]["items"]
    rest = client.get("/works", params={"limit": 500}).json()["items"]
    assert [w["workId"] for w in works] == [w["work_id"] for w in rest] and works
    for work in works:
        detail = client.get(f"/works/{work['workId']}").json()
        assert work["contributors"] == [{"account": c["account"], "shareBps": c["share_bps"]}
                                        for c in detail["contributors"]]
        assert work["derivatives"] == detail["derivatives"]
        assert {r["token"]: r["amount"] for r in work["received"]} == detail["received"]


def test_paging_and_filters_walk_like_the_rest_api(client, activity):
    rest = client.get("/events", params={"limit": 500}).json()["items"]
    seen, cursor = [], None
    while True:
        page = ask(client, "query($c: String) { events(limit: 7, cursor: $c) { items { eventId name args } nextCursor } }",
                   c=cursor).json()["data"]["events"]
        seen += page["items"]
        if not (cursor := page["nextCursor"]):
            break
    assert [e["eventId"] for e in seen] == [e["event_id"] for e in rest]
    assert seen[0]["args"] == rest[0]["args"]
    song = activity["works"][0]
    deposits = ask(client, "query($w: Long) { deposits(workId: $w, limit: 500) { items { eventId amount sender } } }",
                   w=song.work_id).json()["data"]["deposits"]["items"]
    assert [d["eventId"] for d in deposits] == [
        d["event_id"] for d in client.get("/deposits", params={"work_id": song.work_id, "limit": 500}).json()["items"]]
    assert ask(client, "{ work(workId: 999999) { workId } }").json() == {"data": {"work": None}}


@pytest.mark.parametrize(("query", "reason"), [
    ("{ works(limit: 0) { items { workId } } }", "limit"),
    ("{ works(limit: 501) { items { workId } } }", "limit"),
    ('{ works(cursor: "!!") { items { workId } } }', "malformed cursor"),
    ('{ works(artist: "0x12") { items { workId } } }', "artist: not a 20-byte hex address"),
    ('{ balances(address: "nope") { votes } }', "address: not a 20-byte hex address"),
    ('{ events(name: "a b") { items { eventId } } }', "name: 1 to 64"),
    ("{ events(fromBlock: 9, toBlock: 1) { items { eventId } } }", "from_block 9 is after to_block 1"),
    ('{ deposits(workId: 999999) { items { eventId } } }', "no work 999999"),
    ("{ work(workId: -1) { workId } }", "expected an integer from 0 to 9223372036854775807"),
    ("{ work(workId: 9223372036854775808) { workId } }", "expected an integer from 0 to 9223372036854775807"),
    ("{ works { nope } }", "Cannot query field 'nope'"),
    ("{ works(", "Syntax Error"),
    ("{ " + " ".join(f"a{i}: works {{ nextCursor }}" for i in range(30)) + " }", "aliases"),
])
def test_bad_queries_get_errors_with_reasons(client, query, reason):
    """A 400 (no data: the failing root fields are non-null), with the reason in the errors."""
    answer = ask(client, query)
    assert answer.status_code == 400, answer.text
    messages = " ".join(error["message"] for error in answer.json()["errors"])
    assert reason in messages


@pytest.mark.parametrize(("body", "reason"), [
    (b"not json", "the body must be JSON"),
    (b'{"variables": {}}', '"query" must be a string'),
    (b'{"query": "{ works { nextCursor } }", "variables": []}', '"variables" must be an object'),
    (b'{"query": "{ works { nextCursor } }", "operationName": 3}', '"operationName" must be a string'),
    (b'{"query": "{ works(cursor: \\"\\u0000\\") { nextCursor } }"}', "NUL"),
    (b'{"query": "{ works(cursor: \\"\\ud800\\") { nextCursor } }"}', "Invalid character"),
    (b'{"query": "query($c: String) { works(cursor: $c) { nextCursor } }", "variables": {"c": "\\ud800"}}',
     "cursor: Input should be a valid string"),
    (b'{"query": "query($a: String) { works(artist: $a) { nextCursor } }", "variables": {"a": "\\u0000"}}', "NUL"),
    (b'{"query": "' + b"x" * 30_000 + b'"}', "larger than"),
])
def test_malformed_requests_get_a_400_with_a_reason(client, body, reason):
    answer = client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert answer.status_code in (200, 400), answer.text
    assert reason in " ".join(error["message"] for error in answer.json()["errors"])


LONGS = {"Long": st.one_of(st.integers(0, 40), st.integers(-2, 2**64)).map(nodes.Int)}


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(query=queries(str(schema), custom_scalars=LONGS)
       | queries(str(schema), custom_scalars=LONGS, mode=Mode.NEGATIVE))
def test_generated_queries_never_fail_with_a_500(client, query):
    """Valid queries (positive mode) and invalid ones (negative mode), NUL and odd strings included."""
    assert_answered_without_a_500(client.post("/graphql", json={"query": query}), query)


def assert_answered_without_a_500(answer, query: str) -> None:
    """A GraphQL answer to a generated query: data or errors with a reason, never a server fault."""
    assert answer.status_code in (200, 400), (query, answer.text)
    body = answer.json()
    assert "data" in body or body.get("errors"), (query, body)
    for error in body.get("errors", []):
        assert error["message"] and error["message"] != "internal error", (query, error)
