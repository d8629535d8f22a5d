"""The ``usage`` job kind and its parts: the report format, the capped tally, the Merkle tree of play
counts, the settlement document and the attested commitment; then operators' workers attesting a
real report and anyone settling the epoch and claiming a work's part with a proof read from IPFS.

Everything above the last section is pure Python; the last section runs on the session chain with
workers in separate processes (the fixtures of tests/worker)."""

from __future__ import annotations

import json
import random
import re

import ape
import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from oracle.jobs import JobContext, kind_named
from oracle.jobs.base import JobInputError
from tests.worker.conftest import job_store, shared_data_dir, wait_until, workers  # noqa: F401  (fixtures)
from tutti import usage as usage_lib
from tutti.errors import TuttiError
from tutti.jobs import request_job, wait_for_result
from tutti.results import attested_hash, bundle, canonical_json, result_hash
from tutti.royalties import ETH
from tutti.usage import (
    MAX_PLAY_ENTRIES,
    MAX_REPORT_BYTES,
    PLAYS_CAP_PER_LISTENER,
    SETTLEMENT_FILE,
    ZERO_ROOT,
    Play,
    PlayTree,
    Settlement,
    SettlementError,
    UsageReport,
    UsageReportError,
    commitment,
    leaf,
    parse_report,
    report_bytes,
    tally,
    verify,
)
from tutti.works import Share, register_work

LISTENERS = [to_checksum_address(keccak(text=f"tutti/usage/listener/{i}")[12:]) for i in range(6)]
ALICE, BOB, CAROL = LISTENERS[:3]
USAGE = to_checksum_address(keccak(text="tutti/usage/contract")[12:])


def report(epoch: int, *plays: tuple[str, int, int]) -> bytes:
    return report_bytes(epoch, [Play(listener, work, count) for listener, work, count in plays])


def raw(document: object) -> bytes:
    return json.dumps(document).encode()


def entry(**fields) -> bytes:
    """A version-1 report for epoch 3 with one play entry: ALICE's 2 plays of work 1, edited by ``fields``."""
    play = {"listener": ALICE, "work": 1, "count": 2, **fields}
    return raw({"version": 1, "epoch": 3, "plays": [{k: v for k, v in play.items() if v is not ...}]})


def _mixed_case_typo(address: str) -> str:
    """``address`` with one letter's case flipped, still mixed case: a broken checksum."""
    for index in range(2, 42):
        if address[index].isalpha():
            typo = address[:index] + address[index].swapcase() + address[index + 1:]
            if typo[2:] not in (typo[2:].lower(), typo[2:].upper()):
                return typo
    raise AssertionError("no letter to flip")


