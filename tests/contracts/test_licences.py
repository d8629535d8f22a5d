"""LicenseOffers: offers by a work's owner, sales paying the work's split less the platform fee (ETH
and ERC-20), supply caps, pausing, expiry, non-transferable licences, the per-work holding bound,
the governance-owned fee, and the derivative rule the ContentRegistry enforces."""

from __future__ import annotations

import pytest
from ape import chain
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutti import licenses as sdk
from tutti.errors import TuttiError
from tutti.royalties import ETH
from tutti.works import Share, register_work

ETHER = 10**18
PRICE = ETHER // 10
DAY = 86_400
CID = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"
STREAMING, REMIX, PERSONAL = sdk.RIGHTS["streaming"], sdk.RIGHTS["derivative"], sdk.RIGHTS["personal"]


@pytest.fixture(scope="session")
def licenses(tutti):
    return tutti.licenses


@pytest.fixture
def work(tutti, artist, producer):
    """A work owned by the artist; artist 80%, producer 20%."""
    return register_work(tutti, artist, metadata_cid=CID, content_hash=chain.blocks.head.hash,
                         contributors=[Share(artist.address, 8_000), Share(producer.address, 2_000)])


def make_offer(licenses, owner, work_id, *, rights=STREAMING, token=ETH, price=PRICE, duration=0, cap=10,
               transferable=False) -> int:
    receipt = licenses.createOffer(work_id, rights, token, price, duration, cap, transferable, CID, sender=owner)
    return receipt.decode_logs(licenses.OfferCreated)[0].offerId


def remix_of(tutti, registrant, parent_id: int):
    return register_work(tutti, registrant, metadata_cid=CID, content_hash=chain.blocks.head.hash,
                         contributors=[Share(registrant.address, 10_000)], parents=[Share(str(parent_id), 2_000)])


# ---------------------------------------------------------------------------------------------
# deployment and governance
# ---------------------------------------------------------------------------------------------


def test_deploy_succeedsWithTimelockOwningFeeAndRegistryWired(tutti, licenses, deploy_params):
    assert tutti.book.address("LicenseOffers") == licenses.address
    assert licenses.owner() == tutti.timelock.address
    assert licenses.treasury() == tutti.timelock.address
    assert licenses.platformFeeBps() == deploy_params.license_platform_fee_bps
    assert tutti.registry.licenseOffers() == licenses.address
    assert licenses.supportsInterface("0x80ac58cd")  # ERC-721


def test_setLicenseOffers_failsIfDeployerRewires(tutti, deployer, fan, reverts):
    """The deployer wired the registry once; a second change is governance's alone."""
    for caller in (deployer, fan):
        with reverts(tutti.registry.OwnableUnauthorizedAccount, account=caller.address):
            tutti.registry.setLicenseOffers(fan.address, sender=caller)


def test_setPlatformFee_succeedsForGovernanceWithinBound(licenses, timelock_account, fan, reverts):
    licenses.setPlatformFee(2_000, sender=timelock_account)
    assert licenses.platformFeeBps() == 2_000
    with reverts(licenses.PlatformFeeTooHigh, bps=2_001, max=2_000):
        licenses.setPlatformFee(2_001, sender=timelock_account)
    with reverts(licenses.OwnableUnauthorizedAccount, account=fan.address):
        licenses.setPlatformFee(0, sender=fan)
    with reverts(licenses.ZeroAddress):
        licenses.setTreasury(ETH, sender=timelock_account)


def test_setLicenseOffers_succeedsThroughAVote(tutti, enact, fan):
    from tutti.governance import encode_call

    receipt = enact([encode_call(tutti, "ContentRegistry", "setLicenseOffers", [fan.address])],
                    "Point the registry at a new licence contract")
    assert receipt.txn_hash
    assert tutti.registry.licenseOffers() == fan.address


# ---------------------------------------------------------------------------------------------
# offers
# ---------------------------------------------------------------------------------------------


def test_createOffer_succeedsWithFixedTerms(tutti, licenses, artist, work):
    offer_id = make_offer(licenses, artist, work.work_id, rights=STREAMING | PERSONAL, duration=30 * DAY, cap=3)
    terms = sdk.offer(tutti, offer_id)
    assert (terms.work_id, terms.rights, terms.price, terms.duration, terms.supply_cap, terms.sold) == (
        work.work_id, STREAMING | PERSONAL, PRICE, 30 * DAY, 3, 0)
    assert (terms.transferable, terms.paused, terms.terms_cid, terms.token) == (False, False, CID, ETH)
    assert licenses.offerCount() == offer_id


