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


def test_pay_a_work_in_an_erc20_with_a_permit(scenario, platform: Platform) -> None:
    found = scenario("payPermit")
    assert found["method"] == "permit"  # the default for a token: sign, then one transaction
    assert found["result"]["ok"], found["result"]
    assert "5 tUSD" in found["income"], found["income"]
    token = platform.app_config()["extras"]["TestToken"]
    received = httpx.get(f"{platform.urls['indexer']}/works/1").json()["received"]
    assert int(next(amount for key, amount in received.items() if key.lower() == token.lower())) >= 5 * 10**6
    # The permit used the fan's first nonce and left no allowance behind: no approve was sent.
    fan, splitter = anvil_address(4), platform.app_config()["contracts"]["RoyaltySplitter"]
    assert _call(platform, token, "nonces(address)", fan) == 1
    assert _call(platform, token, "allowance(address,address)", fan, splitter) == 0


def test_the_owner_updates_a_works_metadata(scenario, platform: Platform) -> None:
    found = scenario("metadata")
    assert found["title"] == f"{found['before']} (remastered)"
    work = httpx.get(f"{platform.urls['indexer']}/works/{found['workId']}").json()
    metadata = httpx.get(f"{platform.urls['ipfs']}/ipfs/{work['metadata_cid']}").json()
    assert metadata["name"] == found["title"] and metadata["description"] == "Remastered in 2026."


def test_the_host_revokes_a_pass_and_the_holder_sees_it(scenario) -> None:
    found = scenario("revoke")
    assert found["result"]["ok"] and "Revoked the pass" in found["result"]["text"], found["result"]
    assert found["passStatus"] == "Your pass was revoked."


def test_join_the_jam_in_the_app_refused_without_a_pass_then_connected(scenario, platform: Platform) -> None:
    found = scenario("jam")
    # No pass: the node refuses, Join stays disabled, both the app and the node's page link to a pass.
    assert found["refusedJoinDisabled"]
    assert "access pass" in found["refusalHelp"]
    assert found["buyLink"] == "#/rooms" and found["onRoomsPage"]
    assert found["frameBuyLink"] == f"{platform.urls['app']}/#/rooms"
    assert found["signInHidden"]  # the app's wallet is the sign-in
    # With a pass bought in the app: connected, signed in with the app's account, sign-in hidden.
    assert found["joined"] == {"joined": True, "address": anvil_address(4), "signInHidden": True, "leaveEnabled": True}
    assert "Connected" in found["state"]


def test_every_page_has_no_serious_accessibility_violation_and_fits_a_phone(scenario) -> None:
    found = scenario("audit")
    serious = {page: [v for v in found["violations"][page] if v["impact"] in ("serious", "critical")] for page in found["violations"]}
    assert len(serious) == 12 and not any(serious.values()), serious
    assert all(overflow <= 0 for overflow in found["overflow"].values()), found["overflow"]
    assert found["skipFocused"] and found["afterSkip"] == {"hash": "#/works", "focused": "main"}, found


def _call(platform: Platform, to: str, signature: str, *addresses: str) -> int:
    from eth_utils import keccak

    data = "0x" + keccak(text=signature)[:4].hex() + "".join(a.lower().removeprefix("0x").rjust(64, "0") for a in addresses)
    answer = httpx.post(platform.urls["rpc"], json={"jsonrpc": "2.0", "id": 1, "method": "eth_call",
                                                    "params": [{"to": to, "data": data}, "latest"]}).json()
    return int(answer["result"], 16)
