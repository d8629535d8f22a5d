"""Real activity on a Tutti deployment: every kind of event the indexer follows (``make_activity``,
used by the indexer's tests and benchmark), and a bulk mix of the common ones in full blocks
(``send_mixed_activity``, the benchmark's volume)."""

from __future__ import annotations

import json
import urllib.request

from ape import accounts
from eth_utils import keccak

from tutti import governance as gov
from tutti import passes, royalties
from tutti.attestations import Attestation, kind_id, sign_attestation
from tutti.jobs import request_job
from tutti.royalties import ETH
from tutti.usage import USAGE_KIND, PlayTree
from tutti.works import Share, register_work

ETHER = 10**18
DAY = 86_400
MODEL = bytes.fromhex("11" * 32)


def register(tutti, artist, tag: str, contributors, parents=()):
    return register_work(
        tutti, artist, metadata_cid=f"bafy-{tag}", content_hash=keccak(text=tag),
        contributors=[Share(a.address, bps) for a, bps in contributors],
        parents=[Share(str(work_id), bps) for work_id, bps in parents],
    )


def attest(tutti, operator, job_id: int, honest: bool = True):
    """A fixed result: honest operators agree with each other, a liar does not."""
    return attest_result(tutti, operator, job_id, bytes.fromhex(("aa" if honest else "bb") * 32),
                         "bafyresult" if honest else "bafylie")


def attest_result(tutti, operator, job_id: int, result_hash: bytes, result_cid: str):
    attestation = Attestation(job_id, result_hash, result_cid, MODEL)
    signature = sign_attestation(operator.private_key, attestation, tutti.book.chain_id, tutti.hub.address)
    return tutti.hub.submitAttestation(attestation.as_tuple(), signature, sender=operator)


def end_epoch(chain, usage, epoch: int) -> None:
    """The next block is the first of the epoch after ``epoch``."""
    _, end = usage.epochBounds(epoch)
    chain.pending_timestamp = max(end, chain.pending_timestamp)


def settle_epoch(tutti, reporter, attesters, epoch: int, tree: PlayTree) -> int:
    """The reporter's usage job for ``epoch``, attested by ``attesters`` with the tree's commitment,
    then the settlement; returns the job id."""
    job = request_job(tutti, reporter, USAGE_KIND, f"bafy-usage-report-{epoch}",
                      {"usage": tutti.usage.address, "epoch": epoch}, fee=10**15)
    result_hash = tutti.usage.commitmentOf(epoch, tree.root, tree.total_plays)
    for operator in attesters:
        attest_result(tutti, operator, job.job_id, result_hash, f"bafy-settlement-{epoch}")
    tutti.usage.settle(epoch, job.job_id, tree.root, tree.total_plays, sender=reporter)
    return job.job_id


