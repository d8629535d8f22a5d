"""The Tutti story on a fresh deployment: register, pay, withdraw, govern.

Run by `make demo` after `ape run deploy`; every step uses the same library calls as the
one-action scripts, and every amount is checked, not just printed.
"""

import json
import os
import time
from pathlib import Path

import click
from ape import chain
from ape.cli import ConnectedProviderCommand
from eth_utils import keccak

from tutti.bonds import bond
from tutti.chain import Tutti
from tutti.ipfs_cli import open_configured_store
from tutti.jobs import request_job, wait_for_result
from tutti.music import corpus_midi, synthesize_parts
from tutti.passes import buy_pass, chain_now, create_room, has_valid_pass
from tutti.results import canonical_json
from tutti.epochs import claim_usage, fund_epoch, report_usage, roll_over, settle_epoch
from tutti.errors import TuttiError
from tutti.governance import (ProposalState, Support, delegate, enact_on_local_chain, encode_call, execute, propose,
                              queue, status, vote)
from tutti.royalties import ETH, balances, flush_wallet, forward_upstream, pay, waiting_in_wallet, withdraw
from tutti.script_support import format_amount, user_errors
from tutti.settings import get_settings
from tutti.usage import report_bytes
from tutti.works import Share, register_work

TOKEN = 10**18
ETHER = 10**18
TUSD = 10**6


def heading(text: str) -> None:
    click.secho(f"\n== {text}", bold=True)


def check(condition: bool, what: str) -> None:
    if not condition:
        raise TuttiError(f"story check failed: {what}")
    click.echo(f"   ok: {what}")


@click.command(cls=ConnectedProviderCommand, short_help="Walk the Tutti story on a local deployment")
def cli(network):
    """Register a work with three contributors, pay royalties in ETH and tUSD, withdraw exact
    shares, change a registry parameter through the DAO, and have the oracle network analyse the
    work and render it in 3-D (local networks only; `make demo` starts the chain and the three
    operators' workers)."""
    if not network.is_local:
        raise click.ClickException("the story mines blocks and skips time: run it on a local network")
    with user_errors():
        run_story(Tutti.connect())
    click.secho("\nThe story ran to the end; every amount above was checked.", fg="green")
    # The story's chain stops with it; the web app shows the same kind of state on a platform that stays up.
    click.echo("   In the browser: `make platform` keeps a chain, the services and the web app running (Ctrl-C stops);\n"
               "   the works and their lineage are on #/works, splits and withdrawals on #/royalties, the DAO on\n"
               "   #/governance, rooms and passes on #/rooms (a room's jam session on #/jam/<room>), licences on\n"
               "   #/licences, oracle jobs on #/jobs, operators' bonds on #/operator.")


def pin_work(store, title: str, score: bytes, credits: dict[str, str]) -> tuple[str, bytes]:
    """Pin a work's score and its metadata JSON; return the metadata CID and the score's hash."""
    score_cid = store.add_bytes(score, cid_version=1)
    metadata = {"name": title, "score": f"ipfs://{score_cid}", "mimeType": "audio/midi", "credits": credits}
    return store.add_bytes(canonical_json(metadata), cid_version=1), keccak(score)