# ---------------------------------------------------------------------------------------------
# The report format
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, message",
    [
        (b"plays: lots", "not JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"", "not JSON"),
        (b"[]", "JSON object with version, epoch and plays"),
        (b"[" * 100_000 + b"]" * 100_000, "brackets do not balance"),  # never reaches json.loads
        (b'{"version": 1, "epoch": 3, "plays": [[[[]]]]}', "brackets do not balance"),
        (b'{"version": 1, "epoch": 3, "plays": [}', "brackets do not balance"),
        (b'{"version": 1, "epoch": 3, "plays": [{"listener": "%s", "work": 1, "count": NaN}]}' % ALICE.encode(),
         "NaN is not a JSON number"),
        (b'{"version": 1, "version": 1, "epoch": 3, "plays": []}', "repeats the key 'version'"),
        (raw({"epoch": 3, "plays": []}), "has no version"),
        (raw({"version": 1, "plays": []}), "has no epoch"),
        (raw({"version": 1, "epoch": 3}), "has no plays"),
        (raw({"version": 1, "epoch": 3, "plays": [], "source": "spotify"}), "unknown fields: source"),
        (raw({"version": 2, "epoch": 3, "plays": []}), "version 2 is not supported"),
        (raw({"version": "1", "epoch": 3, "plays": []}), "version '1' is not supported"),
        (raw({"version": True, "epoch": 3, "plays": []}), "version True is not supported"),
        (raw({"version": 1.0, "epoch": 3, "plays": []}), "version 1.0 is not supported"),
        (raw({"version": 1, "epoch": -1, "plays": []}), "epoch must be a non-negative integer, not -1"),
        (raw({"version": 1, "epoch": "3", "plays": []}), "epoch must be a non-negative integer, not '3'"),
        (raw({"version": 1, "epoch": False, "plays": []}), "epoch must be a non-negative integer, not False"),
        (raw({"version": 1, "epoch": 3, "plays": {"0xabc": 1}}), "plays must be a list"),
        (raw({"version": 1, "epoch": 3, "plays": [[ALICE, 1, 2]]}), "plays[0] is not a {listener, work, count} object"),
        (entry(count=...), "plays[0] has no count"),
        (entry(work=..., listener=...), "plays[0] has no listener, work"),
        (entry(country="NL"), "plays[0] has unknown fields: country"),
        (entry(listener="0x1234"), "plays[0].listener '0x1234' is not a 0x-prefixed 20-byte hex address"),
        (entry(listener=ALICE[2:]), "plays[0].listener"),
        (entry(listener="alice.eth"), "plays[0].listener"),
        (entry(listener=int(ALICE, 16)), "plays[0].listener"),
        (entry(listener=ALICE + "00"), "plays[0].listener"),
        (entry(listener="0x" + "g" * 40), "plays[0].listener"),
        (entry(listener=_mixed_case_typo(ALICE)), "valid EIP-55 checksum"),
        (entry(work=0), "plays[0].work must be a positive integer work id, not 0"),
        (entry(work=-4), "plays[0].work must be a positive integer work id, not -4"),
        (entry(work="4"), "plays[0].work must be a positive integer work id, not '4'"),
        (entry(work=4.0), "plays[0].work must be a positive integer work id, not 4.0"),
        (entry(work=True), "plays[0].work must be a positive integer work id, not True"),
        (entry(work=2**256), "plays[0].work"),
        (entry(count=0), "plays[0].count must be a positive integer, not 0"),
        (entry(count=-2), "plays[0].count must be a positive integer, not -2"),
        (entry(count=2.5), "plays[0].count must be a positive integer, not 2.5"),
        (entry(count=True), "plays[0].count must be a positive integer, not True"),
        (entry(count="2"), "plays[0].count must be a positive integer, not '2'"),
        (entry(count=None), "plays[0].count must be a positive integer, not None"),
    ],
)
def test_parse_report_refuses_malformed_input_clearly(data, message):
    with pytest.raises(UsageReportError) as info:
        parse_report(data)
    assert message in str(info.value)
    assert isinstance(info.value, TuttiError)  # shown to the user without a traceback


def test_parse_report_names_the_entry_at_fault():
    plays = [{"listener": ALICE, "work": 1, "count": 2}] * 5 + [{"listener": BOB, "work": 1, "count": 0}]
    with pytest.raises(UsageReportError, match=r"plays\[5\]\.count"):
        parse_report(report_bytes(3, plays))


def test_parse_report_refuses_more_entries_than_the_maximum():
    # The count is checked before any entry is read, so the entries need not be valid.
    data = b'{"version":1,"epoch":3,"plays":[' + b",".join([b"0"] * (MAX_PLAY_ENTRIES + 1)) + b"]}"
    with pytest.raises(UsageReportError, match="1,000,001 play entries; at most 1,000,000"):
        parse_report(data)


def test_parse_report_refuses_an_oversized_file_before_parsing_it():
    with pytest.raises(UsageReportError, match=f"at most {MAX_REPORT_BYTES:,} are read"):
        parse_report(b" " * (MAX_REPORT_BYTES + 1))


def test_parse_report_refuses_text_instead_of_bytes():
    with pytest.raises(UsageReportError, match="bytes, not str"):
        parse_report(report(3).decode())


def test_report_bytes_round_trips_and_is_canonical():
    plays = [Play(ALICE, 7, 3), Play(BOB, 2, 100), Play(ALICE, 7, 1)]
    data = report_bytes(11, plays)
    assert parse_report(data) == UsageReport(11, tuple(plays))
    # Compact, sorted keys, entries in the order given: the same bytes on every machine.
    assert data.startswith(b'{"epoch":11,"plays":[{"count":3,"listener":"' + ALICE.encode() + b'","work":7},')
    assert data == report_bytes(11, [{"work": p.work, "count": p.count, "listener": p.listener} for p in plays])
    assert parse_report(report_bytes(0, [])) == UsageReport(0, ())


