"""The indexer's tables (SQLAlchemy Core), one schema for SQLite and PostgreSQL.

Three kinds of tables:

* **event rows** (``block_number`` column, append-only): one row per log, keyed by ``event_id``
  (``block_number * 1_000_000 + log_index``). A reorg deletes the rows above the fork point.
* **entity rows** (works, proposals, jobs, ...): created and updated by events. Every write goes
  through :mod:`indexer.store`, which keeps the previous row in ``journal`` so a reorg can undo it.
* **bookkeeping**: ``checkpoint`` (the last indexed block, written in the same transaction as the
  rows it covers), ``blocks`` (hashes of indexed blocks, for finding the fork point) and ``journal``.

One more kind is not from the chain at all: **off-chain state** (``media_nodes``, the room
directory), written by the API from signed announcements. No event writes it, so a reorg neither
deletes nor restores it, and a reindex does not rebuild it.

uint256 amounts, ids that are hashes (proposal ids) and vote weights are stored as decimal text:
they exceed 64-bit integers, and NUMERIC is not exact in SQLite. Sequential ids (works, splits,
jobs) and block numbers fit in BIGINT.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

Amount = String(78)  # up to 2**256 in decimal
Address = String(42)
Hex32 = String(66)


def _event_columns() -> list[Column]:
    return [
        Column("event_id", BigInteger, primary_key=True, autoincrement=False),
        Column("block_number", BigInteger, nullable=False, index=True),
        Column("tx_hash", Hex32, nullable=False),
    ]


# --------------------------------------------------------------------------- bookkeeping
checkpoint = Table(
    "checkpoint",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("chain_id", BigInteger, nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("block_hash", Hex32, nullable=False),
    Column("block_timestamp", BigInteger, nullable=False),
    #: Undo history is kept for blocks above this one; a reorg reaching below it needs a reindex.
    Column("journal_floor", BigInteger, nullable=False),
    #: Why the index cannot follow the chain any more (a reorg below the undo history), and what to
    #: do; NULL while healthy. The API's /health reports it.
    Column("problem", Text, nullable=True),
)

blocks = Table(
    "blocks",
    metadata,
    Column("number", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", Hex32, nullable=False),
    Column("parent_hash", Hex32, nullable=True),  # known for batch edges; other blocks come from logs
)

journal = Table(
    "journal",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("block_number", BigInteger, nullable=False, index=True),
    Column("table_name", String(64), nullable=False),
    Column("row_key", Text, nullable=False),
    Column("old_row", Text, nullable=True),  # JSON; NULL: the row did not exist
)

# --------------------------------------------------------------------------- raw log (all events)
events = Table(
    "events",
    metadata,
    *_event_columns(),
    Column("block_hash", Hex32, nullable=False),
    Column("log_index", Integer, nullable=False),
    Column("contract", String(64), nullable=False),
    Column("address", Address, nullable=False),
    Column("name", String(64), nullable=False),
    Column("args", Text, nullable=False),  # JSON, big integers as decimal strings
)

# --------------------------------------------------------------------------- works
works = Table(
    "works",
    metadata,
    Column("work_id", BigInteger, primary_key=True, autoincrement=False),
    Column("artist", Address, nullable=False, index=True),
    Column("owner", Address, nullable=False, index=True),
    Column("content_hash", Hex32, nullable=False),
    Column("metadata_cid", Text, nullable=False),
    Column("license", Text, nullable=False, index=True),
    Column("royalty_bps", Integer, nullable=False),
    Column("split_id", BigInteger, nullable=False, index=True),
    Column("wallet", Address, nullable=False),
    Column("wallet_deployed", Boolean, nullable=False),
    Column("registered_block", BigInteger, nullable=False),
    Column("registered_tx", Hex32, nullable=False),
)

work_parents = Table(
    "work_parents",
    metadata,
    *_event_columns(),
    Column("work_id", BigInteger, nullable=False, index=True),
    Column("parent_work_id", BigInteger, nullable=False, index=True),
    Column("share_bps", Integer, nullable=False),
)

# --------------------------------------------------------------------------- royalties
splits = Table(
    "splits",
    metadata,
    *_event_columns(),
    Column("split_id", BigInteger, nullable=False, unique=True),
    Column("creator", Address, nullable=False),
)

#: Account recipients of a split; for a work's split these are its contributors.
split_recipients = Table(
    "split_recipients",
    metadata,
    Column("split_id", BigInteger, primary_key=True, autoincrement=False),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("block_number", BigInteger, nullable=False, index=True),
    Column("account", Address, nullable=False, index=True),
    Column("slot_start", Integer, nullable=False),
    Column("share_bps", Integer, nullable=False),
)

split_parents = Table(
    "split_parents",
    metadata,
    Column("split_id", BigInteger, primary_key=True, autoincrement=False),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("block_number", BigInteger, nullable=False, index=True),
    Column("parent_split_id", BigInteger, nullable=False),
    Column("slot_start", Integer, nullable=False),
    Column("share_bps", Integer, nullable=False),
)

deposits = Table(
    "deposits",
    metadata,
    *_event_columns(),
    Column("split_id", BigInteger, nullable=False),
    Column("token", Address, nullable=False),
    Column("sender", Address, nullable=False),
    Column("amount", Amount, nullable=False),
)

withdrawals = Table(
    "withdrawals",
    metadata,
    *_event_columns(),
    Column("split_id", BigInteger, nullable=False),
    Column("token", Address, nullable=False),
    Column("account", Address, nullable=False),
    Column("amount", Amount, nullable=False),
)

forwards = Table(
    "forwards",
    metadata,
    *_event_columns(),
    Column("split_id", BigInteger, nullable=False, index=True),
    Column("parent_split_id", BigInteger, nullable=False),
    Column("token", Address, nullable=False),
    Column("amount", Amount, nullable=False),
)

#: Running totals per split and token (entity rows).
split_totals = Table(
    "split_totals",
    metadata,
    Column("split_id", BigInteger, primary_key=True, autoincrement=False),
    Column("token", Address, primary_key=True),
    Column("received", Amount, nullable=False),
)

#: What each recipient withdrew per split and token (entity rows).
recipient_withdrawn = Table(
    "recipient_withdrawn",
    metadata,
    Column("split_id", BigInteger, primary_key=True, autoincrement=False),
    Column("token", Address, primary_key=True),
    Column("account", Address, primary_key=True),
    Column("withdrawn", Amount, nullable=False),
)

# --------------------------------------------------------------------------- governance
token_holders = Table(
    "token_holders",
    metadata,
    Column("address", Address, primary_key=True),
    Column("balance", Amount, nullable=False),
    Column("delegate", Address, nullable=True),
    Column("votes", Amount, nullable=False),
)

governance_params = Table(
    "governance_params",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("value", Text, nullable=False),
)

proposals = Table(
    "proposals",
    metadata,
    Column("proposal_id", Amount, primary_key=True),
    Column("created_event_id", BigInteger, nullable=False, unique=True),
    Column("created_block", BigInteger, nullable=False),
    Column("created_tx", Hex32, nullable=False),
    Column("proposer", Address, nullable=False, index=True),
    Column("description", Text, nullable=False),
    Column("actions", Text, nullable=False),  # JSON [{target, value, signature, calldata}]
    Column("vote_start", BigInteger, nullable=False),
    Column("vote_end", BigInteger, nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("votes_for", Amount, nullable=False),
    Column("votes_against", Amount, nullable=False),
    Column("votes_abstain", Amount, nullable=False),
    Column("eta", BigInteger, nullable=True),
    Column("queued_block", BigInteger, nullable=True),
    Column("executed_block", BigInteger, nullable=True),
    Column("canceled_block", BigInteger, nullable=True),
)

votes = Table(
    "votes",
    metadata,
    *_event_columns(),
    Column("proposal_id", Amount, nullable=False, index=True),
    Column("voter", Address, nullable=False),
    Column("support", Integer, nullable=False),
    Column("weight", Amount, nullable=False),
    Column("reason", Text, nullable=False),
    Column("params", Text, nullable=True),
)

# --------------------------------------------------------------------------- oracle
jobs = Table(
    "jobs",
    metadata,
    Column("job_id", BigInteger, primary_key=True, autoincrement=False),
    Column("requester", Address, nullable=False, index=True),
    Column("kind", Hex32, nullable=False),
    Column("kind_name", String(32), nullable=False),
    Column("input_cid", Text, nullable=False),
    Column("params", Text, nullable=False),  # hex
    Column("fee", Amount, nullable=False),
    Column("deadline", BigInteger, nullable=False),
    Column("seed", Amount, nullable=False),
    Column("input_work_id", BigInteger, nullable=False, index=True),
    Column("state", String(16), nullable=False, index=True),
    Column("requested_block", BigInteger, nullable=False),
    Column("requested_tx", Hex32, nullable=False),
    Column("outcome", Hex32, nullable=True),
    Column("result_cid", Text, nullable=True),
    Column("result_hash", Hex32, nullable=True),
    Column("model_id", Hex32, nullable=True),
    Column("agreeing_operators", Text, nullable=True),  # JSON list
    Column("finished_block", BigInteger, nullable=True),
    Column("refunded_amount", Amount, nullable=True),
)

attestations = Table(
    "attestations",
    metadata,
    *_event_columns(),
    Column("job_id", BigInteger, nullable=False),
    Column("operator", Address, nullable=False),
    Column("outcome", Hex32, nullable=False),
    Column("result_hash", Hex32, nullable=False),
    Column("result_cid", Text, nullable=False),
    Column("model_id", Hex32, nullable=False),
    Column("relayer", Address, nullable=False),
)

#: ``AttestationDissented``: an attestation that disagreed with the fulfilled outcome.
dissents = Table(
    "dissents",
    metadata,
    *_event_columns(),
    Column("job_id", BigInteger, nullable=False, index=True),
    Column("operator", Address, nullable=False),
    Column("outcome", Hex32, nullable=False),
    Column("accepted_outcome", Hex32, nullable=False),
)

operators = Table(
    "operators",
    metadata,
    Column("address", Address, primary_key=True),
    Column("active", Boolean, nullable=False),
    Column("added_block", BigInteger, nullable=False),
    Column("removed_block", BigInteger, nullable=True),
    Column("earned", Amount, nullable=False),  # fees credited by fulfilled jobs
)

#: Bond state of every account that ever bonded (operator or not). ``bonded`` counts toward the
#: hub's ``minBond`` (``bondOf``); ``unbonding`` waits until ``unbonding_available_at`` (``unbondingOf``;
#: both reset when withdrawn or slashed away); ``slashed`` and ``slash_count`` add up every slash.
operator_bonds = Table(
    "operator_bonds",
    metadata,
    Column("address", Address, primary_key=True),
    Column("bonded", Amount, nullable=False),
    Column("unbonding", Amount, nullable=False),
    Column("unbonding_available_at", BigInteger, nullable=True),  # unix seconds; NULL: nothing pending
    Column("slashed", Amount, nullable=False),
    Column("slash_count", Integer, nullable=False),
)

#: ``OperatorSlashed``: governance took ``amount`` wei of ``operator``'s bond for its dissent on ``job_id``.
slashes = Table(
    "slashes",
    metadata,
    *_event_columns(),
    Column("operator", Address, nullable=False, index=True),
    Column("job_id", BigInteger, nullable=False, index=True),
    Column("amount", Amount, nullable=False),
)

oracle_withdrawals = Table(
    "oracle_withdrawals",
    metadata,
    *_event_columns(),
    Column("account", Address, nullable=False, index=True),
    Column("amount", Amount, nullable=False),
)

# --------------------------------------------------------------------------- access passes
#: AccessPass rooms (one ERC-1155 token id per room). ``sold`` counts every pass ever sold.
rooms = Table(
    "rooms",
    metadata,
    Column("room_id", BigInteger, primary_key=True, autoincrement=False),
    Column("host", Address, nullable=False, index=True),
    Column("host_split_id", BigInteger, nullable=False, index=True),
    Column("price", Amount, nullable=False),
    Column("supply_cap", BigInteger, nullable=False),  # uint32
    Column("sold", BigInteger, nullable=False),
    Column("valid_from", BigInteger, nullable=False),
    Column("valid_until", BigInteger, nullable=False),
    Column("transferable", Boolean, nullable=False),
    Column("metadata_cid", Text, nullable=False),
    Column("created_event_id", BigInteger, nullable=False, unique=True),
    Column("created_block", BigInteger, nullable=False),
    Column("created_tx", Hex32, nullable=False),
)

#: What each account holds of each room, from TransferSingle/TransferBatch (mints, transfers and
#: burns), and whether the host revoked it. Balances fit in BIGINT: at most ``supply_cap`` (uint32).
pass_holdings = Table(
    "pass_holdings",
    metadata,
    Column("room_id", BigInteger, primary_key=True, autoincrement=False),
    Column("holder", Address, primary_key=True, index=True),
    Column("balance", BigInteger, nullable=False),
    Column("revoked", Boolean, nullable=False),
    Column("revoked_block", BigInteger, nullable=True),
)

#: ``PassBought``: who paid, who got the pass, and the platform's cut.
pass_purchases = Table(
    "pass_purchases",
    metadata,
    *_event_columns(),
    Column("room_id", BigInteger, nullable=False),
    Column("buyer", Address, nullable=False),
    Column("to", Address, nullable=False),
    Column("price", Amount, nullable=False),
    Column("platform_fee", Amount, nullable=False),
)

#: ``PassRevoked``: the host banned ``account`` from the room, burning ``amount`` passes.
pass_revocations = Table(
    "pass_revocations",
    metadata,
    *_event_columns(),
    Column("room_id", BigInteger, nullable=False, index=True),
    Column("account", Address, nullable=False, index=True),
    Column("amount", Amount, nullable=False),
)

#: ERC-1155 ``ApprovalForAll`` on AccessPass (entity rows).
pass_approvals = Table(
    "pass_approvals",
    metadata,
    Column("account", Address, primary_key=True),
    Column("operator", Address, primary_key=True),
    Column("approved", Boolean, nullable=False),
)

# --------------------------------------------------------------------------- usage royalties
#: UsageRoyalties epochs: created by the first event about the epoch (a funding, usually); the
#: settlement columns stay NULL until ``EpochSettled``.
usage_epochs = Table(
    "usage_epochs",
    metadata,
    Column("epoch", BigInteger, primary_key=True, autoincrement=False),
    Column("root", Hex32, nullable=True),
    Column("total_plays", Amount, nullable=True),
    Column("job_id", BigInteger, nullable=True, index=True),
    Column("settled_block", BigInteger, nullable=True),
    Column("settled_tx", Hex32, nullable=True),
)

#: One pool per epoch and token (zero address: ETH). ``funded`` is everything ever added (the
#: contract's ``poolOf``, roll-ins included), ``claimed`` what works received (``claimedOf``),
#: ``rolled_over`` what moved on to ``rolled_over_into`` (the pool is then closed).
usage_pools = Table(
    "usage_pools",
    metadata,
    Column("epoch", BigInteger, primary_key=True, autoincrement=False),
    Column("token", Address, primary_key=True),
    Column("funded", Amount, nullable=False),
    Column("claimed", Amount, nullable=False),
    Column("rolled_over", Amount, nullable=False),
    Column("rolled_over_into", BigInteger, nullable=True),
    Column("rolled_over_block", BigInteger, nullable=True),
)

#: ``EpochFunded``: money added to a pool; a roll-over's has the contract itself as ``sender``.
usage_fundings = Table(
    "usage_fundings",
    metadata,
    *_event_columns(),
    Column("epoch", BigInteger, nullable=False, index=True),
    Column("token", Address, nullable=False),
    Column("sender", Address, nullable=False, index=True),
    Column("amount", Amount, nullable=False),
)

#: ``UsageClaimed``: a work's part of a pool, deposited into the work's split.
usage_claims = Table(
    "usage_claims",
    metadata,
    *_event_columns(),
    Column("epoch", BigInteger, nullable=False, index=True),
    Column("work_id", BigInteger, nullable=False),
    Column("token", Address, nullable=False),
    Column("plays", Amount, nullable=False),
    Column("amount", Amount, nullable=False),
)

# --------------------------------------------------------------------------- licence offers
#: LicenseOffers offers (entity rows): the terms fixed at creation, and ``sold`` / ``paused``, the
#: only things that change. The work's split is the work's (``works.split_id``).
licence_offers = Table(
    "licence_offers",
    metadata,
    Column("offer_id", BigInteger, primary_key=True, autoincrement=False),
    Column("work_id", BigInteger, nullable=False, index=True),
    Column("seller", Address, nullable=False, index=True),
    Column("rights", Integer, nullable=False),  # bitmask, see tutti.licenses.RIGHTS
    Column("token", Address, nullable=False),  # zero address: ETH
    Column("price", Amount, nullable=False),
    Column("duration", BigInteger, nullable=False),  # seconds from each purchase; 0: perpetual (uint64)
    Column("supply_cap", BigInteger, nullable=False),  # uint32
    Column("sold", BigInteger, nullable=False),
    Column("transferable", Boolean, nullable=False),
    Column("paused", Boolean, nullable=False),
    Column("terms_cid", Text, nullable=False),
    Column("created_event_id", BigInteger, nullable=False, unique=True),
    Column("created_block", BigInteger, nullable=False),
    Column("created_tx", Hex32, nullable=False),
)

#: One row per licence (ERC-721 token, never burnt): its sale from ``LicenseBought`` and its
#: current holder from ``Transfer``. ``valid_until`` 0: perpetual. ``valid_from`` is the sale's
#: block time, which the events tell only for timed licences (``valid_until - duration``); NULL for
#: perpetual ones, whose validity does not depend on it. Stored as BIGINT although uint64: the
#: clamp value 2**64-1 is stored as 2**63-1 (both are "never" for any block time).
licences = Table(
    "licences",
    metadata,
    Column("licence_id", BigInteger, primary_key=True, autoincrement=False),
    Column("offer_id", BigInteger, nullable=False, index=True),
    Column("work_id", BigInteger, nullable=False, index=True),
    Column("holder", Address, nullable=False, index=True),
    Column("buyer", Address, nullable=False),
    Column("token", Address, nullable=False),
    Column("price", Amount, nullable=False),
    Column("platform_fee", Amount, nullable=False),
    Column("valid_from", BigInteger, nullable=True),
    Column("valid_until", BigInteger, nullable=False),
    Column("transfers", BigInteger, nullable=False),  # changes of hands after the mint
    Column("bought_event_id", BigInteger, nullable=False, unique=True),
    Column("bought_block", BigInteger, nullable=False),
    Column("bought_tx", Hex32, nullable=False),
)

#: ``DerivativePolicyChanged``: whether deriving from a work needs a licence with the derivative
#: right (a work without a row: no, the contract's default).
derivative_policies = Table(
    "derivative_policies",
    metadata,
    Column("work_id", BigInteger, primary_key=True, autoincrement=False),
    Column("licence_required", Boolean, nullable=False),
    Column("changed_block", BigInteger, nullable=False),
)

# --------------------------------------------------------------------------- off-chain: the room directory
#: Media nodes announced by rooms' hosts (EIP-712 ``MediaNode``, see :mod:`tutti.media_directory`),
#: written by ``POST /rooms/{id}/media-nodes``. ``host`` is who signed: a row is listed only while it
#: equals the indexed room's host and ``expires_at`` (unix seconds, wall clock) is ahead.
media_nodes = Table(
    "media_nodes",
    metadata,
    Column("room_id", BigInteger, primary_key=True, autoincrement=False),
    Column("url", String(200), primary_key=True),  # tutti.media_directory.MAX_URL_LENGTH
    Column("host", Address, nullable=False),
    Column("expires_at", BigInteger, nullable=False, index=True),
    Column("signature", String(132), nullable=False),  # 0x + 65 bytes
    Column("announced_at", BigInteger, nullable=False),
)

# --------------------------------------------------------------------------- hardening events (0009)
#: ``RoyaltySplitter.WithdrawnTo``: a withdrawal paid to another address than the recipient's. The
#: same transaction's ``Withdrawn`` (just before it) already counts it in ``withdrawals``.
payee_withdrawals = Table(
    "payee_withdrawals",
    metadata,
    *_event_columns(),
    Column("split_id", BigInteger, nullable=False, index=True),
    Column("account", Address, nullable=False),
    Column("to", Address, nullable=False),
    Column("token", Address, nullable=False),
    Column("amount", Amount, nullable=False),
)

#: ``ContentRegistry.RegistrationCommitted``: the first step of commit-reveal registration.
registration_commitments = Table(
    "registration_commitments",
    metadata,
    *_event_columns(),
    Column("registrant", Address, nullable=False, index=True),
    Column("commitment", Hex32, nullable=False),
)

#: ``UsageRoyalties.ReportsSuperseded``: usage reports of ``epoch`` requested before job
#: ``first_valid_job_id`` can no longer settle it.
usage_supersessions = Table(
    "usage_supersessions",
    metadata,
    *_event_columns(),
    Column("epoch", BigInteger, nullable=False, index=True),
    Column("first_valid_job_id", BigInteger, nullable=False),
)

# --------------------------------------------------------------------------- off-chain: works' metadata
#: Each registered work's metadata JSON, read from IPFS by ``indexer.metadata`` (off the ingest
#: path). Keyed by the CID, i.e. by content: a reorg can drop or re-add the work pointing at it, but
#: never change what the CID holds, so no rollback touches these rows. ``seq`` grows with every row
#: stored (the API's response cache keys answers by it beside the checkpoint).
work_metadata = Table(
    "work_metadata",
    metadata,
    Column("cid", Text, primary_key=True),
    Column("status", String(16), nullable=False),  # ok | invalid (not a JSON object) | retrying
    Column("seq", BigInteger, nullable=True, unique=True),
    Column("title", Text, nullable=True),
    Column("artist_name", Text, nullable=True),
    Column("description", Text, nullable=True),
    Column("ai", Boolean, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", BigInteger, nullable=False, index=True),
    Column("error", Text, nullable=True),
    Column("fetched_at", BigInteger, nullable=True),
)

Index("ix_votes_proposal_event", votes.c.proposal_id, votes.c.event_id)
# The lists filter event rows on these columns and page them by event_id: with event_id in the index
# a page is read in order and stops after `limit` rows, where an index on the column alone makes the
# database read every matching row and sort them (a work with 3,000 deposits: 2 ms a page on SQLite
# instead of 0.04 ms, and growing with the work's income).
LIST_INDEXES = (
    (events, "contract"), (events, "name"), (deposits, "split_id"), (deposits, "sender"),
    (withdrawals, "split_id"), (withdrawals, "account"), (votes, "voter"), (attestations, "job_id"),
    (attestations, "operator"), (pass_purchases, "room_id"), (pass_purchases, "buyer"), (pass_purchases, "to"),
    (usage_claims, "work_id"),
)
for _table, _column in LIST_INDEXES:
    Index(f"ix_{_table.name}_{_column}_event", _table.c[_column], _table.c.event_id)

#: Append-only tables: a reorg deletes their rows above the fork point.
EVENT_TABLES = (
    events, work_parents, splits, split_recipients, split_parents, deposits, withdrawals, forwards,
    votes, attestations, dissents, oracle_withdrawals, pass_purchases, pass_revocations, usage_fundings,
    usage_claims, slashes, payee_withdrawals, registration_commitments, usage_supersessions,
)
#: Tables whose rows events update: every write is journaled.
ENTITY_TABLES = (
    works, split_totals, recipient_withdrawn, token_holders, governance_params, proposals, jobs, operators,
    rooms, pass_holdings, pass_approvals, usage_epochs, usage_pools, operator_bonds,
    licence_offers, licences, derivative_policies,
)
#: What "the same index" means: every table but the bookkeeping that depends on batch boundaries
#: (and the off-chain state, which no reindex rebuilds).
CONTENT_TABLES = EVENT_TABLES + ENTITY_TABLES
BOOKKEEPING_TABLES = (checkpoint, blocks, journal)
#: Written by the API, not by events: reorgs and rollbacks leave them alone.
OFFCHAIN_TABLES = (media_nodes, work_metadata)
TABLES_BY_NAME = {table.name: table for table in metadata.sorted_tables}
