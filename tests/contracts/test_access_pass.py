"""AccessPass: rooms, sales paying the host's split and the platform fee, supply caps, the validity
window, non-transferable passes, revocation, every revert, and the governance-owned fee."""

from __future__ import annotations

from contextlib import contextmanager

import ape
import pytest
from ape import chain
from eth_abi import decode
from eth_utils import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutti import governance as dao
from tutti import passes as pass_sdk
from tutti.errors import TuttiError
from tutti.royalties import ETH

ETHER = 10**18
PRICE = ETHER // 100
CID = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"
HOUR = 3_600
ERC1155_INTERFACE = "0xd9b67a26"
ERC1155_METADATA_URI_INTERFACE = "0x0e89341c"


@pytest.fixture(scope="session")
def passes(tutti):
    return tutti.passes


@pytest.fixture(scope="session")
def host(artist):
    return artist


@pytest.fixture
def host_split(splitter, host, producer):
    """The host's band: host 70%, producer 30%."""
    receipt = splitter.createSplit([host, producer], [7_000, 3_000], [], [], sender=host)
    return receipt.decode_logs(splitter.SplitCreated)[0].splitId


def open_room(passes, host, split_id, *, price=PRICE, cap=100, starts_in=0, lasts=2 * HOUR, transferable=True,
              cid=CID) -> tuple[int, int, int]:
    """Create a room whose window starts `starts_in` seconds from now; returns (roomId, validFrom, validUntil)."""
    valid_from = chain.pending_timestamp + starts_in
    valid_until = valid_from + lasts
    receipt = passes.createRoom(price, cap, valid_from, valid_until, transferable, split_id, cid, sender=host)
    return receipt.decode_logs(passes.RoomCreated)[0].roomId, valid_from, valid_until


@pytest.fixture
def live_room(passes, host, host_split):
    """A transferable room, valid now for two hours, 0.01 ETH a pass, 3 passes at most."""
    room_id, _, _ = open_room(passes, host, host_split, cap=3)
    return room_id


@pytest.fixture
def soulbound_room(passes, host, host_split):
    room_id, _, _ = open_room(passes, host, host_split, transferable=False)
    return room_id


def at(timestamp: int):
    """Mine a block at `timestamp`, so views see exactly that time."""
    chain.pending_timestamp = timestamp
    chain.mine()


# ---------------------------------------------------------------------------------------------
# deployment
# ---------------------------------------------------------------------------------------------


def test_deploy_succeedsWithTimelockOwningFeeAndTreasury(tutti, passes, deploy_params):
    assert tutti.book.address("AccessPass") == passes.address
    assert passes.owner() == tutti.timelock.address
    assert passes.treasury() == tutti.timelock.address
    assert passes.platformFeeBps() == deploy_params.platform_fee_bps == 500
    assert passes.splitter() == tutti.splitter.address
    assert passes.MAX_PLATFORM_FEE_BPS() == 2_000
    assert (passes.name(), passes.symbol()) == ("Tutti Access Passes", "PASS")
    assert passes.roomCount() == 0
    assert passes.supportsInterface(ERC1155_INTERFACE)
    assert passes.supportsInterface(ERC1155_METADATA_URI_INTERFACE)


@contextmanager
def deployment_reverts(error, **inputs):
    """Like the `reverts` fixture for a constructor, whose revert data ape hands over as bare hex."""
    with ape.reverts() as info:
        yield
    data = bytes.fromhex(info.value.revert_message.removeprefix("0x"))
    assert data[:4] == keccak(text=error.abi.selector)[:4], f"expected {error.abi.selector}, got 0x{data[:4].hex()}"
    values = decode([arg.canonical_type for arg in error.abi.inputs], data[4:])
    assert {arg.name: value for arg, value in zip(error.abi.inputs, values)} == inputs


def test_deploy_failsIfFeeTooHigh(tutti, deployer, project, passes):
    with deployment_reverts(passes.PlatformFeeTooHigh, bps=2_001, max=2_000):
        deployer.deploy(project.AccessPass, tutti.timelock, tutti.splitter, tutti.timelock, 2_001)


