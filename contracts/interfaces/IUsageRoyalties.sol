// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title IUsageRoyalties
/// @notice Usage-based royalty epochs. Revenue that is not tied to one work (a streaming
/// subscription, a venue's blanket licence, a governance grant) is pooled per epoch, in ETH or any
/// ERC-20. After the epoch, the governance-appointed reporter asks the oracle network for a
/// `usage` job on its play report; a quorum of operators attests a Merkle root of per-work play
/// counts. Anyone then settles the epoch with that root, and anyone may claim a work's part of
/// every pool, `pool * plays / totalPlays`, with a Merkle proof: it is deposited into the work's
/// own split, so contributors and parent works are paid exactly as for any other royalty.
/// Rounding dust and unclaimed parts roll over into a later epoch's pool: nothing is locked.
/// @dev Epoch `e` covers `[genesis + e * epochLength, genesis + (e + 1) * epochLength)`.
/// Leaves are OpenZeppelin standard Merkle leaves `keccak256(bytes.concat(keccak256(abi.encode(
/// workId, plays))))`, verified with sorted-pair hashing ({MerkleProof}). The attested result hash
/// of a usage job is the commitment `keccak256(abi.encode(address(this), epoch, root, totalPlays))`.
interface IUsageRoyalties {
    /*//////////////////////////////////////////////////////////////
                                 STRUCTS
    //////////////////////////////////////////////////////////////*/

    /// @notice How an epoch was settled: the attested Merkle root of play counts, their total, the
    /// oracle job that attested them and when.
    struct Settlement {
        bytes32 root;
        uint256 totalPlays;
        uint256 jobId;
        uint64 settledAt;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @dev A funding of zero (or a token transfer that delivered nothing).
    error ZeroFunding();
    /// @dev Epoch `epoch` ends at `endsAt`; it cannot be settled or rolled over before.
    error EpochNotEnded(uint256 epoch, uint64 endsAt);
    /// @dev Epoch `epoch` was already settled.
    error EpochAlreadySettled(uint256 epoch);
    /// @dev Epoch `epoch` has not been settled.
    error EpochNotSettled(uint256 epoch);
    /// @dev Job `jobId` is of kind `kind`, not a usage job.
    error NotAUsageJob(uint256 jobId, bytes32 kind);
    /// @dev Job `jobId` was requested by `requester`, not by the usage reporter.
    error NotReportedByReporter(uint256 jobId, address requester);
    /// @dev The root, total and epoch given do not hash to the result job `jobId` attested.
    error CommitmentMismatch(uint256 jobId, bytes32 expected, bytes32 attested);
    /// @dev A settlement with plays needs a root, and a zero root needs zero plays.
    error InvalidSettlement(bytes32 root, uint256 totalPlays);
    /// @dev The proof does not show that work `workId` had `plays` plays in epoch `epoch`.
    error InvalidProof(uint256 epoch, uint256 workId, uint256 plays);
    /// @dev Work `workId` already claimed its part of epoch `epoch`'s `token` pool.
    error AlreadyClaimed(uint256 epoch, address token, uint256 workId);
    /// @dev Work `workId`'s part of epoch `epoch`'s `token` pool rounds to zero.
    error NothingToClaim(uint256 epoch, address token, uint256 workId);
    /// @dev Epoch `epoch`'s `token` pool was rolled over; its claims are closed.
    error ClaimsClosed(uint256 epoch, address token);
    /// @dev Claims on epoch `epoch` stay open until `until`.
    error ClaimWindowOpen(uint256 epoch, uint64 until);
    /// @dev Epoch `epoch`'s `token` pool holds nothing left to roll over.
    error NothingToRollOver(uint256 epoch, address token);
    /// @dev A claim window of `window` seconds, outside `min`..`max`.
    error InvalidClaimWindow(uint64 window, uint64 min, uint64 max);
    /// @dev An epoch length of `length` seconds, outside `min`..`max`.
    error InvalidEpochLength(uint64 length, uint64 min, uint64 max);
    /// @dev The zero address cannot be the reporter.
    error ZeroReporter();
    /// @dev A constructor address (registry, splitter, hub) is the zero address.
    error ZeroAddress();
    /// @dev ETH is funded with {fundETH}, not as the ERC-20 `address(0)`.
    error InvalidToken(address token);
    /// @dev The reporter superseded job `jobId` for epoch `epoch`: only jobs from `firstValidJobId` on count.
    error ReportSuperseded(uint256 epoch, uint256 jobId, uint256 firstValidJobId);
    /// @dev Only the reporter may supersede reports; `caller` is not it.
    error NotReporter(address caller);
    /// @dev Superseding up to `firstValidJobId` must move forward from `current` and stop at the
    /// next job to be requested, `next`.
    error InvalidSupersede(uint256 firstValidJobId, uint256 current, uint256 next);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice `from` added `amount` of `token` (address(0) for ETH) to epoch `epoch`'s pool. A
    /// roll-over emits it too, with this contract as `from`.
    event EpochFunded(uint256 indexed epoch, address indexed token, address indexed from, uint256 amount);
    /// @notice Epoch `epoch` was settled with the `root` of per-work play counts summing to
    /// `totalPlays`, attested by oracle job `jobId`.
    event EpochSettled(uint256 indexed epoch, uint256 indexed jobId, bytes32 root, uint256 totalPlays);
    /// @notice Work `workId` received `amount` of `token` for its `plays` plays in epoch `epoch`,
    /// deposited into its split.
    event UsageClaimed(
        uint256 indexed epoch, uint256 indexed workId, address indexed token, uint256 plays, uint256 amount
    );
    /// @notice What epoch `epoch`'s `token` pool still held (`amount`) moved into epoch `intoEpoch`.
    event EpochRolledOver(uint256 indexed epoch, address indexed token, uint256 indexed intoEpoch, uint256 amount);
    /// @notice The usage reporter is now `reporter`.
    event ReporterSet(address indexed reporter);
    /// @notice Claims now stay open `claimWindow` seconds after a settlement.
    event ClaimWindowSet(uint64 claimWindow);
    /// @notice The reporter withdrew every usage report for `epoch` requested before job
    /// `firstValidJobId`: none of them can settle it.
    event ReportsSuperseded(uint256 indexed epoch, uint256 firstValidJobId);