def test_createOffer_failsIfNotWorkOwner(licenses, producer, work, reverts):
    with reverts(licenses.NotWorkOwner, workId=work.work_id, caller=producer.address):
        make_offer(licenses, producer, work.work_id)


@pytest.mark.parametrize("rights", [0, 32, 255])
def test_createOffer_failsIfRightsOutsideVocabulary(licenses, artist, work, rights, reverts):
    with reverts(licenses.InvalidRights, rights=rights):
        make_offer(licenses, artist, work.work_id, rights=rights)


def test_createOffer_failsIfCapZeroOrTermsEmpty(licenses, artist, work, reverts):
    with reverts(licenses.ZeroSupplyCap):
        make_offer(licenses, artist, work.work_id, cap=0)
    with reverts(licenses.EmptyTermsCid):
        licenses.createOffer(work.work_id, STREAMING, ETH, PRICE, 0, 1, False, "", sender=artist)


def test_setOfferPaused_stopsSalesButNotSoldLicences(licenses, artist, fan, producer, work, reverts):
    offer_id = make_offer(licenses, artist, work.work_id)
    licenses.buyLicense(offer_id, fan, sender=fan, value=PRICE)
    with reverts(licenses.NotWorkOwner, workId=work.work_id, caller=producer.address):
        licenses.setOfferPaused(offer_id, True, sender=producer)
    licenses.setOfferPaused(offer_id, True, sender=artist)
    with reverts(licenses.PauseUnchanged, offerId=offer_id, paused=True):
        licenses.setOfferPaused(offer_id, True, sender=artist)
    with reverts(licenses.OfferPaused, offerId=offer_id):
        licenses.buyLicense(offer_id, producer, sender=producer, value=PRICE)
    assert licenses.hasValidLicense(work.work_id, fan, STREAMING)
    licenses.setOfferPaused(offer_id, False, sender=artist)
    licenses.buyLicense(offer_id, producer, sender=producer, value=PRICE)


# ---------------------------------------------------------------------------------------------
# buying
# ---------------------------------------------------------------------------------------------


def test_buyLicense_succeedsPayingSplitLessFeeAndMintingToken(licenses, splitter, artist, fan, producer, work):
    offer_id = make_offer(licenses, artist, work.work_id)
    before = splitter.totalReceived(work.split_id, ETH)
    receipt = licenses.buyLicense(offer_id, producer, sender=fan, value=PRICE)
    event = receipt.decode_logs(licenses.LicenseBought)[0]
    fee = PRICE * licenses.platformFeeBps() // 10_000
    assert (event.to, event.buyer, event.price, event.platformFee, event.validUntil) == (
        producer.address, fan.address, PRICE, fee, 0)
    assert licenses.ownerOf(event.licenseId) == producer.address
    assert licenses.tokenURI(event.licenseId) == f"ipfs://{CID}"
    assert splitter.totalReceived(work.split_id, ETH) - before == PRICE - fee
    assert licenses.pendingPlatformFees(ETH) == fee
    assert licenses.licensesOf(producer, work.work_id) == [event.licenseId]


def test_withdrawPlatformFees_paysTreasuryByPull(tutti, licenses, artist, fan, work, reverts):
    offer_id = make_offer(licenses, artist, work.work_id)
    licenses.buyLicense(offer_id, fan, sender=fan, value=PRICE)
    fee = licenses.pendingPlatformFees(ETH)
    before = tutti.timelock.balance
    licenses.withdrawPlatformFees(ETH, sender=fan)
    assert tutti.timelock.balance - before == fee
    with reverts(licenses.NoPlatformFees, token=ETH):
        licenses.withdrawPlatformFees(ETH, sender=fan)


def test_buyLicense_succeedsInERC20(tutti, licenses, splitter, stablecoin, artist, fan, work):
    price = 25 * 10**6
    offer_id = make_offer(licenses, artist, work.work_id, token=stablecoin.address, price=price)
    stablecoin.mint(fan, price, sender=fan)
    bought = sdk.buy_license(tutti, fan, offer_id)
    fee = price * licenses.platformFeeBps() // 10_000
    assert splitter.totalReceived(work.split_id, stablecoin.address) == price - fee
    assert licenses.pendingPlatformFees(stablecoin.address) == fee == bought.platform_fee
    licenses.withdrawPlatformFees(stablecoin.address, sender=fan)
    assert stablecoin.balanceOf(tutti.timelock) == fee