@pytest.mark.parametrize("which", ["splitter", "treasury"])
def test_deploy_failsIfSplitterOrTreasuryZero(tutti, deployer, project, passes, which):
    splitter = ETH if which == "splitter" else tutti.splitter
    treasury = ETH if which == "treasury" else tutti.timelock
    with deployment_reverts(passes.ZeroAddress):
        deployer.deploy(project.AccessPass, tutti.timelock, splitter, treasury, 500)


# ---------------------------------------------------------------------------------------------
# createRoom
# ---------------------------------------------------------------------------------------------


def test_createRoom_succeedsIfValid(passes, host, host_split):
    valid_from = chain.pending_timestamp + HOUR
    valid_until = valid_from + 2 * HOUR

    receipt = passes.createRoom(PRICE, 50, valid_from, valid_until, False, host_split, CID, sender=host)

    assert receipt.events.filter(passes.RoomCreated) == [
        passes.RoomCreated(
            roomId=1, host=host.address, hostSplitId=host_split, price=PRICE, supplyCap=50, validFrom=valid_from,
            validUntil=valid_until, transferable=False, metadataCid=CID,
        )
    ]
    assert passes.roomCount() == 1
    assert passes.room(1) == (host.address, host_split, PRICE, 50, 0, valid_from, valid_until, False, CID)
    assert passes.uri(1) == f"ipfs://{CID}"


def test_createRoom_succeedsIfWindowStartedAlreadyOrPassesFree(passes, host, host_split):
    valid_from = chain.pending_timestamp - HOUR
    passes.createRoom(0, 1, valid_from, valid_from + 2 * HOUR, True, host_split, CID, sender=host)
    assert passes.room(1).validFrom == valid_from


@pytest.mark.parametrize("split_id", [0, 1_000])
def test_createRoom_failsIfSplitUnknown(passes, host, split_id, reverts):
    now = chain.pending_timestamp
    with reverts(passes.UnknownHostSplit, splitId=split_id):
        passes.createRoom(PRICE, 10, now, now + HOUR, True, split_id, CID, sender=host)


def test_createRoom_failsIfSupplyCapZero(passes, host, host_split, reverts):
    now = chain.pending_timestamp
    with reverts(passes.ZeroSupplyCap):
        passes.createRoom(PRICE, 0, now, now + HOUR, True, host_split, CID, sender=host)


def test_createRoom_failsIfMetadataCidEmpty(passes, host, host_split, reverts):
    now = chain.pending_timestamp
    with reverts(passes.EmptyMetadataCid):
        passes.createRoom(PRICE, 10, now, now + HOUR, True, host_split, "", sender=host)


@pytest.mark.parametrize("length", [0, -1])
def test_createRoom_failsIfWindowEmptyOrReversed(passes, host, host_split, length, reverts):
    start = chain.pending_timestamp + HOUR
    with reverts(passes.InvalidWindow, validFrom=start, validUntil=start + length):
        passes.createRoom(PRICE, 10, start, start + length, True, host_split, CID, sender=host)


def test_createRoom_failsIfWindowAlreadyOver(passes, host, host_split, reverts):
    now = chain.pending_timestamp
    chain.pending_timestamp = now  # the transaction is mined at exactly `now`
    with reverts(passes.WindowAlreadyOver, validUntil=now, currentTime=now):
        passes.createRoom(PRICE, 10, now - HOUR, now, True, host_split, CID, sender=host)


# ---------------------------------------------------------------------------------------------
# buyPass: success
# ---------------------------------------------------------------------------------------------


def test_buyPass_succeedsIfPaidPayingHostSplitAndAccruingFee(passes, splitter, host, producer, host_split, live_room,
                                                            fan, vocalist):
    fee = PRICE * 500 // 10_000
    received_before = splitter.totalReceived(host_split, ETH)

    receipt = passes.buyPass(live_room, vocalist, sender=fan, value=PRICE)

    assert receipt.events.filter(passes.PassBought) == [
        passes.PassBought(roomId=live_room, buyer=fan.address, to=vocalist.address, price=PRICE, platformFee=fee)
    ]
    assert passes.TransferSingle(operator=fan.address, to=vocalist.address, id=live_room, value=1) in receipt.events
    assert splitter.Deposited(splitId=host_split, token=ETH, **{"from": passes.address}, amount=PRICE - fee) in (
        receipt.events
    )
    # Exactly price - fee reaches the host's split, divided 70/30; the fee waits here for the treasury.
    assert splitter.totalReceived(host_split, ETH) - received_before == PRICE - fee
    assert splitter.withdrawable(host_split, ETH, host) == (PRICE - fee) * 7 // 10
    assert splitter.withdrawable(host_split, ETH, producer) == (PRICE - fee) * 3 // 10
    assert passes.pendingPlatformFees() == fee
    assert passes.balance == fee
    assert passes.balanceOf(vocalist, live_room) == 1
    assert passes.balanceOf(fan, live_room) == 0
    assert passes.room(live_room).sold == 1
    assert passes.hasValidPass(live_room, vocalist)
    assert not passes.hasValidPass(live_room, fan)


