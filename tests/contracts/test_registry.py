"""ContentRegistry: registration, its splits and wallets, every revert, governance-only setters,
EIP-2981 / ERC-165, royalties through the wallet, and derivatives paying their sources."""

from __future__ import annotations

import pytest
from ape import chain
from ape.exceptions import ContractLogicError
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

from tutti import royalties
from tutti.royalties import ETH
from tutti.works import Share, register_work
ETHER = 10**18
USD = 10**6
CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"


def content(label: str) -> bytes:
    return keccak(text=label)


def registration(contributors, *, cid=CID, content_hash=None, license="CC-BY-4.0", royalty_bps=1_000, parents=()):
    """The `Registration` struct as a tuple; contributors and parents are (holder, bps) pairs."""
    return (
        cid,
        content_hash if content_hash is not None else content(f"{cid}/{contributors}/{parents}"),
        license,
        royalty_bps,
        [(getattr(holder, "address", holder), bps) for holder, bps in contributors],
        [(work_id, bps) for work_id, bps in parents],
    )


def commit_and_register(registry, entry, *, sender, value=0):
    """The honest flow: commit to the content hash, then register in the next block."""
    registry.commitRegistration(registry.registrationCommitment(sender.address, entry[1]), sender=sender)
    return registry.register(entry, sender=sender, value=value)


def wallet_address(registry, splitter, project, split_id: int) -> str:
    """The CREATE2 address of a work's SplitWallet: deployer registry, salt the split id,
    init code the wallet's creation code with (splitter, splitId)."""
    creation = bytes.fromhex(project.SplitWallet.contract_type.deployment_bytecode.bytecode.removeprefix("0x"))
    init_code = creation + abi_encode(["address", "uint256"], [splitter.address, split_id])
    digest = keccak(b"\xff" + bytes.fromhex(registry.address[2:]) + split_id.to_bytes(32, "big") + keccak(init_code))
    return to_checksum_address(digest[12:])


@pytest.fixture
def song(tutti, artist, producer):
    """An original work: artist 70%, producer 30%, 10% EIP-2981 royalty."""
    return register_work(
        tutti,
        artist,
        metadata_cid=CID,
        content_hash=content("song"),
        contributors=[Share(artist.address, 7_000), Share(producer.address, 3_000)],
    )