def test_buyLicense_failsIfTokenArrivesShort(licenses, artist, fan, work, deployer, project, reverts):
    token = deployer.deploy(project.FeeOnTransferToken, 100)
    offer_id = make_offer(licenses, artist, work.work_id, token=token.address, price=1_000)
    token.mint(fan, 1_000, sender=fan)
    token.approve(licenses, 1_000, sender=fan)
    with reverts(licenses.TokenShortfall, token=token.address, arrived=990, price=1_000):
        licenses.buyLicense(offer_id, fan, sender=fan)


@pytest.mark.parametrize("sent", [0, PRICE - 1, PRICE + 1])
def test_buyLicense_failsIfPaymentWrong(licenses, artist, fan, work, sent, reverts):
    offer_id = make_offer(licenses, artist, work.work_id)
    with reverts(licenses.WrongPayment, offerId=offer_id, sent=sent, price=PRICE):
        licenses.buyLicense(offer_id, fan, sender=fan, value=sent)


def test_buyLicense_failsIfSoldOutOrUnknown(licenses, artist, fan, work, reverts):
    offer_id = make_offer(licenses, artist, work.work_id, cap=1, price=0)
    with reverts(licenses.ZeroAddress):
        licenses.buyLicense(offer_id, ETH, sender=fan)
    licenses.buyLicense(offer_id, fan, sender=fan)
    with reverts(licenses.SoldOut, offerId=offer_id, supplyCap=1):
        licenses.buyLicense(offer_id, fan, sender=fan)
    with reverts(licenses.UnknownOffer, offerId=99):
        licenses.buyLicense(99, fan, sender=fan)


def test_buyLicense_failsIfHolderAtBound(licenses, artist, fan, work, reverts):
    offer_id = make_offer(licenses, artist, work.work_id, price=0, cap=100)
    bound = licenses.MAX_LICENSES_PER_WORK()
    for _ in range(bound):
        licenses.buyLicense(offer_id, fan, sender=fan)
    with reverts(licenses.TooManyLicenses, account=fan.address, workId=work.work_id, max=bound):
        licenses.buyLicense(offer_id, fan, sender=fan)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(price=st.one_of(st.integers(1, 10_000), st.integers(1, 10**22)), fee_bps=st.integers(0, 2_000),
       duration=st.one_of(st.just(0), st.integers(1, 2**64 - 1)))
def test_buyLicense_succeedsSplittingAnyPriceAndDuration(licenses, splitter, artist, fan, work, timelock_account,
                                                         price, fee_bps, duration):
    snapshot_id = chain.snapshot()
    try:
        licenses.setPlatformFee(fee_bps, sender=timelock_account)
        offer_id = make_offer(licenses, artist, work.work_id, price=price, duration=duration)
        chain.provider.set_balance(fan.address, price + ETHER)
        received_before = splitter.totalReceived(work.split_id, ETH)

        receipt = licenses.buyLicense(offer_id, fan, sender=fan, value=price)

        event = receipt.decode_logs(licenses.LicenseBought)[0]
        fee = price * fee_bps // 10_000
        assert event.platformFee == fee
        assert splitter.totalReceived(work.split_id, ETH) - received_before == price - fee
        now = chain.blocks.head.timestamp
        assert event.validUntil == (0 if duration == 0 else min(now + duration, 2**64 - 1))
        assert licenses.isLicenseValid(event.licenseId)
    finally:
        chain.restore(snapshot_id)


# ---------------------------------------------------------------------------------------------
# validity, expiry, transfers
# ---------------------------------------------------------------------------------------------


def test_hasValidLicense_endsWhenDurationEnds(licenses, artist, fan, work):
    offer_id = make_offer(licenses, artist, work.work_id, duration=30 * DAY)
    license_id = licenses.buyLicense(offer_id, fan, sender=fan, value=PRICE).decode_logs(
        licenses.LicenseBought)[0].licenseId
    valid_until = licenses.license(license_id).validUntil
    chain.pending_timestamp = valid_until
    chain.mine()
    assert licenses.hasValidLicense(work.work_id, fan, STREAMING)
    chain.pending_timestamp = valid_until + 1
    chain.mine()
    assert not licenses.isLicenseValid(license_id)
    assert not licenses.hasValidLicense(work.work_id, fan, STREAMING)
    assert not licenses.hasValidLicense(work.work_id, fan, 0)


def test_hasValidLicense_needsEveryRightAsked(licenses, artist, fan, work):
    offer_id = make_offer(licenses, artist, work.work_id, rights=STREAMING)
    licenses.buyLicense(offer_id, fan, sender=fan, value=PRICE)
    assert licenses.hasValidLicense(work.work_id, fan, STREAMING)
    assert licenses.hasValidLicense(work.work_id, fan, 0)
    assert not licenses.hasValidLicense(work.work_id, fan, STREAMING | REMIX)


