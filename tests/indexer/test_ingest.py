"""Backfill of the whole session's activity, checked against the contracts' own views."""

from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import func, select

from indexer import schema
from indexer.api.routes.royalties import entitlement
from indexer.db import make_engine, migrate
from indexer.ingest import Indexer
from tests.indexer.conftest import dump, index, settings_for
from tutti import governance as gov
from tutti import passes
from tutti.royalties import ETH
from tutti.works import registration_commitment


@pytest.fixture(scope="module")
def indexed(activity, w3, tutti, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('ingest') / 'index.sqlite3'}"
    # Small ranges: dozens of batches, so batch edges fall everywhere.
    return index(w3, tutti, url, max_batch_blocks=4, target_batch_logs=8)


def rows(engine, table, **where):
    query = select(table)
    for name, value in where.items():
        query = query.where(table.c[name] == value)
    with engine.connect() as connection:
        return [dict(r) for r in connection.execute(query).mappings().all()]


def test_works_and_contributors_match_the_registry(indexed, tutti, activity, artist, producer, vocalist):
    song, remix, solo = activity["works"]
    works = {w["work_id"]: w for w in rows(indexed, schema.works)}
    assert set(works) == {song.work_id, remix.work_id, solo.work_id}
    assert works[song.work_id]["artist"] == artist.address
    assert works[solo.work_id]["metadata_cid"] == "bafy-solo-v2"
    for work in works.values():
        on_chain = tutti.registry.work(work["work_id"])
        assert work["split_id"] == on_chain.splitId and work["wallet"] == on_chain.wallet
        accounts, shares = tutti.splitter.recipientsOf(work["split_id"])
        recipients = rows(indexed, schema.split_recipients, split_id=work["split_id"])
        assert [(r["account"], r["share_bps"]) for r in sorted(recipients, key=lambda r: r["position"])] == \
            list(zip(accounts, shares))
    assert [(p["work_id"], p["parent_work_id"], p["share_bps"]) for p in rows(indexed, schema.work_parents)] == \
        [(remix.work_id, song.work_id, 2000)]


def test_balances_match_the_splitter(indexed, tutti, stablecoin, activity):
    checked = 0
    for total in rows(indexed, schema.split_totals):
        assert int(total["received"]) == tutti.splitter.totalReceived(total["split_id"], total["token"])
        for recipient in rows(indexed, schema.split_recipients, split_id=total["split_id"]):
            withdrawn = rows(indexed, schema.recipient_withdrawn, split_id=total["split_id"],
                             token=total["token"], account=recipient["account"])
            taken = int(withdrawn[0]["withdrawn"]) if withdrawn else 0
            expected = tutti.splitter.withdrawable(total["split_id"], total["token"], recipient["account"])
            assert entitlement(int(total["received"]), recipient["slot_start"], recipient["share_bps"]) - taken == expected
            checked += 1
    assert checked >= 5
    assert len(rows(indexed, schema.withdrawals)) == 4 and len(rows(indexed, schema.forwards)) == 1


def test_governance_matches_the_governor(indexed, tutti, activity, voters, fan):
    passed, failing = activity["proposals"]
    proposals = {p["proposal_id"]: p for p in rows(indexed, schema.proposals)}
    assert proposals[str(passed.proposal_id)]["state"] == "executed"
    assert proposals[str(failing.proposal_id)]["state"] == "defeated"
    for proposal_id, proposal in proposals.items():
        assert gov.ProposalState(tutti.governor.state(int(proposal_id))).name.lower() == proposal["state"]
        against, for_, abstain = tutti.governor.proposalVotes(int(proposal_id))
        assert (int(proposal["votes_against"]), int(proposal["votes_for"]), int(proposal["votes_abstain"])) == \
            (against, for_, abstain)
    assert len(rows(indexed, schema.votes)) == 3
    for holder in rows(indexed, schema.token_holders):
        assert int(holder["balance"]) == tutti.token.balanceOf(holder["address"])
        assert int(holder["votes"]) == tutti.token.getVotes(holder["address"])
    assert rows(indexed, schema.token_holders, address=fan.address)[0]["delegate"] == voters[0].address
    params = {p["name"]: p["value"] for p in rows(indexed, schema.governance_params)}
    assert params["registry.registration_fee"] == str(10**15)