def test_parse_report_accepts_any_whitespace_and_returns_checksummed_listeners():
    pretty = json.dumps({"version": 1, "epoch": 3, "plays": [
        {"listener": ALICE.lower(), "work": 1, "count": 2},
        {"listener": "0x" + BOB[2:].upper(), "work": 1, "count": 2},
    ]}, indent=4).encode()
    assert [play.listener for play in parse_report(pretty).plays] == [ALICE, BOB]


addresses = st.binary(min_size=20, max_size=20).map(to_checksum_address)
plays_lists = st.lists(
    st.builds(Play, st.sampled_from(LISTENERS) | addresses, st.integers(1, 2**256 - 1), st.integers(1, 2**256 - 1)),
    max_size=30,
)


@given(epoch=st.integers(0, 2**256 - 1), plays=plays_lists)
@settings(max_examples=100, deadline=None)
def test_report_bytes_then_parse_report_is_the_identity(epoch, plays):
    assert parse_report(report_bytes(epoch, plays)) == UsageReport(epoch, tuple(plays))


# ---------------------------------------------------------------------------------------------
# The tally
# ---------------------------------------------------------------------------------------------


def test_tally_caps_a_listeners_plays_of_one_work():
    counted = tally(parse_report(report(3, (ALICE, 1, 150), (BOB, 1, 40), (ALICE, 2, 100), (CAROL, 2, 101))))
    assert counted.plays == {1: 100 + 40, 2: 100 + 100}
    assert counted.capped_plays == 50 + 1
    assert counted.listeners == 3
    assert counted.total_plays == 340


def test_tally_sums_duplicate_entries_before_capping():
    counted = tally(parse_report(report(3, (ALICE, 1, 60), (ALICE, 1, 60), (BOB, 1, 30), (BOB, 1, 30))))
    assert counted.plays == {1: 100 + 60}  # not 120: splitting a loop over entries never lifts the cap
    assert counted.capped_plays == 20


def test_tally_treats_a_listener_spelt_two_ways_as_one():
    plays = [Play(ALICE, 1, 80), Play(ALICE.lower(), 1, 80), Play("0x" + ALICE[2:].upper(), 1, 80)]
    counted = tally(UsageReport(3, tuple(plays)))
    assert (counted.plays, counted.listeners, counted.capped_plays) == ({1: 100}, 1, 140)


def test_tally_of_an_empty_report_is_empty():
    counted = tally(parse_report(report(3)))
    assert (counted.plays, counted.listeners, counted.capped_plays, counted.total_plays) == ({}, 0, 0, 0)


def test_tally_takes_another_cap_and_refuses_a_meaningless_one():
    assert tally(parse_report(report(3, (ALICE, 1, 7))), cap=5).plays == {1: 5}
    for cap in (0, -1, True, 2.5):
        with pytest.raises(ValueError, match="cap"):
            tally(parse_report(report(3)), cap=cap)


small_plays = st.lists(st.builds(Play, st.sampled_from(LISTENERS), st.integers(1, 6), st.integers(1, 250)), max_size=40)


