"""RoyaltySplitter: every revert path, exact payouts in ETH and a 6-decimal token, events,
constant-gas deposits and upstream forwarding."""

from __future__ import annotations

import pytest

from tutti.royalties import ETH

ETHER = 10**18
USD = 10**6  # the test stablecoin has 6 decimals


def create_split(splitter, sender, accounts, shares, parents=(), parent_shares=()):
    """Create a split and return its id (read from the SplitCreated event)."""
    receipt = splitter.createSplit(
        [getattr(a, "address", a) for a in accounts], list(shares), list(parents), list(parent_shares), sender=sender
    )
    return receipt.decode_logs(splitter.SplitCreated)[0].splitId


def entitlement(total, start, share):
    """Reference model: units among the first `total` that fall in slots [start, start + share) mod 10,000."""
    return sum(1 for k in range(total % 10_000) if start <= k < start + share) + total // 10_000 * share


@pytest.fixture
def duo(splitter, artist, producer):
    """A two-recipient split: artist 60%, producer 40%."""
    return create_split(splitter, artist, [artist, producer], [6_000, 4_000])


@pytest.fixture
def trio(splitter, artist, producer, vocalist):
    """Three recipients with shares that do not divide evenly: 33.33% / 33.33% / 33.34%."""
    return create_split(splitter, artist, [artist, producer, vocalist], [3_333, 3_333, 3_334])


@pytest.fixture
def family(splitter, artist, producer, vocalist):
    """A parent split (artist 70%, producer 30%) and a child (vocalist 80%, parent 20%)."""
    parent = create_split(splitter, artist, [artist, producer], [7_000, 3_000])
    child = create_split(splitter, vocalist, [vocalist], [8_000], [parent], [2_000])
    return parent, child


@pytest.fixture
def funded_stablecoin(stablecoin, splitter, fan):
    """The fan holds 1,000,000 tUSD and has approved the splitter for all of it."""
    stablecoin.mint(fan, 1_000_000 * USD, sender=fan)
    stablecoin.approve(splitter, 2**256 - 1, sender=fan)
    return stablecoin


# ---------------------------------------------------------------------------------------------
# createSplit: failures
# ---------------------------------------------------------------------------------------------


def test_createSplit_failsIfNoAccounts(splitter, artist, duo, reverts):
    with reverts(splitter.EmptySplit):
        splitter.createSplit([], [], [duo], [10_000], sender=artist)


def test_createSplit_failsIfAccountsAndSharesDifferInLength(splitter, artist, producer, reverts):
    with reverts(splitter.LengthMismatch, left=2, right=1):
        splitter.createSplit([artist, producer], [10_000], [], [], sender=artist)


def test_createSplit_failsIfParentsAndParentSharesDifferInLength(splitter, artist, duo, reverts):
    with reverts(splitter.LengthMismatch, left=1, right=2):
        splitter.createSplit([artist], [8_000], [duo], [1_000, 1_000], sender=artist)


def test_createSplit_failsIfMoreThanMaxParents(splitter, artist, reverts):
    assert splitter.MAX_PARENTS() == 16
    parents = list(range(1, 18))
    with reverts(splitter.TooManyRecipients, count=17, max=16):
        splitter.createSplit([artist], [10_000 - 17], parents, [1] * 17, sender=artist)


def test_createSplit_failsIfMoreThanMaxRecipients(splitter, artist, reverts):
    # The count is checked before any storage is touched, so 501 recipients cost little to reject.
    assert splitter.MAX_RECIPIENTS() == 500
    accounts = [f"0x{i:040x}" for i in range(1_000, 1_501)]
    with reverts(splitter.TooManyRecipients, count=501, max=500):
        splitter.createSplit(accounts, [1] * 501, [], [], sender=artist)


def test_createSplit_failsIfRecipientIsZeroAddress(splitter, artist, reverts):
    with reverts(splitter.ZeroAddressRecipient, index=1):
        splitter.createSplit([artist, ETH], [5_000, 5_000], [], [], sender=artist)


def test_createSplit_failsIfAccountShareIsZero(splitter, artist, producer, reverts):
    with reverts(splitter.ZeroShare, index=1):
        splitter.createSplit([artist, producer], [10_000, 0], [], [], sender=artist)


