"""GraphQL for every REST resource beyond works and money (splits, governance, oracle, rooms and passes,
the room directory, usage epochs, licences), on SQLite and PostgreSQL: each list and item equal to the
REST answer field for field, the same filters and cursors, bad arguments answered with reasons, one
snapshot per request, and queries generated from these root fields never getting a 500."""

from __future__ import annotations

import re
import threading
import time

import pytest
from fastapi.testclient import TestClient
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, nodes, queries

from indexer.api import create_app
from indexer.api.graphql import schema
from indexer.db import make_engine, migrate
from tests.indexer.conftest import empty_database, index
from tests.indexer.test_faults import commit_fundings
from tests.indexer.test_graphql import assert_answered_without_a_500

#: (GraphQL root field, its arguments, REST path, REST query parameters): lists of the same items.
LISTS = [
    ("splits", "", "/splits", {}),
    ("proposals", "", "/proposals", {}),
    ("proposals", "state: EXECUTED", "/proposals", {"state": "executed"}),
    ("votes", "", "/votes", {}),
    ("votes", "support: 1", "/votes", {"support": 1}),
    ("tokenHolders", "", "/holders", {}),
    ("jobs", "", "/jobs", {}),
    ("jobs", "state: FULFILLED", "/jobs", {"state": "fulfilled"}),
    ("jobs", 'kind: ""', "/jobs", {"kind": ""}),
    ("jobs", 'kind: "analyze"', "/jobs", {"kind": "analyze"}),
    ("attestations", "", "/attestations", {}),
    ("operators", "", "/operators", {}),
    ("operators", "active: true", "/operators", {"active": True}),
    ("rooms", "", "/rooms", {}),
    ("rooms", "phase: OPEN", "/rooms", {"phase": "open"}),
    ("purchases", "", "/purchases", {}),
    ("epochs", "", "/epochs", {}),
    ("epochs", "settled: true", "/epochs", {"settled": True}),
    ("offers", "", "/offers", {}),
    ("offers", "paused: false", "/offers", {"paused": False}),
    ("licences", "", "/licences", {}),
    ("licences", "valid: true", "/licences", {"valid": True}),
]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def client(request, activity, w3, tutti, tmp_path_factory):
    url = empty_database(request.param, tmp_path_factory.mktemp("graphql-resources"), request)
    engine = index(w3, tutti, url)
    with TestClient(create_app(engine=engine)) as test_client:
        yield test_client
    engine.dispose()


def selection(type_name: str) -> str:
    """Every field of a GraphQL object type, nested objects included: ``{ a b { c } }``."""
    graphql_type = schema._schema.get_type(type_name)
    fields = []
    for name, field in graphql_type.fields.items():
        inner = unwrapped(field.type)
        fields.append(f"{name} {selection(inner.name)}" if isinstance(inner, GraphQLObjectType) else name)
    return "{ " + " ".join(fields) + " }"


def unwrapped(field_type):
    while isinstance(field_type, (GraphQLNonNull, GraphQLList)):
        field_type = field_type.of_type
    return field_type


def item_type(root_field: str) -> str:
    """The type of what a root field answers, or of its page's items."""
    answered = unwrapped(schema._schema.query_type.fields[root_field].type)
    return unwrapped(answered.fields["items"].type).name if "items" in answered.fields else answered.name


def ask(client, query: str, **variables) -> dict:
    answer = client.post("/graphql", json={"query": query, "variables": variables})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert "errors" not in body, body
    return body["data"]


def snake(value):
    """A GraphQL answer with the REST API's field names (camelCase → snake_case)."""
    if isinstance(value, list):
        return [snake(v) for v in value]
    if isinstance(value, dict):
        return {re.sub(r"(?<!^)([A-Z])", r"_\1", k).lower(): snake(v) for k, v in value.items()}
    return value


def rest(client, path: str, **params):
    answer = client.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def graphql_list(client, field: str, arguments: str, **page) -> dict:
    args = ", ".join(a for a in (arguments, *(f"{k}: {v}" for k, v in page.items())) if a)
    items = selection(item_type(field))
    query = f"{{ {field}{f'({args})' if args else ''} {{ items {items} nextCursor }} }}"
    return ask(client, query)[field]


