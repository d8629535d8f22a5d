"""`ape run deploy` beyond a local chain (issue 12, item 2): with the easy defaults one key would be
the whole oracle, the usage reporter and every vote, so it refuses, sending nothing, until each
is given and safe. A URI network (`--network http://…`) is a non-local network to ape, so the
session's own anvil stands in for a public chain."""

from __future__ import annotations

import json
import os
import subprocess

from ape import chain

from tests.scripts.conftest import APE, PROJECT
from tutti.deploy_safety import LaunchChoices, production_problems, relaxed_on_local

ADDRESSES = [f"0x{i:040x}" for i in range(1, 8)]
SAFE = [
    *(f"--operator={op}" for op in ADDRESSES[:3]), "--oracle-quorum", "2", "--usage-reporter", ADDRESSES[3],
    "--supply", "900", *(f"--allocate={holder}=300" for holder in ADDRESSES[4:7]),
    "--voting-delay", "1", "--voting-period", "7200", "--timelock-delay", "172800",
]


def _deploy(network: str, *args: str, tmp_path) -> subprocess.CompletedProcess:
    env = dict(os.environ, APE_FOUNDRY_HOST=chain.provider.uri, TUTTI_DEPLOYMENTS_DIR=str(tmp_path))
    command = [APE, "run", "deploy", "--network", network, "--account", "TEST::0", *args]
    return subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=180)


def _choices(**changes) -> LaunchChoices:
    values = dict(deployer=ADDRESSES[0], operators=tuple(ADDRESSES[:3]), oracle_quorum=2,
                  usage_reporter=ADDRESSES[3], allocations=tuple((h, 300 * 10**18) for h in ADDRESSES[4:7]),
                  token_supply=900 * 10**18, voting_delay_blocks=1, voting_period_blocks=7_200,
                  timelock_delay_seconds=172_800, unbonding_delay_seconds=7 * 86_400)
    return LaunchChoices(**{**values, **changes})


def test_deploy_failsIfPublicNetworkGetsDefaults(deployer, tmp_path):
    nonce = deployer.nonce
    done = _deploy(chain.provider.uri, tmp_path=tmp_path)

    assert done.returncode != 0
    error = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(error) == 1 and "refusing to deploy on ethereum:custom (nothing was sent)" in error[0]
    for missing in ("--operator", "--oracle-quorum", "--usage-reporter", "--allocate", "--timelock-delay",
                    "--voting-period"):
        assert missing in error[0]
    assert deployer.nonce == nonce
    assert "Traceback" not in done.stderr


def test_deploy_succeedsIfPublicNetworkGetsSafeChoices(deployer, project, tmp_path):
    done = _deploy(chain.provider.uri, *SAFE, tmp_path=tmp_path)

    assert done.returncode == 0, done.stderr
    assert "safety checks relaxed" not in done.stdout
    book = (tmp_path / "ethereum" / "custom.json").read_text()
    assert "OracleHub" in book
    contracts = json.loads(book)["contracts"]
    token = project.TuttiToken.at(contracts["TuttiToken"])
    assert [token.balanceOf(holder) for holder in ADDRESSES[4:7]] == [300 * 10**18] * 3
    assert token.balanceOf(deployer) == 0
    hub = project.OracleHub.at(contracts["OracleHub"])
    assert (hub.quorum(), hub.operatorCount()) == (2, 3)
    assert project.UsageRoyalties.at(contracts["UsageRoyalties"]).reporter().lower() == ADDRESSES[3]


def test_deploy_succeedsIfLocalChainSaysWhatItRelaxed(tmp_path):
    done = _deploy("ethereum:local:foundry", tmp_path=tmp_path)

    assert done.returncode == 0, done.stderr
    relaxed = [line for line in done.stdout.splitlines() if line.startswith("Local chain: safety checks relaxed:")]
    assert relaxed and "oracle quorum 1" in relaxed[0] and "the deployer holds all TUTTI" in relaxed[0]


def test_productionProblems_succeedsIfEverythingGiven():
    assert production_problems(_choices()) == []
    assert relaxed_on_local(_choices()) == []


def test_productionProblems_failsIfUnsafeValues():
    cases = {
        "distinct --operator": dict(operators=(ADDRESSES[0],) * 3),
        "a majority": dict(oracle_quorum=1),
        "must not be an oracle operator": dict(usage_reporter=ADDRESSES[0]),
        "more than 1/3": dict(allocations=((ADDRESSES[4], 600 * 10**18), (ADDRESSES[5], 300 * 10**18))),
        "not the supply": dict(allocations=((ADDRESSES[4], 300 * 10**18),)),
        "--timelock-delay 60 is below": dict(timelock_delay_seconds=60),
        "--voting-period 50 is below": dict(voting_period_blocks=50),
        "must exceed a slashing vote": dict(unbonding_delay_seconds=86_400),
    }
    for phrase, change in cases.items():
        problems = production_problems(_choices(**change))
        assert any(phrase in problem for problem in problems), (phrase, problems)
