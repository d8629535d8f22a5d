"""`ape run operator_bond` driven as an operator would: bond, unbond, wait, withdraw, and the
one-line refusals, against the session deployment's OracleHub."""

from __future__ import annotations

import re

import pytest
from ape import chain

ETHER = 10**18
OPERATOR = "TEST::7"  # the first oracle operator of the session deployment


def test_bond_unbond_and_withdraw_as_an_operator(run, tutti, operators):
    operator = operators[0]
    hub = tutti.hub
    status = run("operator_bond", account=OPERATOR).stdout
    assert f"{operator.address} (operator): bonded 0 ETH, minimum 0 ETH: may attest" in status

    done = run("operator_bond", "--bond", "1.5", account=OPERATOR)
    assert "Bonded 1.5 ETH" in done.stdout
    assert hub.bondOf(operator) == 3 * ETHER // 2

    done = run("operator_bond", "--unbond", "0.5", account=OPERATOR)
    assert re.search(r"Unbonding 0\.5 ETH \(0\.5 ETH pending\), withdrawable from \d{4}-\d\d-\d\d", done.stdout)
    assert "bonded 1 ETH" in done.stdout
    amount, available_at = hub.unbondingOf(operator)
    assert amount == ETHER // 2

    early = run("operator_bond", "--withdraw", account=OPERATOR, check=False)
    assert early.returncode != 0
    reason = f"Error: reverted: UnbondingNotReady(operator={operator.address}, availableAt={available_at})"
    assert reason in early.stderr
    assert "Traceback" not in early.stderr + early.stdout

    chain.pending_timestamp = available_at
    chain.mine(1)
    assert "unbonding 0.5 ETH, withdrawable now" in run("operator_bond", account=OPERATOR).stdout
    before = operator.balance
    done = run("operator_bond", "--withdraw", account=OPERATOR)
    assert "Withdrew 0.5 ETH of unbonded ETH" in done.stdout
    assert hub.unbondingOf(operator) == (0, 0)
    assert ETHER // 2 - ETHER // 100 < operator.balance - before <= ETHER // 2  # minus the gas


def test_below_the_minimum_bond_says_so(run, tutti, accounts, operators):
    timelock = accounts[tutti.timelock.address]
    chain.provider.set_balance(timelock.address, ETHER)
    tutti.hub.setMinBond(ETHER, sender=timelock)
    status = run("operator_bond", account=OPERATOR).stdout
    assert "bonded 0 ETH, minimum 1 ETH: may not attest" in status


@pytest.mark.parametrize(
    "args, message",
    [
        (["--bond", "-1"], "must be positive"),
        (["--bond", "lots"], "is not an amount"),
        (["--unbond", "5"], "UnbondExceedsBond("),
        (["--withdraw"], "NothingUnbonding("),
        (["--bond", "1", "--withdraw"], "at most one of --bond, --unbond and --withdraw"),
    ],
)
def test_bad_bond_requests_are_refused_clearly(run, args, message):
    done = run("operator_bond", *args, account=OPERATOR, check=False)
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_slash_proposal_encodes_from_script_arguments(tutti, operators):
    """`ape run propose --target OracleHub --function slash --arg OPERATOR --arg JOB --arg WEI`
    hands strings to tutti.governance.encode_call; they encode as the typed call would."""
    from tutti.governance import encode_call

    action = encode_call(tutti, "OracleHub", "slash", [operators[1].address, "3", "500000000000000000"])
    assert action.target == tutti.hub.address
    assert action.calldata == bytes(tutti.hub.slash.encode_input(operators[1].address, 3, ETHER // 2))