@pytest.mark.parametrize(("field", "arguments", "path", "params"), LISTS, ids=[f"{f}({a})" for f, a, _, _ in LISTS])
def test_each_list_equals_the_rest_list(client, field, arguments, path, params):
    ours = graphql_list(client, field, arguments, limit=500)
    theirs = rest(client, path, limit=500, **params)
    assert snake(ours["items"]) == theirs["items"]
    assert ours["nextCursor"] is None and theirs["next_cursor"] is None


def test_every_list_has_items_in_the_session_activity(client):
    """The comparisons above compare something: each resource holds items (filters aside)."""
    for field, arguments, _, _ in LISTS:
        if not arguments:
            assert graphql_list(client, field, "", limit=500)["items"], field


def test_lists_under_a_parent_and_single_items_equal_the_rest_answers(client, activity, fan):
    room = rest(client, "/rooms")["items"][0]["room_id"]
    offer = rest(client, "/offers")["items"][0]["offer_id"]
    work = activity["works"][0].work_id
    holder = rest(client, f"/rooms/{room}/holders")["items"][0]["holder"]
    under_parent = [
        (f"roomHolders(roomId: {room}, includeRevoked: true)", f"/rooms/{room}/holders", {"include_revoked": True}),
        (f'passes(holder: "{holder}")', "/passes", {"holder": holder}),
        (f"offerHolders(offerId: {offer})", f"/offers/{offer}/holders", {}),
        (f"workUsage(workId: {work})", f"/works/{work}/usage", {}),
    ]
    for call, path, params in under_parent:
        field, arguments = call.split("(", 1)
        ours = graphql_list(client, field, arguments.rstrip(")"), limit=500)
        theirs = rest(client, path, limit=500, **params)
        assert snake(ours["items"]) == theirs["items"] and theirs["items"], call

    nested = ask(client, f"{{ work(workId: {work}) {{ offers {{ items {selection('LicenceOffer')} nextCursor }} "
                         f"usage(limit: 500) {{ items {selection('UsageClaim')} }} "
                         f"derivativePolicy {selection('DerivativePolicy')} }} }}")["work"]
    assert snake(nested["offers"]) == rest(client, f"/works/{work}/offers")
    assert snake(nested["usage"]["items"]) == rest(client, f"/works/{work}/usage", limit=500)["items"]
    assert snake(nested["derivativePolicy"]) == rest(client, f"/works/{work}/derivative-policy")

    proposal = rest(client, "/proposals")["items"][0]["proposal_id"]
    job = rest(client, "/jobs")["items"][0]["job_id"]
    attestation = rest(client, "/attestations")["items"][0]["event_id"]
    operator = rest(client, "/operators")["items"][0]["address"]
    epoch = rest(client, "/epochs")["items"][-1]["epoch"]
    licence = rest(client, "/licences")["items"][0]["licence_id"]
    split = rest(client, "/splits")["items"][0]["split_id"]
    items = [
        (f'proposal(proposalId: "{proposal}")', f"/proposals/{proposal}"),
        (f"job(jobId: {job})", f"/jobs/{job}"),
        (f"attestation(eventId: {attestation})", f"/attestations/{attestation}"),
        (f'operator(address: "{operator.lower()}")', f"/operators/{operator}"),
        (f"room(roomId: {room})", f"/rooms/{room}"),
        (f"epoch(epoch: {epoch})", f"/epochs/{epoch}"),
        (f"offer(offerId: {offer})", f"/offers/{offer}"),
        (f"licence(licenceId: {licence})", f"/licences/{licence}"),
        (f"derivativePolicy(workId: {work})", f"/works/{work}/derivative-policy"),
        (f"mediaNodes(roomId: {room})", f"/rooms/{room}/media-nodes"),
        ("workLicenses", "/works/licenses"),
    ]
    for call, path in items:
        field = call.split("(")[0]
        answer = ask(client, f"{{ {call} {selection(item_type(field))} }}")[field]
        assert snake(answer) == rest(client, path), call
    detail = ask(client, f"{{ split(splitId: {split}) {selection('SplitDetail')} }}")["split"]
    expected = rest(client, f"/splits/{split}")
    assert {r["token"]: r["amount"] for r in detail.pop("received")} == expected.pop("received")
    assert snake(detail) == expected
    parameters = ask(client, "{ parameters { name value } }")["parameters"]
    assert {p["name"]: p["value"] for p in parameters} == rest(client, "/parameters")
    passes = ask(client, f'{{ balances(address: "{holder}") {{ passes {selection("HeldPass")} }} }}')
    assert snake(passes["balances"]["passes"]) == rest(client, f"/balances/{holder}")["passes"]
    missing = ask(client, '{ proposal(proposalId: "12345") { proposalId } job(jobId: 999999) { jobId } '
                          "room(roomId: 999999) { roomId } epoch(epoch: 999999) { epoch } licence(licenceId: 999999) "
                          "{ licenceId } offer(offerId: 999999) { offerId } split(splitId: 999999) { splitId } "
                          f'operator(address: "{fan.address}") {{ address }} derivativePolicy(workId: 999999) '
                          "{ workId } attestation(eventId: 1) { eventId } }")
    assert set(missing.values()) == {None}


