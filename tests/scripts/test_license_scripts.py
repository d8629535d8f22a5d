"""The licence scripts (offer_license, pause_offer, buy_license, license_status,
require_remix_license) driven as an artist, a fan and a producer would: separate `ape run`
processes against the session's anvil and address book."""

from __future__ import annotations

import re

import pytest
from ape import chain

from tutti.royalties import ETH
from tutti.works import Share, register_work

ETHER = 10**18
CID = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"


@pytest.fixture
def work(tutti, artist, producer):
    """A registered work owned by the artist (TEST::1): artist 80%, producer 20%."""
    return register_work(tutti, artist, metadata_cid=CID, content_hash=chain.blocks.head.hash,
                         contributors=[Share(artist.address, 8_000), Share(producer.address, 2_000)])


def test_artist_offers_fan_buys_artist_pauses(run, tutti, work, fan):
    done = run("offer_license", "--work", str(work.work_id), "--rights", "streaming,personal", "--price", "0.1",
               "--duration", "30d", "--cap", "5", "--terms-cid", CID, account="TEST::1")
    offer_id = int(re.search(r"Created offer (\d+)", done.stdout).group(1))
    assert (f"for work {work.work_id}: personal, streaming; 0.1 ETH a licence, 30 days, at most 5, "
            "non-transferable") in done.stdout

    done = run("buy_license", "--offer", str(offer_id), account="TEST::4")
    license_id = int(re.search(r"Bought licence (\d+)", done.stdout).group(1))
    assert f"for {fan.address}: 0.1 ETH (platform fee 0.005 ETH), valid until" in done.stdout
    assert tutti.splitter.totalReceived(work.split_id, ETH) == ETHER // 10 - ETHER // 200
    assert tutti.licenses.ownerOf(license_id) == fan.address

    run("pause_offer", "--offer", str(offer_id), account="TEST::1")
    status = run("license_status", "--offer", str(offer_id), "--license", str(license_id)).stdout
    assert "1 of 5 sold, non-transferable, PAUSED" in status
    assert f"licence {license_id} (offer {offer_id}, work {work.work_id}) held by {fan.address}: VALID" in status
    refused = run("buy_license", "--offer", str(offer_id), account="TEST::4", check=False)
    assert f"reverted: OfferPaused(offerId={offer_id})" in refused.stderr


def test_remix_gate_by_script(run, tutti, work, producer):
    run("require_remix_license", "--work", str(work.work_id), account="TEST::1")
    done = run("offer_license", "--work", str(work.work_id), "--rights", "remix", "--price", "0",
               "--cap", "1", "--terms-cid", CID, account="TEST::1")
    offer_id = int(re.search(r"Created offer (\d+)", done.stdout).group(1))
    before = run("license_status", "--work", str(work.work_id), "--holder", producer.address).stdout
    assert "0 licences" in before and "may NOT register a derivative" in before

    refused = run("register_work", "--metadata-cid", CID, "--content-hash", "0x" + "ab" * 32,
                  "--contributor", f"{producer.address}=100%", "--parent", f"{work.work_id}=20%",
                  account="TEST::2", check=False)
    assert f"DerivativeNotLicensed(workId={work.work_id}, account={producer.address})" in refused.stderr

    run("buy_license", "--offer", str(offer_id), account="TEST::2")
    after = run("license_status", "--work", str(work.work_id), "--holder", producer.address).stdout
    assert "1 licence of work" in after and "may register a derivative" in after and "perpetual" in after


@pytest.mark.parametrize(
    "name, args, account, message",
    [
        ("offer_license", ["--work", "{work}", "--rights", "karaoke", "--price", "1", "--cap", "1",
                           "--terms-cid", CID], "TEST::1", "unknown right 'karaoke'"),
        ("offer_license", ["--work", "{work}", "--rights", "sync", "--price", "1", "--cap", "1",
                           "--terms-cid", CID], "TEST::4", "reverted: NotWorkOwner(workId={work}, caller={fan})"),
        ("buy_license", ["--offer", "999"], "TEST::4", "reverted: UnknownOffer(offerId=999)"),
        ("license_status", ["--holder", "{fan}"], None, "--holder needs --work"),
    ],
)
def test_mistakes_are_refused_in_one_line(run, work, fan, name, args, account, message):
    values = {"work": work.work_id, "fan": fan.address}
    done = run(name, *[arg.format(**values) for arg in args], account=account, check=False)
    assert done.returncode != 0
    assert message.format(**values) in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