@given(plays=small_plays, seed=st.integers(0, 2**32))
@settings(max_examples=200, deadline=None)
def test_tally_does_not_depend_on_the_order_or_the_splitting_of_entries(plays, seed):
    shuffled = list(plays)
    random.Random(seed).shuffle(shuffled)
    # Split every entry of more than one play into two entries with the same sum.
    split = [part for play in shuffled for part in (
        [Play(play.listener, play.work, play.count // 2), Play(play.listener, play.work, play.count - play.count // 2)]
        if play.count > 1 else [play])]
    expected = tally(UsageReport(3, tuple(plays)))
    assert tally(UsageReport(3, tuple(shuffled))) == expected
    assert tally(UsageReport(3, tuple(split))) == expected
    # And it is what the rule says, computed the slow way.
    pairs = {(p.listener, p.work) for p in plays}
    for work in {p.work for p in plays}:
        assert expected.plays[work] == sum(
            min(sum(p.count for p in plays if (p.listener, p.work) == (listener, work)), PLAYS_CAP_PER_LISTENER)
            for listener, w in pairs if w == work)
    assert expected.listeners == len({p.listener for p in plays})
    assert expected.total_plays + expected.capped_plays == sum(p.count for p in plays)
    assert list(expected.plays) == sorted(expected.plays)


# ---------------------------------------------------------------------------------------------
# The play tree
# ---------------------------------------------------------------------------------------------


def test_a_leaf_is_openzeppelins_standard_leaf():
    assert leaf(12, 340) == keccak(keccak(abi_encode(["uint256", "uint256"], [12, 340])))


@pytest.mark.parametrize("works", [1, 2, 3, 4, 5, 7, 8, 9, 16, 33])
def test_every_proof_verifies_and_nothing_else_does(works):
    plays = {work_id: work_id * 3 + 1 for work_id in range(1, works + 1)}
    tree = PlayTree(plays)
    assert tree.total_plays == sum(plays.values())
    for work_id, count in plays.items():
        proof = tree.proof(work_id)
        assert len(proof) <= max(1, (works - 1).bit_length())
        assert verify(tree.root, work_id, count, proof)
        assert not verify(tree.root, work_id, count + 1, proof)  # a wrong play count
        assert not verify(tree.root, work_id + works, count, proof)  # a work that is not in the tree
        if works > 1:
            other = work_id % works + 1
            assert not verify(tree.root, other, plays[other], proof)  # another work's count, this proof
        assert not verify(keccak(tree.root), work_id, count, proof)  # another root


def test_a_one_leaf_tree_is_its_leaf():
    tree = PlayTree({5: 9})
    assert tree.root == leaf(5, 9)
    assert tree.proof(5) == []
    assert verify(tree.root, 5, 9, [])


def test_a_two_leaf_tree_hashes_its_leaves_in_sorted_order():
    a, b = sorted([leaf(1, 10), leaf(2, 20)])
    tree = PlayTree({2: 20, 1: 10})
    assert tree.root == keccak(a + b)
    assert tree.proof(1) == [leaf(2, 20)] and tree.proof(2) == [leaf(1, 10)]


def test_an_odd_node_is_carried_up_unchanged():
    tree = PlayTree({1: 1, 2: 2, 3: 3})
    first, second, third = sorted(leaf(w, w) for w in (1, 2, 3))
    assert tree.root == keccak(b"".join(sorted([keccak(first + second), third])))
    lone = next(w for w in (1, 2, 3) if leaf(w, w) == third)
    assert tree.proof(lone) == [keccak(first + second)]


def test_an_empty_tree_has_the_zero_root_and_no_proofs():
    tree = PlayTree({})
    assert tree.root == ZERO_ROOT == bytes(32)
    assert tree.total_plays == 0
    with pytest.raises(KeyError, match="work 1 has no plays"):
        tree.proof(1)


@pytest.mark.parametrize("plays", [{1: 0}, {1: -1}, {1: True}, {True: 1}, {-1: 1}, {1: 1.0}, {"1": 1},
                                   {2**256: 1}, {1: 2**256 - 1, 2: 1}])
def test_a_tree_refuses_what_cannot_be_a_uint256_play_count(plays):
    with pytest.raises(ValueError):
        PlayTree(plays)


@given(plays=st.dictionaries(st.integers(0, 2**256 - 1), st.integers(1, 2**64), max_size=40),
       seed=st.integers(0, 2**32))
@settings(max_examples=100, deadline=None)
def test_the_tree_does_not_depend_on_the_order_of_its_plays(plays, seed):
    items = list(plays.items())
    random.Random(seed).shuffle(items)
    tree, shuffled = PlayTree(plays), PlayTree(dict(items))
    assert tree.root == shuffled.root
    assert list(tree.plays.items()) == list(shuffled.plays.items()) == sorted(plays.items())
    for work_id, count in plays.items():
        assert tree.proof(work_id) == shuffled.proof(work_id)
        assert verify(tree.root, work_id, count, tree.proof(work_id))


# ---------------------------------------------------------------------------------------------
# The settlement document and the attested hash
# ---------------------------------------------------------------------------------------------


def settlement_document() -> dict:
    return Settlement(USAGE, 4, PlayTree({1: 140, 2: 30, 9: 5})).to_json()


def test_a_settlement_document_round_trips():
    document = settlement_document()
    restored = Settlement.from_json(json.loads(canonical_json(document)))
    assert restored.to_json() == document
    assert restored.commitment == commitment(USAGE, 4, restored.root, 175)
    assert Settlement.from_json({**document, "usage": USAGE.lower()}).usage == USAGE


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d.update(root="0x" + keccak(text="another root").hex()), "root or total does not match"),
        (lambda d: d.update(root="0x" + "00" * 32), "root or total does not match"),
        (lambda d: d.update(total_plays=d["total_plays"] + 1), "root or total does not match"),
        (lambda d: d["works"][0].update(plays=141), "root or total does not match"),
        (lambda d: d["works"].pop(), "root or total does not match"),
        (lambda d: d["works"].append(dict(d["works"][0])), "listed twice"),
        (lambda d: d["works"][0].update(plays=True), "uint256"),
        (lambda d: d["works"][0].update(plays=-140), "uint256"),
        (lambda d: d.update(epoch=float("inf")), "uint256"),
        (lambda d: d.update(epoch="4"), "uint256"),
        (lambda d: d.update(usage="0x1234"), "is not an address"),
        (lambda d: d.update(usage=_mixed_case_typo(USAGE)), "is not an address"),
        (lambda d: d.update(root=d["root"][2:]), "not a 0x-prefixed bytes32"),
        (lambda d: d.update(root=d["root"][:-2] + "zz"), "not a usage settlement"),
        (lambda d: d.pop("total_plays"), "has no 'total_plays' field"),
        (lambda d: d.update(works={"1": 140}), "works is not a list"),
        (lambda d: d["works"].__setitem__(0, [1, 140]), "not a JSON object"),
    ],
)
def test_from_json_rejects_an_edited_settlement(edit, message):
    document = settlement_document()
    edit(document)
    with pytest.raises(SettlementError, match=message):
        Settlement.from_json(document)