def test_transferFrom_failsIfNonTransferable(licenses, artist, fan, producer, work, reverts):
    offer_id = make_offer(licenses, artist, work.work_id, transferable=False)
    license_id = licenses.buyLicense(offer_id, fan, sender=fan, value=PRICE).decode_logs(
        licenses.LicenseBought)[0].licenseId
    with reverts(licenses.NonTransferable, offerId=offer_id):
        licenses.transferFrom(fan, producer, license_id, sender=fan)


def test_transferFrom_movesValidityWithTheToken(licenses, artist, fan, producer, work):
    offer_id = make_offer(licenses, artist, work.work_id, transferable=True)
    first = licenses.buyLicense(offer_id, fan, sender=fan, value=PRICE).decode_logs(licenses.LicenseBought)[0]
    second = licenses.buyLicense(offer_id, fan, sender=fan, value=PRICE).decode_logs(licenses.LicenseBought)[0]
    licenses.transferFrom(fan, producer, first.licenseId, sender=fan)
    assert licenses.licensesOf(fan, work.work_id) == [second.licenseId]
    assert licenses.licensesOf(producer, work.work_id) == [first.licenseId]
    assert licenses.hasValidLicense(work.work_id, producer, STREAMING)


# ---------------------------------------------------------------------------------------------
# derivatives: the registry's check
# ---------------------------------------------------------------------------------------------


def test_register_succeedsDerivingFromOpenWork(tutti, producer, work):
    """A work whose owner never asked for a licence (CC-BY and the like) stays free to derive from."""
    assert not tutti.licenses.derivativeLicenseRequired(work.work_id)
    remix = remix_of(tutti, producer, work.work_id)
    assert tutti.registry.parentsOf(remix.work_id)[0].workId == work.work_id


def test_register_failsIfDerivativeUnlicensed_thenSucceedsAfterBuying(tutti, licenses, artist, producer, work,
                                                                      reverts):
    sdk.require_derivative_license(tutti, artist, work.work_id)
    streaming = make_offer(licenses, artist, work.work_id, rights=STREAMING)
    remix_offer = make_offer(licenses, artist, work.work_id, rights=REMIX)
    licenses.buyLicense(streaming, producer, sender=producer, value=PRICE)  # the wrong right
    with reverts(tutti.registry.DerivativeNotLicensed, workId=work.work_id, account=producer.address):
        remix_of(tutti, producer, work.work_id)
    licenses.buyLicense(remix_offer, producer, sender=producer, value=PRICE)
    remix = remix_of(tutti, producer, work.work_id)
    assert tutti.registry.parentsOf(remix.work_id)[0].workId == work.work_id


def test_register_succeedsForOwnerOfGatedWork(tutti, artist, work):
    sdk.require_derivative_license(tutti, artist, work.work_id)
    assert remix_of(tutti, artist, work.work_id).work_id


def test_register_failsIfRemixLicenceExpired(tutti, licenses, artist, producer, work, reverts):
    sdk.require_derivative_license(tutti, artist, work.work_id)
    offer_id = make_offer(licenses, artist, work.work_id, rights=REMIX, duration=DAY)
    licenses.buyLicense(offer_id, producer, sender=producer, value=PRICE)
    chain.pending_timestamp = chain.blocks.head.timestamp + DAY + 1
    with reverts(tutti.registry.DerivativeNotLicensed, workId=work.work_id, account=producer.address):
        remix_of(tutti, producer, work.work_id)


def test_setDerivativeLicenseRequired_failsIfNotOwner(licenses, producer, work, reverts):
    with reverts(licenses.NotWorkOwner, workId=work.work_id, caller=producer.address):
        licenses.setDerivativeLicenseRequired(work.work_id, True, sender=producer)


# ---------------------------------------------------------------------------------------------
# the Python actions
# ---------------------------------------------------------------------------------------------


def test_sdk_parsesVocabularyAndDurations():
    assert sdk.parse_rights(["streaming,remix"]) == STREAMING | REMIX
    assert sdk.describe_rights(STREAMING | REMIX) == "streaming, derivative"
    assert sdk.parse_duration("perpetual") == 0
    assert sdk.parse_duration("30d") == 30 * DAY
    with pytest.raises(TuttiError, match="unknown right 'karaoke'"):
        sdk.parse_rights(["karaoke"])
    with pytest.raises(TuttiError, match="is not a duration"):
        sdk.parse_duration("soon")
