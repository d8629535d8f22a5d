"""Property test of the RoyaltySplitter's accounting.

For any split (2 to 8 recipients, random basis points, maybe a parent split) and any sequence of
ETH / ERC-20 deposits (1 wei to 10**20, tiny amounts included), withdrawals and upstream
forwards, after every step and for each token:

* per split: what its recipients were paid or can withdraw, plus what its parent links forwarded
  or can forward, is exactly what the split received;
* overall: what was deposited is exactly what was paid out plus what is still owed, and the
  splitter's balance is exactly what is still owed;
* each entitlement is within one 10,000-unit cycle of ``received * share / 10,000`` and never
  decreases;
* once everything is forwarded and withdrawn the splitter holds nothing.

Every value is read from the chain; the Python side only remembers what it deposited and what the
Withdrawn / ForwardedUpstream events reported. Each example runs from a chain snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from ape import chain
from eth_abi import encode
from eth_utils import keccak, to_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutti.royalties import ETH

TOTAL_BPS = 10_000
TOKENS = ("ETH", "USD")

# Fresh addresses with no code and no history: their balance is exactly what the splitter paid them.
CHILD_POOL = [to_checksum_address(keccak(text=f"tutti/property/child/{i}")[12:]) for i in range(8)]
PARENT_POOL = [to_checksum_address(keccak(text=f"tutti/property/parent/{i}")[12:]) for i in range(2)]


# ---------------------------------------------------------------------------------------------
# Reading many views at once
# ---------------------------------------------------------------------------------------------


def _selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


class ChainReader:
    """Reads views and balances in one JSON-RPC batch per check (hundreds of values in a few ms)."""

    def __init__(self, splitter, usd):
        self.splitter = splitter.address
        self.usd = usd.address
        self.tokens = {"ETH": ETH, "USD": self.usd}
        self.web3 = chain.provider.web3

    def _call(self, to: str, signature: str, types: list[str], args: list) -> tuple:
        data = "0x" + (_selector(signature) + encode(types, args)).hex()
        return ("eth_call", [{"to": to, "data": data}, "latest"])

    def total_received(self, split_id, token):
        return self._call(self.splitter, "totalReceived(uint256,address)", ["uint256", "address"], [split_id, self.tokens[token]])

    def withdrawable(self, split_id, token, account):
        return self._call(
            self.splitter, "withdrawable(uint256,address,address)", ["uint256", "address", "address"],
            [split_id, self.tokens[token], account],
        )

    def forwardable(self, split_id, index, token):
        return self._call(
            self.splitter, "forwardable(uint256,uint256,address)", ["uint256", "uint256", "address"],
            [split_id, index, self.tokens[token]],
        )

    def balance(self, token, account):
        if token == "ETH":
            return ("eth_getBalance", [account, "latest"])
        return self._call(self.usd, "balanceOf(address)", ["address"], [account])

    def read(self, requests: dict) -> dict:
        """``{key: request}`` -> ``{key: int}``; any revert fails the test."""
        keys = list(requests)
        responses = self.web3.provider.make_batch_request([requests[k] for k in keys])
        responses = sorted(responses, key=lambda r: r["id"]) if len(responses) == len(keys) else responses
        values = {}
        for key, response in zip(keys, responses):
            assert "error" not in response, f"{key}: {response['error']}"
            values[key] = int(response["result"], 16) if response["result"] != "0x" else 0
        return values


# ---------------------------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------------------------


def partition(draw, total: int, parts: int) -> list[int]:
    """`parts` positive integers summing to `total`."""
    cuts = sorted(draw(st.lists(st.integers(1, total - 1), min_size=parts - 1, max_size=parts - 1, unique=True)))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total])]


amounts = st.one_of(
    st.integers(1, 20),  # rounding: less than one unit per slot
    st.sampled_from([9_999, 10_000, 10_001, 19_999, 20_001]),  # around whole cycles
    st.integers(10**15, 10**20),  # realistic payments, up to 100 ETH
    st.integers(1, 10**20),
)


@st.composite
def scenarios(draw):
    count = draw(st.integers(2, 8))
    parent_bps = draw(st.one_of(st.just(0), st.integers(1, 5_000)))
    shares = partition(draw, TOTAL_BPS - parent_bps, count)
    parent_shares = partition(draw, TOTAL_BPS, 2)
    targets = ["child", "parent"] if parent_bps else ["child"]
    token = st.sampled_from(TOKENS)
    step = st.one_of(
        st.tuples(st.just("deposit"), token, st.sampled_from(targets), amounts),
        st.tuples(st.just("withdraw"), token, st.sampled_from(targets), st.integers(0, 7)),
        *([st.tuples(st.just("forward"), token)] if parent_bps else []),
    )
    steps = draw(st.lists(step, min_size=3, max_size=12))
    # The order in which everyone withdraws at the end.
    final_order = draw(st.permutations(range(count)))
    return shares, parent_bps, parent_shares, steps, final_order


# ---------------------------------------------------------------------------------------------
# The accounting under test
# ---------------------------------------------------------------------------------------------


@dataclass
class Split:
    split_id: int
    accounts: list[str]
    shares: list[int]
    parent_shares: list[int] = field(default_factory=list)  # at most one parent here


class Ledger:
    """What the test itself did (deposits) and what events reported (withdrawals, forwards),
    checked against the chain after every step."""

    def __init__(self, reader: ChainReader, splits: dict[str, Split], baseline: dict[str, int]):
        self.reader = reader
        self.splits = splits
        self.baseline = baseline
        self.deposited = {t: 0 for t in TOKENS}  # from outside, over all splits
        self.received = {(name, t): 0 for name in splits for t in TOKENS}
        self.withdrawn = {(name, t, a): 0 for name, s in splits.items() for t in TOKENS for a in s.accounts}
        self.forwarded = {t: 0 for t in TOKENS}
        self.last_entitlement: dict = {}

    def snapshot(self) -> dict:
        requests = {}
        for name, split in self.splits.items():
            for t in TOKENS:
                requests[("received", name, t)] = self.reader.total_received(split.split_id, t)
                for account in split.accounts:
                    requests[("withdrawable", name, t, account)] = self.reader.withdrawable(split.split_id, t, account)
                    requests[("paid", name, t, account)] = self.reader.balance(t, account)
                for index in range(len(split.parent_shares)):
                    requests[("forwardable", name, t, index)] = self.reader.forwardable(split.split_id, index, t)
        for t in TOKENS:
            requests[("held", t)] = self.reader.balance(t, self.reader.splitter)
        return self.reader.read(requests)

    def check(self) -> dict:
        values = self.snapshot()
        for t in TOKENS:
            owed = 0
            paid_out = 0
            for name, split in self.splits.items():
                received = values[("received", name, t)]
                assert received == self.received[(name, t)], f"{name} {t}: received"
                claimed = 0
                slots = [(a, s, values[("withdrawable", name, t, a)]) for a, s in zip(split.accounts, split.shares)]
                for account, share, withdrawable in slots:
                    paid = values[("paid", name, t, account)]
                    assert paid == self.withdrawn[(name, t, account)], f"{name} {t} {account}: paid"
                    self._check_entitlement((name, t, account), paid + withdrawable, received, share)
                    claimed += paid + withdrawable
                    owed += withdrawable
                    paid_out += paid
                for index, share in enumerate(split.parent_shares):
                    forwardable = values[("forwardable", name, t, index)]
                    self._check_entitlement((name, t, "parent", index), self.forwarded[t] + forwardable, received, share)
                    claimed += self.forwarded[t] + forwardable
                    owed += forwardable
                # Per split: paid + withdrawable + forwarded + forwardable == received, to the unit.
                assert claimed == received, f"{name} {t}: {claimed} claimed of {received} received"
            # Overall: deposits are exactly paid out plus still owed, and the splitter holds what is owed.
            assert self.deposited[t] == paid_out + owed, f"{t}: deposited {self.deposited[t]}, paid {paid_out}, owed {owed}"
            assert values[("held", t)] - self.baseline[t] == owed, f"{t}: splitter holds {values[('held', t)]}, owes {owed}"
        return values

    def _check_entitlement(self, key, entitlement: int, received: int, share: int):
        # |entitlement - received * share / 10,000| <= share, in integers.
        assert abs(entitlement * TOTAL_BPS - received * share) <= share * TOTAL_BPS, (key, entitlement, received, share)
        assert entitlement >= self.last_entitlement.get(key, 0), f"{key}: entitlement decreased"
        self.last_entitlement[key] = entitlement


# ---------------------------------------------------------------------------------------------
# The test
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def funded(splitter, stablecoin, fan):
    """The fan pays every deposit: plenty of tUSD, approved once (kept across example restores)."""
    stablecoin.mint(fan, 10**30, sender=fan)
    stablecoin.approve(splitter, 2**256 - 1, sender=fan)
    return ChainReader(splitter, stablecoin)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario=scenarios())
def test_accounting_succeedsIfAnySequenceOfDepositsWithdrawalsAndForwards(splitter, stablecoin, fan, funded, scenario):
    shares, parent_bps, parent_shares, steps, final_order = scenario
    snapshot_id = chain.snapshot()
    try:
        run_scenario(splitter, stablecoin, fan, funded, shares, parent_bps, parent_shares, steps, final_order)
    finally:
        chain.restore(snapshot_id)


def run_scenario(splitter, stablecoin, fan, reader, shares, parent_bps, parent_shares, steps, final_order):
    token_address = {"ETH": ETH, "USD": stablecoin.address}
    splits: dict[str, Split] = {}
    if parent_bps:
        parent_id = _create(splitter, fan, PARENT_POOL, parent_shares, [], [])
        splits["parent"] = Split(parent_id, PARENT_POOL, parent_shares)
        child_id = _create(splitter, fan, CHILD_POOL[: len(shares)], shares, [parent_id], [parent_bps])
        splits["child"] = Split(child_id, CHILD_POOL[: len(shares)], shares, [parent_bps])
    else:
        child_id = _create(splitter, fan, CHILD_POOL[: len(shares)], shares, [], [])
        splits["child"] = Split(child_id, CHILD_POOL[: len(shares)], shares)

    baseline = reader.read({t: reader.balance(t, splitter.address) for t in TOKENS})
    ledger = Ledger(reader, splits, baseline)
    values = ledger.check()

    def withdraw(name: str, t: str, account: str):
        owed = values[("withdrawable", name, t, account)]
        if owed == 0:
            return  # NothingToWithdraw is covered in test_splitter.py
        receipt = splitter.withdraw(splits[name].split_id, token_address[t], account, sender=fan)
        assert [log.amount for log in receipt.decode_logs(splitter.Withdrawn)] == [owed]
        ledger.withdrawn[(name, t, account)] += owed

    def forward(t: str):
        due = values[("forwardable", "child", t, 0)]
        if due == 0:
            return
        receipt = splitter.forwardUpstream(splits["child"].split_id, 0, token_address[t], sender=fan)
        assert [log.amount for log in receipt.decode_logs(splitter.ForwardedUpstream)] == [due]
        ledger.forwarded[t] += due
        ledger.received[("parent", t)] += due

    for step in steps:
        kind, t = step[0], step[1]
        if kind == "deposit":
            name, amount = step[2], step[3]
            if t == "ETH":
                receipt = splitter.depositETH(splits[name].split_id, sender=fan, value=amount)
            else:
                receipt = splitter.deposit(splits[name].split_id, stablecoin, amount, sender=fan)
            assert [log.amount for log in receipt.decode_logs(splitter.Deposited)] == [amount]
            ledger.deposited[t] += amount
            ledger.received[(name, t)] += amount
        elif kind == "withdraw":
            name, index = step[2], step[3]
            accounts = splits[name].accounts
            withdraw(name, t, accounts[index % len(accounts)])
        else:
            forward(t)
        values = ledger.check()

    # Drain: forward what is due upstream, then everyone withdraws everything, in a random order.
    for t in TOKENS:
        if "parent" in splits:
            forward(t)
            values = ledger.check()
        for name in ("child", "parent"):
            if name not in splits:
                continue
            accounts = splits[name].accounts
            order = [accounts[i] for i in final_order if i < len(accounts)] if name == "child" else accounts
            for account in order:
                withdraw(name, t, account)
            values = ledger.check()

    for t in TOKENS:
        assert values[("held", t)] == baseline[t], f"{t}: {values[('held', t)] - baseline[t]} left in the splitter"
        for name, split in splits.items():
            for account, share in zip(split.accounts, split.shares):
                assert values[("withdrawable", name, t, account)] == 0
        assert sum(ledger.withdrawn[k] for k in ledger.withdrawn if k[1] == t) == ledger.deposited[t]


def _create(splitter, sender, accounts, shares, parents, parent_shares) -> int:
    receipt = splitter.createSplit(accounts, shares, parents, parent_shares, sender=sender)
    return receipt.decode_logs(splitter.SplitCreated)[0].splitId
