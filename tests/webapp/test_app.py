"""The web app in Chromium against the real local platform: each user's flow, signed by a test
wallet injected in the page (see e2e.mjs), checked in the UI and, where it matters, on chain."""

from __future__ import annotations

import httpx

from tutti.platform import Platform, anvil_address


def test_works_list_filters_and_every_control_has_a_label(scenario) -> None:
    found = scenario("works")
    assert {"Chorale in F# minor", "Chorale in A major", "Chorale in F# minor (remix)"} <= set(found["titles"])
    assert found["derivatives"] == ["Chorale in F# minor (remix)"]
    assert found["searched"] == ["Chorale in A major"]
    assert found["unlabelled"] == []


def test_a_wallet_on_another_chain_is_asked_to_switch(scenario) -> None:
    assert "Wrong network (chain 1)" in scenario("wrongChain")["warning"]


def test_register_a_work_with_two_contributors_and_a_parent(scenario, platform: Platform) -> None:
    found = scenario("register")
    assert found["result"]["ok"], found["result"]
    assert "0.001 ETH" in found["preview"] or "ETH" in found["preview"]
    # 60/40 of the 90 % left after the parent's 10 %: 54 % and 36 % of every payment
    assert "54 %" in found["preview"] and "36 %" in found["preview"] and "10 %" in found["preview"]
    assert len(found["contributors"]) == 2
    assert "Chorale in F# minor" in found["lineage"] and "10 %" in found["lineage"]
    work = httpx.get(f"{platform.urls['indexer']}/works/{found['workId']}").json()
    assert [c["share_bps"] for c in work["contributors"]] == [5400, 3600]
    assert work["parents"] == [{"parent_work_id": 1, "share_bps": 1000}]


def test_a_rejected_signature_is_explained_and_the_form_kept(scenario) -> None:
    found = scenario("rejected")
    assert not found["result"]["ok"] and "rejected" in found["result"]["text"]
    assert found["titleKept"] == "Rejected take" and found["fileKept"] == 1


def test_a_reverting_registration_is_explained_and_the_form_kept(scenario) -> None:
    found = scenario("reverted")
    assert not found["result"]["ok"]
    assert "already registered" in found["result"]["text"], found["result"]
    assert found["titleKept"] == "Copy of the duet"


def test_pay_a_work_and_withdraw_a_contributors_share(scenario) -> None:
    paid = scenario("pay")
    assert paid["result"]["ok"], paid["result"]
    assert "1 ETH" in paid["income"]
    withdrawn = scenario("withdraw")
    assert withdrawn["result"]["ok"], withdrawn["result"]
    assert int(withdrawn["before"]) == 36 * 10**16  # the producer's 36 % of 1 ETH


def test_delegate_propose_vote_queue_execute(scenario) -> None:
    found = scenario("governance")
    for step in ("delegate5", "delegate6", "propose", "vote5", "vote6"):
        assert found[step]["ok"], (step, found[step])
    assert found["votes"] == "300000"
    assert found["newFee"] == str(2 * 10**16)  # the executed proposal changed the registration fee


def test_create_a_room_buy_a_pass_and_find_the_jam(scenario, platform: Platform) -> None:
    found = scenario("rooms")
    assert found["passStatus"] == "Your pass is valid now."
    assert any(link.startswith(platform.urls["media"]) for link in found["jamLinks"])


def test_request_a_compose_job_verify_it_and_register_the_result(scenario, platform: Platform) -> None:
    found = scenario("compose")
    assert found["requested"]["ok"], found["requested"]
    assert found["verified"] == "true"
    assert "metadata.json" in found["files"]
    work = httpx.get(f"{platform.urls['indexer']}/works/{found['derivative']}").json()
    assert work["parents"] == [{"parent_work_id": 1, "share_bps": 1000}]


def test_artist_offers_a_licence_a_fan_buys_it_and_sees_it_in_my_licences(scenario, platform: Platform) -> None:
    found = scenario("licences")
    for step in ("created", "createdToken", "policy", "bought", "boughtToken", "paused"):
        assert found[step]["ok"], (step, found[step])
    assert "0.02 ETH" in found["offerText"] and "30 days from purchase" in found["offerText"]
    assert "0 of 5" in found["offerText"]
    # the preview names the treasury's fee and the work's split before the wallet is asked
    assert "treasury" in found["preview"] and "work 2" in found["preview"], found["preview"]
    mine = [row for row in found["mine"] if "Work 2" in row and "remixes" in row]
    assert mine and "valid" in mine[0], found["mine"]
    assert "5 tUSD" in found["tokenOfferText"] and "perpetual" in found["tokenOfferText"], found["tokenOfferText"]
    streaming = [row for row in found["mine"] if "public streaming" in row]
    assert streaming and "5 tUSD" in streaming[0] and "perpetual" in streaming[0], found["mine"]
    assert found["valid"] == ["true", "true"]
    assert found["buyDisabled"]
    indexer = platform.urls["indexer"]
    offer = httpx.get(f"{indexer}/offers/{found['offerId']}").json()
    assert offer["sold"] == 1 and offer["paused"] and offer["right_names"] == ["personal", "derivative"]
    token_offer = httpx.get(f"{indexer}/offers/{found['tokenOfferId']}").json()
    assert token_offer["right_names"] == ["streaming"] and token_offer["duration"] == 0 and token_offer["transferable"]
    assert token_offer["price"] == str(5 * 10**6) and token_offer["sold"] == 1
    assert httpx.get(f"{indexer}/works/2/derivative-policy").json()["licence_required"]
    held = httpx.get(f"{indexer}/licences", params={"holder": anvil_address(4), "work_id": 2}).json()["items"]
    assert any(licence["offer_id"] == found["offerId"] and licence["valid_now"] for licence in held)


def test_operator_page_lists_the_three_operators(scenario) -> None:
    assert scenario("operator")["rows"] == 3


def test_phone_width_needs_no_sideways_scrolling(scenario) -> None:
    found = scenario("phone")
    assert found["overflow"] <= 0 and found["registerOverflow"] <= 0, found


def test_an_unreachable_indexer_is_explained_and_nothing_typed_is_lost(scenario) -> None:
    found = scenario("indexerDown")
    assert "cannot be reached" in found["worksMessage"]
    assert found["searchKept"] == "chorale"
    assert found["result"]["ok"] and "cannot be reached" in found["result"]["text"], found["result"]
    assert found["titleKept"] == "Offline-indexer take"


def test_no_console_errors(findings) -> None:
    assert findings["console"] == []
