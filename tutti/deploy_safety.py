"""What a deployment must settle before it goes anywhere but a throw-away local chain.

With the easy defaults the deployer's one key is the only oracle operator (quorum 1), the usage
reporter and the holder of every TUTTI: alone it could attest a made-up play report, settle it
and take a whole usage pool, then out-vote everyone. On a local chain that is convenient; on any
other network `ape run deploy` refuses (nothing sent) until each is given and passes the
minimums below.
"""

from __future__ import annotations

from dataclasses import dataclass

from tutti.errors import TuttiError

#: At least this many operators, so no single leaked key is the oracle.
MIN_OPERATORS = 3
#: Seconds between a proposal's queueing and its execution: time to react to a hostile proposal.
MIN_TIMELOCK_DELAY_SECONDS = 2 * 86_400
#: Blocks a vote stays open (about a day of 12-second blocks).
MIN_VOTING_PERIOD_BLOCKS = 7_200
#: Blocks between a proposal and the vote's snapshot: votes bought in the proposal's block do not count.
MIN_VOTING_DELAY_BLOCKS = 1
#: No launch holder gets more than this fraction of the supply (a third: no one reaches a majority alone).
MAX_HOLDER_FRACTION = 3
#: Seconds per block assumed when comparing a vote (in blocks) with the unbonding delay (in seconds).
ASSUMED_BLOCK_SECONDS = 12


@dataclass(frozen=True)
class LaunchChoices:
    """What the operator of `ape run deploy` gave explicitly (None: left to the local default)."""

    deployer: str
    operators: tuple[str, ...]
    oracle_quorum: int | None
    usage_reporter: str | None
    allocations: tuple[tuple[str, int], ...]
    token_supply: int
    voting_delay_blocks: int | None
    voting_period_blocks: int | None
    timelock_delay_seconds: int | None
    unbonding_delay_seconds: int


def production_problems(choices: LaunchChoices) -> list[str]:
    """Every reason the choices are unsafe beyond a local chain (empty: safe to deploy)."""
    problems = []
    operators = {op.lower() for op in choices.operators}
    if len(operators) < MIN_OPERATORS:
        problems.append(f"give at least {MIN_OPERATORS} distinct --operator addresses (got {len(operators)})")
    if choices.oracle_quorum is None:
        problems.append("give --oracle-quorum")
    elif choices.oracle_quorum * 2 <= max(len(operators), 1) or choices.oracle_quorum < 2:
        problems.append(f"--oracle-quorum {choices.oracle_quorum} must be at least 2 and a majority of "
                        f"the {len(operators)} operators")
    if not choices.usage_reporter:
        problems.append("give --usage-reporter")
    elif choices.usage_reporter.lower() in operators:
        problems.append("the --usage-reporter must not be an oracle operator (it would attest its own report)")
    problems += _allocation_problems(choices)
    problems += _delay_problems(choices)
    return problems


def relaxed_on_local(choices: LaunchChoices) -> list[str]:
    """The production checks a local deployment skips, as short phrases for the deploy's output."""
    relaxed = []
    if len({op.lower() for op in choices.operators}) < MIN_OPERATORS:
        relaxed.append(f"fewer than {MIN_OPERATORS} oracle operators")
    if choices.oracle_quorum is None or choices.oracle_quorum < 2:
        relaxed.append("oracle quorum 1")
    if not choices.usage_reporter:
        relaxed.append("the deployer is the usage reporter")
    if not choices.allocations:
        relaxed.append("the deployer holds all TUTTI")
    if (choices.timelock_delay_seconds or 0) < MIN_TIMELOCK_DELAY_SECONDS:
        relaxed.append(f"timelock delay below {MIN_TIMELOCK_DELAY_SECONDS} s")
    if (choices.voting_period_blocks or 0) < MIN_VOTING_PERIOD_BLOCKS:
        relaxed.append(f"voting period below {MIN_VOTING_PERIOD_BLOCKS} blocks")
    return relaxed


def require_safe(choices: LaunchChoices, network_name: str) -> None:
    """Raise a one-line :class:`TuttiError` naming every unsafe choice for a non-local network."""
    problems = production_problems(choices)
    if problems:
        raise TuttiError(f"refusing to deploy on {network_name} (nothing was sent): " + "; ".join(problems))


def _allocation_problems(choices: LaunchChoices) -> list[str]:
    if not choices.allocations:
        return ["give the token distribution with --allocate ADDRESS=TOKENS (repeat; summing to --supply)"]
    problems = []
    total = sum(amount for _, amount in choices.allocations)
    if total != choices.token_supply:
        problems.append(f"the --allocate amounts sum to {total // 10**18} TUTTI, not the supply "
                        f"{choices.token_supply // 10**18}")
    for holder, amount in choices.allocations:
        if amount * MAX_HOLDER_FRACTION > choices.token_supply:
            problems.append(f"{holder} would hold more than 1/{MAX_HOLDER_FRACTION} of the supply")
    if len({holder.lower() for holder, _ in choices.allocations}) != len(choices.allocations):
        problems.append("an --allocate address appears twice")
    return problems


def _delay_problems(choices: LaunchChoices) -> list[str]:
    problems = []
    minimums = [
        ("--timelock-delay", choices.timelock_delay_seconds, MIN_TIMELOCK_DELAY_SECONDS, "seconds"),
        ("--voting-period", choices.voting_period_blocks, MIN_VOTING_PERIOD_BLOCKS, "blocks"),
        ("--voting-delay", choices.voting_delay_blocks, MIN_VOTING_DELAY_BLOCKS, "blocks"),
    ]
    for option, value, minimum, unit in minimums:
        if value is None:
            problems.append(f"give {option} (at least {minimum} {unit})")
        elif value < minimum:
            problems.append(f"{option} {value} is below the minimum of {minimum} {unit}")
    if None not in (choices.timelock_delay_seconds, choices.voting_period_blocks, choices.voting_delay_blocks):
        # A dissenting operator must not walk away with its bond before a slashing vote can finish.
        vote = (choices.voting_delay_blocks + choices.voting_period_blocks) * ASSUMED_BLOCK_SECONDS
        slashing = vote + choices.timelock_delay_seconds
        if choices.unbonding_delay_seconds <= slashing:
            problems.append(f"the unbonding delay ({choices.unbonding_delay_seconds} s) must exceed a slashing "
                            f"vote's {slashing} s")
    return problems