def usage_epochs(tutti, chain, stablecoin, reporter, funder, attesters, song, remix) -> dict:
    """Three epochs: the first funded in ETH and tUSD, settled with plays for two works (2:1); both
    works claim their ETH (1 wei of dust stays), only the song its tUSD (the remix's part stays).
    The second funded in ETH, settled with no plays and rolled over at once into the third, which
    stays unsettled. About two epoch lengths (2 x 7 days) of time travel."""
    usage = tutti.usage
    assert usage.reporter() == reporter.address
    first = usage.currentEpoch()
    usage.fundETH(sender=funder, value=ETHER)
    stablecoin.approve(usage.address, 90 * 10**6, sender=funder)
    usage.fund(stablecoin.address, 90 * 10**6, sender=funder)
    end_epoch(chain, usage, first)
    tree = PlayTree({song.work_id: 2, remix.work_id: 1})
    jobs = [settle_epoch(tutti, reporter, attesters, first, tree)]
    for work_id, plays in tree.plays.items():
        usage.claim(first, ETH, work_id, plays, tree.proof(work_id), sender=funder)
    usage.claim(first, stablecoin.address, song.work_id, 2, tree.proof(song.work_id), sender=funder)

    second = usage.currentEpoch()
    usage.fundETH(sender=reporter, value=ETHER // 4)
    end_epoch(chain, usage, second)
    # As a correction does (tutti.epochs): no report requested so far may settle the epoch.
    usage.supersedeReports(second, tutti.hub.jobCount() + 1, sender=reporter)
    jobs.append(settle_epoch(tutti, reporter, attesters, second, PlayTree({})))
    usage.rollOver(second, ETH, sender=funder)  # no plays: the whole pool moves on at once
    return {"epochs": [first, second, usage.currentEpoch()], "tree": tree, "jobs": jobs}


def open_rooms(tutti, chain, artist, vocalist, song, solo) -> tuple[int, int, int]:
    """Three rooms: ``live`` (open now, transferable, paid), ``later`` (upcoming, free, not
    transferable) and ``encore`` (open now, transferable, paid)."""
    now = chain.blocks.head.timestamp
    song_split = tutti.registry.work(song.work_id).splitId
    live = passes.create_room(tutti, artist, split_id=song_split, price=ETHER // 100, supply_cap=10,
                              valid_from=now - 60, valid_until=now + 30 * DAY, metadata_cid="bafy-room-live")
    later = passes.create_room(tutti, vocalist, split_id=tutti.registry.work(solo.work_id).splitId, price=0,
                               supply_cap=2, valid_from=now + 10 * DAY, valid_until=now + 20 * DAY,
                               metadata_cid="bafy-room-later", transferable=False)
    encore = passes.create_room(tutti, artist, split_id=song_split, price=ETHER // 50, supply_cap=3,
                                valid_from=now, valid_until=now + 30 * DAY, metadata_cid="bafy-room-encore")
    return live.room_id, later.room_id, encore.room_id


def licence_sales(tutti, chain, stablecoin, deployer, artist, producer, vocalist, fan, song, solo) -> dict:
    """LicenseOffers activity: three offers (a transferable 30-day streaming licence in ETH, a
    perpetual non-transferable remix licence in tUSD, a free one-minute personal licence), sales
    (one bought for another account), a transfer, a pause, a derivative policy, a treasury change by
    the timelock and an ETH fee payout; the one-minute licence has expired at the end."""
    from tutti import licenses

    rights = licenses.RIGHTS
    streaming, _ = licenses.create_offer(
        tutti, artist, work_id=song.work_id, rights=rights["personal"] | rights["streaming"], price=ETHER // 100,
        supply_cap=5, terms_cid="bafy-terms-streaming", duration=30 * DAY, transferable=True)
    remix, _ = licenses.create_offer(
        tutti, artist, work_id=song.work_id, rights=rights["derivative"], price=50 * 10**6, supply_cap=2,
        terms_cid="bafy-terms-remix", token=stablecoin.address)
    listen, _ = licenses.create_offer(
        tutti, vocalist, work_id=solo.work_id, rights=rights["personal"], price=0, supply_cap=3,
        terms_cid="bafy-terms-listen", duration=60)
    fan_streaming = licenses.buy_license(tutti, fan, streaming)
    gift = licenses.buy_license(tutti, fan, streaming, to=producer.address)
    stablecoin.mint(producer, 100 * 10**6, sender=producer)
    producer_remix = licenses.buy_license(tutti, producer, remix)
    fan_listen = licenses.buy_license(tutti, fan, listen)
    tutti.licenses.transferFrom(producer.address, vocalist.address, gift.license_id, sender=producer)
    licenses.set_paused(tutti, artist, streaming, True)
    licenses.require_derivative_license(tutti, artist, song.work_id)
    timelock = accounts[tutti.timelock.address]
    chain.provider.set_balance(timelock.address, chain.provider.get_balance(timelock.address) + ETHER)
    tutti.licenses.setTreasury(deployer.address, sender=timelock)
    tutti.licenses.withdrawPlatformFees(ETH, sender=fan)
    chain.pending_timestamp += 120  # the one-minute licence expires
    chain.mine(1)
    return {"offers": [streaming, remix, listen],
            "licences": [fan_streaming.license_id, gift.license_id, producer_remix.license_id, fan_listen.license_id]}


def make_activity(tutti, chain, stablecoin, deployer, artist, producer, vocalist, fan, voters, operators) -> dict:
    """Works, a remix, ETH and tUSD royalties, withdrawals, a forward upstream, a metadata change,
    two proposals (one executed, one left defeated), two oracle jobs (one fulfilled over a
    dissenter, one open) and an operator withdrawal; operator bonds (all three bond, one twice; the
    dissenter requests an unbond and is slashed by the timelock for its dissent); access-pass
    rooms, sales at two platform fees (the executed proposal changes the fee and the treasury), a
    single and a batch transfer,
    two revocations (one of an account holding no pass), an operator approval and a fee payout;
    usage-royalty epochs (see ``usage_epochs``) with two more (usage) oracle jobs; licence offers
    and sales (see ``licence_sales``)."""
    song = register(tutti, artist, "song", [(artist, 5000), (producer, 3000), (vocalist, 2000)])
    remix = register(tutti, producer, "remix", [(producer, 10_000)], parents=[(song.work_id, 2000)])
    solo = register(tutti, vocalist, "solo", [(vocalist, 10_000)])
    tutti.registry.setMetadataCid(solo.work_id, "bafy-solo-v2", sender=vocalist)

    royalties.pay(tutti, fan, song.work_id, ETHER)
    royalties.pay(tutti, fan, remix.work_id, ETHER // 2)
    stablecoin.mint(fan, 1_000 * 10**6, sender=fan)
    royalties.pay(tutti, fan, song.work_id, 250 * 10**6, token=stablecoin.address)
    royalties.forward_upstream(tutti, fan, remix.work_id)
    royalties.withdraw(tutti, artist, song.work_id)
    royalties.withdraw(tutti, producer, song.work_id, token=stablecoin.address)
    royalties.withdraw(tutti, producer, remix.work_id)
    royalties.withdraw_to(tutti, vocalist, song.work_id, ETH, fan.address)  # paid to another address: WithdrawnTo
    # Before the rooms and proposals: they are timed from "now", which this moves two weeks on.
    # Two of the three operators attest (not operators[1], whose attestations the API tests count).
    usage = usage_epochs(tutti, chain, stablecoin, deployer, fan, operators[::2], song, remix)

    live, later, encore = open_rooms(tutti, chain, artist, vocalist, song, solo)
    for _ in range(3):
        passes.buy_pass(tutti, fan, live)
    passes.buy_pass(tutti, fan, live, to=producer.address)
    passes.buy_pass(tutti, vocalist, live)
    passes.buy_pass(tutti, fan, later)  # free: no deposit into the split

    first, second = voters
    actions = [gov.encode_call(tutti, "ContentRegistry", "setRegistrationFee", [10**15]),
               gov.encode_call(tutti, "AccessPass", "setPlatformFee", [300]),
               gov.encode_call(tutti, "AccessPass", "setTreasury", [deployer.address])]
    passed = gov.propose(tutti, first, actions, "Charge 0.001 ETH per registration; 3% on passes")
    chain.mine(2)
    gov.vote(tutti, first, passed.proposal_id, gov.Support.FOR, reason="fair")
    gov.vote(tutti, second, passed.proposal_id, gov.Support.ABSTAIN)
    tutti.token.transfer(fan, 1_000 * ETHER, sender=first)  # moves votes: DelegateVotesChanged
    gov.delegate(tutti, fan, first.address)
    failing = gov.propose(tutti, second, [gov.encode_call(tutti, "OracleHub", "setQuorum", [1])],
                          "Lower the oracle quorum")
    chain.mine(2)
    gov.vote(tutti, second, failing.proposal_id, gov.Support.AGAINST)
    chain.mine(22)
    gov.queue(tutti, deployer, passed.proposal_id)
    chain.pending_timestamp += 61
    gov.execute(tutti, deployer, passed.proposal_id)

    kind = kind_id("analyze")
    fee = tutti.hub.minFeeOf(kind) + 10**15 + 1
    tutti.hub.requestJob(kind, "bafy-input", b'{"key": "C"}', song.work_id, sender=fan, value=fee)
    done = tutti.hub.jobCount()
    liar, honest_one, honest_two = operators
    for operator in operators:
        tutti.hub.bond(sender=operator, value=ETHER)
    tutti.hub.bond(sender=honest_two, value=ETHER // 2)  # a second bond adds up
    tutti.hub.requestUnbond(4 * ETHER // 10, sender=liar)
    attest(tutti, liar, done, honest=False)
    attest(tutti, honest_one, done)
    attest(tutti, honest_two, done)
    # Governance slashes the dissenter: more than its counting bond, so the rest comes out of its
    # pending unbonding (0.6 + 0.2 ETH; 0.2 ETH stays unbonding).
    timelock = accounts[tutti.timelock.address]
    chain.provider.set_balance(timelock.address, chain.provider.get_balance(timelock.address) + ETHER)
    tutti.hub.slash(liar.address, done, 8 * ETHER // 10, sender=timelock)
    tutti.hub.requestJob(kind, "bafy-input-2", b"{}", 0, sender=fan, value=fee)
    tutti.hub.withdraw(sender=honest_one)

    passes.buy_pass(tutti, fan, encore)  # at the new 3% fee
    tutti.passes.safeTransferFrom(fan.address, vocalist.address, live, 1, b"", sender=fan)
    tutti.passes.safeBatchTransferFrom(fan.address, first.address, [live, encore], [1, 1], b"", sender=fan)
    passes.revoke(tutti, artist, live, producer.address)  # burns producer's pass
    passes.revoke(tutti, vocalist, later, second.address)  # banned in advance: nothing to burn
    tutti.passes.setApprovalForAll(vocalist.address, True, sender=fan)
    tutti.passes.withdrawPlatformFees(sender=fan)
    passes.buy_pass(tutti, vocalist, encore)  # fees pending again
    # The first step of a two-step ownership transfer (never accepted): OwnershipTransferStarted.
    owner = accounts[tutti.registry.owner()]
    chain.provider.set_balance(owner.address, chain.provider.get_balance(owner.address) + ETHER)
    tutti.registry.transferOwnership(first.address, sender=owner)
    chain.mine(1)
    sales = licence_sales(tutti, chain, stablecoin, deployer, artist, producer, vocalist, fan, song, solo) \
        if tutti.licenses is not None else None
    return {"works": [song, remix, solo], "proposals": [passed, failing], "jobs": [done, done + 1],
            "rooms": [live, later, encore], "usage": usage, "licences": sales}


TOKEN = 10**18
#: One bulk transaction of each kind, in turn: (kind, events it emits).
MIXED_KINDS = (("deposit", 1), ("pass", 3), ("funding", 1), ("token", 3), ("deposit-remix", 1), ("withdrawal", 1),
               ("withdrawal-to", 2))


def _rpc(url: str, payload):
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.loads(response.read())


def _mine_all(url: str) -> None:
    """Mine until the pool is empty (a block the gas limit fills leaves the rest waiting; a pool
    that grows makes every later block slower to build)."""
    while True:
        _rpc(url, {"jsonrpc": "2.0", "id": 1, "method": "evm_mine", "params": []})
        status = _rpc(url, {"jsonrpc": "2.0", "id": 1, "method": "txpool_status", "params": []})["result"]
        if not int(status["pending"], 16):
            return


def send_mixed_activity(tutti, chain, url: str, events: int, *, artist, producer, vocalist, payers, holders,
                        per_block: int = 200) -> int:
    """About ``events`` more events in full blocks of ``per_block`` transactions, sent in JSON-RPC
    batches with automine off: royalty deposits into a work and into its remix, pass sales (sale,
    deposit, mint), usage-pool fundings, token transfers between two self-delegated holders (transfer
    and two vote changes) and withdrawals by a work's contributors (one of them paid to a payer). Needs ``make_activity``'s works
    first. Returns the number of transactions sent."""
    song = 1
    remix = 2
    song_split = tutti.registry.work(song).splitId
    remix_split = tutti.registry.work(remix).splitId
    now = chain.blocks.head.timestamp
    room = passes.create_room(tutti, artist, split_id=song_split, price=10**9, supply_cap=2**32 - 1,
                              valid_from=now - 60, valid_until=now + 365 * DAY, metadata_cid="bafy-room-bulk").room_id
    calls = {
        "deposit": (tutti.splitter.address, tutti.splitter.depositETH.encode_input(song_split), 10**12, 90_000),
        "deposit-remix": (tutti.splitter.address, tutti.splitter.depositETH.encode_input(remix_split), 10**12, 90_000),
        "pass": (tutti.passes.address, tutti.passes.buyPass.encode_input(room, payers[0].address), 10**9, 260_000),
        "funding": (tutti.usage.address, tutti.usage.fundETH.encode_input(), 10**12, 90_000),
    }
    transfers = [tutti.token.transfer.encode_input(holder.address, 1) for holder in reversed(holders)]
    withdrawals = [(who.address, tutti.splitter.withdraw.encode_input(song_split, ETH, who.address))
                   for who in (artist, producer)]
    # The vocalist's share paid to the first payer: Withdrawn, then WithdrawnTo.
    withdrawal_to = tutti.splitter.withdrawTo.encode_input(song_split, ETH, vocalist.address, payers[0].address, 0, b"")
    senders = [p.address for p in payers]
    everyone = set(senders) | {h.address for h in holders} | {a for a, _ in withdrawals} | {vocalist.address}
    nonces = {a: int(_rpc(url, {"jsonrpc": "2.0", "id": 1, "method": "eth_getTransactionCount",
                                "params": [a, "pending"]})["result"], 16) for a in everyone}
    _rpc(url, {"jsonrpc": "2.0", "id": 1, "method": "evm_setAutomine", "params": [False]})
    sent = emitted = 0
    try:
        while emitted < events:
            batch = []
            for _ in range(per_block):
                kind, count = MIXED_KINDS[sent % len(MIXED_KINDS)]
                if kind == "token":
                    sender = holders[sent % 2].address
                    to, data, value, gas = tutti.token.address, transfers[sent % 2], 0, 130_000
                elif kind == "withdrawal":
                    sender, data = withdrawals[(sent // len(MIXED_KINDS)) % len(withdrawals)]
                    to, value, gas = tutti.splitter.address, 0, 120_000
                elif kind == "withdrawal-to":
                    sender, to, data, value, gas = vocalist.address, tutti.splitter.address, withdrawal_to, 0, 150_000
                else:
                    sender = senders[sent % len(senders)]
                    to, data, value, gas = calls[kind]
                batch.append({"jsonrpc": "2.0", "id": len(batch), "method": "eth_sendTransaction", "params": [{
                    "from": sender, "to": to, "value": hex(value), "gas": hex(gas), "data": "0x" + bytes(data).hex(),
                    "nonce": hex(nonces[sender]), "maxFeePerGas": hex(10**10), "maxPriorityFeePerGas": hex(10**9)}]})
                nonces[sender] += 1
                sent += 1
                emitted += count
            errors = [r for r in _rpc(url, batch) if "error" in r]
            if errors:
                raise RuntimeError(f"anvil refused transactions: {errors[:2]}")
            _mine_all(url)
        while int(_rpc(url, {"jsonrpc": "2.0", "id": 1, "method": "txpool_status", "params": []})
                  ["result"]["pending"], 16):
            _rpc(url, {"jsonrpc": "2.0", "id": 1, "method": "evm_mine", "params": []})
    finally:
        _rpc(url, {"jsonrpc": "2.0", "id": 1, "method": "evm_setAutomine", "params": [True]})
    return sent
