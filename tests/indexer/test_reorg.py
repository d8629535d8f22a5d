"""Reorganizations made on anvil leave the index equal to a fresh reindex of the new chain."""

from __future__ import annotations

import pytest
from ape import accounts
from sqlalchemy import func, select

from indexer import schema
from indexer.db import make_engine, migrate
from indexer.ingest import Indexer
from tutti.activity import ETHER, register
from tests.indexer.conftest import dump, index, settings_for
from tutti import passes, royalties
from tutti import governance as gov
from tutti.royalties import ETH

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)]


def follower(w3, tutti, url, **overrides) -> Indexer:
    engine = make_engine(url, pool_size=2)
    migrate(engine)
    return Indexer(w3, engine, tutti.book, settings_for(url, **overrides))


def event_count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(schema.events)).scalar()


@pytest.mark.parametrize("kind", DATABASES)
def test_fork_from_a_snapshot_equals_fresh_reindex(kind, activity, chain, w3, tutti, new_database, fan, artist,
                                                   producer, vocalist, voters, stablecoin, operators):
    """Blocks replaced by a longer, different branch (evm_snapshot / evm_revert, then other blocks)."""
    song, remix, _ = activity["works"]
    live = follower(w3, tutti, new_database(kind), max_batch_blocks=3)
    live.sync()
    fork_point = chain.snapshot()

    open_room, _, encore = activity["rooms"]
    first_epoch = activity["usage"]["epochs"][0]
    tree = activity["usage"]["tree"]
    # Branch A: a new work, payments, a withdrawal, a proposal with a vote (entity rows and event rows),
    # a pass sale, a pass transfer, a revocation and a new room, an epoch funding and a usage claim,
    # an operator's bond and unbond (an updated bond row) and a first bond by a non-operator (a new one).
    register(tutti, artist, "branch-a", [(artist, 10_000)])
    tutti.hub.bond(sender=operators[1], value=ETHER)
    tutti.hub.requestUnbond(ETHER // 4, sender=operators[1])
    tutti.hub.bond(sender=fan, value=ETHER)
    tutti.usage.fundETH(sender=fan, value=ETHER)
    tutti.usage.claim(first_epoch, stablecoin.address, remix.work_id, 1, tree.proof(remix.work_id), sender=fan)
    passes.buy_pass(tutti, fan, open_room, to=artist.address)
    tutti.passes.safeTransferFrom(fan.address, voters[1].address, open_room, 1, b"", sender=fan)
    passes.revoke(tutti, artist, encore, vocalist.address)
    passes.create_room(tutti, artist, split_id=1, price=0, supply_cap=1, valid_from=0,
                       valid_until=chain.blocks.head.timestamp + 3_600, metadata_cid="bafy-room-branch-a")
    royalties.pay(tutti, fan, song.work_id, 3 * ETHER)
    royalties.withdraw(tutti, producer, song.work_id)
    # The hardening events (revision 0009): a withdrawal paid elsewhere, superseded usage reports and
    # another pending owner (a parameter row updated, so journaled).
    royalties.withdraw_to(tutti, vocalist, song.work_id, ETH, voters[1].address)
    reporter = accounts[tutti.usage.reporter()]
    tutti.usage.supersedeReports(tutti.usage.currentEpoch(), tutti.hub.jobCount() + 1, sender=reporter)
    owner = accounts[tutti.registry.owner()]
    chain.provider.set_balance(owner.address, chain.provider.get_balance(owner.address) + ETHER)
    tutti.registry.transferOwnership(voters[1].address, sender=owner)
    proposal = gov.propose(tutti, voters[0], [gov.encode_call(tutti, "OracleHub", "setQuorum", [3])], "branch a")
    chain.mine(2)
    gov.vote(tutti, voters[0], proposal.proposal_id, gov.Support.FOR)
    live.sync()
    with_branch_a = event_count(live.engine)

    chain.restore(fork_point)
    # Branch B: different activity, more blocks than branch A.
    royalties.pay(tutti, fan, remix.work_id, ETHER)
    passes.buy_pass(tutti, producer, encore)
    stablecoin.approve(tutti.usage.address, 10**6, sender=fan)
    tutti.usage.fund(stablecoin.address, 10**6, sender=fan)
    register(tutti, producer, "branch-b", [(producer, 6_000), (fan, 4_000)])
    chain.mine(12)
    live.sync()

    fresh = index(w3, tutti, new_database(kind), max_batch_blocks=1000)
    assert dump(live.engine) == dump(fresh)
    assert event_count(live.engine) != with_branch_a
    with live.engine.connect() as connection:  # nothing of branch A is left, journal included
        assert not connection.execute(select(schema.works).where(schema.works.c.metadata_cid == "bafy-branch-a")).first()
        bonds = schema.operator_bonds
        assert not connection.execute(select(bonds).where(bonds.c.address == fan.address)).first()
        restored = connection.execute(select(bonds).where(bonds.c.address == operators[1].address)).mappings().one()
        assert (int(restored["bonded"]), restored["unbonding"]) == (tutti.hub.bondOf(operators[1]), "0")
        assert not connection.execute(select(schema.pass_holdings).where(schema.pass_holdings.c.holder ==
                                                                         artist.address)).first()
        assert connection.execute(select(schema.rooms.c.room_id).order_by(schema.rooms.c.room_id)).scalars().all() == \
            list(activity["rooms"])
        assert not connection.execute(select(schema.usage_claims).where(
            schema.usage_claims.c.work_id == remix.work_id, schema.usage_claims.c.token == stablecoin.address)).first()
        pools = connection.execute(select(schema.usage_pools)).mappings().all()
        assert not connection.execute(select(schema.payee_withdrawals).where(
            schema.payee_withdrawals.c.to == voters[1].address)).first()
        assert not connection.execute(select(schema.usage_supersessions).where(
            schema.usage_supersessions.c.epoch == tutti.usage.currentEpoch())).first()
        params = schema.governance_params
        assert connection.execute(select(params.c.value).where(params.c.name == "registry.pending_owner")).scalar() \
            == tutti.registry.pendingOwner() != voters[1].address
    for pool in pools:
        assert int(pool["funded"]) == tutti.usage.poolOf(pool["epoch"], pool["token"])
        assert int(pool["claimed"]) == tutti.usage.claimedOf(pool["epoch"], pool["token"])


@pytest.mark.parametrize("kind", DATABASES)
def test_anvil_reorg_equals_fresh_reindex(kind, activity, chain, w3, tutti, new_database, fan, vocalist):
    """Same-height reorg (``anvil_reorg``): the last blocks are replaced by blocks with other contents."""
    song, _, solo = activity["works"]
    room = activity["rooms"][0]
    live = follower(w3, tutti, new_database(kind), max_batch_blocks=2)
    passes.buy_pass(tutti, fan, room)
    tutti.passes.safeTransferFrom(vocalist.address, fan.address, room, 1, b"", sender=vocalist)
    royalties.pay(tutti, fan, song.work_id, ETHER)
    royalties.pay(tutti, fan, solo.work_id, 2 * ETHER)
    tutti.registry.setMetadataCid(solo.work_id, "bafy-solo-v3", sender=vocalist)
    tutti.usage.fundETH(sender=fan, value=ETHER)
    live.sync()
    head_before = w3.eth.block_number
    # Off-chain state (the room directory) is no part of any block: the reorg must leave it alone.
    node = {"room_id": room, "url": "https://media.example", "host": tutti.passes.room(room).host,
            "expires_at": 2**40, "signature": "0x" + "11" * 65, "announced_at": 1}
    with live.engine.begin() as connection:
        connection.execute(schema.media_nodes.insert(), node)
    # Replace the last 6 blocks (the pass sale and transfer and the epoch funding too); the new branch
    # carries one different transaction.
    payment = {"from": fan.address, "to": tutti.splitter.address, "value": hex(5 * ETHER),
               "data": "0x" + tutti.splitter.depositETH.encode_input(tutti.registry.work(song.work_id).splitId).hex()}
    chain.provider.make_request("anvil_reorg", [6, [[payment, 0]]])
    assert w3.eth.block_number == head_before
    live.sync()

    fresh = index(w3, tutti, new_database(kind))
    assert dump(live.engine) == dump(fresh)
    with live.engine.connect() as connection:
        assert [dict(r) for r in connection.execute(select(schema.media_nodes)).mappings()] == [node]
        metadata = connection.execute(select(schema.works.c.metadata_cid)
                                      .where(schema.works.c.work_id == solo.work_id)).scalar()
    assert metadata == "bafy-solo-v2"  # the change in a dropped block was undone
    with live.engine.connect() as connection:
        held = connection.execute(select(schema.pass_holdings.c.balance).where(
            schema.pass_holdings.c.room_id == room, schema.pass_holdings.c.holder == fan.address)).scalar()
    assert held == tutti.passes.balanceOf(fan, room)
    epoch = tutti.usage.currentEpoch()
    with live.engine.connect() as connection:
        funded = connection.execute(select(schema.usage_pools.c.funded).where(
            schema.usage_pools.c.epoch == epoch, schema.usage_pools.c.token == ETH)).scalar()
    assert int(funded) == tutti.usage.poolOf(epoch, ETH)  # the dropped funding was undone


def test_confirmations_keep_the_index_behind_the_head(activity, w3, tutti, new_database):
    live = follower(w3, tutti, new_database(), confirmations=5)
    live.sync()
    with live.engine.connect() as connection:
        indexed = connection.execute(select(schema.checkpoint.c.block_number)).scalar()
    assert indexed == w3.eth.block_number - 5
