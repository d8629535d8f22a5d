"""The `ape run` scripts driven as a person would: separate processes, talking to the test
session's anvil, reading the deployment's address book, printing results or one-line errors."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ape import chain

PROJECT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted(p.stem for p in (PROJECT / "scripts").glob("*.py") if not p.name.startswith("_"))
ETHER = 10**18


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_script_explains_itself(name):
    done = subprocess.run([str(Path(sys.executable).parent / "ape"), "run", name, "--help"], cwd=PROJECT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Usage:" in done.stdout and "--network" in done.stdout


def test_register_pay_and_withdraw_as_users(run, tutti, artist, producer, vocalist, fan):
    done = run(
        "register_work",
        "--metadata-cid", "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4",
        "--content-hash", "0x" + "ab" * 32,
        "--contributor", f"{artist.address}=50%",
        "--contributor", f"{producer.address}=3000",
        "--contributor", f"{vocalist.address}=20%",
        account="TEST::1",
    )
    work_id = int(re.search(r"Registered work (\d+)", done.stdout).group(1))
    assert tutti.registry.ownerOf(work_id) == artist.address

    run("pay", "--work", str(work_id), "--amount", "0.7", account="TEST::4")
    report = run("balances", "--work", str(work_id)).stdout
    assert "received 0.7 ETH" in report
    assert f"{producer.address}   30.00%  withdrawable 0.21 ETH" in report

    before = vocalist.balance
    done = run("withdraw", "--work", str(work_id), "--for", vocalist.address, account="TEST::4")
    assert "Withdrew 0.14 ETH" in done.stdout
    assert vocalist.balance - before == 14 * ETHER // 100  # a third party paid the gas


def test_erc20_royalties_by_script(run, tutti, stablecoin, fan, artist):
    work = run(
        "register_work", "--metadata-cid", "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o",
        "--content-hash", "0x" + "cd" * 32, "--contributor", f"{artist.address}=100%", account="TEST::1",
    )
    work_id = re.search(r"Registered work (\d+)", work.stdout).group(1)
    stablecoin.mint(fan, 10**9, sender=fan)
    run("pay", "--work", work_id, "--amount", "12.5", "--token", "TestToken", account="TEST::4")
    done = run("withdraw", "--work", work_id, "--token", "TestToken", account="TEST::1")
    assert "Withdrew 12.5 tUSD" in done.stdout
    assert stablecoin.balanceOf(artist) == 12_500_000


def test_a_revert_is_one_line_without_traceback(run, artist, producer):
    done = run(
        "register_work", "--metadata-cid", "Qm", "--content-hash", "0x" + "ef" * 32,
        "--contributor", f"{artist.address}=50%", "--contributor", f"{producer.address}=40%",
        account="TEST::1", check=False,
    )
    assert done.returncode != 0
    assert "Error: reverted: ContributorSharesDoNotSumToTotal(sum=9000)" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "Call trace" not in done.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--work", "1", "--amount", "-3"], "must be positive"),
        (["--work", "1", "--amount", "lots"], "is not an amount"),
        (["--work", "999", "--amount", "1"], "UnknownWork(workId=999)"),
    ],
)
def test_bad_payments_are_refused_clearly(run, args, message):
    done = run("pay", *args, account="TEST::4", check=False)
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_deployment_says_what_to_do(tmp_path):
    env = dict(os.environ, APE_FOUNDRY_HOST=chain.provider.uri, TUTTI_DEPLOYMENTS_DIR=str(tmp_path))
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ape"), "run", "balances", "--network", "ethereum:local:foundry",
         "--work", "1"], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode != 0
    assert "run `ape run deploy` first" in done.stderr


def test_governance_lifecycle_by_script(run, governance):
    tutti = governance
    done = run("propose", "--target", "ContentRegistry", "--function", "setRegistrationFee",
               "--arg", "12345", "--description", "Fee of 12345 wei", account="TEST::5")
    proposal = re.search(r"Proposal (\d+)", done.stdout).group(1)
    assert "PENDING" in run("proposal", "--proposal", proposal).stdout

    run("advance", "--blocks", "2")
    assert "with 300,000.00 TUTTI" in run("vote", "--proposal", proposal, "--support", "for",
                                          account="TEST::5").stdout
    run("vote", "--proposal", proposal, "--support", "against", "--reason", "too low", account="TEST::6")
    run("vote", "--proposal", proposal, "--support", "for", account="TEST::7", check=False)  # no votes: 0 weight
    early = run("queue", "--proposal", proposal, account="TEST::5", check=False)
    assert "GovernorUnexpectedProposalState" in early.stderr

    # A tie fails; the deployer (400k TUTTI, not delegated yet) cannot swing a running vote either.
    run("advance", "--blocks", str(tutti.governor.votingPeriod() + 1))
    assert "DEFEATED" in run("proposal", "--proposal", proposal).stdout


def test_governance_change_executes_through_the_timelock(run, governance):
    tutti = governance
    done = run("propose", "--target", "ContentRegistry", "--function", "setRegistrationFee",
               "--arg", "777", "--description", "Fee of 777 wei", account="TEST::5")
    proposal = re.search(r"Proposal (\d+)", done.stdout).group(1)
    run("advance", "--blocks", "2")
    run("vote", "--proposal", proposal, "--support", "for", account="TEST::5")
    run("advance", "--blocks", str(tutti.governor.votingPeriod() + 1))
    run("queue", "--proposal", proposal, account="TEST::6")
    too_early = run("execute", "--proposal", proposal, account="TEST::6", check=False)
    assert "TimelockUnexpectedOperationState" in too_early.stderr
    run("advance", "--seconds", "61")
    run("execute", "--proposal", proposal, account="TEST::6")
    assert "EXECUTED" in run("proposal", "--proposal", proposal).stdout
    assert tutti.registry.registrationFee() == 777


def test_advance_moves_a_local_chain(run):
    start = chain.blocks.head.number
    done = run("advance", "--blocks", "3", "--seconds", "100")
    assert f"Now at block {start + 3}" in done.stdout
    assert chain.blocks.head.number == start + 3