def test_withdrawPlatformFees_succeedsPayingTreasuryTheFees(tutti, passes, live_room, fan):
    passes.buyPass(live_room, fan, sender=fan, value=PRICE)
    passes.buyPass(live_room, fan, sender=fan, value=PRICE)
    fees = 2 * (PRICE * 500 // 10_000)
    treasury_before = tutti.timelock.balance

    receipt = passes.withdrawPlatformFees(sender=fan)  # anyone may trigger it

    assert receipt.events.filter(passes.PlatformFeesWithdrawn) == [
        passes.PlatformFeesWithdrawn(treasury=tutti.timelock.address, amount=fees)
    ]
    assert tutti.timelock.balance - treasury_before == fees
    assert passes.pendingPlatformFees() == 0
    assert passes.balance == 0


def test_buyPass_succeedsIfFreeWithoutAnyDeposit(passes, splitter, host, host_split, fan):
    room_id, _, _ = open_room(passes, host, host_split, price=0)

    receipt = passes.buyPass(room_id, fan, sender=fan)

    assert receipt.events.filter(passes.PassBought)[0].platformFee == 0
    assert receipt.events.filter(splitter.Deposited) == []
    assert splitter.totalReceived(host_split, ETH) == 0
    assert passes.hasValidPass(room_id, fan)


def test_buyPass_succeedsUpToSupplyCapThenSoldOut(passes, live_room, fan, reverts):
    for _ in range(3):
        passes.buyPass(live_room, fan, sender=fan, value=PRICE)
    assert passes.room(live_room).sold == 3
    assert passes.balanceOf(fan, live_room) == 3
    with reverts(passes.SoldOut, roomId=live_room, supplyCap=3):
        passes.buyPass(live_room, fan, sender=fan, value=PRICE)


def test_buyPass_succeedsBeforeWindowButPassValidOnlyWithinIt(passes, host, host_split, fan, reverts):
    room_id, valid_from, valid_until = open_room(passes, host, host_split, starts_in=HOUR)

    passes.buyPass(room_id, fan, sender=fan, value=PRICE)  # presale
    assert not passes.hasValidPass(room_id, fan)

    at(valid_from - 1)
    assert not passes.hasValidPass(room_id, fan)
    at(valid_from)
    assert passes.hasValidPass(room_id, fan)

    chain.pending_timestamp = valid_until  # the last second still sells and admits
    passes.buyPass(room_id, fan, sender=fan, value=PRICE)
    assert passes.hasValidPass(room_id, fan)

    at(valid_until + 1)
    assert not passes.hasValidPass(room_id, fan)
    with reverts(passes.SaleEnded, roomId=room_id, validUntil=valid_until):
        passes.buyPass(room_id, fan, sender=fan, value=PRICE)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(price=st.one_of(st.integers(1, 10_000), st.integers(1, 10**22)), fee_bps=st.integers(0, 2_000))
def test_buyPass_succeedsSplittingAnyPriceExactly(passes, splitter, host, host_split, fan, timelock_account, price,
                                                  fee_bps):
    snapshot_id = chain.snapshot()
    try:
        passes.setPlatformFee(fee_bps, sender=timelock_account)
        room_id, _, _ = open_room(passes, host, host_split, price=price)
        chain.provider.set_balance(fan.address, price + ETHER)
        received_before = splitter.totalReceived(host_split, ETH)
        pending_before = passes.pendingPlatformFees()

        receipt = passes.buyPass(room_id, fan, sender=fan, value=price)

        fee = price * fee_bps // 10_000  # rounded down: the host keeps the dust
        assert receipt.events.filter(passes.PassBought)[0].platformFee == fee
        assert splitter.totalReceived(host_split, ETH) - received_before == price - fee
        assert passes.pendingPlatformFees() - pending_before == fee
    finally:
        chain.restore(snapshot_id)


# ---------------------------------------------------------------------------------------------
# buyPass: failures
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("room_id", [0, 7])
def test_buyPass_failsIfRoomUnknown(passes, fan, room_id, reverts):
    with reverts(passes.UnknownRoom, roomId=room_id):
        passes.buyPass(room_id, fan, sender=fan, value=PRICE)


@pytest.mark.parametrize("sent", [0, PRICE - 1, PRICE + 1])
def test_buyPass_failsIfPaymentWrong(passes, live_room, fan, sent, reverts):
    with reverts(passes.WrongPayment, roomId=live_room, sent=sent, price=PRICE):
        passes.buyPass(live_room, fan, sender=fan, value=sent)


def test_buyPass_failsIfPaymentSentForFreePass(passes, host, host_split, fan, reverts):
    room_id, _, _ = open_room(passes, host, host_split, price=0)
    with reverts(passes.WrongPayment, roomId=room_id, sent=1, price=0):
        passes.buyPass(room_id, fan, sender=fan, value=1)


def test_buyPass_failsIfRecipientZero(passes, live_room, fan, reverts):
    with reverts(passes.ZeroAddress):
        passes.buyPass(live_room, ETH, sender=fan, value=PRICE)


def test_buyPass_failsIfRecipientRefusesTokens(passes, live_room, fan, rejecting_recipient, reverts):
    with reverts(passes.ERC1155InvalidReceiver, receiver=rejecting_recipient.address):
        passes.buyPass(live_room, rejecting_recipient, sender=fan, value=PRICE)


def test_buyPass_failsIfRecipientRevoked(passes, host, live_room, fan, vocalist, reverts):
    passes.revoke(live_room, vocalist, sender=host)
    with reverts(passes.AccountRevoked, roomId=live_room, account=vocalist.address):
        passes.buyPass(live_room, vocalist, sender=fan, value=PRICE)


# ---------------------------------------------------------------------------------------------
# transfers
# ---------------------------------------------------------------------------------------------


def test_transfer_succeedsIfTransferableMovingValidity(passes, live_room, fan, vocalist):
    passes.buyPass(live_room, fan, sender=fan, value=PRICE)

    passes.safeTransferFrom(fan, vocalist, live_room, 1, b"", sender=fan)

    assert passes.hasValidPass(live_room, vocalist)
    assert not passes.hasValidPass(live_room, fan)


def test_transfer_failsIfSoulbound(passes, soulbound_room, fan, vocalist, reverts):
    passes.buyPass(soulbound_room, fan, sender=fan, value=PRICE)
    with reverts(passes.NonTransferable, roomId=soulbound_room):
        passes.safeTransferFrom(fan, vocalist, soulbound_room, 1, b"", sender=fan)
    with reverts(passes.NonTransferable, roomId=soulbound_room):
        passes.safeBatchTransferFrom(fan, vocalist, [soulbound_room], [1], b"", sender=fan)
    assert passes.hasValidPass(soulbound_room, fan)


def test_transfer_failsIfBatchMixesTransferableAndSoulbound(passes, live_room, soulbound_room, fan, vocalist,
                                                            reverts):
    passes.buyPass(live_room, fan, sender=fan, value=PRICE)
    passes.buyPass(soulbound_room, fan, sender=fan, value=PRICE)
    with reverts(passes.NonTransferable, roomId=soulbound_room):
        passes.safeBatchTransferFrom(fan, vocalist, [live_room, soulbound_room], [1, 1], b"", sender=fan)


def test_transfer_failsIfRecipientRevoked(passes, host, live_room, fan, vocalist, reverts):
    passes.buyPass(live_room, fan, sender=fan, value=PRICE)
    passes.revoke(live_room, vocalist, sender=host)
    with reverts(passes.AccountRevoked, roomId=live_room, account=vocalist.address):
        passes.safeTransferFrom(fan, vocalist, live_room, 1, b"", sender=fan)


# ---------------------------------------------------------------------------------------------
# revoke
# ---------------------------------------------------------------------------------------------


def test_revoke_succeedsBurningPassesAndEndingValidity(passes, host, soulbound_room, fan):
    passes.buyPass(soulbound_room, fan, sender=fan, value=PRICE)
    passes.buyPass(soulbound_room, fan, sender=fan, value=PRICE)
    assert passes.hasValidPass(soulbound_room, fan)

    receipt = passes.revoke(soulbound_room, fan, sender=host)

    assert receipt.events.filter(passes.PassRevoked) == [
        passes.PassRevoked(roomId=soulbound_room, account=fan.address, amount=2)
    ]
    assert passes.TransferSingle(**{"from": fan.address, "to": ETH}, id=soulbound_room, value=2) in receipt.events
    assert passes.balanceOf(fan, soulbound_room) == 0
    assert passes.isRevoked(soulbound_room, fan)
    assert not passes.hasValidPass(soulbound_room, fan)
    assert passes.room(soulbound_room).sold == 2  # a revoked pass does not free a seat


def test_revoke_succeedsIfAccountHoldsNoPass(passes, host, live_room, vocalist):
    receipt = passes.revoke(live_room, vocalist, sender=host)
    assert receipt.events.filter(passes.PassRevoked)[0].amount == 0
    assert receipt.events.filter(passes.TransferSingle) == []
    assert passes.isRevoked(live_room, vocalist)


def test_revoke_failsIfRoomUnknown(passes, host, fan, reverts):
    with reverts(passes.UnknownRoom, roomId=5):
        passes.revoke(5, fan, sender=host)


def test_revoke_failsIfCallerNotHost(passes, live_room, fan, producer, reverts):
    passes.buyPass(live_room, fan, sender=fan, value=PRICE)
    with reverts(passes.NotHost, roomId=live_room, caller=producer.address):
        passes.revoke(live_room, fan, sender=producer)


def test_revoke_failsIfAccountZero(passes, host, live_room, reverts):
    with reverts(passes.ZeroAddress):
        passes.revoke(live_room, ETH, sender=host)


def test_revoke_failsIfAlreadyRevoked(passes, host, live_room, fan, reverts):
    passes.revoke(live_room, fan, sender=host)
    with reverts(passes.AlreadyRevoked, roomId=live_room, account=fan.address):
        passes.revoke(live_room, fan, sender=host)


# ---------------------------------------------------------------------------------------------
# views
# ---------------------------------------------------------------------------------------------


def test_views_failIfRoomUnknown(passes, fan, reverts):
    with reverts(passes.UnknownRoom, roomId=1):
        passes.room(1)
    with reverts(passes.UnknownRoom, roomId=1):
        passes.uri(1)
    assert not passes.hasValidPass(1, fan)  # an answer, not an error: nobody may enter


# ---------------------------------------------------------------------------------------------
# governance
# ---------------------------------------------------------------------------------------------


def test_setPlatformFee_succeedsIfTimelockAppliesToLaterSales(passes, live_room, fan, timelock_account):
    receipt = passes.setPlatformFee(1_000, sender=timelock_account)

    assert receipt.events.filter(passes.PlatformFeeChanged) == [passes.PlatformFeeChanged(oldBps=500, newBps=1_000)]
    bought = passes.buyPass(live_room, fan, sender=fan, value=PRICE)
    assert bought.events.filter(passes.PassBought)[0].platformFee == PRICE // 10


def test_setPlatformFee_succeedsAtCapAndZero(passes, timelock_account):
    passes.setPlatformFee(2_000, sender=timelock_account)
    assert passes.platformFeeBps() == 2_000
    passes.setPlatformFee(0, sender=timelock_account)
    assert passes.platformFeeBps() == 0


def test_setPlatformFee_failsIfAboveCap(passes, timelock_account, reverts):
    with reverts(passes.PlatformFeeTooHigh, bps=2_001, max=2_000):
        passes.setPlatformFee(2_001, sender=timelock_account)


def test_governanceSetters_failIfNotTimelock(passes, host, reverts):
    with reverts(passes.OwnableUnauthorizedAccount, account=host.address):
        passes.setPlatformFee(100, sender=host)
    with reverts(passes.OwnableUnauthorizedAccount, account=host.address):
        passes.setTreasury(host, sender=host)


def test_setTreasury_succeedsIfTimelockRedirectingFees(tutti, passes, live_room, fan, producer, timelock_account):
    passes.buyPass(live_room, fan, sender=fan, value=PRICE)

    receipt = passes.setTreasury(producer, sender=timelock_account)

    assert receipt.events.filter(passes.TreasuryChanged) == [
        passes.TreasuryChanged(oldTreasury=tutti.timelock.address, newTreasury=producer.address)
    ]
    before = producer.balance
    passes.withdrawPlatformFees(sender=fan)
    assert producer.balance - before == PRICE * 500 // 10_000


def test_setTreasury_failsIfZero(passes, timelock_account, reverts):
    with reverts(passes.ZeroAddress):
        passes.setTreasury(ETH, sender=timelock_account)


def test_withdrawPlatformFees_failsIfNothingAccrued(passes, fan, reverts):
    with reverts(passes.NoPlatformFees):
        passes.withdrawPlatformFees(sender=fan)


def test_withdrawPlatformFees_failsIfTreasuryRejectsButFeesStayClaimable(passes, live_room, fan, producer,
                                                                         timelock_account, rejecting_recipient,
                                                                         reverts):
    passes.setTreasury(rejecting_recipient, sender=timelock_account)
    passes.buyPass(live_room, fan, sender=fan, value=PRICE)  # a bad treasury never blocks a sale
    fee = PRICE * 500 // 10_000
    with reverts(passes.FeeTransferFailed, treasury=rejecting_recipient.address, amount=fee):
        passes.withdrawPlatformFees(sender=fan)

    passes.setTreasury(producer, sender=timelock_account)  # nothing is locked: governance re-points
    before = producer.balance
    passes.withdrawPlatformFees(sender=fan)
    assert producer.balance - before == fee


def test_governance_canProposeFeeChange(tutti):
    action = dao.encode_call(tutti, "AccessPass", "setPlatformFee", [750])
    assert action.target == tutti.passes.address
    assert action.calldata == bytes(tutti.passes.setPlatformFee.encode_input(750))


# ---------------------------------------------------------------------------------------------
# the Python SDK (tutti.passes)
# ---------------------------------------------------------------------------------------------


def test_sdk_roundTrip(tutti, host, host_split, fan, vocalist):
    now = pass_sdk.chain_now()
    created = pass_sdk.create_room(
        tutti, host, split_id=host_split, price=PRICE, supply_cap=2, valid_from=now,
        valid_until=pass_sdk.parse_time("+1h", now), metadata_cid=CID, transferable=False,
    )
    info = pass_sdk.room(tutti, created.room_id)
    assert (info.host, info.split_id, info.valid_until - info.valid_from, info.transferable) == (
        host.address, host_split, HOUR, False,
    )
    assert info.uri == f"ipfs://{CID}"

    bought = pass_sdk.buy_pass(tutti, fan, created.room_id, vocalist.address)
    assert (bought.holder, bought.price, bought.platform_fee) == (vocalist.address, PRICE, PRICE // 20)
    assert pass_sdk.has_valid_pass(tutti, created.room_id, vocalist.address)
    assert pass_sdk.pass_status(tutti, created.room_id, vocalist.address).valid

    assert pass_sdk.revoke(tutti, host, created.room_id, vocalist.address) == 1
    status = pass_sdk.pass_status(tutti, created.room_id, vocalist.address)
    assert (status.valid, status.revoked, status.reason) == (False, True, "revoked by the host")


@pytest.mark.parametrize(
    "text, expected",
    [("now", 1_000), ("+90m", 1_000 + 5_400), ("+1d2h", 1_000 + 93_600), ("1700000000", 1_700_000_000),
     ("2030-06-01T20:00:00Z", 1_906_574_400), ("2030-06-01T22:00:00+02:00", 1_906_574_400),
     ("2030-06-01T20:00", 1_906_574_400)],
)
def test_sdk_parseTime(text, expected):
    assert pass_sdk.parse_time(text, 1_000) == expected


@pytest.mark.parametrize("text", ["+", "+2x", "+h", "tomorrow", "+2h junk"])
def test_sdk_parseTime_failsIfNotATime(text):
    with pytest.raises(TuttiError):
        pass_sdk.parse_time(text, 1_000)