@pytest.mark.parametrize("document", [[], "settlement", None, 4])
def test_from_json_rejects_what_is_not_an_object(document):
    with pytest.raises(SettlementError, match="not a JSON object"):
        Settlement.from_json(document)


def test_attested_hash_is_the_commitment_for_a_usage_settlement_and_the_manifest_otherwise():
    settlement = Settlement.from_json(settlement_document())
    files = bundle({SETTLEMENT_FILE: canonical_json(settlement.to_json())}, {"kind": "usage"})
    assert attested_hash("usage", files) == settlement.commitment
    assert attested_hash("analyze", files) == result_hash(files)  # another kind is never a settlement

    # An error verdict, a tampered file, a lying total, a missing file: the manifest hash, which no
    # settlement's commitment equals, so none of them can settle an epoch.
    error = bundle({"error.json": b'{"error": "bad report"}'}, {"kind": "usage"})
    tampered = {**files, SETTLEMENT_FILE: files[SETTLEMENT_FILE] + b"\n(tampered)\n"}
    lying = {**files, SETTLEMENT_FILE: canonical_json({**settlement.to_json(), "total_plays": 1})}
    nested = {**files, SETTLEMENT_FILE: b"[" * 100_000 + b"]" * 100_000}
    for result in (error, tampered, lying, nested, {}):
        assert attested_hash("usage", result) == result_hash(result) != settlement.commitment


# ---------------------------------------------------------------------------------------------
# The job kind
# ---------------------------------------------------------------------------------------------

USAGE_JOB = kind_named("usage")
PLAYS = [(ALICE, 1, 150), (BOB, 1, 40), (CAROL, 1, 20), (BOB, 2, 30), (LISTENERS[3], 2, 10), (ALICE, 3, 25),
         (CAROL, 3, 15)]


def run_usage(input_bytes: bytes, params: dict | None = None, **context):
    params = {"usage": USAGE, "epoch": 3} if params is None else params
    return USAGE_JOB.run(JobContext(job_id=1, seed=7, input_bytes=input_bytes, params=params, **context))


def test_usage_job_counts_capped_plays_and_publishes_every_proof():
    result = run_usage(report(3, *PLAYS))
    assert set(result.files) == {SETTLEMENT_FILE}
    document = json.loads(result.files[SETTLEMENT_FILE])
    assert result.files[SETTLEMENT_FILE] == canonical_json(document)
    assert {w["work"]: w["plays"] for w in document["works"]} == {1: 160, 2: 40, 3: 40}
    assert (document["usage"], document["epoch"], document["total_plays"]) == (USAGE, 3, 240)
    for work in document["works"]:
        proof = [bytes.fromhex(node[2:]) for node in work["proof"]]
        assert verify(bytes.fromhex(document["root"][2:]), work["work"], work["plays"], proof)
    assert result.metrics == {"listeners": 4, "works": 3, "total_plays": 240, "capped_plays": 50}