@pytest.mark.parametrize(("field", "arguments", "path", "params"),
                         [("votes", "", "/votes", {}), ("rooms", "", "/rooms", {}), ("licences", "", "/licences", {}),
                          ("epochs", "", "/epochs", {}), ("tokenHolders", "", "/holders", {})])
def test_paging_walks_like_the_rest_api_with_the_same_cursors(client, field, arguments, path, params):
    ours, theirs, cursor = [], [], None
    while True:
        page = graphql_list(client, field, arguments, limit=1, **({"cursor": f'"{cursor}"'} if cursor else {}))
        rest_page = rest(client, path, limit=1, **params, **({"cursor": cursor} if cursor else {}))
        assert page["nextCursor"] == rest_page["next_cursor"]
        ours += page["items"]
        theirs += rest_page["items"]
        if not (cursor := page["nextCursor"]):
            break
    assert snake(ours) == theirs and len(ours) > 1


BAD = [
    ("{ proposals(state: NOPE) { nextCursor } }", "NOPE"),
    ('{ proposals(proposer: "0x12") { nextCursor } }', "proposer: not a 20-byte hex address"),
    ("{ votes(support: 3) { nextCursor } }", "support: 0 against, 1 for, 2 abstain"),
    ('{ votes(proposalId: "-1") { nextCursor } }', "proposalId: a uint256 in decimal"),
    ('{ proposal(proposalId: "1e3") { proposalId } }', "proposalId: a uint256 in decimal"),
    ('{ jobs(kind: "' + "k" * 33 + '") { nextCursor } }', "kind: 0 to 32 characters"),
    ("{ jobs(state: open) { nextCursor } }", "open"),
    ("{ jobs(limit: 501) { nextCursor } }", "limit"),
    ('{ attestations(cursor: "!!") { nextCursor } }', "malformed cursor"),
    ('{ operators(cursor: "WzFd") { nextCursor } }', "cursor does not belong to this list"),
    ('{ operator(address: "nope") { address } }', "address: not a 20-byte hex address"),
    ("{ rooms(phase: LIVE) { nextCursor } }", "LIVE"),
    ("{ roomHolders(roomId: 999999) { nextCursor } }", "no room 999999"),
    ('{ passes(holder: "0xzz") { nextCursor } }', "holder: not a 20-byte hex address"),
    ("{ purchases(roomId: 999999) { nextCursor } }", "no room 999999"),
    ("{ mediaNodes(roomId: 999999) { url } }", "no room 999999"),
    ("{ epochs(limit: 0) { nextCursor } }", "limit"),
    ("{ epoch(epoch: -1) { epoch } }", "expected an integer from 0 to"),
    ('{ workUsage(workId: 999999, token: "0x0") { nextCursor } }', "token: not a 20-byte hex address"),
    ("{ workUsage(workId: 999999) { nextCursor } }", "no work 999999"),
    ('{ works { items { usage(token: "eth") { nextCursor } } } }', "token: not a 20-byte hex address"),
    ("{ works { items { offers(limit: 0) { nextCursor } } } }", "limit"),
    ("{ offerHolders(offerId: 999999) { nextCursor } }", "no licence offer 999999"),
    ('{ licences(holder: "x") { nextCursor } }', "holder: not a 20-byte hex address"),
    ('{ splits(recipient: "0x1") { nextCursor } }', "recipient: not a 20-byte hex address"),
    ('{ tokenHolders(delegate: "0x1") { nextCursor } }', "delegate: not a 20-byte hex address"),
]