def test_createSplit_failsIfParentShareIsZero(splitter, artist, producer, duo, reverts):
    # Parent indices follow the accounts': the first parent of a two-account split is index 2.
    with reverts(splitter.ZeroShare, index=2):
        splitter.createSplit([artist, producer], [5_000, 5_000], [duo], [0], sender=artist)


def test_createSplit_failsIfRecipientIsDuplicated(splitter, artist, producer, reverts):
    with reverts(splitter.DuplicateRecipient, account=artist.address):
        splitter.createSplit([artist, producer, artist], [4_000, 3_000, 3_000], [], [], sender=artist)


def test_createSplit_failsIfParentIsDuplicated(splitter, artist, duo, reverts):
    with reverts(splitter.DuplicateParent, parentSplitId=duo):
        splitter.createSplit([artist], [8_000], [duo, duo], [1_000, 1_000], sender=artist)


def test_createSplit_failsIfSharesSumBelowTotal(splitter, artist, producer, reverts):
    with reverts(splitter.SharesDoNotSumToTotal, sum=9_999):
        splitter.createSplit([artist, producer], [5_000, 4_999], [], [], sender=artist)


def test_createSplit_failsIfAccountSharesSumAboveTotal(splitter, artist, producer, reverts):
    # Reported as soon as the running sum passes 10,000.
    with reverts(splitter.SharesDoNotSumToTotal, sum=11_000):
        splitter.createSplit([artist, producer], [6_000, 5_000], [], [], sender=artist)


def test_createSplit_failsIfParentSharesPushSumAboveTotal(splitter, artist, duo, reverts):
    with reverts(splitter.SharesDoNotSumToTotal, sum=10_001):
        splitter.createSplit([artist], [9_000], [duo], [1_001], sender=artist)


def test_createSplit_failsIfParentIsZero(splitter, artist, reverts):
    with reverts(splitter.UnknownSplit, splitId=0):
        splitter.createSplit([artist], [9_000], [0], [1_000], sender=artist)


def test_createSplit_failsIfParentIsTheSplitBeingCreated(splitter, artist, duo, reverts):
    # The new split would get id duo + 1: naming it as its own parent would make a cycle.
    with reverts(splitter.UnknownSplit, splitId=duo + 1):
        splitter.createSplit([artist], [9_000], [duo + 1], [1_000], sender=artist)


def test_createSplit_failsIfParentDoesNotExistYet(splitter, artist, duo, reverts):
    with reverts(splitter.UnknownSplit, splitId=duo + 5):
        splitter.createSplit([artist], [9_000], [duo + 5], [1_000], sender=artist)


# ---------------------------------------------------------------------------------------------
# createSplit: success
# ---------------------------------------------------------------------------------------------


def test_createSplit_succeedsIfSharesSumToTotal(splitter, artist, producer, vocalist, duo):
    receipt = splitter.createSplit([producer, vocalist], [4_500, 3_500], [duo], [2_000], sender=artist)

    split_id = duo + 1
    assert receipt.events == [
        splitter.SplitCreated(
            splitId=split_id,
            creator=artist.address,
            accounts=[producer.address, vocalist.address],
            sharesBps=[4_500, 3_500],
            parentSplitIds=[duo],
            parentSharesBps=[2_000],
        )
    ]
    assert splitter.splitCount() == split_id
    assert splitter.recipientsOf(split_id) == ([producer.address, vocalist.address], [4_500, 3_500])
    assert splitter.parentsOf(split_id) == ([duo], [2_000])
    assert splitter.totalReceived(split_id, ETH) == 0


def test_createSplit_succeedsIfIdsStartAtOneAndIncrease(splitter, artist):
    first_expected = splitter.splitCount() + 1
    assert first_expected >= 1
    assert create_split(splitter, artist, [artist], [10_000]) == first_expected
    assert create_split(splitter, artist, [artist], [10_000]) == first_expected + 1


# ---------------------------------------------------------------------------------------------
# Unknown splits, parents and recipients
# ---------------------------------------------------------------------------------------------


@pytest.fixture(params=["zero", "future"])
def unknown_split(request, duo):
    """Split 0 (ids start at 1) and an id not created yet."""
    return 0 if request.param == "zero" else duo + 1


