"""One handler per event: the mapping from decoded logs to rows (Ponder's ``ponder.on``).

Every log is also kept whole in ``events``; handlers add the normalized rows. A contract added later
needs its address-book name in ``indexer.ingest.INDEXED_CONTRACTS``, its tables in
``indexer.schema`` plus a migration, and its handlers here under ``@on("Contract", "...")``
(as AccessPass did: migration 0002).
"""

from __future__ import annotations

import json
from typing import Callable

from web3.constants import ADDRESS_ZERO as ZERO_ADDRESS

from indexer import schema
from indexer.abis import DecodedLog
from indexer.store import Writer
from tutti.attestations import kind_name


Handler = Callable[[Writer, DecodedLog], None]
HANDLERS: dict[tuple[str, str], Handler] = {}


def on(contract: str, event: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[(contract, event)] = handler
        return handler

    return register


def apply(writer: Writer, log: DecodedLog) -> None:
    """Record ``log`` and run its handler, if any."""
    writer.block_number = log.block_number
    writer.insert_event((log.event_id, log.block_number, log.tx_hash, log.block_hash, log.log_index, log.contract,
                         log.address, log.name, log.args_json))
    handler = HANDLERS.get((log.contract, log.name))
    if handler is not None:
        handler(writer, log)


def _event_row(log: DecodedLog, **values) -> dict:
    return {"event_id": log.event_id, "block_number": log.block_number, "tx_hash": log.tx_hash, **values}


def _add(amount: str | None, delta: int) -> str:
    return str(int(amount or 0) + delta)


# --------------------------------------------------------------------------- ContentRegistry
@on("ContentRegistry", "WorkRegistered")
def work_registered(w: Writer, log: DecodedLog) -> None:
    a = log.args
    w.put(schema.works, {"work_id": a["workId"]}, {
        "artist": a["artist"], "owner": a["artist"], "content_hash": a["contentHash"],
        "metadata_cid": a["metadataCid"], "license": a["license"], "royalty_bps": a["royaltyBps"],
        "split_id": a["splitId"], "wallet": a["wallet"], "wallet_deployed": False,
        "registered_block": log.block_number, "registered_tx": log.tx_hash,
    }, old=None)


@on("ContentRegistry", "DerivativeRegistered")
def derivative_registered(w: Writer, log: DecodedLog) -> None:
    a = log.args
    w.insert(schema.work_parents, _event_row(
        log, work_id=a["workId"], parent_work_id=a["parentWorkId"], share_bps=a["shareBps"]))


@on("ContentRegistry", "WalletDeployed")
def wallet_deployed(w: Writer, log: DecodedLog) -> None:
    if w.get(schema.works, work_id=log.args["workId"]) is not None:
        w.put(schema.works, {"work_id": log.args["workId"]}, {"wallet_deployed": True, "wallet": log.args["wallet"]})


@on("ContentRegistry", "WorkMetadataChanged")
def work_metadata_changed(w: Writer, log: DecodedLog) -> None:
    w.put(schema.works, {"work_id": log.args["workId"]}, {"metadata_cid": log.args["metadataCid"]})


@on("ContentRegistry", "Transfer")
def work_transferred(w: Writer, log: DecodedLog) -> None:
    # The mint comes before WorkRegistered in the same transaction, which then sets the owner.
    work = w.get(schema.works, work_id=log.args["tokenId"])
    if work is not None:
        w.put(schema.works, {"work_id": log.args["tokenId"]}, {"owner": log.args["to"]}, old=work)


def _param(w: Writer, name: str, value: object) -> None:
    w.put(schema.governance_params, {"name": name}, {"value": str(value)})


@on("ContentRegistry", "RegistrationFeeChanged")
def registration_fee_changed(w: Writer, log: DecodedLog) -> None:
    _param(w, "registry.registration_fee", log.args["newFee"])


@on("ContentRegistry", "TreasuryChanged")
def treasury_changed(w: Writer, log: DecodedLog) -> None:
    _param(w, "registry.treasury", log.args["newTreasury"])


@on("ContentRegistry", "LimitsChanged")
def limits_changed(w: Writer, log: DecodedLog) -> None:
    for name in ("maxContributors", "maxParents", "maxUpstreamBps", "maxRoyaltyBps"):
        _param(w, f"registry.{name}", log.args[name])


# --------------------------------------------------------------------------- RoyaltySplitter
@on("RoyaltySplitter", "SplitCreated")
def split_created(w: Writer, log: DecodedLog) -> None:
    a = log.args
    w.insert(schema.splits, _event_row(log, split_id=a["splitId"], creator=a["creator"]))
    start = 0  # slots are allotted in order: accounts first, then parents (RoyaltySplitter.createSplit)
    for position, (account, share) in enumerate(zip(a["accounts"], a["sharesBps"])):
        w.insert(schema.split_recipients, {"split_id": a["splitId"], "position": position,
                                           "block_number": log.block_number, "account": account,
                                           "slot_start": start, "share_bps": share})
        start += share
    for position, (parent, share) in enumerate(zip(a["parentSplitIds"], a["parentSharesBps"])):
        w.insert(schema.split_parents, {"split_id": a["splitId"], "position": position,
                                        "block_number": log.block_number, "parent_split_id": parent,
                                        "slot_start": start, "share_bps": share})
        start += share


@on("RoyaltySplitter", "Deposited")
def deposited(w: Writer, log: DecodedLog) -> None:
    a = log.args
    w.insert(schema.deposits, _event_row(log, split_id=a["splitId"], token=a["token"], sender=a["from"],
                                         amount=str(a["amount"])))
    key = {"split_id": a["splitId"], "token": a["token"]}
    old = w.get(schema.split_totals, **key)
    w.put(schema.split_totals, key, {"received": _add(old and old["received"], a["amount"])}, old=old)


@on("RoyaltySplitter", "Withdrawn")
def withdrawn(w: Writer, log: DecodedLog) -> None:
    a = log.args
    w.insert(schema.withdrawals, _event_row(log, split_id=a["splitId"], token=a["token"], account=a["account"],
                                            amount=str(a["amount"])))
    key = {"split_id": a["splitId"], "token": a["token"], "account": a["account"]}
    old = w.get(schema.recipient_withdrawn, **key)
    w.put(schema.recipient_withdrawn, key, {"withdrawn": _add(old and old["withdrawn"], a["amount"])}, old=old)


@on("RoyaltySplitter", "ForwardedUpstream")
def forwarded_upstream(w: Writer, log: DecodedLog) -> None:
    a = log.args
    # The parent's side arrives as its own Deposited event.
    w.insert(schema.forwards, _event_row(log, split_id=a["splitId"], parent_split_id=a["parentSplitId"],
                                         token=a["token"], amount=str(a["amount"])))


# --------------------------------------------------------------------------- TuttiToken
def _holder(w: Writer, address: str) -> dict:
    return w.get(schema.token_holders, address=address) or {
        "address": address, "balance": "0", "delegate": None, "votes": "0", "_new": True}


def _put_holder(w: Writer, holder: dict, **values) -> None:
    if holder.pop("_new", False):
        defaults = {k: v for k, v in holder.items() if k != "address"}
        w.put(schema.token_holders, {"address": holder["address"]}, {**defaults, **values}, old=None)
    else:
        w.put(schema.token_holders, {"address": holder["address"]}, values, old=holder)


@on("TuttiToken", "Transfer")
def token_transfer(w: Writer, log: DecodedLog) -> None:
    a = log.args
    value = a["value"]
    if a["from"] == ZERO_ADDRESS or a["to"] == ZERO_ADDRESS:
        supply = w.get(schema.governance_params, name="token.total_supply")
        delta = value if a["from"] == ZERO_ADDRESS else -value
        w.put(schema.governance_params, {"name": "token.total_supply"},
              {"value": _add(supply and supply["value"], delta)}, old=supply)
    if a["from"] != ZERO_ADDRESS:
        sender = _holder(w, a["from"])
        _put_holder(w, sender, balance=_add(sender["balance"], -value))
    if a["to"] != ZERO_ADDRESS:
        receiver = _holder(w, a["to"])
        _put_holder(w, receiver, balance=_add(receiver["balance"], value))


@on("TuttiToken", "DelegateChanged")
def delegate_changed(w: Writer, log: DecodedLog) -> None:
    _put_holder(w, _holder(w, log.args["delegator"]), delegate=log.args["toDelegate"])


@on("TuttiToken", "DelegateVotesChanged")
def delegate_votes_changed(w: Writer, log: DecodedLog) -> None:
    _put_holder(w, _holder(w, log.args["delegate"]), votes=str(log.args["newVotes"]))


# --------------------------------------------------------------------------- TuttiGovernor
@on("TuttiGovernor", "ProposalCreated")
def proposal_created(w: Writer, log: DecodedLog) -> None:
    a = log.args
    actions = [
        {"target": t, "value": str(v), "signature": s, "calldata": c}
        for t, v, s, c in zip(a["targets"], a["values"], a["signatures"], a["calldatas"])
    ]
    w.put(schema.proposals, {"proposal_id": str(a["proposalId"])}, {
        "created_event_id": log.event_id, "created_block": log.block_number, "created_tx": log.tx_hash,
        "proposer": a["proposer"], "description": a["description"], "actions": json.dumps(actions),
        "vote_start": a["voteStart"], "vote_end": a["voteEnd"], "state": "pending",
        "votes_for": "0", "votes_against": "0", "votes_abstain": "0",
        "eta": None, "queued_block": None, "executed_block": None, "canceled_block": None,
    }, old=None)


def _vote(w: Writer, log: DecodedLog, params: str | None) -> None:
    a = log.args
    proposal_id = str(a["proposalId"])
    w.insert(schema.votes, _event_row(log, proposal_id=proposal_id, voter=a["voter"], support=a["support"],
                                      weight=str(a["weight"]), reason=a["reason"], params=params))
    proposal = w.get(schema.proposals, proposal_id=proposal_id)
    if proposal is not None:
        column = {0: "votes_against", 1: "votes_for", 2: "votes_abstain"}[a["support"]]
        w.put(schema.proposals, {"proposal_id": proposal_id}, {column: _add(proposal[column], a["weight"])},
              old=proposal)


@on("TuttiGovernor", "VoteCast")
def vote_cast(w: Writer, log: DecodedLog) -> None:
    _vote(w, log, None)


@on("TuttiGovernor", "VoteCastWithParams")
def vote_cast_with_params(w: Writer, log: DecodedLog) -> None:
    _vote(w, log, log.args["params"])


@on("TuttiGovernor", "ProposalQueued")
def proposal_queued(w: Writer, log: DecodedLog) -> None:
    w.put(schema.proposals, {"proposal_id": str(log.args["proposalId"])},
          {"state": "queued", "eta": log.args["etaSeconds"], "queued_block": log.block_number})


@on("TuttiGovernor", "ProposalExecuted")
def proposal_executed(w: Writer, log: DecodedLog) -> None:
    w.put(schema.proposals, {"proposal_id": str(log.args["proposalId"])},
          {"state": "executed", "executed_block": log.block_number})


@on("TuttiGovernor", "ProposalCanceled")
def proposal_canceled(w: Writer, log: DecodedLog) -> None:
    w.put(schema.proposals, {"proposal_id": str(log.args["proposalId"])},
          {"state": "canceled", "canceled_block": log.block_number})


@on("TuttiGovernor", "QuorumNumeratorUpdated")
def quorum_numerator_updated(w: Writer, log: DecodedLog) -> None:
    _param(w, "governor.quorum_numerator", log.args["newQuorumNumerator"])


@on("TuttiGovernor", "VotingDelaySet")
def voting_delay_set(w: Writer, log: DecodedLog) -> None:
    _param(w, "governor.voting_delay", log.args["newVotingDelay"])


@on("TuttiGovernor", "VotingPeriodSet")
def voting_period_set(w: Writer, log: DecodedLog) -> None:
    _param(w, "governor.voting_period", log.args["newVotingPeriod"])


@on("TuttiGovernor", "ProposalThresholdSet")
def proposal_threshold_set(w: Writer, log: DecodedLog) -> None:
    _param(w, "governor.proposal_threshold", log.args["newProposalThreshold"])


def refresh_proposal_states(w: Writer, block_number: int) -> None:
    """Move proposals through the states that depend only on time (pending -> active -> succeeded
    or defeated), as ``Governor.state`` would answer at ``block_number``.

    The quorum uses the token's current total supply (TuttiToken mints once and never again) and
    the current quorum numerator (OpenZeppelin's denominator is 100)."""
    open_proposals = w.connection.execute(
        schema.proposals.select().where(schema.proposals.c.state.in_(("pending", "active")))
    ).mappings().all()
    if not open_proposals:
        return
    supply = w.get(schema.governance_params, name="token.total_supply")
    numerator = w.get(schema.governance_params, name="governor.quorum_numerator")
    quorum = int(supply["value"] if supply else 0) * int(numerator["value"] if numerator else 0) // 100
    w.block_number = block_number
    for proposal in open_proposals:
        if proposal["vote_start"] >= block_number:
            state = "pending"
        elif proposal["vote_end"] >= block_number:
            state = "active"
        else:
            votes_for, against = int(proposal["votes_for"]), int(proposal["votes_against"])
            reached = quorum <= votes_for + int(proposal["votes_abstain"])
            state = "succeeded" if reached and votes_for > against else "defeated"
        if state != proposal["state"]:
            w.put(schema.proposals, {"proposal_id": proposal["proposal_id"]}, {"state": state}, old=dict(proposal))


# --------------------------------------------------------------------------- OracleHub
@on("OracleHub", "JobRequested")
def job_requested(w: Writer, log: DecodedLog) -> None:
    a = log.args
    try:
        name = kind_name(bytes.fromhex(a["kind"][2:]))
    except (UnicodeDecodeError, ValueError):
        name = ""
    w.put(schema.jobs, {"job_id": a["jobId"]}, {
        "requester": a["requester"], "kind": a["kind"], "kind_name": name, "input_cid": a["inputCid"],
        "params": a["params"], "fee": str(a["fee"]), "deadline": a["deadline"], "seed": str(a["seed"]),
        "input_work_id": a["inputWorkId"], "state": "open", "requested_block": log.block_number,
        "requested_tx": log.tx_hash, "outcome": None, "result_cid": None, "result_hash": None,
        "model_id": None, "agreeing_operators": None, "finished_block": None, "refunded_amount": None,
    }, old=None)


@on("OracleHub", "AttestationSubmitted")
def attestation_submitted(w: Writer, log: DecodedLog) -> None:
    a = log.args
    w.insert(schema.attestations, _event_row(
        log, job_id=a["jobId"], operator=a["operator"], outcome=a["outcome"], result_hash=a["resultHash"],
        result_cid=a["resultCid"], model_id=a["modelId"], relayer=a["relayer"]))


@on("OracleHub", "JobFulfilled")
def job_fulfilled(w: Writer, log: DecodedLog) -> None:
    a = log.args
    w.put(schema.jobs, {"job_id": a["jobId"]}, {
        "state": "fulfilled", "outcome": a["outcome"], "result_cid": a["resultCid"],
        "result_hash": a["resultHash"], "model_id": a["modelId"],
        "agreeing_operators": json.dumps(a["operators"]), "finished_block": log.block_number,
    })
    agreeing = a["operators"]
    if not agreeing:
        return
    share, remainder = divmod(a["fee"], len(agreeing))
    for index, operator in enumerate(agreeing):  # OracleHub._fulfil: the remainder goes to the first
        row = w.get(schema.operators, address=operator)
        if row is not None:
            earned = share + (remainder if index == 0 else 0)
            w.put(schema.operators, {"address": operator}, {"earned": _add(row["earned"], earned)}, old=row)


@on("OracleHub", "AttestationDissented")
def attestation_dissented(w: Writer, log: DecodedLog) -> None:
    a = log.args
    w.insert(schema.dissents, _event_row(log, job_id=a["jobId"], operator=a["operator"], outcome=a["outcome"],
                                         accepted_outcome=a["acceptedOutcome"]))


@on("OracleHub", "JobRefunded")
def job_refunded(w: Writer, log: DecodedLog) -> None:
    w.put(schema.jobs, {"job_id": log.args["jobId"]},
          {"state": "refunded", "refunded_amount": str(log.args["amount"]), "finished_block": log.block_number})


@on("OracleHub", "Withdrawn")
def oracle_withdrawn(w: Writer, log: DecodedLog) -> None:
    w.insert(schema.oracle_withdrawals, _event_row(log, account=log.args["account"], amount=str(log.args["amount"])))


@on("OracleHub", "OperatorAdded")
def operator_added(w: Writer, log: DecodedLog) -> None:
    old = w.get(schema.operators, address=log.args["operator"])
    w.put(schema.operators, {"address": log.args["operator"]}, {
        "active": True, "added_block": log.block_number, "removed_block": None,
        "earned": old["earned"] if old else "0"}, old=old)


@on("OracleHub", "OperatorRemoved")
def operator_removed(w: Writer, log: DecodedLog) -> None:
    w.put(schema.operators, {"address": log.args["operator"]}, {"active": False, "removed_block": log.block_number})


@on("OracleHub", "QuorumChanged")
def oracle_quorum_changed(w: Writer, log: DecodedLog) -> None:
    _param(w, "oracle.quorum", log.args["newQuorum"])


@on("OracleHub", "JobTimeoutChanged")
def oracle_timeout_changed(w: Writer, log: DecodedLog) -> None:
    _param(w, "oracle.job_timeout", log.args["newTimeout"])


@on("OracleHub", "MinFeeChanged")
def oracle_min_fee_changed(w: Writer, log: DecodedLog) -> None:
    _param(w, f"oracle.min_fee.{log.args['kind']}", log.args["newFee"])


@on("OracleHub", "MinBondChanged")
def oracle_min_bond_changed(w: Writer, log: DecodedLog) -> None:
    _param(w, "oracle.min_bond", log.args["newMinBond"])


@on("OracleHub", "UnbondingDelayChanged")
def oracle_unbonding_delay_changed(w: Writer, log: DecodedLog) -> None:
    _param(w, "oracle.unbonding_delay", log.args["newDelay"])


# Bonds: ``bonded`` and ``unbonding`` mirror the hub's ``bondOf`` and ``unbondingOf``, so a slash
# takes from them in the hub's order (OracleHub.slash): the counting bond first, then the pending
# unbonding, which keeps its ``availableAt`` unless taken whole.
def _put_bond(w: Writer, operator: str, change: Callable[[dict], dict]) -> None:
    """Create or update ``operator``'s bond row with ``change(row)``, a dict of new values."""
    old = w.get(schema.operator_bonds, address=operator)
    row = old or {"bonded": "0", "unbonding": "0", "unbonding_available_at": None, "slashed": "0", "slash_count": 0}
    w.put(schema.operator_bonds, {"address": operator}, {**({} if old else row), **change(row)}, old=old)


@on("OracleHub", "Bonded")
def bonded(w: Writer, log: DecodedLog) -> None:
    _put_bond(w, log.args["operator"], lambda bond: {"bonded": str(log.args["bonded"])})


@on("OracleHub", "UnbondRequested")
def unbond_requested(w: Writer, log: DecodedLog) -> None:
    a = log.args
    _put_bond(w, a["operator"], lambda bond: {
        "bonded": _add(bond["bonded"], -a["amount"]), "unbonding": str(a["pending"]),
        "unbonding_available_at": a["availableAt"]})


@on("OracleHub", "UnbondWithdrawn")
def unbond_withdrawn(w: Writer, log: DecodedLog) -> None:
    _put_bond(w, log.args["operator"], lambda bond: {"unbonding": "0", "unbonding_available_at": None})


@on("OracleHub", "OperatorSlashed")
def operator_slashed(w: Writer, log: DecodedLog) -> None:
    a = log.args
    w.insert(schema.slashes, _event_row(log, operator=a["operator"], job_id=a["jobId"], amount=str(a["amount"])))

    def take(bond: dict) -> dict:
        from_bond = min(a["amount"], int(bond["bonded"]))
        unbonding = int(bond["unbonding"]) - (a["amount"] - from_bond)
        return {"bonded": _add(bond["bonded"], -from_bond), "unbonding": str(unbonding),
                "unbonding_available_at": bond["unbonding_available_at"] if unbonding else None,
                "slashed": _add(bond["slashed"], a["amount"]), "slash_count": bond["slash_count"] + 1}

    _put_bond(w, a["operator"], take)


# --------------------------------------------------------------------------- AccessPass
# In a sale the order is PassBought, the splitter's Deposited, then the mint (TransferSingle); in a
# revocation, the burn (if any) and then PassRevoked. Balances come only from the ERC-1155 transfer
# events, so mints, transfers and burns all count exactly once.
@on("AccessPass", "RoomCreated")
def room_created(w: Writer, log: DecodedLog) -> None:
    a = log.args
    w.put(schema.rooms, {"room_id": a["roomId"]}, {
        "host": a["host"], "host_split_id": a["hostSplitId"], "price": str(a["price"]),
        "supply_cap": a["supplyCap"], "sold": 0, "valid_from": a["validFrom"], "valid_until": a["validUntil"],
        "transferable": a["transferable"], "metadata_cid": a["metadataCid"],
        "created_event_id": log.event_id, "created_block": log.block_number, "created_tx": log.tx_hash,
    }, old=None)


@on("AccessPass", "PassBought")
def pass_bought(w: Writer, log: DecodedLog) -> None:
    a = log.args
    w.insert(schema.pass_purchases, _event_row(log, room_id=a["roomId"], buyer=a["buyer"], to=a["to"],
                                               price=str(a["price"]), platform_fee=str(a["platformFee"])))
    room = w.get(schema.rooms, room_id=a["roomId"])
    if room is not None:
        w.put(schema.rooms, {"room_id": a["roomId"]}, {"sold": room["sold"] + 1}, old=room)
    _add_param(w, "passes.pending_platform_fees", a["platformFee"])


def _holding(w: Writer, room_id: int, holder: str) -> tuple[dict, dict | None]:
    old = w.get(schema.pass_holdings, room_id=room_id, holder=holder)
    return (old or {"balance": 0, "revoked": False, "revoked_block": None}), old


def _move_passes(w: Writer, sender: str, receiver: str, room_id: int, amount: int) -> None:
    for account, delta in ((sender, -amount), (receiver, amount)):
        if account == ZERO_ADDRESS or amount == 0:
            continue
        row, old = _holding(w, room_id, account)
        w.put(schema.pass_holdings, {"room_id": room_id, "holder": account},
              {**({} if old else row), "balance": row["balance"] + delta}, old=old)


@on("AccessPass", "TransferSingle")
def pass_transfer_single(w: Writer, log: DecodedLog) -> None:
    a = log.args
    _move_passes(w, a["from"], a["to"], a["id"], a["value"])


@on("AccessPass", "TransferBatch")
def pass_transfer_batch(w: Writer, log: DecodedLog) -> None:
    a = log.args
    for room_id, amount in zip(a["ids"], a["values"]):
        _move_passes(w, a["from"], a["to"], room_id, amount)


@on("AccessPass", "PassRevoked")
def pass_revoked(w: Writer, log: DecodedLog) -> None:
    a = log.args
    w.insert(schema.pass_revocations, _event_row(log, room_id=a["roomId"], account=a["account"],
                                                 amount=str(a["amount"])))
    row, old = _holding(w, a["roomId"], a["account"])  # an account with no pass can be banned in advance
    w.put(schema.pass_holdings, {"room_id": a["roomId"], "holder": a["account"]},
          {**({} if old else row), "revoked": True, "revoked_block": log.block_number}, old=old)


@on("AccessPass", "ApprovalForAll")
def pass_approval_for_all(w: Writer, log: DecodedLog) -> None:
    a = log.args
    w.put(schema.pass_approvals, {"account": a["account"], "operator": a["operator"]}, {"approved": a["approved"]})


@on("AccessPass", "URI")
def pass_uri(w: Writer, log: DecodedLog) -> None:
    # AccessPass overrides uri() (ipfs://<room's metadata CID>) and never emits URI; kept in `events` only.
    return None


def _add_param(w: Writer, name: str, delta: int) -> None:
    old = w.get(schema.governance_params, name=name)
    w.put(schema.governance_params, {"name": name}, {"value": _add(old and old["value"], delta)}, old=old)


@on("AccessPass", "PlatformFeeChanged")
def platform_fee_changed(w: Writer, log: DecodedLog) -> None:
    _param(w, "passes.platform_fee_bps", log.args["newBps"])


@on("AccessPass", "TreasuryChanged")
def passes_treasury_changed(w: Writer, log: DecodedLog) -> None:
    _param(w, "passes.treasury", log.args["newTreasury"])


@on("AccessPass", "PlatformFeesWithdrawn")
def platform_fees_withdrawn(w: Writer, log: DecodedLog) -> None:
    amount = log.args["amount"]
    # The constructor emits no TreasuryChanged: the first withdrawal also tells the initial treasury.
    _param(w, "passes.treasury", log.args["treasury"])
    _add_param(w, "passes.pending_platform_fees", -amount)
    _add_param(w, "passes.platform_fees_withdrawn", amount)


# --------------------------------------------------------------------------- UsageRoyalties
# A roll-over emits EpochRolledOver (closing the old pool) and then EpochFunded into the current
# epoch with the contract itself as `from`, so `funded` is always the contract's poolOf.
def _usage_epoch(w: Writer, epoch: int) -> None:
    """Create the epoch's row (unsettled) at the first event that names the epoch."""
    if w.get(schema.usage_epochs, epoch=epoch) is None:
        w.put(schema.usage_epochs, {"epoch": epoch}, {
            "root": None, "total_plays": None, "job_id": None, "settled_block": None, "settled_tx": None,
        }, old=None)


def _put_usage_pool(w: Writer, epoch: int, token: str, change: Callable[[dict], dict]) -> None:
    """Create or update the (epoch, token) pool with ``change(row)``, a dict of new values."""
    old = w.get(schema.usage_pools, epoch=epoch, token=token)
    row = old or {"funded": "0", "claimed": "0", "rolled_over": "0", "rolled_over_into": None,
                  "rolled_over_block": None}
    w.put(schema.usage_pools, {"epoch": epoch, "token": token}, {**({} if old else row), **change(row)}, old=old)


@on("UsageRoyalties", "EpochFunded")
def epoch_funded(w: Writer, log: DecodedLog) -> None:
    a = log.args
    w.insert(schema.usage_fundings, _event_row(log, epoch=a["epoch"], token=a["token"], sender=a["from"],
                                               amount=str(a["amount"])))
    _usage_epoch(w, a["epoch"])
    _put_usage_pool(w, a["epoch"], a["token"], lambda pool: {"funded": _add(pool["funded"], a["amount"])})


@on("UsageRoyalties", "EpochSettled")
def epoch_settled(w: Writer, log: DecodedLog) -> None:
    a = log.args
    old = w.get(schema.usage_epochs, epoch=a["epoch"])
    w.put(schema.usage_epochs, {"epoch": a["epoch"]}, {
        "root": a["root"], "total_plays": str(a["totalPlays"]), "job_id": a["jobId"],
        "settled_block": log.block_number, "settled_tx": log.tx_hash,
    }, old=old)


@on("UsageRoyalties", "UsageClaimed")
def usage_claimed(w: Writer, log: DecodedLog) -> None:
    a = log.args
    w.insert(schema.usage_claims, _event_row(log, epoch=a["epoch"], work_id=a["workId"], token=a["token"],
                                             plays=str(a["plays"]), amount=str(a["amount"])))
    _usage_epoch(w, a["epoch"])
    _put_usage_pool(w, a["epoch"], a["token"], lambda pool: {"claimed": _add(pool["claimed"], a["amount"])})


@on("UsageRoyalties", "EpochRolledOver")
def epoch_rolled_over(w: Writer, log: DecodedLog) -> None:
    a = log.args
    _usage_epoch(w, a["epoch"])
    _put_usage_pool(w, a["epoch"], a["token"], lambda pool: {
        "rolled_over": _add(pool["rolled_over"], a["amount"]), "rolled_over_into": a["intoEpoch"],
        "rolled_over_block": log.block_number})


@on("UsageRoyalties", "ReporterSet")
def usage_reporter_set(w: Writer, log: DecodedLog) -> None:
    _param(w, "usage.reporter", log.args["reporter"])


@on("UsageRoyalties", "ClaimWindowSet")
def usage_claim_window_set(w: Writer, log: DecodedLog) -> None:
    _param(w, "usage.claim_window", log.args["claimWindow"])


# --------------------------------------------------------------------------- LicenseOffers
# In a sale the order is LicenseBought, the splitter's Deposited (unless free), then the ERC-721
# mint (Transfer from zero). LicenseBought creates the licence with its holder; Transfer only moves
# it on afterwards. Licences are never burnt.
#: The largest BIGINT: a validity clamped by the contract to 2**64-1 (never ends) is stored as this.
_MAX_BIGINT = 2**63 - 1


@on("ContentRegistry", "LicenseOffersChanged")
def license_offers_changed(w: Writer, log: DecodedLog) -> None:
    _param(w, "registry.license_offers", log.args["newLicenseOffers"])


@on("LicenseOffers", "OfferCreated")
def offer_created(w: Writer, log: DecodedLog) -> None:
    a = log.args
    w.put(schema.licence_offers, {"offer_id": a["offerId"]}, {
        "work_id": a["workId"], "seller": a["seller"], "rights": a["rights"], "token": a["token"],
        "price": str(a["price"]), "duration": a["duration"], "supply_cap": a["supplyCap"], "sold": 0,
        "transferable": a["transferable"], "paused": False, "terms_cid": a["termsCid"],
        "created_event_id": log.event_id, "created_block": log.block_number, "created_tx": log.tx_hash,
    }, old=None)


@on("LicenseOffers", "OfferPauseChanged")
def offer_pause_changed(w: Writer, log: DecodedLog) -> None:
    w.put(schema.licence_offers, {"offer_id": log.args["offerId"]}, {"paused": log.args["paused"]})


@on("LicenseOffers", "LicenseBought")
def license_bought(w: Writer, log: DecodedLog) -> None:
    a = log.args
    offer = w.get(schema.licence_offers, offer_id=a["offerId"])
    if offer is None:  # cannot happen for LicenseOffers' own logs; a sale needs its offer's terms
        return
    w.put(schema.licence_offers, {"offer_id": a["offerId"]}, {"sold": offer["sold"] + 1}, old=offer)
    valid_until = a["validUntil"]
    timed = offer["duration"] and valid_until != 2**64 - 1
    w.put(schema.licences, {"licence_id": a["licenseId"]}, {
        "offer_id": a["offerId"], "work_id": offer["work_id"], "holder": a["to"], "buyer": a["buyer"],
        "token": a["token"], "price": str(a["price"]), "platform_fee": str(a["platformFee"]),
        "valid_from": valid_until - offer["duration"] if timed else None,
        "valid_until": min(valid_until, _MAX_BIGINT), "transfers": 0,
        "bought_event_id": log.event_id, "bought_block": log.block_number, "bought_tx": log.tx_hash,
    }, old=None)
    _add_param(w, f"licences.pending_platform_fees.{a['token']}", a["platformFee"])


@on("LicenseOffers", "Transfer")
def licence_transfer(w: Writer, log: DecodedLog) -> None:
    a = log.args
    if a["from"] == ZERO_ADDRESS:  # the mint: LicenseBought already named the holder
        return
    licence = w.get(schema.licences, licence_id=a["tokenId"])
    if licence is not None:
        w.put(schema.licences, {"licence_id": a["tokenId"]},
              {"holder": a["to"], "transfers": licence["transfers"] + 1}, old=licence)


@on("LicenseOffers", "DerivativePolicyChanged")
def derivative_policy_changed(w: Writer, log: DecodedLog) -> None:
    w.put(schema.derivative_policies, {"work_id": log.args["workId"]},
          {"licence_required": log.args["licenseRequired"], "changed_block": log.block_number})


@on("LicenseOffers", "PlatformFeeChanged")
def licence_platform_fee_changed(w: Writer, log: DecodedLog) -> None:
    _param(w, "licences.platform_fee_bps", log.args["newBps"])


@on("LicenseOffers", "TreasuryChanged")
def licence_treasury_changed(w: Writer, log: DecodedLog) -> None:
    _param(w, "licences.treasury", log.args["newTreasury"])


@on("LicenseOffers", "PlatformFeesWithdrawn")
def licence_platform_fees_withdrawn(w: Writer, log: DecodedLog) -> None:
    a = log.args
    # The constructor emits no TreasuryChanged: a withdrawal also tells the treasury.
    _param(w, "licences.treasury", a["treasury"])
    _add_param(w, f"licences.pending_platform_fees.{a['token']}", -a["amount"])
    _add_param(w, f"licences.platform_fees_withdrawn.{a['token']}", a["amount"])


@on("LicenseOffers", "OwnershipTransferred")
def licences_ownership_transferred(w: Writer, log: DecodedLog) -> None:
    _param(w, "licences.owner", log.args["newOwner"])


# --------------------------------------------------------------------------- hardening events (0009)
@on("RoyaltySplitter", "WithdrawnTo")
def withdrawn_to(w: Writer, log: DecodedLog) -> None:
    a = log.args
    # The Withdrawn just before it in the transaction already counted the amount in
    # ``recipient_withdrawn``; this row only says where it went.
    w.insert(schema.payee_withdrawals, _event_row(log, split_id=a["splitId"], account=a["account"], to=a["to"],
                                                  token=a["token"], amount=str(a["amount"])))


@on("ContentRegistry", "RegistrationCommitted")
def registration_committed(w: Writer, log: DecodedLog) -> None:
    w.insert(schema.registration_commitments, _event_row(log, registrant=log.args["registrant"],
                                                          commitment=log.args["commitment"]))


@on("UsageRoyalties", "ReportsSuperseded")
def reports_superseded(w: Writer, log: DecodedLog) -> None:
    w.insert(schema.usage_supersessions, _event_row(log, epoch=log.args["epoch"],
                                                     first_valid_job_id=log.args["firstValidJobId"]))


#: Parameter prefix of each Ownable2Step contract (``<prefix>.owner``, ``<prefix>.pending_owner``).
_OWNED = {"ContentRegistry": "registry", "OracleHub": "oracle", "AccessPass": "passes", "UsageRoyalties": "usage"}


def _ownership_transfer_started(w: Writer, log: DecodedLog) -> None:
    _param(w, f"{_OWNED[log.contract]}.pending_owner", log.args["newOwner"])


def _ownership_transferred(w: Writer, log: DecodedLog) -> None:
    prefix = _OWNED[log.contract]
    _param(w, f"{prefix}.owner", log.args["newOwner"])
    # Ownable2Step forgets the pending owner on every transfer; a row exists once one was named.
    if w.get(schema.governance_params, name=f"{prefix}.pending_owner") is not None:
        _param(w, f"{prefix}.pending_owner", ZERO_ADDRESS)


for _contract in _OWNED:
    on(_contract, "OwnershipTransferStarted")(_ownership_transfer_started)
on("ContentRegistry", "OwnershipTransferred")(_ownership_transferred)
on("OracleHub", "OwnershipTransferred")(_ownership_transferred)
on("AccessPass", "OwnershipTransferred")(_ownership_transferred)
on("UsageRoyalties", "OwnershipTransferred")(_ownership_transferred)


@on("ContentRegistry", "OracleHubChanged")
def registry_oracle_hub_changed(w: Writer, log: DecodedLog) -> None:
    _param(w, "registry.oracle_hub", log.args["newHub"])


@on("ContentRegistry", "RegistrationFeesWithdrawn")
def registration_fees_withdrawn(w: Writer, log: DecodedLog) -> None:
    _param(w, "registry.treasury", log.args["treasury"])
    _add_param(w, "registry.registration_fees_withdrawn", log.args["amount"])


@on("TuttiGovernor", "TimelockChange")
def governor_timelock_change(w: Writer, log: DecodedLog) -> None:
    _param(w, "governor.timelock", log.args["newTimelock"])


@on("TuttiTimelock", "MinDelayChange")
def timelock_min_delay_change(w: Writer, log: DecodedLog) -> None:
    _param(w, "timelock.min_delay", log.args["newDuration"])