    /*//////////////////////////////////////////////////////////////
                                 ACTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Add the ETH sent to the current epoch's pool.
    /// @dev Emits {EpochFunded}. Reverts with {ZeroFunding}.
    function fundETH() external payable;

    /// @notice Add `amount` of ERC-20 `token` (pulled with `transferFrom`) to the current epoch's
    /// pool; what arrives is what counts (fee-on-transfer tokens).
    /// @dev Emits {EpochFunded}. Reverts with {InvalidToken} or {ZeroFunding}.
    function fund(address token, uint256 amount) external;

    /// @notice Withdraw every usage report for `epoch` requested before job `firstValidJobId`, so
    /// a stale report the oracle already approved cannot be settled before the corrected one. The
    /// reporter calls it before requesting the correction (`report_usage` does so each time).
    /// @dev Emits {ReportsSuperseded}. Requirements: the caller is the {reporter} ({NotReporter});
    /// the epoch is not settled; {firstValidReportOf}(epoch) < `firstValidJobId` <= the hub's job
    /// count + 1 ({InvalidSupersede}).
    function supersedeReports(uint256 epoch, uint256 firstValidJobId) external;

    /// @notice Settle ended epoch `epoch` with the play counts oracle job `jobId` attested.
    /// @dev Anyone may call. The job must be a fulfilled `usage` job requested by the reporter,
    /// not superseded ({ReportSuperseded}), whose attested result hash is
    /// `keccak256(abi.encode(address(this), epoch, root, totalPlays))`. Fixes the epoch's claim
    /// window at the current {claimWindow}: later governance changes do not shorten it.
    /// Emits {EpochSettled}.
    function settle(uint256 epoch, uint256 jobId, bytes32 root, uint256 totalPlays) external;

    /// @notice Deposit work `workId`'s part of epoch `epoch`'s `token` pool into the work's split.
    /// @dev Anyone may call; the money goes to the work's split, never to the caller.
    /// Emits {UsageClaimed}.
    /// @return amount `pool * plays / totalPlays`, rounded down.
    function claim(uint256 epoch, address token, uint256 workId, uint256 plays, bytes32[] calldata proof)
        external
        returns (uint256 amount);

    /// @notice Move what epoch `epoch`'s `token` pool still holds into the current epoch's pool:
    /// rounding dust and unclaimed parts once the claim window has passed, the whole pool at once
    /// if the epoch had no plays, or an unsettled pool a claim window after the epoch ended.
    /// @dev Anyone may call. Closes the pool's claims. Emits {EpochRolledOver} and {EpochFunded}.
    /// @return amount What moved.
    function rollOver(uint256 epoch, address token) external returns (uint256 amount);

    /// @notice Appoint the account whose usage reports may settle epochs (governance).
    /// @dev Emits {ReporterSet}.
    function setReporter(address newReporter) external;

    /// @notice Set how long claims stay open after a settlement (governance).
    /// @dev Emits {ClaimWindowSet}.
    function setClaimWindow(uint64 newClaimWindow) external;

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The epoch now.
    function currentEpoch() external view returns (uint256);

    /// @notice The epoch `timestamp` falls in (0 before genesis).
    function epochAt(uint64 timestamp) external view returns (uint256);

    /// @notice When epoch `epoch` starts and ends (exclusive).
    function epochBounds(uint256 epoch) external view returns (uint64 start, uint64 end);

    /// @notice Everything ever added to epoch `epoch`'s `token` pool.
    function poolOf(uint256 epoch, address token) external view returns (uint256);

    /// @notice What epoch `epoch`'s `token` pool has paid to works so far.
    function claimedOf(uint256 epoch, address token) external view returns (uint256);

    /// @notice Whether epoch `epoch`'s `token` pool was rolled over (its claims are closed).
    function isRolledOver(uint256 epoch, address token) external view returns (bool);

    /// @notice Whether work `workId` claimed its part of epoch `epoch`'s `token` pool.
    function isClaimed(uint256 epoch, address token, uint256 workId) external view returns (bool);

    /// @notice How epoch `epoch` was settled (all zero if it was not).
    function settlementOf(uint256 epoch) external view returns (Settlement memory);

    /// @notice What `plays` plays earn from epoch `epoch`'s `token` pool (0 before settlement).
    function shareOf(uint256 epoch, address token, uint256 plays) external view returns (uint256);

    /// @notice The first usage job that may still settle `epoch` (earlier ones were superseded; 0: none were).
    function firstValidReportOf(uint256 epoch) external view returns (uint256);

    /// @notice How long claims on settled epoch `epoch` stay open after its settlement, fixed when
    /// it settled (0 before).
    function claimWindowOf(uint256 epoch) external view returns (uint64);

    /// @notice The commitment a usage job must attest for these settlement values.
    function commitmentOf(uint256 epoch, bytes32 root, uint256 totalPlays) external view returns (bytes32);

    /// @notice The job kind usage reports are requested under ("usage", left-aligned).
    function USAGE_KIND() external view returns (bytes32);

    /// @notice The account whose usage jobs may settle epochs.
    function reporter() external view returns (address);

    /// @notice How long claims stay open after a settlement, in seconds.
    function claimWindow() external view returns (uint64);

    /// @notice When epoch 0 started.
    function genesis() external view returns (uint64);

    /// @notice The length of every epoch, in seconds (fixed at deployment: epoch numbers never shift).
    function epochLength() external view returns (uint64);
}