def test_depositETH_failsIfSplitUnknown(splitter, fan, unknown_split, reverts):
    with reverts(splitter.UnknownSplit, splitId=unknown_split):
        splitter.depositETH(unknown_split, sender=fan, value=ETHER)


def test_deposit_failsIfSplitUnknown(splitter, fan, funded_stablecoin, unknown_split, reverts):
    with reverts(splitter.UnknownSplit, splitId=unknown_split):
        splitter.deposit(unknown_split, funded_stablecoin, USD, sender=fan)


def test_withdraw_failsIfSplitUnknown(splitter, fan, artist, unknown_split, reverts):
    with reverts(splitter.UnknownSplit, splitId=unknown_split):
        splitter.withdraw(unknown_split, ETH, artist, sender=fan)


def test_forwardUpstream_failsIfSplitUnknown(splitter, fan, unknown_split, reverts):
    with reverts(splitter.UnknownSplit, splitId=unknown_split):
        splitter.forwardUpstream(unknown_split, 0, ETH, sender=fan)


@pytest.mark.parametrize(
    "view, args",
    [
        ("withdrawable", (ETH, "0x0000000000000000000000000000000000000001")),
        ("forwardable", (0, ETH)),
        ("totalReceived", (ETH,)),
        ("recipientsOf", ()),
        ("parentsOf", ()),
    ],
)
def test_views_failIfSplitUnknown(splitter, unknown_split, view, args, reverts):
    with reverts(splitter.UnknownSplit, splitId=unknown_split):
        getattr(splitter, view)(unknown_split, *args)


def test_forwardUpstream_failsIfSplitHasNoParents(splitter, fan, duo, reverts):
    splitter.depositETH(duo, sender=fan, value=ETHER)
    with reverts(splitter.UnknownParentIndex, splitId=duo, parentIndex=0):
        splitter.forwardUpstream(duo, 0, ETH, sender=fan)


def test_forwardUpstream_failsIfParentIndexOutOfRange(splitter, fan, family, reverts):
    _, child = family
    splitter.depositETH(child, sender=fan, value=ETHER)
    with reverts(splitter.UnknownParentIndex, splitId=child, parentIndex=1):
        splitter.forwardUpstream(child, 1, ETH, sender=fan)


def test_forwardable_failsIfParentIndexOutOfRange(splitter, family, reverts):
    _, child = family
    with reverts(splitter.UnknownParentIndex, splitId=child, parentIndex=1):
        splitter.forwardable(child, 1, ETH)


def test_withdraw_failsIfAccountIsNotARecipient(splitter, fan, duo, reverts):
    splitter.depositETH(duo, sender=fan, value=ETHER)
    with reverts(splitter.NotARecipient, splitId=duo, account=fan.address):
        splitter.withdraw(duo, ETH, fan, sender=fan)


def test_withdrawable_failsIfAccountIsNotARecipient(splitter, fan, duo, reverts):
    with reverts(splitter.NotARecipient, splitId=duo, account=fan.address):
        splitter.withdrawable(duo, ETH, fan)


# ---------------------------------------------------------------------------------------------
# Deposits
# ---------------------------------------------------------------------------------------------


def test_depositETH_failsIfValueIsZero(splitter, fan, duo, reverts):
    with reverts(splitter.ZeroDeposit):
        splitter.depositETH(duo, sender=fan, value=0)


def test_deposit_failsIfAmountIsZero(splitter, fan, duo, funded_stablecoin, reverts):
    with reverts(splitter.ZeroDeposit):
        splitter.deposit(duo, funded_stablecoin, 0, sender=fan)


def test_deposit_failsIfTokenIsZeroAddress(splitter, fan, duo, reverts):
    with reverts(splitter.InvalidToken, token=ETH):
        splitter.deposit(duo, ETH, ETHER, sender=fan)


def test_depositETH_succeedsIfSplitExists(splitter, fan, duo):
    receipt = splitter.depositETH(duo, sender=fan, value=3 * ETHER)

    assert receipt.events == [splitter.Deposited(splitId=duo, token=ETH, **{"from": fan.address}, amount=3 * ETHER)]
    assert splitter.totalReceived(duo, ETH) == 3 * ETHER