def test_jobs_attestations_and_operators_match_the_hub(indexed, tutti, activity, operators):
    done, open_job = activity["jobs"]
    jobs = {j["job_id"]: j for j in rows(indexed, schema.jobs)}
    assert jobs[done]["state"] == "fulfilled" and jobs[open_job]["state"] == "open"
    assert jobs[done]["kind_name"] == "analyze"
    assert json.loads(jobs[done]["agreeing_operators"]) == list(tutti.hub.agreeingOperators(done, tutti.hub.job(done).outcome))
    assert len(rows(indexed, schema.attestations, job_id=done)) == 3
    assert [d["operator"] for d in rows(indexed, schema.dissents)] == [operators[0].address]
    ops = {o["address"]: o for o in rows(indexed, schema.operators)}
    assert set(ops) == {op.address for op in operators} and all(o["active"] for o in ops.values())
    withdrawn = {w["account"]: int(w["amount"]) for w in rows(indexed, schema.oracle_withdrawals)}
    for address, operator in ops.items():
        assert int(operator["earned"]) - withdrawn.get(address, 0) == tutti.hub.claimable(address)


def test_bonds_and_slashes_match_the_hub(indexed, tutti, activity, operators):
    done, _ = activity["jobs"]
    liar = operators[0].address
    bonds = {b["address"]: b for b in rows(indexed, schema.operator_bonds)}
    assert set(bonds) == {op.address for op in operators}
    for address, bond in bonds.items():
        amount, available_at = tutti.hub.unbondingOf(address)
        assert int(bond["bonded"]) == tutti.hub.bondOf(address)
        assert (int(bond["unbonding"]), bond["unbonding_available_at"] or 0) == (amount, available_at)
    assert int(bonds[liar]["unbonding"]) > 0 and int(bonds[liar]["bonded"]) == 0  # the slash took from both
    slashes = rows(indexed, schema.slashes)
    assert [(s["operator"], s["job_id"], int(s["amount"])) for s in slashes] == [(liar, done, 8 * 10**17)]
    assert tutti.hub.slashedFor(done, liar)
    assert (int(bonds[liar]["slashed"]), bonds[liar]["slash_count"]) == (8 * 10**17, 1)
    assert all((b["slashed"], b["slash_count"]) == ("0", 0) for a, b in bonds.items() if a != liar)
    params = {p["name"]: p["value"] for p in rows(indexed, schema.governance_params)}
    assert params["oracle.min_bond"] == str(tutti.hub.minBond())
    assert params["oracle.unbonding_delay"] == str(tutti.hub.unbondingDelay())