@pytest.mark.parametrize(("query", "reason"), BAD, ids=[q[:40] for q, _ in BAD])
def test_bad_arguments_get_errors_with_reasons(client, query, reason):
    """A 400 where nothing could be answered (non-null root fields), a 200 with a null and the error
    where the field is nullable; never a 500, always the reason."""
    answer = client.post("/graphql", json={"query": query})
    assert answer.status_code in (200, 400), answer.text
    messages = " ".join(error["message"] for error in answer.json()["errors"])
    assert reason in messages


def test_a_response_never_mixes_two_commits(client, request, tmp_path):
    """The indexer commits batches of fundings while GraphQL answers for epoch 7 in two root fields
    (two resolvers, two REST functions): the pool's `funded` must equal the sum of the fundings listed
    in the same response."""
    kind = "postgresql" if "postgresql" in str(client.app.state.engine.url) else "sqlite"
    engine = make_engine(empty_database(kind, tmp_path, request), pool_size=4)
    migrate(engine)
    stop = threading.Event()

    indexing = threading.Thread(target=commit_fundings, args=(engine, 7, stop))
    indexing.start()
    torn, answers = [], 0
    query = "{ pools: epoch(epoch: 7) { pools { funded } } listed: epoch(epoch: 7) { fundings { amount } } }"
    try:
        with TestClient(create_app(engine=engine)) as test_client:
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline and len(torn) < 3:
                data = test_client.post("/graphql", json={"query": query}).json()["data"]
                if data["pools"] is None:
                    continue
                answers += 1
                listed = sum(int(f["amount"]) for f in data["listed"]["fundings"])
                funded = int(data["pools"]["pools"][0]["funded"])
                if listed != funded:
                    torn.append((listed, funded))
    finally:
        stop.set()
        indexing.join()
        engine.dispose()
    assert torn == [] and answers > 0


LONGS = {"Long": st.one_of(st.integers(0, 40), st.integers(-2, 2**64)).map(nodes.Int)}
#: The root fields this module adds, fuzzed on their own so that each gets its share of the examples.
GROUPS = {
    "splits and governance": ["splits", "split", "workLicenses", "proposals", "proposal", "votes", "tokenHolders",
                              "parameters"],
    "oracle": ["jobs", "job", "attestations", "attestation", "operators", "operator"],
    "rooms and passes": ["rooms", "room", "roomHolders", "passes", "purchases", "mediaNodes", "balances"],
    "usage and licences": ["epochs", "epoch", "workUsage", "offers", "offer", "offerHolders", "licences", "licence",
                           "derivativePolicy"],
}


@pytest.mark.parametrize("group", GROUPS)
def test_generated_queries_never_fail_with_a_500(client, group):
    """Valid (positive mode) and invalid (negative mode) queries on the group's root fields, NUL and odd
    strings included; on the SQLite index only (the PostgreSQL one answers the same functions)."""
    if "postgresql" in str(client.app.state.engine.url):
        pytest.skip("fuzzed on the SQLite index")
    fields = GROUPS[group]

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(query=queries(str(schema), fields=fields, custom_scalars=LONGS)
           | queries(str(schema), fields=fields, custom_scalars=LONGS, mode=Mode.NEGATIVE))
    def never_a_500(query):
        assert_answered_without_a_500(client.post("/graphql", json={"query": query}), query)

    never_a_500()