def test_deposit_succeedsIfTokenApproved(splitter, fan, duo, funded_stablecoin):
    before = funded_stablecoin.balanceOf(splitter)
    receipt = splitter.deposit(duo, funded_stablecoin, 250 * USD, sender=fan)

    deposited = splitter.Deposited(splitId=duo, token=funded_stablecoin.address, **{"from": fan.address}, amount=250 * USD)
    assert deposited in receipt.events
    assert receipt.events.filter(splitter.Deposited) == [deposited]
    assert funded_stablecoin.balanceOf(splitter) == before + 250 * USD
    assert splitter.totalReceived(duo, funded_stablecoin) == 250 * USD
    # ETH and token incomes are kept apart.
    assert splitter.totalReceived(duo, ETH) == 0


def test_deposit_succeedsIfFeeOnTransferTokenCreditsOnlyWhatArrived(splitter, fan, artist, producer, duo, project, deployer):
    taxed = deployer.deploy(project.FeeOnTransferToken, 100)  # 1% of every transfer is burnt
    taxed.mint(fan, 10_000, sender=fan)
    taxed.approve(splitter, 10_000, sender=fan)

    receipt = splitter.deposit(duo, taxed, 10_000, sender=fan)

    assert receipt.events.filter(splitter.Deposited) == [
        splitter.Deposited(splitId=duo, token=taxed.address, **{"from": fan.address}, amount=9_900)
    ]
    assert splitter.totalReceived(duo, taxed) == 9_900
    owed = splitter.withdrawable(duo, taxed, artist) + splitter.withdrawable(duo, taxed, producer)
    assert owed == taxed.balanceOf(splitter) == 9_900


def test_depositETH_succeedsIfGasIsIndependentOfRecipientCount(splitter, artist, fan):
    small = create_split(splitter, artist, [artist, fan], [5_000, 5_000])
    many = [f"0x{i:040x}" for i in range(10_000, 10_050)]
    large = create_split(splitter, artist, many, [200] * 50)
    assert small < 256 and large < 256  # same calldata cost: one non-zero byte of split id each

    gas_small = splitter.depositETH(small, sender=fan, value=ETHER).gas_used
    gas_large = splitter.depositETH(large, sender=fan, value=ETHER).gas_used

    assert len(splitter.recipientsOf(large)[0]) == 50
    assert gas_small == gas_large


# ---------------------------------------------------------------------------------------------
# Withdrawals
# ---------------------------------------------------------------------------------------------


def test_withdraw_failsIfNothingDeposited(splitter, fan, artist, duo, reverts):
    with reverts(splitter.NothingToWithdraw, splitId=duo, token=ETH, account=artist.address):
        splitter.withdraw(duo, ETH, artist, sender=fan)


def test_withdraw_failsIfAlreadyWithdrawn(splitter, fan, artist, duo, reverts):
    splitter.depositETH(duo, sender=fan, value=ETHER)
    splitter.withdraw(duo, ETH, artist, sender=fan)
    with reverts(splitter.NothingToWithdraw, splitId=duo, token=ETH, account=artist.address):
        splitter.withdraw(duo, ETH, artist, sender=fan)


def test_withdraw_failsIfIncomeHasNotReachedTheRecipientsSlots(splitter, fan, producer, duo, reverts):
    # 1 wei is unit 0, which belongs to slot 0 (the artist); the producer's slots start at 6,000.
    splitter.depositETH(duo, sender=fan, value=1)
    with reverts(splitter.NothingToWithdraw, splitId=duo, token=ETH, account=producer.address):
        splitter.withdraw(duo, ETH, producer, sender=fan)


def test_withdraw_failsIfOnlyOtherTokenDeposited(splitter, fan, artist, duo, funded_stablecoin, reverts):
    splitter.deposit(duo, funded_stablecoin, 100 * USD, sender=fan)
    with reverts(splitter.NothingToWithdraw, splitId=duo, token=ETH, account=artist.address):
        splitter.withdraw(duo, ETH, artist, sender=fan)