def test_rooms_and_passes_match_the_access_pass(indexed, tutti, activity, accounts):
    live, later, encore = activity["rooms"]
    rooms = {r["room_id"]: r for r in rows(indexed, schema.rooms)}
    assert sorted(rooms) == [live, later, encore] and len(rooms) == tutti.passes.roomCount()
    for room_id, row in rooms.items():
        on_chain = passes.room(tutti, room_id)
        assert (row["host"], row["host_split_id"], int(row["price"]), row["supply_cap"], row["sold"],
                row["valid_from"], row["valid_until"], row["transferable"], row["metadata_cid"]) == \
            (on_chain.host, on_chain.split_id, on_chain.price, on_chain.supply_cap, on_chain.sold,
             on_chain.valid_from, on_chain.valid_until, on_chain.transferable, on_chain.metadata_cid)
    assert rooms[live]["sold"] == 5 and not rooms[later]["transferable"]
    # Every account, every room: the indexed balance and revocation are the contract's.
    holdings = {(h["room_id"], h["holder"]): h for h in rows(indexed, schema.pass_holdings)}
    for room_id in rooms:
        for account in (accounts[i] for i in range(10)):
            held = holdings.get((room_id, account.address))
            assert (held["balance"] if held else 0) == tutti.passes.balanceOf(account, room_id)
            assert (held["revoked"] if held else False) == tutti.passes.isRevoked(room_id, account)
    assert sum(1 for h in holdings.values() if h["revoked"]) == 2
    assert sum(h["balance"] for h in holdings.values() if h["room_id"] == live) == 4  # 5 sold, 1 burnt

    purchases = rows(indexed, schema.pass_purchases)
    assert len(purchases) == 8 and len(rows(indexed, schema.pass_revocations)) == 2
    assert {int(p["platform_fee"]) * 10_000 // int(p["price"]) for p in purchases if int(p["price"])} == {500, 300}
    params = {p["name"]: p["value"] for p in rows(indexed, schema.governance_params)}
    assert int(params["passes.platform_fee_bps"]) == tutti.passes.platformFeeBps() == 300
    assert params["passes.treasury"] == tutti.passes.treasury()
    assert params["passes.owner"] == tutti.passes.owner()
    assert int(params["passes.pending_platform_fees"]) == tutti.passes.pendingPlatformFees() > 0
    fees = sum(int(p["platform_fee"]) for p in purchases)
    assert fees - int(params["passes.platform_fees_withdrawn"]) == tutti.passes.pendingPlatformFees()
    for approval in rows(indexed, schema.pass_approvals):
        assert approval["approved"] == tutti.passes.isApprovedForAll(approval["account"], approval["operator"])


def test_usage_epochs_match_the_usage_royalties(indexed, tutti, activity, stablecoin):
    first, second, third = activity["usage"]["epochs"]
    epochs = {e["epoch"]: e for e in rows(indexed, schema.usage_epochs)}
    assert sorted(epochs) == [first, second, third]
    for epoch, row in epochs.items():
        settlement = tutti.usage.settlementOf(epoch)
        if settlement.settledAt:
            assert (row["root"], int(row["total_plays"]), row["job_id"]) == \
                ("0x" + bytes(settlement.root).hex(), settlement.totalPlays, settlement.jobId)
        else:
            assert row["settled_block"] is None and row["root"] is None
    pools = rows(indexed, schema.usage_pools)
    assert {(p["epoch"], p["token"]) for p in pools} == \
        {(first, ETH), (first, stablecoin.address), (second, ETH), (third, ETH)}
    for pool in pools:
        assert int(pool["funded"]) == tutti.usage.poolOf(pool["epoch"], pool["token"])
        assert int(pool["claimed"]) == tutti.usage.claimedOf(pool["epoch"], pool["token"])
        rolled_over = tutti.usage.isRolledOver(pool["epoch"], pool["token"])
        assert (pool["rolled_over_into"] == third) == rolled_over == (pool["epoch"] == second)
        assert int(pool["rolled_over"]) == (int(pool["funded"]) - int(pool["claimed"]) if rolled_over else 0)
    claims = rows(indexed, schema.usage_claims)
    assert len(claims) == 3
    for claim in claims:
        assert tutti.usage.isClaimed(claim["epoch"], claim["token"], claim["work_id"])
        assert int(claim["amount"]) == tutti.usage.shareOf(claim["epoch"], claim["token"], int(claim["plays"]))
    fundings = rows(indexed, schema.usage_fundings)
    assert [f["sender"] for f in fundings if f["epoch"] == third] == [tutti.usage.address]
    assert len(fundings) == 4
    jobs = {j["job_id"]: j for j in rows(indexed, schema.jobs)}
    assert all(jobs[job_id]["kind_name"] == "usage" and jobs[job_id]["state"] == "fulfilled"
               for job_id in activity["usage"]["jobs"])


def test_dump_covers_the_pass_and_usage_tables(indexed):
    content = dump(indexed)
    for table in (schema.rooms, schema.pass_holdings, schema.pass_purchases, schema.pass_revocations,
                  schema.pass_approvals, schema.usage_epochs, schema.usage_pools, schema.usage_fundings,
                  schema.usage_claims):
        assert content[table.name], table.name


def test_a_book_without_usage_royalties_still_indexes(indexed, w3, tutti, tmp_path):
    """An older deployment's book (no UsageRoyalties): everything else is indexed as before."""
    contracts = {name: address for name, address in tutti.book.contracts.items() if name != "UsageRoyalties"}
    book = dataclasses.replace(tutti.book, contracts=contracts)
    url = f"sqlite:///{tmp_path / 'older.sqlite3'}"
    engine = make_engine(url, pool_size=2)
    migrate(engine)
    Indexer(w3, engine, book, settings_for(url)).sync()
    older, full = dump(engine), dump(indexed)
    usage_tables = {t.name for t in (schema.usage_epochs, schema.usage_pools, schema.usage_fundings,
                                     schema.usage_claims, schema.usage_supersessions)}
    for name, content in full.items():
        if name in usage_tables:
            assert older[name] == [], name
        elif name in ("events", "governance_params"):  # less the contract's own events and parameters
            assert older[name] == [r for r in content if "'UsageRoyalties'" not in r and "'usage." not in r]
        else:
            assert older[name] == content, name


def test_every_log_is_kept_once(indexed, w3, tutti):
    from indexer.ingest import INDEXED_CONTRACTS  # the book may hold contracts the indexer does not follow

    logs = w3.eth.get_logs({"fromBlock": tutti.book.start_block, "toBlock": "latest",
                            "address": [tutti.book.address(n) for n in INDEXED_CONTRACTS if n in tutti.book.contracts]})
    with indexed.connect() as connection:
        count = connection.execute(select(func.count()).select_from(schema.events)).scalar()
    assert count == len(logs)


def test_reindex_with_other_batch_sizes_is_identical(indexed, w3, tutti, tmp_path):
    again = index(w3, tutti, f"sqlite:///{tmp_path / 'again.sqlite3'}", max_batch_blocks=1000)
    assert dump(again) == dump(indexed)


def test_postgresql_index_equals_sqlite(indexed, w3, tutti, new_database):
    postgres = index(w3, tutti, new_database("postgresql"), max_batch_blocks=50)
    assert dump(postgres) == dump(indexed)


def test_hardening_events_match_the_contracts(indexed, tutti, activity, vocalist, fan, voters):
    """Revision 0009: withdrawals paid elsewhere, registration commitments, superseded usage
    reports, pending and current owners, and the other parameters no earlier handler read."""
    song = activity["works"][0]
    [paid] = rows(indexed, schema.payee_withdrawals)
    assert (paid["split_id"], paid["account"], paid["to"], paid["token"]) == (song.split_id, vocalist.address,
                                                                              fan.address, ETH)
    # The same transaction's Withdrawn counted it; the WithdrawnTo comes right after it.
    [withdrawal] = [w for w in rows(indexed, schema.withdrawals) if w["tx_hash"] == paid["tx_hash"]]
    assert (withdrawal["account"], withdrawal["amount"], withdrawal["event_id"] + 1) == \
        (vocalist.address, paid["amount"], paid["event_id"])
    # One commitment per registration, made by its artist (the registry deletes it once used).
    commitments = {(c["registrant"], c["commitment"]) for c in rows(indexed, schema.registration_commitments)}
    assert commitments == {(w["artist"], "0x" + registration_commitment(w["artist"], bytes.fromhex(w["content_hash"][2:])).hex())
                           for w in rows(indexed, schema.works)}
    [superseded] = rows(indexed, schema.usage_supersessions)
    second = activity["usage"]["epochs"][1]
    assert superseded["epoch"] == second
    assert superseded["first_valid_job_id"] == tutti.usage.firstValidReportOf(second)
    params = {p["name"]: p["value"] for p in rows(indexed, schema.governance_params)}
    assert params["registry.owner"] == tutti.registry.owner()
    assert params["registry.pending_owner"] == tutti.registry.pendingOwner() == voters[0].address
    assert params["oracle.owner"] == tutti.hub.owner()
    assert "oracle.pending_owner" not in params and tutti.hub.pendingOwner() == ETH  # none was ever named
    assert params["governor.timelock"] == tutti.governor.timelock()
    assert int(params["timelock.min_delay"]) == tutti.timelock.getMinDelay()