def test_usage_job_output_is_identical_bytes_on_every_run_and_for_any_entry_order():
    first, second = run_usage(report(3, *PLAYS)), run_usage(report(3, *PLAYS))
    reordered = run_usage(report(3, *reversed(PLAYS)))
    assert first.files == second.files == reordered.files
    assert first.metrics == reordered.metrics
    # The usage address's spelling in the parameters does not change the output either.
    assert run_usage(report(3, *PLAYS), {"usage": USAGE.lower(), "epoch": 3}).files == first.files


def test_the_attested_hash_of_a_usage_job_is_the_settlement_commitment():
    result = run_usage(report(3, *PLAYS))
    files = bundle(result.files, {"kind": "usage", "metrics": result.metrics, "outputs": sorted(result.files)})
    expected_tree = PlayTree({1: 160, 2: 40, 3: 40})
    expected = keccak(abi_encode(["address", "uint256", "bytes32", "uint256"], [USAGE, 3, expected_tree.root, 240]))
    assert attested_hash("usage", files) == expected == commitment(USAGE, 3, expected_tree.root, 240)


def test_an_empty_epoch_settles_with_the_zero_root():
    result = run_usage(report(3))
    settlement = Settlement.from_files(result.files)
    assert (settlement.root, settlement.total_plays, settlement.tree.plays) == (ZERO_ROOT, 0, {})
    assert result.metrics == {"listeners": 0, "works": 0, "total_plays": 0, "capped_plays": 0}


def test_usage_job_model_id_names_the_version_and_the_cap():
    assert USAGE_JOB.model_id == keccak(text="tutti.usage/1 report/1 cap=100")


@pytest.mark.parametrize(
    "params, message",
    [
        ({}, "need epoch and usage"),
        ({"usage": USAGE}, "need epoch"),
        ({"epoch": 3}, "need usage"),
        ({"usage": USAGE, "epoch": 3, "cap": 1000}, "unknown usage parameters: cap"),
        ({"usage": "0x1234", "epoch": 3}, "usage must be the UsageRoyalties contract's address"),
        ({"usage": ETH, "epoch": 3}, "usage must be the UsageRoyalties contract's address"),
        ({"usage": _mixed_case_typo(USAGE), "epoch": 3}, "usage must be"),
        ({"usage": 7, "epoch": 3}, "usage must be"),
        ({"usage": USAGE, "epoch": -1}, "epoch must be a non-negative integer, not -1"),
        ({"usage": USAGE, "epoch": "3"}, "epoch must be a non-negative integer, not '3'"),
        ({"usage": USAGE, "epoch": True}, "epoch must be a non-negative integer, not True"),
        ({"usage": USAGE, "epoch": 3.0}, "epoch must be a non-negative integer, not 3.0"),
    ],
)
def test_usage_job_refuses_bad_parameters_clearly(params, message):
    with pytest.raises(JobInputError, match=re.escape(message)):
        run_usage(report(3, *PLAYS), params)


def test_usage_job_refuses_a_report_for_another_epoch():
    with pytest.raises(JobInputError, match="the report is for epoch 2, but the job settles epoch 3"):
        run_usage(report(2, *PLAYS))


def test_usage_job_passes_on_what_is_wrong_with_the_report():
    with pytest.raises(JobInputError, match=r"plays\[0\]\.count must be a positive integer"):
        run_usage(entry(count=0))
    with pytest.raises(JobInputError, match="not JSON"):
        run_usage(b"MThd\x00\x00\x00\x06")


def test_usage_job_refuses_a_directory_input():
    with pytest.raises(JobInputError, match="not a directory"):
        run_usage(b"", read_input=lambda path: report(3, *PLAYS))


# ---------------------------------------------------------------------------------------------
# On chain: the commitment, then operators attesting a report and anyone settling the epoch
# ---------------------------------------------------------------------------------------------

FEE = 3 * 10**16