def test_withdraw_failsIfRecipientRejectsETH(splitter, fan, artist, rejecting_recipient, reverts):
    split = create_split(splitter, artist, [rejecting_recipient, artist], [2_500, 7_500])
    splitter.depositETH(split, sender=fan, value=ETHER)

    with reverts(splitter.ETHTransferFailed, to=rejecting_recipient.address, amount=ETHER // 4):
        splitter.withdraw(split, ETH, rejecting_recipient, sender=fan)

    # The failed attempt changed nothing: the share is still owed and the others are unaffected.
    assert splitter.withdrawable(split, ETH, rejecting_recipient) == ETHER // 4
    assert splitter.withdraw(split, ETH, artist, sender=fan).events == [
        splitter.Withdrawn(splitId=split, token=ETH, account=artist.address, amount=3 * ETHER // 4)
    ]


def test_withdraw_succeedsIfRejectingRecipientIsPaidInTokens(splitter, fan, artist, rejecting_recipient, funded_stablecoin):
    split = create_split(splitter, artist, [rejecting_recipient, artist], [2_500, 7_500])
    splitter.deposit(split, funded_stablecoin, 100 * USD, sender=fan)

    splitter.withdraw(split, funded_stablecoin, rejecting_recipient, sender=fan)

    assert funded_stablecoin.balanceOf(rejecting_recipient) == 25 * USD


def test_withdraw_succeedsIfETHSharesAreExact(splitter, fan, artist, producer, vocalist, trio):
    splitter.depositETH(trio, sender=fan, value=ETHER)

    # 10**18 is a whole number of 10,000-unit cycles: each recipient gets exactly share/10,000.
    expected = {artist: 333_300_000_000_000_000, producer: 333_300_000_000_000_000, vocalist: 333_400_000_000_000_000}
    for account, amount in expected.items():
        assert splitter.withdrawable(trio, ETH, account) == amount
    for account, amount in expected.items():
        before = account.balance
        receipt = splitter.withdraw(trio, ETH, account, sender=fan)  # a third party pays the gas
        assert receipt.events == [splitter.Withdrawn(splitId=trio, token=ETH, account=account.address, amount=amount)]
        assert account.balance - before == amount
        assert splitter.withdrawable(trio, ETH, account) == 0
    assert sum(expected.values()) == ETHER


def test_withdraw_succeedsIfTokenSharesAreExactWithRemainder(splitter, fan, artist, producer, vocalist, trio, funded_stablecoin):
    # 1.234567 tUSD = 123 full cycles of 10,000 units plus 4,567 units that fill slots 0..4,566:
    # all 3,333 of the artist's, 1,234 of the producer's, none of the vocalist's.
    amount = 1_234_567
    splitter.deposit(trio, funded_stablecoin, amount, sender=fan)

    expected = {
        artist: 123 * 3_333 + 3_333,
        producer: 123 * 3_333 + 1_234,
        vocalist: 123 * 3_334,
    }
    assert expected == {artist: 413_292, producer: 411_193, vocalist: 410_082}
    assert sum(expected.values()) == amount
    for account, owed in expected.items():
        assert splitter.withdrawable(trio, funded_stablecoin, account) == owed
        receipt = splitter.withdraw(trio, funded_stablecoin, account, sender=fan)
        assert receipt.events.filter(splitter.Withdrawn) == [
            splitter.Withdrawn(splitId=trio, token=funded_stablecoin.address, account=account.address, amount=owed)
        ]
        assert funded_stablecoin.balanceOf(account) == owed
    assert splitter.totalReceived(trio, funded_stablecoin) == amount


def test_withdraw_succeedsIfTinyDepositsFillSlotsInOrder(splitter, fan, artist, producer):
    # One basis point for the artist (slot 0), the rest for the producer.
    split = create_split(splitter, artist, [artist, producer], [1, 9_999])
    for total in range(1, 6):
        splitter.depositETH(split, sender=fan, value=1)
        assert splitter.withdrawable(split, ETH, artist) == entitlement(total, 0, 1) == 1
        assert splitter.withdrawable(split, ETH, producer) == entitlement(total, 1, 9_999) == total - 1


def test_withdraw_succeedsIfTriggeredByThirdParty(splitter, fan, artist, producer, duo):
    splitter.depositETH(duo, sender=artist, value=ETHER)
    before_fan = fan.balance
    before_producer = producer.balance

    receipt = splitter.withdraw(duo, ETH, producer, sender=fan)

    assert producer.balance - before_producer == 4 * ETHER // 10
    assert fan.balance < before_fan  # the caller only paid gas
    assert receipt.events == [splitter.Withdrawn(splitId=duo, token=ETH, account=producer.address, amount=4 * ETHER // 10)]


def test_withdraw_succeedsIfIncomeKeepsArriving(splitter, fan, artist, duo):
    splitter.depositETH(duo, sender=fan, value=ETHER)
    splitter.withdraw(duo, ETH, artist, sender=fan)
    splitter.depositETH(duo, sender=fan, value=ETHER // 2)

    assert splitter.withdrawable(duo, ETH, artist) == 3 * ETHER // 10


# ---------------------------------------------------------------------------------------------
# Upstream forwarding
# ---------------------------------------------------------------------------------------------


def test_forwardUpstream_failsIfNothingReceived(splitter, fan, family, reverts):
    _, child = family
    with reverts(splitter.NothingToForward, splitId=child, parentIndex=0, token=ETH):
        splitter.forwardUpstream(child, 0, ETH, sender=fan)


def test_forwardUpstream_failsIfAlreadyForwarded(splitter, fan, family, reverts):
    _, child = family
    splitter.depositETH(child, sender=fan, value=ETHER)
    splitter.forwardUpstream(child, 0, ETH, sender=fan)
    with reverts(splitter.NothingToForward, splitId=child, parentIndex=0, token=ETH):
        splitter.forwardUpstream(child, 0, ETH, sender=fan)


def test_forwardUpstream_succeedsIfParentCreditedExactly(splitter, fan, artist, producer, vocalist, family):
    parent, child = family
    splitter.depositETH(child, sender=fan, value=ETHER)
    assert splitter.forwardable(child, 0, ETH) == ETHER // 5
    assert splitter.withdrawable(child, ETH, vocalist) == 4 * ETHER // 5

    receipt = splitter.forwardUpstream(child, 0, ETH, sender=fan)

    assert receipt.events == [
        splitter.ForwardedUpstream(splitId=child, parentSplitId=parent, token=ETH, amount=ETHER // 5),
        splitter.Deposited(splitId=parent, token=ETH, **{"from": splitter.address}, amount=ETHER // 5),
    ]
    assert splitter.totalReceived(parent, ETH) == ETHER // 5
    assert splitter.forwardable(child, 0, ETH) == 0
    assert splitter.withdrawable(parent, ETH, artist) == 14 * ETHER // 100
    assert splitter.withdrawable(parent, ETH, producer) == 6 * ETHER // 100
    # Forwarding is accounting only: the ETH stays in the splitter until withdrawn.
    assert splitter.balance == ETHER


def test_forwardUpstream_succeedsIfTokenForwardedSeparately(splitter, fan, artist, family, funded_stablecoin):
    parent, child = family
    splitter.deposit(child, funded_stablecoin, 1_000 * USD, sender=fan)

    receipt = splitter.forwardUpstream(child, 0, funded_stablecoin, sender=fan)

    assert receipt.events.filter(splitter.ForwardedUpstream) == [
        splitter.ForwardedUpstream(splitId=child, parentSplitId=parent, token=funded_stablecoin.address, amount=200 * USD)
    ]
    assert splitter.withdrawable(parent, funded_stablecoin, artist) == 140 * USD
    assert splitter.forwardable(child, 0, ETH) == 0


# ---------------------------------------------------------------------------------------------
# The `reverts` fixture itself: it must not pass on the wrong error or the wrong arguments
# (plain ape.reverts accepts any undecoded revert, as every failed view call is).
# ---------------------------------------------------------------------------------------------


def test_reverts_failsIfViewRevertsWithAnotherError(splitter, artist, reverts):
    with pytest.raises(AssertionError, match="NotARecipient"):
        with reverts(splitter.NotARecipient, splitId=0):
            splitter.withdrawable(0, ETH, artist)


def test_reverts_failsIfArgumentDiffers(splitter, fan, reverts):
    with pytest.raises(AssertionError, match="splitId"):
        with reverts(splitter.UnknownSplit, splitId=1):
            splitter.depositETH(0, sender=fan, value=1)


def test_reverts_failsIfArgumentNameUnknown(splitter, fan, reverts):
    with pytest.raises(AssertionError, match="no input 'split'"):
        with reverts(splitter.UnknownSplit, split=0):
            splitter.depositETH(0, sender=fan, value=1)
