"""Gas benchmark: Tutti's RoyaltySplitter, ContentRegistry, UsageRoyalties and governor, with
OpenZeppelin 4.9's PaymentSplitter as the baseline for splits.

    source bin/env && python bench/gas.py [--markdown]

Starts its own anvil (through ape-foundry, on a free port), deploys the system with
`tutti.deployment.deploy_system`, sends real transactions and prints `receipt.gas_used` of each
(the whole transaction: 21,000 intrinsic gas, calldata and execution, after refunds). It is a
measurement, not a test: nothing is asserted beyond the sanity checks that keep the figures honest.
See docs/gas.md for what each row means.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from tutti.net import free_port
from tutti.royalties import ETH

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TOTAL_BPS = 10_000
SIZES = (2, 10, 50)
CONTRIBUTOR_COUNTS = (1, 3, 10, 50)
#: Works in a usage epoch's play tree: a claim's proof has about log2(n) nodes.
TREE_SIZES = (10, 1_000, 100_000)
ETHER = 10**18
TOKEN_UNIT = 10**6  # TestToken has 6 decimals
# A realistic CIDv1 (base32, 59 characters): the metadata string length affects storage cost.
CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbz{:02d}"


# --------------------------------------------------------------------------------------------
# Results and rendering
# --------------------------------------------------------------------------------------------


@dataclass
class Section:
    title: str
    columns: list[str]
    rows: list[tuple[str, list[int | None]]] = field(default_factory=list)
    note: str = ""

    def add(self, label: str, values: list[int | None]) -> None:
        self.rows.append((label, values))


def _fmt(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def render_text(sections: list[Section]) -> str:
    out = []
    for s in sections:
        header = ["operation", *s.columns]
        body = [[label, *map(_fmt, values)] for label, values in s.rows]
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        line = lambda r: "  ".join(  # noqa: E731
            c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r)
        )
        out.append(s.title)
        out.append(line(header))
        out.append("  ".join("-" * w for w in widths))
        out.extend(line(r) for r in body)
        if s.note:
            out.append(f"  ({s.note})")
        out.append("")
    return "\n".join(out)


def render_markdown(sections: list[Section]) -> str:
    out = []
    for s in sections:
        out.append(f"#### {s.title}\n")
        out.append("| Operation | " + " | ".join(s.columns) + " |")
        out.append("|---|" + "---:|" * len(s.columns))
        for label, values in s.rows:
            out.append(f"| {label} | " + " | ".join(map(_fmt, values)) + " |")
        if s.note:
            out.append(f"\n{s.note}")
        out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def address_for(label: str) -> str:
    """A deterministic address nobody holds a key for (recipients never need to sign)."""
    from eth_utils import keccak, to_checksum_address

    return to_checksum_address(keccak(text=f"tutti-bench:{label}")[-20:])


def equal_shares(n: int) -> list[int]:
    """n shares of 10,000 basis points, the remainder on the first."""
    shares = [TOTAL_BPS // n] * n
    shares[0] += TOTAL_BPS - sum(shares)
    return shares


def gas(receipt) -> int:
    if receipt.failed:
        raise RuntimeError(f"transaction {receipt.txn_hash} failed")
    return int(receipt.gas_used)


# --------------------------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------------------------


def run() -> list[Section]:
    from ape import accounts, chain, project
    from eth_utils import keccak

    from tutti.deployment import DeployParams, deploy_system
    from tutti.governance import Support, delegate, encode_call, vote

    test_accounts = accounts.test_accounts
    deployer, artist, payer, keeper, voter_a, voter_b = (test_accounts[i] for i in (0, 1, 4, 7, 5, 6))

    params = DeployParams(
        voting_delay_blocks=1,
        voting_period_blocks=5,
        quorum_percent=4,
        timelock_delay_seconds=60,
        registration_fee_wei=0,
        test_token=True,
    )
    tutti = deploy_system(deployer, params)
    splitter, registry, governor, token = tutti.splitter, tutti.registry, tutti.governor, tutti.token
    usd = tutti.extra("TestToken")

    # Recipients: existing accounts holding some ETH and some of the token, as real payees do, so
    # neither system pays the one-off "new account" / "zero to non-zero balance" surcharge.
    recipients = [address_for(f"recipient-{i}") for i in range(max(max(SIZES), max(CONTRIBUTOR_COUNTS)))]
    for r in recipients:
        chain.set_balance(r, ETHER)
        usd.mint(r, 1, sender=deployer)

    usd.mint(payer, 10**15, sender=deployer)
    approve_gas = gas(usd.approve(splitter, 2**256 - 1, sender=payer))
    # The splitter is shared by every split, so in real use it already holds the token: warm it
    # with a throwaway split so the first measured ERC-20 deposit is not the contract's first ever.
    warm_split = _create_split(splitter, [recipients[0]], [TOTAL_BPS], deployer)
    splitter.deposit(warm_split, usd, TOKEN_UNIT, sender=payer)

    deposit_eth = ETHER
    deposit_usd = 1_000 * TOKEN_UNIT

    create = Section("Creating a split (per number of recipients)", [f"n={n}" for n in SIZES])
    deposits = Section("Deposits (per number of recipients)", [f"n={n}" for n in SIZES])
    one = Section("Withdrawing one recipient's share (per number of recipients)", [f"n={n}" for n in SIZES])
    everyone = Section("Paying every recipient once: total of n transactions", [f"n={n}" for n in SIZES])

    rows: dict[str, list[int]] = {}

    def record(key: str, value: int) -> None:
        rows.setdefault(key, []).append(value)

    for n in SIZES:
        payees, shares = recipients[:n], equal_shares(n)

        # --- creation
        receipt = splitter.createSplit(payees, shares, [], [], sender=deployer)
        split_id = next(iter(receipt.decode_logs(splitter.SplitCreated))).splitId
        record("create.split", gas(receipt))
        ps = deployer.deploy(project.PaymentSplitterV4, payees, shares)
        record("create.ps", gas(chain.get_receipt(ps.txn_hash)))

        # --- ETH deposits: first (counter 0 -> x) and later (x -> y)
        record("dep.eth.first", gas(splitter.depositETH(split_id, sender=payer, value=deposit_eth)))
        record("dep.eth.later", gas(splitter.depositETH(split_id, sender=payer, value=deposit_eth)))
        record("ps.eth.first", gas(payer.transfer(ps, deposit_eth)))
        record("ps.eth.later", gas(payer.transfer(ps, deposit_eth)))

        # --- ERC-20 deposits
        record("dep.usd.first", gas(splitter.deposit(split_id, usd, deposit_usd, sender=payer)))
        record("dep.usd.later", gas(splitter.deposit(split_id, usd, deposit_usd, sender=payer)))
        record("ps.usd.first", gas(usd.transfer(ps, deposit_usd, sender=payer)))
        record("ps.usd.later", gas(usd.transfer(ps, deposit_usd, sender=payer)))

        # --- every recipient withdraws once (ETH, then ERC-20); a third party sends the calls
        for asset, tok in (("eth", ETH), ("usd", usd.address)):
            ours = [gas(splitter.withdraw(split_id, tok, p, sender=keeper)) for p in payees]
            if tok == ETH:
                theirs = [gas(ps.release(p, sender=keeper)) for p in payees]
            else:
                theirs = [gas(ps.release(usd, p, sender=keeper)) for p in payees]
            record(f"wd.{asset}.first", ours[0])
            record(f"rel.{asset}.first", theirs[0])
            record(f"all.{asset}.ours", sum(ours))
            record(f"all.{asset}.ps", sum(theirs))
            for p in payees:  # both paid everything out exactly
                assert splitter.withdrawable(split_id, tok, p) == 0

        # --- a later withdrawal: the recipient's counter is already non-zero
        splitter.depositETH(split_id, sender=payer, value=deposit_eth)
        splitter.deposit(split_id, usd, deposit_usd, sender=payer)
        payer.transfer(ps, deposit_eth)
        usd.transfer(ps, deposit_usd, sender=payer)
        record("wd.eth.later", gas(splitter.withdraw(split_id, ETH, payees[0], sender=keeper)))
        record("rel.eth.later", gas(ps.release(payees[0], sender=keeper)))
        record("wd.usd.later", gas(splitter.withdraw(split_id, usd, payees[0], sender=keeper)))
        record("rel.usd.later", gas(ps.release(usd, payees[0], sender=keeper)))

    create.add("RoyaltySplitter.createSplit", rows["create.split"])
    create.add("deploy PaymentSplitter (OZ 4.9)", rows["create.ps"])

    deposits.add("RoyaltySplitter.depositETH, first into the split", rows["dep.eth.first"])
    deposits.add("RoyaltySplitter.depositETH, later", rows["dep.eth.later"])
    deposits.add("ETH to PaymentSplitter receive(), first", rows["ps.eth.first"])
    deposits.add("ETH to PaymentSplitter receive(), later", rows["ps.eth.later"])
    deposits.add("RoyaltySplitter.deposit ERC-20, first into the split", rows["dep.usd.first"])
    deposits.add("RoyaltySplitter.deposit ERC-20, later", rows["dep.usd.later"])
    deposits.add("ERC-20 transfer to PaymentSplitter, first", rows["ps.usd.first"])
    deposits.add("ERC-20 transfer to PaymentSplitter, later", rows["ps.usd.later"])
    deposits.note = (
        f"The ERC-20 deposit into RoyaltySplitter needs an allowance; a one-off unlimited "
        f"approve cost {approve_gas:,} gas and is not included."
    )

    one.add("withdraw ETH, first (counter 0 → x)", rows["wd.eth.first"])
    one.add("PaymentSplitter.release(account), first", rows["rel.eth.first"])
    one.add("withdraw ETH, later (counter x → y)", rows["wd.eth.later"])
    one.add("PaymentSplitter.release(account), later", rows["rel.eth.later"])
    one.add("withdraw ERC-20, first", rows["wd.usd.first"])
    one.add("PaymentSplitter.release(token, account), first", rows["rel.usd.first"])
    one.add("withdraw ERC-20, later", rows["wd.usd.later"])
    one.add("PaymentSplitter.release(token, account), later", rows["rel.usd.later"])

    everyone.add("n × RoyaltySplitter.withdraw (ETH)", rows["all.eth.ours"])
    everyone.add("n × PaymentSplitter.release (ETH)", rows["all.eth.ps"])
    everyone.add("n × RoyaltySplitter.withdraw (ERC-20)", rows["all.usd.ours"])
    everyone.add("n × PaymentSplitter.release (ERC-20)", rows["all.usd.ps"])

    # --- cold recipient: an address that has never held ETH nor the token
    cold = Section("Withdrawing to a brand-new address (no ETH, no token balance yet)", ["gas"])
    fresh = [address_for(f"fresh-{i}") for i in range(4)]
    split_id = _create_split(splitter, fresh[:2], [5_000, 5_000], deployer)
    ps = deployer.deploy(project.PaymentSplitterV4, fresh[2:], [5_000, 5_000])
    splitter.depositETH(split_id, sender=payer, value=deposit_eth)
    splitter.deposit(split_id, usd, deposit_usd, sender=payer)
    payer.transfer(ps, deposit_eth)
    usd.transfer(ps, deposit_usd, sender=payer)
    cold.add("withdraw ETH, first", [gas(splitter.withdraw(split_id, ETH, fresh[0], sender=keeper))])
    cold.add("PaymentSplitter.release(account), first", [gas(ps.release(fresh[2], sender=keeper))])
    cold.add("withdraw ERC-20, first", [gas(splitter.withdraw(split_id, usd, fresh[0], sender=keeper))])
    cold.add("PaymentSplitter.release(token, account), first", [gas(ps.release(usd, fresh[2], sender=keeper))])

    # --- registry
    reg = Section("ContentRegistry.register (fee 0, royalty 10%, CIDv1 metadata), after commitRegistration",
                  ["commit", "register", "together"])
    counter = iter(range(100))

    def register(contributors: list[str], parents: list[tuple[int, int]] = ()):
        i = next(counter)
        registration = (
            CID.format(i),
            bytes.fromhex(f"{i + 1:064x}"),
            "CC-BY-4.0",
            1_000,
            list(zip(contributors, equal_shares(len(contributors)))),
            list(parents),
        )
        # Front-running protection: the commitment goes in a block before the registration.
        commitment = registry.registrationCommitment(artist.address, registration[1])
        committed = gas(registry.commitRegistration(commitment, sender=artist))
        receipt = registry.register(registration, sender=artist, value=0)
        event = next(iter(receipt.decode_logs(registry.WorkRegistered)))
        return [committed, gas(receipt), committed + gas(receipt)], event.workId, event.wallet, event.splitId

    # Warm-up: the artist's first token (ERC-721 balance 0 -> 1) is a one-off cost.
    _, parent_1, _, _ = register(recipients[:1])
    _, parent_2, _, _ = register(recipients[:1])
    _, parent_3, _, _ = register(recipients[:1])
    for k in CONTRIBUTOR_COUNTS:
        reg.add(f"{k} contributor{'s' if k > 1 else ''}, no parent", register(recipients[:k])[0])
    reg.add("3 contributors, 1 parent (10%)", register(recipients[:3], [(parent_1, 1_000)])[0])
    reg.add(
        "3 contributors, 3 parents (10% each)",
        register(recipients[:3], [(parent_1, 1_000), (parent_2, 1_000), (parent_3, 1_000)])[0],
    )

    pay = Section("Paying a work (1 ETH)", ["gas"])
    _, work_id, wallet, work_split = register(recipients[:3])
    pay.add("ETH to the work's wallet address, code not yet deployed (waits there)",
            [gas(payer.transfer(wallet, deposit_eth))])
    pay.add("ContentRegistry.flushWallet: deploy the wallet and deposit what waits",
            [gas(registry.flushWallet(work_id, ETH, sender=payer))])
    pay.add("ETH to the deployed wallet (deposited at once)", [gas(payer.transfer(wallet, deposit_eth))])
    pay.add(
        "RoyaltySplitter.depositETH on the same split, later",
        [gas(splitter.depositETH(work_split, sender=payer, value=deposit_eth))],
    )
    assert splitter.totalReceived(work_split, ETH) == 3 * deposit_eth

    usage = bench_usage(tutti, deployer, payer, keeper, usd, lambda: register(recipients[:3])[1])

    # --- governance
    gov = Section("Governance: one-call proposal (ContentRegistry.setRegistrationFee)", ["gas"])
    for v in (voter_a, voter_b):
        token.transfer(v, params.token_supply * 3 // 10, sender=deployer)
    gov.add("TuttiToken.delegate (self, first time)", [gas(delegate(tutti, voter_a))])
    delegate(tutti, voter_b)
    chain.mine(1)

    action = encode_call(tutti, "ContentRegistry", "setRegistrationFee", [10**15])
    args = ([action.target], [action.value], [action.calldata])
    desc_a = "Set the registration fee to 0.001 ETH to deter spam registrations."
    desc_b = desc_a + " (vote with reasons)"
    receipt = governor.propose(*args, desc_a, sender=voter_a)
    proposal_a = next(iter(receipt.decode_logs(governor.ProposalCreated))).proposalId
    gov.add("propose", [gas(receipt)])
    receipt = governor.propose(*args, desc_b, sender=voter_a)
    proposal_b = next(iter(receipt.decode_logs(governor.ProposalCreated))).proposalId

    chain.mine(params.voting_delay_blocks + 1)
    gov.add("castVote, first vote on the proposal", [gas(vote(tutti, voter_a, proposal_a, Support.FOR))])
    gov.add("castVote, second vote", [gas(vote(tutti, voter_b, proposal_a, Support.FOR))])
    reason = "A small fee keeps the registry free of spam."
    gov.add(
        "castVoteWithReason, first vote",
        [gas(vote(tutti, voter_a, proposal_b, Support.FOR, reason))],
    )
    gov.add(
        "castVoteWithReason, second vote",
        [gas(vote(tutti, voter_b, proposal_b, Support.FOR, reason))],
    )

    chain.mine(params.voting_period_blocks + 1)
    assert governor.state(proposal_a) == 4, "proposal did not succeed"  # Succeeded
    gov.add("queue", [gas(governor.queue(*args, keccak(text=desc_a), sender=keeper))])
    chain.pending_timestamp += params.timelock_delay_seconds + 1
    gov.add("execute (through the timelock)", [gas(governor.execute(*args, keccak(text=desc_a), sender=keeper))])
    assert registry.registrationFee() == 10**15
    gov.note = (
        f"Voting delay {params.voting_delay_blocks} block, period {params.voting_period_blocks} blocks, "
        f"timelock {params.timelock_delay_seconds} s; description of {len(desc_a)} characters. "
        "Each vote was cast by a holder of 30% of the supply."
    )

    # Licences (bench/licences.py): offering, buying, pausing, and the registry's derivative check.
    from bench.licences import licence_gas_section

    licences = licence_gas_section(tutti, artist, payer, keeper, usd)

    return [deposits, one, everyone, cold, create, reg, pay, usage, gov, licences]


def bench_usage(tutti, reporter, payer, keeper, usd, register_work) -> Section:
    """One epoch per tree size: fund it, end it, settle it with an attested report of n works, claim
    two registered works' parts (their ids are neighbours), wait out the claim window, roll over."""
    from ape import chain

    from tutti.attestations import Attestation, kind_id, sign_attestation
    from tutti.usage import PlayTree, commitment

    usage, hub, splitter = tutti.usage, tutti.hub, tutti.splitter
    section = Section("UsageRoyalties: one epoch (per number of works in its play tree)",
                      [f"n={n:,}" for n in TREE_SIZES])
    rows: dict[str, list[int]] = {}
    first, neighbour = register_work(), register_work()
    # The works' splits have been paid before, as a popular work's split has.
    for work_id in (first, neighbour):
        splitter.depositETH(tutti.registry.work(work_id).splitId, sender=payer, value=1)
        splitter.deposit(tutti.registry.work(work_id).splitId, usd, 1, sender=payer)
    usd.approve(usage, 2**256 - 1, sender=payer)
    # In real use the contract already holds the token: warm its balance in an epoch not measured.
    usage.fund(usd, TOKEN_UNIT, sender=payer)
    proof_lengths = []

    def next_epoch() -> int:
        _, end = usage.epochBounds(usage.currentEpoch())
        chain.pending_timestamp = end
        chain.mine(1)
        return usage.currentEpoch()

    for n in TREE_SIZES:
        plays = {10**9 + i: 1 + i % 97 for i in range(n - 2)}  # unregistered: they only shape the tree
        plays.update({first: 1_000, neighbour: 500})
        tree = PlayTree(plays)
        proof_lengths.append(len(tree.proof(first)))

        epoch = next_epoch()
        rows.setdefault("fund.eth", []).append(gas(usage.fundETH(sender=payer, value=ETHER)))
        rows.setdefault("fund.usd", []).append(gas(usage.fund(usd, 1_000 * TOKEN_UNIT, sender=payer)))
        next_epoch()
        hub.requestJob(kind_id("usage"), "bafy-play-report", b"", 0, sender=reporter,
                       value=hub.minFeeOf(kind_id("usage")))
        job_id = hub.jobCount()
        attestation = Attestation(job_id, commitment(usage.address, epoch, tree.root, tree.total_plays),
                                  "bafy-settlement", bytes(32))
        # The benchmark's hub has one operator (the deployer, also the reporter) and quorum 1.
        signature = sign_attestation(reporter.private_key, attestation, chain.chain_id, hub.address)
        hub.submitAttestation(attestation.as_tuple(), signature, sender=reporter)
        rows.setdefault("settle", []).append(
            gas(usage.settle(epoch, job_id, tree.root, tree.total_plays, sender=keeper)))

        def claim(work_id, token):
            return gas(usage.claim(epoch, token, work_id, plays[work_id], tree.proof(work_id), sender=keeper))

        rows.setdefault("claim.eth.first", []).append(claim(first, ETH))
        rows.setdefault("claim.eth.later", []).append(claim(neighbour, ETH))
        rows.setdefault("claim.usd.first", []).append(claim(first, usd.address))
        assert usage.claimedOf(epoch, ETH) == sum(ETHER * plays[w] // tree.total_plays for w in (first, neighbour))

        chain.pending_timestamp += usage.claimWindow()
        rows.setdefault("roll", []).append(gas(usage.rollOver(epoch, ETH, sender=keeper)))

    section.add("fundETH, first into the epoch's pool", rows["fund.eth"])
    section.add("fund ERC-20, first into the epoch's pool", rows["fund.usd"])
    section.add("settle (checks the attested report: two calls to the hub)", rows["settle"])
    section.add("claim ETH, the pool's first claim", rows["claim.eth.first"])
    section.add("claim ETH, a later claim (neighbouring work id)", rows["claim.eth.later"])
    section.add("claim ERC-20, the pool's first claim", rows["claim.usd.first"])
    section.add("rollOver ETH (the unclaimed parts and dust, after the claim window)", rows["roll"])
    section.note = (
        f"Proofs of {', '.join(map(str, proof_lengths))} nodes. Each claim deposits into the work's split "
        "(which had been paid before). A claim marks one bit in a 256-work word: a work id whose word "
        "no claim has touched yet in that pool pays one more zero-to-non-zero store (17,100 gas more than the "
        "neighbouring one)."
    )
    return section


def _create_split(splitter, accounts, shares, sender) -> int:
    receipt = splitter.createSplit(accounts, shares, [], [], sender=sender)
    return next(iter(receipt.decode_logs(splitter.SplitCreated))).splitId


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    parser.add_argument("--output", "-o", type=Path, help="also write the output to this file")
    args = parser.parse_args(argv)

    # Our own anvil on a free port, so a node already on 8545 (a demo, the tests) is left alone.
    os.environ["APE_FOUNDRY_HOST"] = f"http://127.0.0.1:{free_port()}"

    from ape import networks
    from ape.logging import logger

    logger.set_level("ERROR")

    started = time.monotonic()
    with networks.parse_network_choice("ethereum:local:foundry"):
        sections = run()
    elapsed = time.monotonic() - started

    text = render_markdown(sections) if args.markdown else render_text(sections)
    print(text)
    print(f"({elapsed:.0f} s, gas_used of each transaction receipt on anvil, EVM prague)", file=sys.stderr)
    if args.output:
        args.output.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