def run_story(tutti: Tutti) -> None:
    from ape import accounts

    team = accounts.test_accounts
    deployer, artist, producer, vocalist, fan, holder_a, holder_b = (team[i] for i in range(7))
    stablecoin = tutti.extra("TestToken")
    store = open_configured_store()
    score = corpus_midi("bach/bwv66.6")

    heading("The cast")
    for role, who in [("deployer", deployer), ("artist", artist), ("producer", producer),
                      ("vocalist", vocalist), ("fan", fan), ("token holder A", holder_a),
                      ("token holder B", holder_b)]:
        click.echo(f"   {role:<15} {who.address}")
    for name, address in tutti.book.contracts.items():
        click.echo(f"   {name:<15} {address}")

    heading("1. The artist registers a work with three contributors (50% / 30% / 20%)")
    metadata_cid, score_hash = pin_work(store, "Chorale in F# minor (arr. Tutti)", score,
                                        {"arranger": artist.address, "producer": producer.address,
                                         "vocals": vocalist.address})
    click.echo(f"   score and metadata pinned to IPFS: ipfs://{metadata_cid}")
    suite = register_work(
        tutti, artist,
        metadata_cid=metadata_cid,
        content_hash=score_hash,
        contributors=[Share(artist.address, 5_000), Share(producer.address, 3_000), Share(vocalist.address, 2_000)],
        royalty_bps=1_000,
    )
    click.echo(f"   work {suite.work_id}, split {suite.split_id}, royalty wallet {suite.wallet}")
    click.echo(f"   tx {suite.tx_hash}")
    check(tutti.registry.ownerOf(suite.work_id) == artist.address, "the artist owns the work's token")

    heading("2. The producer registers a remix that pays 20% upstream to the original")
    remix_cid, remix_hash = pin_work(store, "Chorale in F# minor (producer's remix)", score + b"remix",
                                     {"remix": producer.address})
    remix = register_work(
        tutti, producer,
        metadata_cid=remix_cid,
        content_hash=remix_hash,
        contributors=[Share(producer.address, 10_000)],
        parents=[Share(str(suite.work_id), 2_000)],
    )
    click.echo(f"   work {remix.work_id} derives from work {suite.work_id}; tx {remix.tx_hash}")

    heading("3. A fan pays royalties in ETH (the EIP-2981 way) and in tUSD")
    receiver, royalty = tutti.registry.royaltyInfo(suite.work_id, 10 * ETHER)
    click.echo(f"   royaltyInfo(work {suite.work_id}, sale of 10 ETH) -> {format_amount(royalty, ETH)} to {receiver}")
    check(receiver == suite.wallet and royalty == 1 * ETHER, "EIP-2981 points at the work's split wallet")
    receipt = fan.transfer(receiver, royalty)
    click.echo(f"   a marketplace sent {format_amount(royalty, ETH)} to that address: tx {receipt.txn_hash}")
    check(waiting_in_wallet(tutti, suite.work_id) == royalty, "the royalty waits at the work's wallet address")
    flush_wallet(tutti, fan, suite.work_id)
    check(tutti.splitter.totalReceived(suite.split_id, ETH) == royalty, "anyone can flush it into the split")
    stablecoin.mint(fan, 1_000 * TUSD, sender=fan)
    receipt = pay(tutti, fan, suite.work_id, 250 * TUSD, stablecoin.address)
    click.echo(f"   fan deposited 250 tUSD: tx {receipt.txn_hash}")
    receipt = pay(tutti, fan, remix.work_id, ETHER // 2)
    click.echo(f"   fan paid 0.5 ETH to the remix: tx {receipt.txn_hash}")
    forwarded = forward_upstream(tutti, fan, remix.work_id)
    check(forwarded == {suite.work_id: ETHER // 10}, "the remix forwarded exactly 20% (0.1 ETH) upstream")

    heading("4. Every contributor withdraws exactly their share")
    expected = {
        artist.address: (ETHER * 55 // 100, 125 * TUSD),   # 50% of 1 ETH + 50% of 0.1 ETH upstream
        producer.address: (ETHER * 33 // 100, 75 * TUSD),  # 30% of 1.1 ETH
        vocalist.address: (ETHER * 22 // 100, 50 * TUSD),  # 20% of 1.1 ETH
    }
    for report in (balances(tutti, suite.work_id, ETH), balances(tutti, suite.work_id, stablecoin.address)):
        click.echo(f"   work {suite.work_id} received {format_amount(report.total_received, report.token)}")
    for who in (artist, producer, vocalist):
        eth_before, tusd_before = who.balance, stablecoin.balanceOf(who)
        got_eth = withdraw(tutti, who, suite.work_id)
        got_tusd = withdraw(tutti, who, suite.work_id, stablecoin.address)
        want_eth, want_tusd = expected[who.address]
        click.echo(f"   {who.address} withdrew {format_amount(got_eth, ETH)} and {format_amount(got_tusd, stablecoin.address)}")
        check(got_eth == want_eth and got_tusd == want_tusd, "exactly the contributor's share")
        check(stablecoin.balanceOf(who) - tusd_before == want_tusd and who.balance > eth_before,
              "the tokens arrived in the contributor's wallet")
    got_remix = withdraw(tutti, producer, remix.work_id)
    check(got_remix == ETHER * 4 // 10, "the producer keeps 80% of the remix's 0.5 ETH")
    check(tutti.splitter.balance == 0 and stablecoin.balanceOf(tutti.splitter) == 0,
          "the splitter holds nothing back: no wei lost or locked")

    heading("5. Token holders raise the registration fee through the DAO")
    for holder in (holder_a, holder_b):
        tutti.token.transfer(holder, 300_000 * TOKEN, sender=deployer)
        receipt = delegate(tutti, holder)
        click.echo(f"   {holder.address} holds 300,000 TUTTI, delegated to itself: tx {receipt.txn_hash}")
    new_fee = ETHER // 100
    proposal = propose(
        tutti, holder_a,
        [encode_call(tutti, "ContentRegistry", "setRegistrationFee", [new_fee])],
        "Charge 0.01 ETH per registration to fund the treasury and deter spam",
    )
    click.echo(f"   proposal {proposal.proposal_id}")
    chain.mine(tutti.governor.votingDelay() + 1)
    vote(tutti, holder_a, proposal.proposal_id, Support.FOR, "a small fee keeps the registry clean")
    vote(tutti, holder_b, proposal.proposal_id, Support.FOR)
    chain.mine(tutti.governor.votingPeriod() + 1)
    tally = status(tutti, proposal.proposal_id)
    click.echo(f"   votes for {tally.votes_for // TOKEN:,} TUTTI, quorum {tally.quorum // TOKEN:,} TUTTI -> {tally.state.name}")
    check(tally.state is ProposalState.SUCCEEDED, "the proposal passed")
    receipt = queue(tutti, holder_a, proposal.proposal_id)
    click.echo(f"   queued in the timelock: tx {receipt.txn_hash}")
    chain.pending_timestamp += tutti.timelock.getMinDelay() + 1
    chain.mine(1)
    receipt = execute(tutti, holder_b, proposal.proposal_id)
    click.echo(f"   executed by the timelock: tx {receipt.txn_hash}")
    check(tutti.registry.registrationFee() == new_fee, "the registry now charges 0.01 ETH")

    heading("6. The new fee is in force")
    treasury_before = tutti.timelock.balance
    third = register_work(
        tutti, vocalist,
        metadata_cid="QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o",
        content_hash=keccak(text="Tutti Suite No. 2 - vocal sketch"),
        contributors=[Share(vocalist.address, 10_000)],
    )
    # Fees are pulled (a treasury refusing ETH cannot stop registration): anyone sends them on.
    tutti.registry.withdrawRegistrationFees(sender=fan)
    check(tutti.timelock.balance - treasury_before == new_fee, f"work {third.work_id} paid 0.01 ETH into the DAO treasury")

    room_id = open_live_room(tutti, artist, fan, suite)
    jam_session(tutti, room_id, players=(fan, vocalist), stranger=producer, host=artist, listener=holder_a)

    heading("8. The oracle network analyses the work (2 of 3 bonded operators must agree; the DAO slashes a liar)")
    operators = list(tutti.hub.operators())
    click.echo(f"   operators: {', '.join(operators)} (quorum {tutti.hub.quorum()}); the third runs with a "
               "deliberate fault (it attests to wrong bytes) and, unlike the others, waits for no confirmation")
    score_cid = json.loads(store.cat(metadata_cid))["score"].removeprefix("ipfs://")
    fee = ETHER // 50
    liar = operators[2]
    for operator in operators:
        bond(tutti, accounts[operator], ETHER)
    check(all(tutti.hub.bondOf(operator) == ETHER for operator in operators),
          f"each operator bonded 1 ETH (the DAO's minimum to attest: {format_amount(tutti.hub.minBond(), ETH)})")
    job, result = run_oracle_job(tutti, store, fan, "analyze", score_cid, {"window_beats": 1}, fee, suite.work_id,
                                 liar, f"analyze the score of work {suite.work_id}")
    analysis = json.loads(result.files["analysis.json"])
    click.echo(f"   fulfilled: ipfs://{result.result_cid}")
    click.echo(f"   key {analysis['key']['name']}, {analysis['meter']}, {analysis['tempo_bpm']} bpm; chords "
               + " ".join(c["symbol"] for c in analysis["chords"][:12]) + " ...")
    check(analysis["key"]["name"] == "F# minor", "the analysis found the chorale's key")
    check(len(result.operators) == 2, "two operators agreed, and the result's files match the attested hash")
    check(liar in tutti.hub.dissentersOf(job.job_id)[0] and tutti.hub.claimable(liar) == 0,
          f"the faulty operator {liar} earned nothing; its dissent is on chain")
    for operator in result.operators:
        earned = tutti.hub.claimable(operator)
        tutti.hub.withdraw(sender=accounts[operator])
        check(earned == fee // 2, f"operator {operator} withdrew {format_amount(earned, ETH)}")
    treasury_before = tutti.timelock.balance
    slash = encode_call(tutti, "OracleHub", "slash", [liar, job.job_id, ETHER // 4])
    receipt = enact_on_local_chain(tutti, (holder_a, holder_b), [slash],
                                   f"Slash operator {liar} 0.25 ETH for its wrong answer to job {job.job_id}")
    check(tutti.hub.bondOf(liar) == ETHER * 3 // 4 and tutti.timelock.balance - treasury_before == ETHER // 4,
          f"a DAO vote slashed the faulty operator's bond by 0.25 ETH into the treasury (tx {receipt.txn_hash}); "
          "it stays above the minimum, so it keeps serving")
    annotated = register_work(
        tutti, fan, metadata_cid=result.result_cid, content_hash=result.result_hash,
        contributors=[Share(fan.address, 10_000)], parents=[Share(str(suite.work_id), 1_000)],
    )
    check(tutti.registry.parentsOf(annotated.work_id)[0].workId == suite.work_id,
          f"the analysis is registered as work {annotated.work_id}, a derivative paying 10% to work {suite.work_id}")

    heading("9. The oracle network renders the choir around the listener (binaural, for headphones)")
    scene_cid = pin_choir_scene(store, score)
    click.echo(f"   four synthesized voices and a scene (soprano front-left, alto front-right, tenor circling, "
               f"bass behind) pinned: ipfs://{scene_cid}")
    job, result = run_oracle_job(tutti, store, fan, "render", scene_cid, {"block_size": 480}, fee, suite.work_id,
                                 liar, "render the scene binaurally")
    wav = result.files["binaural.wav"]
    left, right = stereo_energy(wav)
    click.echo(f"   fulfilled: ipfs://{result.result_cid} ({len(wav) // 1024} KiB WAV, FLAC beside it)")
    check(liar in tutti.hub.dissentersOf(job.job_id)[0], "two operators agreed on the same bytes; the faulty one dissented")
    check(min(left, right) > 0.05 * max(left, right), "both ears hear the choir")
    saved = Path(".tutti/demo/choir-binaural.wav")
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_bytes(wav)
    click.echo(f"   saved to {saved} (listen with headphones)")

    ai_work = compose_and_accompany(tutti, store, fan, suite, score_cid, fee, liar)

    epoch = usage_royalties(tutti, store, funder=fan, reporter=deployer, anyone=producer,
                            listeners=(fan, holder_a, holder_b, vocalist), works=(suite, remix, ai_work),
                            fee=fee, liar=liar)

    if indexer_url := os.environ.get("TUTTI_INDEXER_URL"):
        show_index(tutti, indexer_url, suite.work_id, artist.address, proposal.proposal_id, job.job_id, liar, epoch)

    licensed_gated_work(tutti, store, artist=artist, fan=holder_b, producer=producer)


def open_live_room(tutti: Tutti, host, fan, work) -> int:
    """Chapter 7: the artist opens a paid room for a live session; a fan buys a pass."""
    heading("7. A live session: the artist opens a room, a fan buys a pass, two musicians jam in 3-D")
    now = chain_now()
    price = ETHER // 20
    created = create_room(tutti, host, split_id=work.split_id, price=price, supply_cap=50, valid_from=now,
                          valid_until=now + 3 * 3600, metadata_cid=work_metadata(tutti, work.work_id),
                          transferable=False)
    click.echo(f"   room {created.room_id}: 0.05 ETH, 50 seats, valid for 3 hours, soulbound: tx {created.tx_hash}")
    before = tutti.splitter.totalReceived(work.split_id, ETH)
    fee_bps = tutti.passes.platformFeeBps()
    bought = buy_pass(tutti, fan, created.room_id)
    click.echo(f"   fan bought a pass for {format_amount(bought.price, ETH)}")
    check(has_valid_pass(tutti, created.room_id, fan.address), "the fan's pass admits it to the room now")
    paid = tutti.splitter.totalReceived(work.split_id, ETH) - before
    check(paid == price - price * fee_bps // 10_000,
          f"the work's split received {format_amount(paid, ETH)}; the platform fee ({fee_bps / 100:g}%) is the DAO's")
    return created.room_id


def _composer_evaluation() -> dict:
    path = Path(__file__).resolve().parents[1] / "oracle" / "models" / "checkpoints" / "evaluation.json"
    return json.loads(path.read_text()).get("composer", {}) if path.exists() else {}


def _composer_label() -> str:
    return _composer_evaluation().get("labels", {}).get("composer", "composer").removesuffix(" (served)")


def _composer_scores() -> str:
    """The served composer's held-out score beside the other composers', as `tutti-train evaluate` recorded it."""
    scores = _composer_evaluation()
    if "composer" not in scores or "composer_baseline" not in scores:
        return "not evaluated yet (tutti-train evaluate)"
    labels = scores.get("labels", {})
    others = [f"{labels.get(name, name).removesuffix(' (served)')} {scores[name]['nll']:.3f}"
              for name in ("composer_transformer", "composer_lstm", "composer_baseline") if name in scores]
    return (f"{scores['composer']['nll']:.3f} nats/token on {scores['test_pieces']} held-out pieces; "
            + ", ".join(others) + f", the n-gram {scores['ngram']['nll']:.3f} (lower is better)")


def _composer_structure() -> str:
    """What the structure guide does to composed pieces, beside real held-out tunes (from the evaluation)."""
    scores = _composer_evaluation()
    if "composer_guided" not in scores:
        return "not evaluated yet (tutti-train evaluate)"
    guided, free, real = scores["composer_guided"], scores["composer"], scores["real_validation"]
    return (f"last note on the tonic {guided['ends_on_tonic']:.2f} (unguided {free['ends_on_tonic']:.2f}, real tunes "
            f"{real['ends_on_tonic']:.2f}); bars repeating an earlier bar {guided['bar_repetition']:.2f} (unguided "
            f"{free['bar_repetition']:.2f}, real {real['bar_repetition']:.2f})")


def compose_and_accompany(tutti: Tutti, store, fan, work, score_cid: str, fee: int, liar: str):
    """The generative models as oracle jobs: continue the chorale's melody, then arrange it."""
    heading("10. AI: the oracle network continues the chorale's melody, then arranges it for a band")
    job, result = run_oracle_job(tutti, store, fan, "compose", score_cid,
                                 {"bars": 8, "style": "chorale", "temperature": 0.9, "top_k": 8}, fee, work.work_id,
                                 liar, f"compose 8 more bars in the chorale's style ({_composer_label()})")
    summary = json.loads(result.files["composition.json"])
    click.echo(f"   composition: ipfs://{result.result_cid}/composition.mid ({_describe(summary)})")
    click.echo(f"   composer ({_composer_label()}) held-out score: {_composer_scores()}")
    click.echo(f"   its learned structure guide: {_composer_structure()}")
    check(liar in tutti.hub.dissentersOf(job.job_id)[0], "two operators generated the same bytes from the job's seed")
    melody_cid = f"{result.result_cid}/composition.mid"
    job, arranged = run_oracle_job(tutti, store, fan, "accompany", melody_cid, {"style": "folk", "mood": "calm"},
                                   fee, 0, liar, "harmonize and arrange it: chords, bass, drums")
    click.echo(f"   arrangement: ipfs://{arranged.result_cid}/accompaniment.mid "
               f"({_describe(json.loads(arranged.files['accompaniment.json']))})")
    ai_work = register_work(
        tutti, fan, metadata_cid=result.result_cid, content_hash=result.result_hash,
        contributors=[Share(fan.address, 10_000)], parents=[Share(str(work.work_id), 2_000)], license="CC-BY-SA-4.0",
    )
    check(tutti.registry.parentsOf(ai_work.work_id)[0].workId == work.work_id,
          f"the AI continuation is work {ai_work.work_id}, paying 20% of its income to work {work.work_id}")
    return ai_work


def usage_royalties(tutti: Tutti, store, funder, reporter, anyone, listeners, works, fee: int, liar: str) -> int:
    """Chapter 11: a pool shared by plays. Returns the epoch."""
    heading("11. Usage royalties: a subscription pool is shared by attested play counts")
    suite, remix, ai_work = works
    epoch, receipt = fund_epoch(tutti, funder, ETHER)
    fund_epoch(tutti, funder, 300 * TUSD, tutti.book.address("TestToken"))
    start, end = tutti.usage.epochBounds(epoch)
    click.echo(f"   a streaming service pools 1 ETH and 300 tUSD of subscriptions into epoch {epoch} "
               f"({(end - start) // 86_400}-day epochs): tx {receipt.txn_hash}")
    first, second, third, fourth = (listener.address for listener in listeners)
    plays = [  # what the service's players counted during the epoch
        {"listener": first, "work": suite.work_id, "count": 150},  # one account looping a track: capped at 100
        {"listener": second, "work": suite.work_id, "count": 40},
        {"listener": third, "work": suite.work_id, "count": 20},
        {"listener": second, "work": remix.work_id, "count": 30},
        {"listener": fourth, "work": remix.work_id, "count": 10},
        {"listener": first, "work": ai_work.work_id, "count": 25},
        {"listener": third, "work": ai_work.work_id, "count": 15},
    ]
    chain.pending_timestamp = end
    chain.mine(1)
    cid, job = report_usage(tutti, store, reporter, epoch, report_bytes(epoch, plays), fee)
    click.echo(f"   the epoch ended; the reporter pinned its play report (ipfs://{cid}) and requested "
               f"job {job.job_id}")
    wait_until(lambda: tutti.hub.attestationOf(job.job_id, liar) != b"\x00" * 32, "the faulty operator's answer")
    chain.mine(1)  # the honest operators' confirmation
    settlement, receipt = settle_epoch(tutti, store, anyone, epoch, job.job_id)
    counted = settlement.tree.plays
    click.echo(f"   operators counted {counted} (work: plays), root 0x{settlement.root.hex()[:16]}...")
    check(counted == {suite.work_id: 160, remix.work_id: 40, ai_work.work_id: 40},
          "the looping listener counted 100 plays, not 150")
    check(liar in tutti.hub.dissentersOf(job.job_id)[0], "two operators agreed on the root; the faulty one dissented")
    click.echo(f"   anyone settles it: tx {receipt.txn_hash}")
    received_before = {work.work_id: tutti.splitter.totalReceived(work.split_id, ETH) for work in works}
    claims = claim_usage(tutti, store, anyone, epoch, tokens=(ETH, tutti.book.address("TestToken")))
    for claim in claims:
        click.echo(f"   work {claim.work_id}: {claim.plays} plays -> {format_amount(claim.amount, claim.token)}")
    eth_claims = {claim.work_id: claim.amount for claim in claims if claim.token == ETH}
    check(eth_claims == {suite.work_id: ETHER * 160 // 240, remix.work_id: ETHER * 40 // 240,
                         ai_work.work_id: ETHER * 40 // 240}, "each work got pool x plays / 240, rounded down")
    check(all(tutti.splitter.totalReceived(work.split_id, ETH) - received_before[work.work_id] == eth_claims[work.work_id]
              for work in works), "every part landed in the work's own split (contributors, then parents)")
    dust = ETHER - sum(eth_claims.values())
    chain.pending_timestamp += tutti.usage.claimWindow()
    chain.mine(1)
    rolled, into = roll_over(tutti, anyone, epoch)
    check(rolled == dust and tutti.usage.poolOf(into, ETH) == dust,
          f"after the {tutti.usage.claimWindow() // 86_400}-day claim window the {dust} wei of rounding dust "
          f"rolled into epoch {into}'s pool: nothing is locked")
    return epoch


PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def _describe(summary: dict) -> str:
    keys = ("key", "meter", "bars", "notes", "tracks", "style", "chords")
    parts = []
    for name in keys:
        if name in summary:
            value = summary[name]
            if name == "key" and isinstance(value, str) and value.split()[0].isdigit():
                tonic, mode = value.split(maxsplit=1)
                value = f"{PITCH_NAMES[int(tonic) % 12]} {mode}"
            if isinstance(value, list):
                value = " ".join(map(str, value[:8])) + (" ..." if len(value) > 8 else "")
            parts.append(f"{name} {value}")
    return ", ".join(parts) or ", ".join(sorted(summary))


def jam_session(tutti: Tutti, room_id: int, players, stranger, host, listener) -> None:
    """Two musicians with passes play in the room on a media node; each hears the other in 3-D; a pass
    holder who does not play hears the room through the node's Janus SFU (the audience)."""
    import subprocess
    import sys
    import tempfile

    import numpy as np

    from media.clicks import click_delays_ms, tone_with_clicks

    buy_pass(tutti, host, room_id, to=players[1].address)  # the host invites the vocalist
    audience = Path(get_settings().janus.binary).exists()
    if audience:
        buy_pass(tutti, host, room_id, to=listener.address)  # ... and a token holder, to listen
    tools = Path(sys.executable).parent
    port = int(subprocess.run([str(Path("bin/free-port"))], capture_output=True, text=True).stdout)
    url = f"http://127.0.0.1:{port}"
    serve = [str(tools / "tutti-media"), "serve", "--room", str(room_id), "--port", str(port),
             "--rpc-url", chain.provider.uri, "--pass-contract", tutti.passes.address]
    directory = os.environ.get("TUTTI_INDEXER_URL")
    if directory:  # the host lists the node in the indexer's room directory; musicians look it up there
        serve += ["--announce", directory]
    if audience:  # the node starts its own Janus on 127.0.0.1 and feeds it the room's audience mix
        serve += ["--janus", "auto"]
    node = subprocess.Popen(serve, env={**os.environ, "TUTTI_MEDIA_HOST_KEY": _key(host)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: _answers(f"{url}/healthz"), "the media node")
        click.echo(f"   media node for room {room_id} at {url} (browser client: {url}/)")
        if directory:
            import httpx

            def listed_nodes() -> list:  # 404 until the indexer has seen the room
                response = httpx.get(f"{directory}/rooms/{room_id}/media-nodes")
                return response.json() if response.status_code == 200 else []

            wait_until(listed_nodes, "the room directory")
            listed = listed_nodes()[0]
            check(listed["url"] == url and listed["host"] == host.address,
                  f"the host listed the node in the indexer's room directory (GET /rooms/{room_id}/media-nodes)")
        folder = Path(tempfile.mkdtemp(prefix="tutti-jam-"))
        tones = {players[0]: 440, players[1]: 660}

        def join(account, send: str, seconds: float, record: Path | None = None):
            where = ["--indexer", directory] if directory else ["--url", url]
            command = [str(tools / "tutti-media"), "--log-level", "ERROR", "join", *where, "--room",
                       str(room_id), "--send", send, "--seconds", str(seconds)]
            if record:
                command += ["--record", str(record)]
            return subprocess.Popen(command, env={**os.environ, "TUTTI_MEDIA_KEY": _key(account)},
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

        for index, player in enumerate(players):  # a tone each, and clicks to time the session by
            np.save(folder / f"send{index}.npy", tone_with_clicks(tones[player], 8.0))
        # The listener first (its Janus handshake is the longest) and for longer than the musicians play.
        hearing = subprocess.Popen(
            [str(tools / "tutti-media"), "--log-level", "ERROR", "listen", "--url", url, "--room", str(room_id),
             "--seconds", "10", "--record", str(folder / "listener.npz")],
            env={**os.environ, "TUTTI_MEDIA_KEY": _key(listener)}, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True) if audience else None
        playing = [join(p, str(folder / f"send{i}.npy"), 5.0, folder / f"{i}.npz") for i, p in enumerate(players)]
        # Generous: on a loaded machine a client process alone can take a minute to start.
        refused = json.loads(join(stranger, "noise:1", 2.0).communicate(timeout=150)[0].splitlines()[-1])
        check(refused.get("refused") == 403, f"a musician without a pass is refused: {refused.get('reason')}")
        for index, process in enumerate(playing):
            process.communicate(timeout=90)
            mix = np.load(folder / f"{index}.npz")["audio"].astype(np.float64)
            own, other = tones[players[index]], tones[players[1 - index]]
            heard_other, heard_own = _tone_energy(mix, other), _tone_energy(mix, own)
            left, right = (float(np.sqrt(np.mean(mix[:, ch] ** 2))) for ch in (0, 1))
            check(heard_other > 20 * heard_own,
                  f"{players[index].address[:10]}... (playing {own} Hz) hears the other's {other} Hz "
                  f"{10 * np.log10(heard_other / heard_own):.0f} dB above its own, in stereo "
                  f"(L {left:.3f} / R {right:.3f} RMS)")
        delays = click_delays_ms(np.load(folder / "0.npz"), np.load(folder / "1.npz"))
        check(len(delays) > 0, f"measured in this session: a click played by {players[0].address[:10]}... reaches "
              f"{players[1].address[:10]}...'s ears {np.median(delays) if delays else float('nan'):.1f} ms later "
              f"(median of {len(delays)}; through the node: two WebRTC hops, mixing, 3-D rendering)")
        if hearing is None:
            click.echo("   (no audience: Debian's janus is not installed)")
            return
        heard = json.loads(hearing.communicate(timeout=150)[0].splitlines()[-1])
        check(heard.get("samples", 0) > 0, f"{listener.address[:10]}... listens without playing: admitted by its pass, "
              f"served by Janus ({heard.get('samples', 0) / 48_000:.1f} s heard)")
        audio = np.load(folder / "listener.npz")["audio"].astype(np.float64)
        silence = _tone_energy(audio, 550)
        tones_heard = [_tone_energy(audio, tones[p]) / silence for p in players]
        late = click_delays_ms(np.load(folder / "0.npz"), np.load(folder / "listener.npz"))
        check(min(tones_heard) > 100 and late,
              f"the audience hears both musicians through the SFU ({' and '.join(f'{tones[p]} Hz' for p in players)}, "
              f"{10 * np.log10(min(tones_heard)):.0f} dB above the quiet between them); a click reaches the listener "
              f"{np.median(late) if late else float('nan'):.1f} ms after it was played (median of {len(late)})")
    finally:
        node.terminate()
        node.wait(timeout=30)


def _key(account) -> str:
    return account.private_key if isinstance(account.private_key, str) else account.private_key.hex()


def _answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _tone_energy(mix, frequency: float, rate: int = 48_000) -> float:
    import numpy as np

    mono = mix.sum(axis=1)
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono)))) ** 2
    bins = np.fft.rfftfreq(len(mono), 1 / rate)
    return float(spectrum[(bins > frequency - 5) & (bins < frequency + 5)].sum()) + 1e-12


def work_metadata(tutti: Tutti, work_id: int) -> str:
    return tutti.registry.work(work_id).metadataCid


def backfill_rate(tutti: Tutti) -> tuple[int, float]:
    """Events indexed and seconds taken by a backfill of the deployment into a throw-away SQLite file."""
    import tempfile

    from indexer.config import IndexerSettings
    from indexer.db import make_engine, migrate
    from indexer.ingest import Indexer

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/index.sqlite3"
        engine = make_engine(url, pool_size=1)
        migrate(engine)
        indexer = Indexer(chain.provider.uri, engine, tutti.book, IndexerSettings(database_url=url))
        started = time.perf_counter()
        indexer.sync()
        seconds = time.perf_counter() - started
        engine.dispose()
    return indexer.events_ingested, seconds


def show_index(tutti: Tutti, url: str, work_id: int, artist: str, proposal_id: int, job_id: int, liar: str,
               epoch: int) -> None:
    """Read the story back from the indexer's HTTP API, as a client or the browser would."""
    import httpx

    heading(f"12. The same story through the indexer's API ({url})")
    head = chain.blocks.head.number
    wait_until(lambda: (httpx.get(f"{url}/health").json().get("block_number") or 0) >= head,
               f"the indexer to reach block {head}")
    indexed = next(line for line in httpx.get(f"{url}/metrics").text.splitlines()
                   if line.startswith("tutti_indexer_events "))
    events, seconds = backfill_rate(tutti)
    click.echo(f"   the indexer holds {float(indexed.split()[1]):,.0f} events; indexing the whole story again into a "
               f"new SQLite file: {events:,} events in {seconds:.2f} s ({events / seconds:,.0f} events/s)")
    works = httpx.get(f"{url}/works", params={"limit": 500}).json()["items"]
    check(len(works) == tutti.registry.workCount(), f"GET /works lists all {len(works)} works")
    work = httpx.get(f"{url}/works/{work_id}").json()
    shares = {c["account"]: c["share_bps"] for c in work["contributors"]}
    click.echo(f"   GET /works/{work_id}: ipfs://{work['metadata_cid']}, contributors {shares}, "
               f"derivatives {work['derivatives']}, received {work['received']}")
    check(int(work["received"][ETH]) == tutti.splitter.totalReceived(work["split_id"], ETH),
          "the indexed income equals the splitter's")
    balances = httpx.get(f"{url}/balances/{artist}").json()
    click.echo(f"   GET /balances/{artist}: royalties in {len(balances['royalties'])} splits")
    proposal = httpx.get(f"{url}/proposals/{proposal_id}").json()
    check(proposal["state"] == "executed", f"GET /proposals/...: {proposal['state']}, "
          f"for {int(proposal['votes_for']) // TOKEN:,} TUTTI")
    job = httpx.get(f"{url}/jobs/{job_id}").json()
    dissent = [a["operator"] for a in job["attestations"] if a["dissented"]]
    check(job["state"] == "fulfilled" and dissent == [liar],
          f"GET /jobs/{job_id}: {job['kind_name']} {job['state']}, {len(job['attestations'])} attestations, "
          "the faulty one marked as dissent")
    settled = httpx.get(f"{url}/epochs/{epoch}").json()
    eth_pool = next(pool for pool in settled["pools"] if pool["token"] == ETH)
    check(settled["root"] == "0x" + bytes(tutti.usage.settlementOf(epoch).root).hex()
          and int(eth_pool["claimed"]) == tutti.usage.claimedOf(epoch, ETH) and len(settled["claims"]) == 6,
          f"GET /epochs/{epoch}: root, {len(settled['claims'])} claims and {int(eth_pool['rolled_over'])} wei "
          "rolled over, as on chain")


CHOIR = {  # azimuth keyframes (degrees, positive to the listener's right) over the 8-second excerpt
    "soprano": [{"time": 0, "azimuth": -40}],
    "alto": [{"time": 0, "azimuth": 40}],
    "tenor": [{"time": 0, "azimuth": -90}, {"time": 8, "azimuth": 270}],
    "bass": [{"time": 0, "azimuth": 180, "distance": 1.5}],
}


def pin_choir_scene(store, score_midi: bytes) -> str:
    """Synthesize the chorale's voices and pin them with a scene placing them around the listener."""
    import io

    import soundfile
    from music21 import converter

    parts = synthesize_parts(converter.parse(score_midi, format="midi"), seconds=8.0)
    names = list(CHOIR)
    files: dict[str, bytes] = {}
    sources = []
    for name, signal in zip(names, parts.values()):  # MIDI parts come in score order: S, A, T, B
        buffer = io.BytesIO()
        soundfile.write(buffer, signal, 48_000, format="WAV", subtype="FLOAT")
        files[f"stems/{name}.wav"] = buffer.getvalue()
        sources.append({"name": name, "stem": f"stems/{name}.wav", "positions": CHOIR[name]})
    scene = {"format": "tutti.scene/1", "sample_rate": 48_000, "duration": 8.0, "sources": sources}
    files["scene.json"] = canonical_json(scene)
    return store.add_directory(files, cid_version=1)


def stereo_energy(wav: bytes) -> tuple[float, float]:
    import io

    import numpy as np
    import soundfile

    audio, _ = soundfile.read(io.BytesIO(wav), dtype="float32")
    return float(np.sum(audio[:, 0] ** 2)), float(np.sum(audio[:, 1] ** 2))


def run_oracle_job(tutti: Tutti, store, requester, kind: str, input_cid: str, params: dict, fee: int,
                   input_work_id: int, liar: str, what: str):
    """Request a job, let the faulty operator answer first, then give the honest ones their confirmation."""
    job = request_job(tutti, requester, kind, input_cid, params, fee=fee, input_work_id=input_work_id)
    click.echo(f"   fan requested job {job.job_id} ({what}), escrowing {format_amount(fee, ETH)}: tx {job.tx_hash}")
    wait_until(lambda: tutti.hub.attestationOf(job.job_id, liar) != b"\x00" * 32, "the faulty operator's answer")
    click.echo(f"   the faulty operator attested first: outcome {tutti.hub.attestationOf(job.job_id, liar).hex()[:16]}...")
    chain.mine(1)  # the confirmation the honest operators wait for (a real chain keeps producing blocks)
    result = wait_for_result(tutti, store, job.job_id, timeout=180)
    if "error.json" in result.files:  # the operators agreed the input or parameters were unusable
        raise TuttiError(f"job {job.job_id} ({kind}) failed: {json.loads(result.files['error.json'])['error']}")
    return job, result


def wait_until(condition, what: str, timeout: float = 120.0) -> None:
    give_up = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > give_up:
            raise TuttiError(f"timed out waiting for {what}")
        time.sleep(0.2)


def licensed_gated_work(tutti: Tutti, store, artist, fan, producer) -> None:
    """Chapter 13: licences on chain and a gated work whose key the oracle operators hold 2-of-3.

    Key services: those bin/demo started (``TUTTI_KEY_SERVICES``, one `tutti-oracle keys serve` per
    operator), or, when the story runs on its own, the same services started in this process."""
    import contextlib
    import math
    import struct
    import tempfile
    import wave

    from tutti.errors import explain
    from tutti.gated.client import AccessDenied, ape_signer, decrypt_file, fetch_operator_keys, gather_key
    from tutti.gated.manifest import protect_files
    from tutti.licenses import RIGHTS, buy_license, create_offer, require_derivative_license

    heading("13. Licences and gated content: a work only licence holders can open")
    with contextlib.ExitStack() as stack:
        services = [u for u in os.environ.get("TUTTI_KEY_SERVICES", "").split(",") if u]
        if not services:
            services = _in_process_key_services(tutti, store, stack)
        wait_until(lambda: all(_answers(f"{url}/v1/identity") for url in services), "the key services")
        operator_keys = fetch_operator_keys(services, chain.chain_id, tutti.hub.isOperator)
        check(len(operator_keys) == len(tutti.hub.operators()),
              "each operator's key service vouches for its X25519 key (signed by the operator's account): "
              + ", ".join(key.url for key in operator_keys))

        threshold = tutti.hub.quorum()
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tutti-demo-gated-")))
        master = tmp / "nocturne.wav"
        with wave.open(str(master), "wb") as out:  # 3 s of a 523 Hz tone: the "unreleased recording"
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(48_000)
            out.writeframes(b"".join(struct.pack("<h", int(12_000 * math.sin(2 * math.pi * 523 * n / 48_000)))
                                     for n in range(3 * 48_000)))
        protected = protect_files(store, {"nocturne.wav": master}, operator_keys, threshold)
        metadata_cid = store.add_bytes(canonical_json({"name": "Nocturne (gated)", "mimeType": "audio/wav",
                                                       "gated": {"manifest": protected.manifest_cid}}), cid_version=1)
        click.echo(f"   the recording is encrypted (AES-256-GCM); only ciphertext is pinned: "
                   f"ipfs://{protected.manifest['files'][0]['cid']}")
        click.echo(f"   its key is split {threshold}-of-{len(operator_keys)} among the operators, each share sealed to "
                   f"one operator: manifest ipfs://{protected.manifest_cid}")
        work = register_work(tutti, artist, metadata_cid=metadata_cid, content_hash=protected.content_hash,
                             contributors=[Share(artist.address, 10_000)], license="Tutti licence offers")
        check(tutti.registry.work(work.work_id).contentHash == protected.content_hash,
              f"work {work.work_id} is registered with a content hash committing to ciphertext and plaintext")
        require_derivative_license(tutti, artist, work.work_id)
        terms_cid = store.add_bytes(b"Tutti streaming licence: stream the work to the public for 30 days.\n",
                                    cid_version=1)
        streaming, _ = create_offer(tutti, artist, work_id=work.work_id, rights=RIGHTS["streaming"] | RIGHTS["personal"],
                                    price=ETHER // 100, supply_cap=100, terms_cid=terms_cid, duration=30 * 86_400)
        remix_terms = store.add_bytes(b"Tutti remix licence: register derivative works of this work.\n",
                                      cid_version=1)
        remix_offer, _ = create_offer(tutti, artist, work_id=work.work_id, rights=RIGHTS["derivative"],
                                      price=ETHER // 10, supply_cap=10, terms_cid=remix_terms)
        click.echo(f"   offers: {streaming} streaming (0.01 ETH, 30 days, 100 at most), "
                   f"{remix_offer} remix (0.1 ETH, perpetual, 10 at most); derivatives need a remix licence")

        def open_work(who):
            return gather_key(protected.manifest, work.work_id, who.address, ape_signer(who), services,
                              chain.chain_id, tutti.licenses.address)

        try:
            open_work(fan)
            raise TuttiError("a fan without a licence obtained the key")
        except AccessDenied as refused:
            check(all(a.startswith("HTTP 403") for a in refused.answers.values()),
                  "a fan without a licence is refused by every operator (HTTP 403, checked on chain)")

        before = tutti.splitter.totalReceived(work.split_id, ETH)
        started = time.monotonic()
        bought = buy_license(tutti, fan, streaming)
        gathered = open_work(fan)
        played = decrypt_file(store, protected.manifest, gathered.key, "nocturne.wav", tmp / "played.wav")
        elapsed = time.monotonic() - started
        check(played.read_bytes() == master.read_bytes(),
              f"the fan bought licence {bought.license_id}, gathered {threshold}+ key shares and decrypted the "
              f"recording ({elapsed:.2f} s from purchase to playable)")
        fee = ETHER // 100 * tutti.licenses.platformFeeBps() // 10_000
        check(tutti.splitter.totalReceived(work.split_id, ETH) - before == ETHER // 100 - fee,
              f"the work's split received 0.01 ETH less the {format_amount(fee, ETH)} platform fee")
        saved = Path(".tutti/demo/gated-nocturne.wav")
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_bytes(played.read_bytes())
        click.echo(f"   saved to {saved}")

        remix_hash = keccak(text="Nocturne (producer's remix)")
        try:
            register_work(tutti, producer, metadata_cid=terms_cid, content_hash=remix_hash,
                          contributors=[Share(producer.address, 10_000)], parents=[Share(str(work.work_id), 2_000)])
            raise TuttiError("a remix without a remix licence was registered")
        except Exception as exc:  # noqa: BLE001 - the revert, whatever ape wraps it in
            reason = explain(exc)
            check("DerivativeNotLicensed" in reason, f"a producer without a remix licence is refused: {reason}")
        buy_license(tutti, producer, remix_offer)
        remix = register_work(tutti, producer, metadata_cid=terms_cid, content_hash=remix_hash,
                              contributors=[Share(producer.address, 10_000)], parents=[Share(str(work.work_id), 2_000)])
        check(tutti.registry.parentsOf(remix.work_id)[0].workId == work.work_id,
              f"after buying a remix licence the producer registers work {remix.work_id}, paying 20% upstream")


def _in_process_key_services(tutti: Tutti, store, stack) -> list[str]:
    """The three operators' key services in this process (when bin/demo did not start them)."""
    import tempfile

    from ape import accounts

    from oracle.keys import ThreadedServer, build_service, create_app
    from tutti.net import free_port

    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tutti-demo-keys-")))
    by_address = {account.address: account for account in accounts.test_accounts}
    urls = []
    for operator in tutti.hub.operators():
        service = build_service(tutti.book, chain.provider.uri, by_address[operator], store,
                                folder / f"{operator}.x25519")
        urls.append(stack.enter_context(ThreadedServer(create_app(service), free_port())).url)
    return urls
