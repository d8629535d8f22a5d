"""LicenseOffers in the index: offers per work, licences per holder with their validity, holders per
offer, derivative policies and fee parameters, each checked against the contract at the indexed
block; and a reorg through licence sales, transfers and pauses that leaves the index equal to a
fresh reindex."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from indexer import schema
from indexer.api import create_app
from tests.indexer.conftest import dump, index
from tests.indexer.test_reorg import follower
from tutti import licenses
from tutti.royalties import ETH


@pytest.fixture(scope="module")
def licence_engine(activity, w3, tutti, tmp_path_factory):
    return index(w3, tutti, f"sqlite:///{tmp_path_factory.mktemp('licences') / 'index.sqlite3'}")


@pytest.fixture(scope="module")
def client(licence_engine):
    with TestClient(create_app(engine=licence_engine)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def indexed_block(licence_engine) -> int:
    with licence_engine.connect() as connection:
        return connection.execute(select(schema.checkpoint.c.block_number)).scalar()


def items(client, path, **params) -> list[dict]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_offers_per_work_match_the_contract(client, tutti, activity, artist, indexed_block):
    song, _, solo = activity["works"]
    streaming, remix, listen = activity["licences"]["offers"]
    assert [o["offer_id"] for o in items(client, f"/works/{song.work_id}/offers")] == [streaming, remix]
    assert [o["offer_id"] for o in items(client, f"/works/{solo.work_id}/offers")] == [listen]
    assert [o["offer_id"] for o in items(client, "/offers", paused=True)] == [streaming]
    assert [o["offer_id"] for o in items(client, f"/works/{song.work_id}/offers", paused=False)] == [remix]
    assert [o["offer_id"] for o in items(client, "/offers", seller=artist.address.lower())] == [streaming, remix]
    for offer_id in (streaming, remix, listen):
        served = client.get(f"/offers/{offer_id}").json()
        terms = tutti.licenses.offer(offer_id, block_id=indexed_block)
        assert (served["work_id"], served["token"], int(served["price"]), served["duration"], served["supply_cap"],
                served["sold"], served["rights"], served["transferable"], served["paused"], served["terms_cid"]) == \
            (terms.workId, terms.token, terms.price, terms.duration, terms.supplyCap, terms.sold, terms.rights,
             terms.transferable, terms.paused, terms.termsCid)
        assert served["right_names"] == [n for n, bit in licenses.RIGHTS.items() if terms.rights & bit]
        assert served["uri"] == f"ipfs://{terms.termsCid}"
    detail = client.get(f"/offers/{streaming}").json()
    assert (detail["holders"], detail["valid_licences"]) == (2, 2)
    assert client.get(f"/offers/{listen}").json()["valid_licences"] == 0  # the one-minute licence ran out


def test_licences_per_holder_with_their_validity(client, tutti, activity, fan, producer, vocalist, indexed_block):
    fan_streaming, gift, producer_remix, fan_listen = activity["licences"]["licences"]
    held = {}
    for account in (fan, producer, vocalist):
        for licence in items(client, "/licences", holder=account.address.lower()):
            held[licence["licence_id"]] = licence
            assert tutti.licenses.ownerOf(licence["licence_id"], block_id=indexed_block) == account.address
            assert licence["valid_now"] == tutti.licenses.isLicenseValid(licence["licence_id"], block_id=indexed_block)
            on_chain = tutti.licenses.license(licence["licence_id"], block_id=indexed_block)
            assert (licence["offer_id"], licence["valid_until"]) == (on_chain.offerId, on_chain.validUntil)
            assert licence["valid_from"] == (on_chain.validFrom if on_chain.validUntil else None)
    assert sorted(held) == sorted(activity["licences"]["licences"])
    assert [held[i]["valid_now"] for i in (fan_streaming, gift, producer_remix, fan_listen)] == [True, True, True, False]
    assert [x["licence_id"] for x in items(client, "/licences", holder=fan.address, valid=False)] == [fan_listen]
    assert [x["licence_id"] for x in items(client, "/licences", holder=fan.address, valid=True)] == [fan_streaming]

    moved = client.get(f"/licences/{gift}").json()
    assert (moved["holder"], moved["buyer"], moved["transfers"]) == (vocalist.address, fan.address, 1)
    remix = client.get(f"/licences/{producer_remix}").json()
    assert (remix["right_names"], remix["transferable"], remix["valid_until"]) == (["derivative"], False, 0)
    # The splitter got the price less the platform fee, at the rate the sale used.
    fee_bps = tutti.licenses.platformFeeBps(block_id=indexed_block)
    assert int(remix["platform_fee"]) == int(remix["price"]) * fee_bps // 10_000


def test_holders_per_offer(client, activity, fan, vocalist):
    streaming, remix, _ = activity["licences"]["offers"]
    holders = items(client, f"/offers/{streaming}/holders", limit=1)
    assert len(holders) == 1
    everyone = items(client, f"/offers/{streaming}/holders")
    assert sorted((h["holder"], h["licences"], h["valid_licences"]) for h in everyone) == \
        sorted([(fan.address, 1, 1), (vocalist.address, 1, 1)])
    cursor = client.get(f"/offers/{streaming}/holders", params={"limit": 1}).json()["next_cursor"]
    rest = items(client, f"/offers/{streaming}/holders", limit=1, cursor=cursor)
    assert [holders[0]["holder"], rest[0]["holder"]] == sorted(h["holder"] for h in everyone)


def test_derivative_policy_and_fee_parameters(client, tutti, activity, deployer, stablecoin, indexed_block):
    song, remix_work, solo = activity["works"]
    policy = client.get(f"/works/{song.work_id}/derivative-policy").json()
    assert policy["licence_required"] is tutti.licenses.derivativeLicenseRequired(song.work_id, block_id=indexed_block)
    assert policy["licence_required"] is True
    assert client.get(f"/works/{solo.work_id}/derivative-policy").json() == \
        {"work_id": solo.work_id, "licence_required": False, "changed_block": None}
    params = client.get("/parameters").json()
    assert params["licences.treasury"] == deployer.address == tutti.licenses.treasury(block_id=indexed_block)
    assert int(params["licences.platform_fee_bps"]) == tutti.licenses.platformFeeBps(block_id=indexed_block)
    for token in (ETH, stablecoin.address):
        pending = params.get(f"licences.pending_platform_fees.{token}", "0")
        assert int(pending) == tutti.licenses.pendingPlatformFees(token, block_id=indexed_block)
    assert int(params[f"licences.platform_fees_withdrawn.{ETH}"]) > 0
    assert params["registry.license_offers"] == tutti.licenses.address
    assert params["licences.owner"] == tutti.timelock.address


@pytest.mark.parametrize("path, status, reason", [
    ("/offers/99999", 404, "no licence offer"),
    ("/offers/99999/holders", 404, "no licence offer"),
    ("/works/99999/offers", 404, "no work"),
    ("/works/99999/derivative-policy", 404, "no work"),
    ("/licences/99999", 404, "no licence"),
    ("/licences?holder=0x12", 422, "holder"),
    ("/offers?paused=maybe", 422, "paused"),
    ("/offers/1/holders?cursor=WzFd", 400, "cursor"),
])
def test_bad_licence_queries_get_a_4xx_with_a_reason(client, path, status, reason):
    response = client.get(path)
    assert response.status_code == status, response.text
    assert reason in response.text


def test_reorg_through_licence_sales_equals_fresh_reindex(activity, chain, w3, tutti, new_database, artist, fan,
                                                          producer, vocalist):
    """Sales, a transfer, a pause and a policy change in dropped blocks are undone; the new branch's
    are indexed (licence and offer rows are entity rows: only the journal can restore them)."""
    _, _, solo = activity["works"]
    streaming, remix, listen = activity["licences"]["offers"]
    fan_streaming = activity["licences"]["licences"][0]
    live = follower(w3, tutti, new_database(), max_batch_blocks=2)
    live.sync()
    fork_point = chain.snapshot()
    branch_a = licenses.buy_license(tutti, producer, listen)
    tutti.licenses.transferFrom(fan.address, artist.address, fan_streaming, sender=fan)
    licenses.set_paused(tutti, vocalist, listen, True)
    licenses.require_derivative_license(tutti, vocalist, solo.work_id)
    live.sync()
    with live.engine.connect() as connection:
        assert connection.execute(select(schema.licences.c.holder).where(
            schema.licences.c.licence_id == fan_streaming)).scalar() == artist.address

    chain.restore(fork_point)
    licenses.set_paused(tutti, artist, streaming, False)
    branch_b = licenses.buy_license(tutti, fan, streaming, to=vocalist.address)
    assert branch_b.license_id == branch_a.license_id  # the same token id, sold again on the new branch
    chain.mine(8)
    live.sync()

    assert dump(live.engine) == dump(index(w3, tutti, new_database()))
    L, O = schema.licences, schema.licence_offers
    with live.engine.connect() as connection:
        licence = connection.execute(select(L).where(L.c.licence_id == branch_b.license_id)).mappings().one()
        holder = connection.execute(select(L.c.holder).where(L.c.licence_id == fan_streaming)).scalar()
        offers = {r["offer_id"]: r for r in connection.execute(select(O)).mappings()}
        policies = connection.execute(select(schema.derivative_policies.c.work_id)).scalars().all()
    assert (licence["offer_id"], licence["holder"]) == (streaming, vocalist.address)
    assert holder == fan.address
    assert (offers[listen]["sold"], offers[listen]["paused"]) == (1, False)
    assert (offers[streaming]["sold"], offers[streaming]["paused"]) == (3, False)
    assert solo.work_id not in policies
