"""A usage epoch from end to end the way people run it: `ape run` scripts at a terminal for the
funder, the reporter and anyone else, real operator workers in between, one IPFS store."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from ape import chain
from eth_utils import keccak

from tests.worker.conftest import PROJECT
from tutti.royalties import ETH
from tutti.script_support import format_amount
from tutti.works import Share, register_work

APE = os.path.join(os.path.dirname(sys.executable), "ape")
ETHER = 10**18


def run(env, name: str, *args: str, account: str | None = None, check: bool = True):
    command = [APE, "run", name, "--network", "ethereum:local:foundry", *args]
    if account:
        command += ["--account", account]
    done = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=180)
    if check and done.returncode != 0:
        raise AssertionError(f"ape run {name} failed:\n{done.stdout}\n{done.stderr}")
    return done


def refused(done) -> str:
    """The one-line reason a script gave for refusing (and that it gave no traceback)."""
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    return done.stderr.strip().splitlines()[-1]


def test_a_usage_epoch_by_script(tutti, workers, tmp_path, artist, producer, fan, deployer):
    env = workers.env
    song = register_work(tutti, artist, metadata_cid="bafy-usage-song", content_hash=keccak(text="usage song"),
                         contributors=[Share(artist.address, 6_000), Share(producer.address, 4_000)])
    jingle = register_work(tutti, producer, metadata_cid="bafy-usage-jingle", content_hash=keccak(text="jingle"),
                           contributors=[Share(producer.address, 10_000)])

    done = run(env, "fund_epoch", "--amount", "0.1", account="TEST::4")
    epoch = int(re.search(r"to epoch (\d+)'s pool", done.stdout).group(1))
    pool = tutti.usage.poolOf(epoch, ETH)
    assert pool >= ETHER // 10
    assert f"Epoch {epoch} (current)" in run(env, "epoch_status").stdout

    plays = tmp_path / "plays.csv"
    plays.write_text(f"listener,work,count\n{fan.address},{song.work_id},250\n"
                     f"{artist.address},{song.work_id},40\n{fan.address},{jingle.work_id},100\n")
    early = run(env, "report_usage", "--epoch", str(epoch), "--plays", str(plays), account="TEST::0", check=False)
    assert "still running" in refused(early)

    _, end = tutti.usage.epochBounds(epoch)
    run(env, "advance", "--seconds", str(end - chain.blocks.head.timestamp))
    stranger = run(env, "report_usage", "--epoch", str(epoch), "--plays", str(plays), account="TEST::4", check=False)
    assert "is not the usage reporter" in refused(stranger)
    malformed = tmp_path / "bad.csv"
    malformed.write_text(f"listener,work,count\n{fan.address},{song.work_id},-3\n")
    bad = run(env, "report_usage", "--epoch", str(epoch), "--plays", str(malformed), account="TEST::0", check=False)
    assert "count" in refused(bad)
    malformed.write_text(f"listener,work,count\n{fan.address},{song.work_id}\n")  # a cell short
    short = run(env, "report_usage", "--epoch", str(epoch), "--plays", str(malformed), account="TEST::0", check=False)
    assert "is not a whole number" in refused(short)
    negative = run(env, "settle_epoch", "--epoch", "-1", account="TEST::5", check=False)
    assert "-1 is not in the range x>=0" in refused(negative)

    # A first report the reporter then corrects: the correction supersedes it (issue 12, item 3),
    # so the stale job cannot settle the epoch even once the operators approve it too.
    stale = tmp_path / "stale.csv"
    stale.write_text(f"listener,work,count\n{fan.address},{jingle.work_id},100\n")
    done = run(env, "report_usage", "--epoch", str(epoch), "--plays", str(stale), account="TEST::0")
    stale_job = int(re.search(r"as job (\d+)", done.stdout).group(1))
    done = run(env, "report_usage", "--epoch", str(epoch), "--plays", str(plays), account="TEST::0")
    job_id = int(re.search(r"as job (\d+)", done.stdout).group(1))
    assert tutti.usage.firstValidReportOf(epoch) == stale_job + 1 <= job_id
    for operator in ("TEST::7", "TEST::8"):
        workers.start(operator, "--kinds", "usage")

    # Anyone settles; the job is found from the chain when not given.
    done = run(env, "settle_epoch", "--epoch", str(epoch), account="TEST::5")
    assert "240 plays over 2 works" in done.stdout  # the fan's 250 plays of the song count 100
    assert tutti.usage.settlementOf(epoch).jobId == job_id

    song_before = tutti.splitter.totalReceived(song.split_id, ETH)
    done = run(env, "claim_usage", "--epoch", str(epoch), account="TEST::6")
    assert done.stdout.count("into its split") == 2
    assert tutti.splitter.totalReceived(song.split_id, ETH) - song_before == pool * 140 // 240
    assert "Nothing left to claim" in run(env, "claim_usage", "--epoch", str(epoch), account="TEST::6").stdout

    early = run(env, "roll_over", "--epoch", str(epoch), account="TEST::6", check=False)
    assert "ClaimWindowOpen" in refused(early)
    run(env, "advance", "--seconds", str(tutti.usage.claimWindow()))
    dust = pool - tutti.usage.claimedOf(epoch, ETH)
    assert dust > 0  # 0.1 ETH does not divide into 240ths
    done = run(env, "roll_over", "--epoch", str(epoch), account="TEST::6")
    assert f"Rolled {format_amount(dust, ETH)} from epoch {epoch}" in done.stdout
    assert tutti.usage.poolOf(tutti.usage.currentEpoch(), ETH) >= dust
    status = run(env, "epoch_status", "--epoch", str(epoch)).stdout
    assert f"settled by job {job_id}: 240 plays" in status and "(ended)" in status