@pytest.mark.parametrize("epoch, plays", [(0, {}), (1, {1: 1}), (5, {1: 160, 2: 40, 3: 40}), (2**64, {7: 2**200})])
def test_python_commitment_equals_the_contracts(tutti, epoch, plays):
    tree = PlayTree(plays)
    assert bytes(tutti.usage.commitmentOf(epoch, tree.root, tree.total_plays)) == commitment(
        tutti.usage.address, epoch, tree.root, tree.total_plays)
    assert tutti.usage.USAGE_KIND().rstrip(b"\x00") == b"usage"


def test_operators_attest_a_usage_report_and_anyone_settles_and_claims(
    tutti, chain, workers, job_store, operators, deployer, artist, fan, producer
):
    honest_a, honest_b, liar = operators
    assert tutti.usage.reporter() == deployer.address
    work = register_work(tutti, artist, metadata_cid="bafy-usage-e2e", content_hash=keccak(text="usage e2e"),
                         contributors=[Share(artist.address, 10_000)])
    other_work = work.work_id + 1000  # settling does not look works up; claiming does
    epoch = tutti.usage.currentEpoch()
    tutti.usage.fundETH(sender=fan, value=10**18)

    # The epoch's plays: fan loops the work (capped at 100), two others listen normally.
    plays = [(fan.address, work.work_id, 150), (producer.address, work.work_id, 40),
             (fan.address, other_work, 30), (artist.address.lower(), other_work, 10)]
    _, end = tutti.usage.epochBounds(epoch)
    chain.pending_timestamp = end
    chain.mine(1)
    cid = job_store.add_bytes(report(epoch, *plays), cid_version=1)
    job = request_job(tutti, deployer, "usage", cid, {"usage": tutti.usage.address, "epoch": epoch}, fee=FEE)

    # A faulty operator answers first with tampered bytes: not a settlement, so it attests the
    # manifest hash and dissents; the two honest operators agree on the commitment.
    workers.start("TEST::9", "--kinds", "usage", "--fault", "wrong-bytes")
    wait_until(lambda: tutti.hub.attestationOf(job.job_id, liar) != b"\x00" * 32, what="the liar's attestation")
    workers.start("TEST::7", "--kinds", "usage")
    workers.start("TEST::8", "--kinds", "usage")
    result = wait_for_result(tutti, job_store, job.job_id, timeout=120)

    settlement = Settlement.from_files(result.files)
    assert settlement.tree.plays == {work.work_id: 140, other_work: 40}
    assert (settlement.usage, settlement.epoch, settlement.total_plays) == (tutti.usage.address, epoch, 180)
    assert result.result_hash == usage_lib.commitment(tutti.usage.address, epoch, settlement.root, 180)
    assert result.result_hash == bytes(tutti.usage.commitmentOf(epoch, settlement.root, 180))
    assert json.loads(result.files["metadata.json"])["metrics"] == {
        "listeners": 3, "works": 2, "total_plays": 180, "capped_plays": 50}
    assert sorted(result.operators) == sorted([honest_a.address, honest_b.address])
    assert liar.address in tutti.hub.dissentersOf(job.job_id)[0]

    # Anyone settles, but only with the attested root and total.
    with ape.reverts(tutti.usage.CommitmentMismatch):
        tutti.usage.settle(epoch, job.job_id, settlement.root, 181, sender=producer)
    receipt = tutti.usage.settle(epoch, job.job_id, settlement.root, settlement.total_plays, sender=producer)
    settled = next(iter(receipt.decode_logs(tutti.usage.EpochSettled)))
    assert (settled.epoch, settled.jobId, bytes(settled.root), settled.totalPlays) == (
        epoch, job.job_id, settlement.root, 180)
    assert bytes(tutti.usage.settlementOf(epoch).root) == settlement.root

    # The proof published on IPFS passes OpenZeppelin's MerkleProof on chain; a wrong count does not.
    proof = settlement.tree.proof(work.work_id)
    with ape.reverts(tutti.usage.InvalidProof):
        tutti.usage.claim(epoch, ETH, work.work_id, 180, proof, sender=producer)
    receipt = tutti.usage.claim(epoch, ETH, work.work_id, 140, proof, sender=producer)
    claimed = next(iter(receipt.decode_logs(tutti.usage.UsageClaimed)))
    assert claimed.amount == 10**18 * 140 // 180
    assert tutti.splitter.totalReceived(work.split_id, ETH) == claimed.amount
