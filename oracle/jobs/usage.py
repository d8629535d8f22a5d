"""``usage``: an epoch's play report in; the Merkle tree of per-work play counts out, with every
work's proof, so that anyone can claim a work's part of the epoch's pools from IPFS alone.

Input: a usage report (:func:`tutti.usage.parse_report`), one JSON file. Parameters:
``{"usage": "<UsageRoyalties address>", "epoch": <int>}``; the report must be for that epoch.
Output: ``settlement.json`` (:class:`tutti.usage.Settlement`). The attested hash is not the usual
manifest hash but the settlement's commitment (:func:`tutti.results.attested_hash`), which
``UsageRoyalties.settle`` recomputes from the root and total it is given.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils import keccak
from web3.constants import ADDRESS_ZERO

from oracle.jobs.base import JobContext, JobInputError, JobResult, job_kind
from tutti.results import canonical_json
from tutti.usage import (
    MAX_UINT256,
    PLAYS_CAP_PER_LISTENER,
    REPORT_VERSION,
    SETTLEMENT_FILE,
    USAGE_KIND,
    PlayTree,
    Settlement,
    UsageReportError,
    checksum_address,
    parse_report,
    tally,
)

@dataclass(frozen=True)
class UsageParams:
    """The contract the settlement is for and the epoch it settles: both go into the commitment."""

    usage: str
    epoch: int

    @classmethod
    def parse(cls, params: dict) -> "UsageParams":
        if not isinstance(params, dict):
            raise JobInputError("usage parameters must be a JSON object with usage and epoch")
        if missing := {"usage", "epoch"} - set(params):
            raise JobInputError(f"usage parameters need {' and '.join(sorted(missing))}")
        if unknown := set(params) - {"usage", "epoch"}:
            raise JobInputError(f"unknown usage parameters: {', '.join(sorted(unknown))}")
        usage = checksum_address(params["usage"])
        if usage is None or usage == ADDRESS_ZERO:
            raise JobInputError(f"usage must be the UsageRoyalties contract's address, not {params['usage']!r}")
        epoch = params["epoch"]
        if type(epoch) is not int or not 0 <= epoch <= MAX_UINT256:
            raise JobInputError(f"epoch must be a non-negative integer, not {epoch!r}")
        return cls(usage, epoch)


class UsageJob:
    name = USAGE_KIND
    # The cap changes what is counted, so it is part of the attested model id.
    model_id = keccak(text=f"tutti.usage/1 report/{REPORT_VERSION} cap={PLAYS_CAP_PER_LISTENER}")

    def run(self, context: JobContext) -> JobResult:
        params = UsageParams.parse(context.params)
        if context.read_input is not None:
            raise JobInputError("the input must be one usage report file, not a directory")
        try:
            report = parse_report(context.input_bytes)
        except UsageReportError as exc:
            raise JobInputError(str(exc)) from None
        if report.epoch != params.epoch:
            raise JobInputError(f"the report is for epoch {report.epoch}, but the job settles epoch {params.epoch}")
        counted = tally(report, PLAYS_CAP_PER_LISTENER)
        settlement = Settlement(params.usage, params.epoch, PlayTree(counted.plays))
        return JobResult(
            files={SETTLEMENT_FILE: canonical_json(settlement.to_json())},
            metrics={
                "listeners": counted.listeners,
                "works": len(counted.plays),
                "total_plays": settlement.total_plays,
                "capped_plays": counted.capped_plays,
            },
        )


job_kind(UsageJob())