@pytest.fixture
def with_fee(registry, timelock_account):
    """Governance has set a registration fee of 0.01 ETH."""
    registry.setRegistrationFee(ETHER // 100, sender=timelock_account)
    return ETHER // 100


# ---------------------------------------------------------------------------------------------
# register: success
# ---------------------------------------------------------------------------------------------


def test_register_succeedsIfRegistrationValid(registry, splitter, artist, producer, vocalist, project):
    entry = registration([(artist, 5_000), (producer, 3_000), (vocalist, 2_000)], royalty_bps=750)

    receipt = commit_and_register(registry, entry, sender=artist)

    event = receipt.decode_logs(registry.WorkRegistered)[0]
    work_id, split_id, wallet = event.workId, event.splitId, event.wallet
    assert work_id == registry.workCount() == 1
    assert split_id == splitter.splitCount()
    assert receipt.events.filter(registry.WorkRegistered) == [
        registry.WorkRegistered(
            workId=work_id,
            artist=artist.address,
            contentHash=entry[1],
            metadataCid=CID,
            splitId=split_id,
            wallet=wallet,
            license="CC-BY-4.0",
            royaltyBps=750,
        )
    ]
    assert registry.Transfer(**{"from": ETH, "to": artist.address, "tokenId": work_id}) in receipt.events
    assert registry.ownerOf(work_id) == artist.address
    assert registry.balanceOf(artist) == 1
    assert registry.tokenURI(work_id) == f"ipfs://{CID}"
    assert registry.workIdByContentHash(entry[1]) == work_id

    stored = registry.work(work_id)
    assert (stored.metadataCid, stored.contentHash, stored.license, stored.royaltyBps) == (CID, entry[1], "CC-BY-4.0", 750)
    assert (stored.splitId, stored.wallet) == (split_id, wallet)
    assert stored.registeredAt == chain.blocks[receipt.block_number].timestamp
    assert registry.parentsOf(work_id) == []

    # No parents: the contributors' shares are the split's shares, unscaled.
    assert splitter.recipientsOf(split_id) == ([artist.address, producer.address, vocalist.address], [5_000, 3_000, 2_000])
    assert splitter.parentsOf(split_id) == ([], [])

    # The wallet's address is fixed (CREATE2) but its code is only deployed when first needed.
    assert wallet == wallet_address(registry, splitter, project, split_id)
    assert chain.provider.get_code(wallet) == b""


def test_register_succeedsIfSharesScaledIntoOwnPortion(registry, splitter, artist, producer, vocalist, fan, song):
    # 80% is the remix's own: 3,333 / 3,333 / 3,334 of it are 2,666.4 / 2,666.4 / 2,667.2 bps,
    # rounded down to 2,666 / 2,666 / 2,667; the lost basis point goes to the first contributor.
    entry = registration([(producer, 3_333), (vocalist, 3_333), (fan, 3_334)], parents=[(song.work_id, 2_000)])

    receipt = commit_and_register(registry, entry, sender=vocalist)

    event = receipt.decode_logs(registry.WorkRegistered)[0]
    assert splitter.recipientsOf(event.splitId) == ([producer.address, vocalist.address, fan.address], [2_667, 2_666, 2_667])
    assert splitter.parentsOf(event.splitId) == ([song.split_id], [2_000])
    assert registry.parentsOf(event.workId) == [(song.work_id, 2_000)]
    assert receipt.events.filter(registry.DerivativeRegistered) == [
        registry.DerivativeRegistered(workId=event.workId, parentWorkId=song.work_id, shareBps=2_000)
    ]
    assert registry.ownerOf(event.workId) == vocalist.address


def test_register_succeedsIfFeeCreditedThenWithdrawnToTreasury(tutti, registry, artist, fan, with_fee):
    treasury = registry.treasury()
    assert treasury == tutti.timelock.address
    before = tutti.timelock.balance

    commit_and_register(registry, registration([(artist, 10_000)]), sender=artist, value=with_fee)
    assert registry.pendingRegistrationFees() == registry.balance == with_fee

    receipt = registry.withdrawRegistrationFees(sender=fan)  # anyone may trigger the payment

    assert receipt.events == [registry.RegistrationFeesWithdrawn(treasury=treasury, amount=with_fee)]
    assert tutti.timelock.balance - before == with_fee
    assert registry.balance == registry.pendingRegistrationFees() == 0


def test_withdrawRegistrationFees_failsIfNothingPending(registry, fan, reverts):
    with reverts(registry.NoRegistrationFees):
        registry.withdrawRegistrationFees(sender=fan)


def test_setRegistrationFee_failsIfAboveBound(registry, timelock_account, reverts):
    """Issue 12, item 5: a huge fee voted in would stop every registration."""
    maximum = registry.MAX_REGISTRATION_FEE()
    with reverts(registry.RegistrationFeeTooHigh, fee=maximum + 1, max=maximum):
        registry.setRegistrationFee(maximum + 1, sender=timelock_account)
    registry.setRegistrationFee(maximum, sender=timelock_account)


# ---------------------------------------------------------------------------------------------
# register: failures
# ---------------------------------------------------------------------------------------------


def test_register_failsIfFeeSentWhenFree(registry, artist, reverts):
    assert registry.registrationFee() == 0
    with reverts(registry.WrongRegistrationFee, sent=1, required=0):
        registry.register(registration([(artist, 10_000)]), sender=artist, value=1)


@pytest.mark.parametrize("sent", [0, ETHER // 100 - 1, ETHER // 100 + 1])
def test_register_failsIfFeeWrong(registry, artist, with_fee, sent, reverts):
    with reverts(registry.WrongRegistrationFee, sent=sent, required=with_fee):
        registry.register(registration([(artist, 10_000)]), sender=artist, value=sent)


def test_register_succeedsIfTreasuryRejectsFee(tutti, registry, artist, fan, with_fee, timelock_account,
                                               rejecting_recipient, reverts):
    """Issue 12, item 5: a treasury that refuses ETH used to stop every registration."""
    registry.setTreasury(rejecting_recipient, sender=timelock_account)
    receipt = commit_and_register(registry, registration([(artist, 10_000)]), sender=artist, value=with_fee)
    assert registry.ownerOf(receipt.decode_logs(registry.WorkRegistered)[0].workId) == artist.address

    with reverts(registry.FeeTransferFailed, treasury=rejecting_recipient.address, amount=with_fee):
        registry.withdrawRegistrationFees(sender=fan)
    # The fees wait until governance names a treasury that takes them.
    registry.setTreasury(tutti.timelock.address, sender=timelock_account)
    assert registry.withdrawRegistrationFees(sender=fan).return_value == with_fee


def test_register_failsIfMetadataCidEmpty(registry, artist, reverts):
    with reverts(registry.EmptyMetadataCid):
        registry.register(registration([(artist, 10_000)], cid=""), sender=artist)


def test_register_failsIfContentHashEmpty(registry, artist, reverts):
    with reverts(registry.EmptyContentHash):
        registry.register(registration([(artist, 10_000)], content_hash=bytes(32)), sender=artist)


def test_register_failsIfContentAlreadyRegistered(registry, producer, song, reverts):
    with reverts(registry.ContentAlreadyRegistered, contentHash=content("song"), workId=song.work_id):
        registry.register(registration([(producer, 10_000)], content_hash=content("song")), sender=producer)


def test_register_failsIfNoContributors(registry, artist, reverts):
    with reverts(registry.InvalidContributorCount, count=0, max=50):
        registry.register(registration([]), sender=artist)


def test_register_failsIfTooManyContributors(registry, artist, reverts):
    assert registry.maxContributors() == 50
    crowd = [(f"0x{i:040x}", 1) for i in range(2_000, 2_050)] + [(artist, 10_000 - 50)]
    with reverts(registry.InvalidContributorCount, count=51, max=50):
        registry.register(registration(crowd), sender=artist)


def test_register_failsIfTooManyParents(registry, artist, song, reverts):
    assert registry.maxParents() == 8
    parents = [(song.work_id, 1)] * 9
    with reverts(registry.TooManyParents, count=9, max=8):
        registry.register(registration([(artist, 10_000)], parents=parents), sender=artist)


@pytest.mark.parametrize("shares, total", [((5_000, 4_999), 9_999), ((5_000, 5_001), 10_001)])
def test_register_failsIfContributorSharesDoNotSumToTotal(registry, artist, producer, shares, total, reverts):
    with reverts(registry.ContributorSharesDoNotSumToTotal, sum=total):
        registry.register(registration([(artist, shares[0]), (producer, shares[1])]), sender=artist)


def test_register_failsIfUpstreamShareTooHigh(tutti, registry, artist, producer, song, reverts):
    other = register_work(
        tutti, producer, metadata_cid=CID, content_hash=content("other"), contributors=[Share(producer.address, 10_000)]
    )
    parents = [(song.work_id, 2_500), (other.work_id, 2_501)]
    with reverts(registry.UpstreamShareTooHigh, sum=5_001, max=5_000):
        registry.register(registration([(artist, 10_000)], parents=parents), sender=artist)


def test_register_failsIfRoyaltyTooHigh(registry, artist, reverts):
    with reverts(registry.RoyaltyTooHigh, bps=2_501, max=2_500):
        registry.register(registration([(artist, 10_000)], royalty_bps=2_501), sender=artist)


@pytest.mark.parametrize("offset", [None, 2])
def test_register_failsIfParentUnknown(registry, artist, song, offset, reverts):
    parent = 0 if offset is None else registry.workCount() + offset
    with reverts(registry.UnknownWork, workId=parent):
        registry.register(registration([(artist, 10_000)], parents=[(parent, 1_000)]), sender=artist)


def test_register_failsIfParentIsTheWorkBeingRegistered(registry, splitter, artist, song, reverts):
    own_id = registry.workCount() + 1
    with reverts(registry.UnknownWork, workId=own_id):
        registry.register(registration([(artist, 10_000)], parents=[(own_id, 1_000)]), sender=artist)


def test_register_failsIfContributorShareRoundsToNothing(registry, artist, producer, song, reverts):
    # 1 bps of an 80% portion is 0.8 bps of the work's income: refused with the reason.
    entry = registration([(artist, 9_999), (producer, 1)], parents=[(song.work_id, 2_000)])
    with reverts(registry.ContributorShareTooSmall, account=producer.address, shareBps=1, portionBps=8_000):
        registry.register(entry, sender=producer)


def test_register_succeedsIfSmallContributorKeepsABasisPoint(registry, splitter, artist, producer, song):
    # 2 bps of an 80% portion is 1.6 bps: rounded down to 1, the lost 0.6 goes to the first contributor.
    entry = registration([(artist, 9_998), (producer, 2)], parents=[(song.work_id, 2_000)])
    receipt = commit_and_register(registry, entry, sender=producer)
    split_id = receipt.decode_logs(registry.WorkRegistered)[0].splitId
    accounts, shares = splitter.recipientsOf(split_id)
    assert dict(zip(accounts, shares)) == {artist.address: 7_999, producer.address: 1}


def test_register_failsIfDerivativeCreatesInvalidSplit(registry, splitter, artist, song, reverts):
    # The splitter's own checks still apply: the same account twice is rejected.
    with reverts(splitter.DuplicateRecipient, account=artist.address):
        registry.register(registration([(artist, 5_000), (artist, 5_000)]), sender=artist)


# ---------------------------------------------------------------------------------------------
# Views of unknown works
# ---------------------------------------------------------------------------------------------


@pytest.fixture(params=["zero", "future"])
def unknown_work(request, song):
    return 0 if request.param == "zero" else song.work_id + 1


@pytest.mark.parametrize("view, args", [("work", ()), ("parentsOf", ()), ("tokenURI", ()), ("royaltyInfo", (ETHER,))])
def test_views_failIfWorkUnknown(registry, unknown_work, view, args, reverts):
    with reverts(registry.UnknownWork, workId=unknown_work):
        getattr(registry, view)(unknown_work, *args)


def test_workIdByContentHash_succeedsIfUnknownHashGivesZero(registry, song):
    assert registry.workIdByContentHash(content("never registered")) == 0
    assert registry.workIdByContentHash(content("song")) == song.work_id


# ---------------------------------------------------------------------------------------------
# setMetadataCid
# ---------------------------------------------------------------------------------------------


def test_setMetadataCid_failsIfCallerNotOwner(registry, producer, song, reverts):
    with reverts(registry.NotWorkOwner, workId=song.work_id, caller=producer.address):
        registry.setMetadataCid(song.work_id, "bafynew", sender=producer)


def test_setMetadataCid_failsIfWorkUnknown(registry, artist, song, reverts):
    with reverts(registry.NotWorkOwner, workId=song.work_id + 1, caller=artist.address):
        registry.setMetadataCid(song.work_id + 1, "bafynew", sender=artist)


def test_setMetadataCid_failsIfCidEmpty(registry, artist, song, reverts):
    with reverts(registry.EmptyMetadataCid):
        registry.setMetadataCid(song.work_id, "", sender=artist)


def test_setMetadataCid_succeedsIfOwner(registry, artist, producer, song):
    receipt = registry.setMetadataCid(song.work_id, "bafynew", sender=artist)

    assert receipt.events == [
        registry.WorkMetadataChanged(workId=song.work_id, metadataCid="bafynew"),
        registry.MetadataUpdate(_tokenId=song.work_id),
    ]
    assert registry.tokenURI(song.work_id) == "ipfs://bafynew"


def test_setMetadataCid_succeedsIfTokenTransferred(registry, artist, producer, song, reverts):
    registry.transferFrom(artist, producer, song.work_id, sender=artist)

    registry.setMetadataCid(song.work_id, "bafymoved", sender=producer)

    assert registry.tokenURI(song.work_id) == "ipfs://bafymoved"
    with reverts(registry.NotWorkOwner, workId=song.work_id, caller=artist.address):
        registry.setMetadataCid(song.work_id, "bafyback", sender=artist)


# ---------------------------------------------------------------------------------------------
# Governance-only setters
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "setter, args",
    [("setRegistrationFee", (1,)), ("setLimits", (10, 2, 1_000, 500)), ("setTreasury", ("0x" + "11" * 20,))],
)
def test_setters_failIfCallerNotOwner(registry, artist, setter, args, reverts):
    with reverts(registry.OwnableUnauthorizedAccount, account=artist.address):
        getattr(registry, setter)(*args, sender=artist)


@pytest.mark.parametrize(
    "limits, name, value, maximum",
    [
        ((0, 8, 5_000, 2_500), "maxContributors", 0, 500),
        ((501, 8, 5_000, 2_500), "maxContributors", 501, 500),
        ((50, 17, 5_000, 2_500), "maxParents", 17, 16),
        ((50, 8, 10_000, 2_500), "maxUpstreamBps", 10_000, 9_999),
        ((50, 8, 5_000, 10_001), "maxRoyaltyBps", 10_001, 10_000),
    ],
)
def test_setLimits_failsIfOutOfRange(registry, timelock_account, limits, name, value, maximum, reverts):
    with reverts(registry.LimitOutOfRange, name=name, value=value, max=maximum):
        registry.setLimits(*limits, sender=timelock_account)


def test_setLimits_succeedsIfGovernanceWithinRange(registry, artist, timelock_account):
    receipt = registry.setLimits(500, 16, 9_999, 10_000, sender=timelock_account)

    assert receipt.events == [
        registry.LimitsChanged(maxContributors=500, maxParents=16, maxUpstreamBps=9_999, maxRoyaltyBps=10_000)
    ]
    assert (registry.maxContributors(), registry.maxParents(), registry.maxUpstreamBps(), registry.maxRoyaltyBps()) == (
        500,
        16,
        9_999,
        10_000,
    )
    commit_and_register(registry, registration([(artist, 10_000)], royalty_bps=10_000), sender=artist)


def test_setTreasury_failsIfZeroAddress(registry, timelock_account, reverts):
    with reverts(registry.ZeroTreasury):
        registry.setTreasury(ETH, sender=timelock_account)


def test_setTreasury_succeedsIfGovernance(tutti, registry, fan, timelock_account):
    receipt = registry.setTreasury(fan, sender=timelock_account)

    assert receipt.events == [registry.TreasuryChanged(oldTreasury=tutti.timelock.address, newTreasury=fan.address)]
    assert registry.treasury() == fan.address


def test_setRegistrationFee_succeedsIfGovernance(registry, timelock_account):
    receipt = registry.setRegistrationFee(123, sender=timelock_account)

    assert receipt.events == [registry.RegistrationFeeChanged(oldFee=0, newFee=123)]
    assert registry.registrationFee() == 123


# ---------------------------------------------------------------------------------------------
# EIP-2981, ERC-165
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("price, royalty", [(ETHER, ETHER // 10), (12_345, 1_234), (9, 0), (0, 0)])
def test_royaltyInfo_succeedsIfWorkExists(registry, song, price, royalty):
    assert registry.royaltyInfo(song.work_id, price) == (song.wallet, royalty)


@pytest.mark.parametrize(
    "interface_id, supported",
    [
        ("0x01ffc9a7", True),  # ERC-165
        ("0x80ac58cd", True),  # ERC-721
        ("0x5b5e139f", True),  # ERC-721 metadata
        ("0x2a55205a", True),  # ERC-2981
        ("0x49064906", True),  # ERC-4906
        ("0xffffffff", False),
        ("0x780e9d63", False),  # ERC-721 enumerable
    ],
)
def test_supportsInterface_succeedsIfStandardImplemented(registry, interface_id, supported):
    assert registry.supportsInterface(interface_id) is supported


# ---------------------------------------------------------------------------------------------
# Royalties through the wallet
# ---------------------------------------------------------------------------------------------


def test_deployWallet_succeedsIfWorkExists(registry, splitter, project, fan, song):
    receipt = registry.deployWallet(song.work_id, sender=fan)

    assert receipt.events.filter(registry.WalletDeployed) == [registry.WalletDeployed(workId=song.work_id, wallet=song.wallet)]
    wallet = project.SplitWallet.at(song.wallet)
    assert (wallet.splitter(), wallet.splitId()) == (splitter.address, song.split_id)

    # Deploying again is a no-op: same address, no event.
    again = registry.deployWallet(song.work_id, sender=fan)
    assert again.events.filter(registry.WalletDeployed) == []
    assert project.SplitWallet.at(song.wallet).splitId() == song.split_id


@pytest.mark.parametrize("call, args", [("deployWallet", ()), ("flushWallet", (ETH,))])
def test_walletFunctions_failIfWorkUnknown(registry, fan, song, call, args, reverts):
    with reverts(registry.UnknownWork, workId=song.work_id + 1):
        getattr(registry, call)(song.work_id + 1, *args, sender=fan)


def test_wallet_succeedsIfPlainETHTransferBeforeDeploymentIsFlushedIntoSplit(splitter, registry, fan, artist, producer, song):
    fan.transfer(song.wallet, ETHER)  # a marketplace pays the EIP-2981 receiver
    assert chain.provider.get_balance(song.wallet) == ETHER
    assert splitter.totalReceived(song.split_id, ETH) == 0

    receipt = registry.flushWallet(song.work_id, ETH, sender=fan)

    assert receipt.decode_logs(splitter.Deposited) == [
        splitter.Deposited(splitId=song.split_id, token=ETH, **{"from": song.wallet}, amount=ETHER)
    ]
    assert chain.provider.get_balance(song.wallet) == 0
    assert splitter.withdrawable(song.split_id, ETH, artist) == 7 * ETHER // 10
    assert splitter.withdrawable(song.split_id, ETH, producer) == 3 * ETHER // 10


def test_wallet_succeedsIfPlainETHTransferAfterDeploymentLandsInSplit(splitter, registry, fan, artist, producer, song):
    registry.deployWallet(song.work_id, sender=fan)

    receipt = fan.transfer(song.wallet, ETHER)

    assert receipt.decode_logs(splitter.Deposited) == [
        splitter.Deposited(splitId=song.split_id, token=ETH, **{"from": song.wallet}, amount=ETHER)
    ]
    assert splitter.totalReceived(song.split_id, ETH) == ETHER
    assert chain.provider.get_balance(song.wallet) == 0
    assert splitter.withdrawable(song.split_id, ETH, artist) == 7 * ETHER // 10
    assert splitter.withdrawable(song.split_id, ETH, producer) == 3 * ETHER // 10


def test_flush_succeedsIfWalletHoldsTokens(project, registry, splitter, stablecoin, fan, artist, producer, song):
    registry.deployWallet(song.work_id, sender=fan)
    wallet = project.SplitWallet.at(song.wallet)
    stablecoin.mint(wallet, 100 * USD, sender=fan)

    receipt = wallet.flush(stablecoin, sender=fan)

    assert receipt.events.filter(splitter.Deposited) == [
        splitter.Deposited(splitId=song.split_id, token=stablecoin.address, **{"from": wallet.address}, amount=100 * USD)
    ]
    assert stablecoin.balanceOf(wallet) == 0
    assert stablecoin.balanceOf(splitter) == 100 * USD
    assert splitter.withdrawable(song.split_id, stablecoin, artist) == 70 * USD
    assert splitter.withdrawable(song.split_id, stablecoin, producer) == 30 * USD


def test_flushWallet_succeedsIfUndeployedWalletHoldsTokens(registry, splitter, stablecoin, fan, artist, song):
    stablecoin.mint(song.wallet, 5 * USD, sender=fan)

    registry.flushWallet(song.work_id, stablecoin, sender=fan)

    assert chain.provider.get_code(song.wallet) != b""
    assert splitter.totalReceived(song.split_id, stablecoin) == 5 * USD
    assert splitter.withdrawable(song.split_id, stablecoin, artist) == 3_500_000


@pytest.mark.parametrize("token", ["ETH", "stablecoin"])
def test_flush_failsIfWalletEmpty(project, registry, stablecoin, fan, song, token, reverts):
    registry.deployWallet(song.work_id, sender=fan)
    wallet = project.SplitWallet.at(song.wallet)
    address = ETH if token == "ETH" else stablecoin.address
    with reverts(wallet.NothingToFlush, token=address):
        wallet.flush(address, sender=fan)


# ---------------------------------------------------------------------------------------------
# Derivatives
# ---------------------------------------------------------------------------------------------


def test_derivative_succeedsIfParentContributorsPaidTheirCut(tutti, splitter, artist, producer, vocalist, fan, song):
    remix = register_work(
        tutti,
        vocalist,
        metadata_cid=CID,
        content_hash=content("remix"),
        contributors=[Share(vocalist.address, 10_000)],
        parents=[Share(str(song.work_id), 2_000)],
    )
    fan.transfer(remix.wallet, ETHER)  # a marketplace pays the remix's EIP-2981 receiver
    tutti.registry.flushWallet(remix.work_id, ETH, sender=fan)

    assert royalties.forward_upstream(tutti, fan, remix.work_id) == {song.work_id: ETHER // 5}

    # The parent's contributors share the 20% upstream cut 70 / 30; the remixer keeps 80%.
    expected = {artist: 14 * ETHER // 100, producer: 6 * ETHER // 100}
    for account, amount in expected.items():
        before = account.balance
        assert royalties.withdraw(tutti, fan, song.work_id, account=account.address) == amount
        assert account.balance - before == amount
    before = vocalist.balance
    assert royalties.withdraw(tutti, fan, remix.work_id, account=vocalist.address) == 8 * ETHER // 10
    assert vocalist.balance - before == 8 * ETHER // 10
    assert splitter.balance == 0
