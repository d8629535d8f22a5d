// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {BitMaps} from "@openzeppelin/contracts/utils/structs/BitMaps.sol";

import {Governed} from "../governance/Governed.sol";

import {IContentRegistry} from "../interfaces/IContentRegistry.sol";
import {IOracleHub} from "../interfaces/IOracleHub.sol";
import {IRoyaltySplitter} from "../interfaces/IRoyaltySplitter.sol";
import {IUsageRoyalties} from "../interfaces/IUsageRoyalties.sol";

/// @title UsageRoyalties
/// @notice Revenue pooled per epoch and shared among works by attested play counts, paid into
/// each work's split in the {RoyaltySplitter}.
/// @dev The reporter and the claim window are owned by governance: the owner is the timelock.
/// Nothing loops: each work claims its own part with a Merkle proof (O(log n) for n works), so an
/// epoch with any number of works can always be paid out (0xSplits issue #18). Claims and
/// roll-overs only move counters; the money leaves solely through {claim}, into the splitter.
/// Rebasing tokens are not supported (a balance that shrinks by itself breaks the accounting).
contract UsageRoyalties is IUsageRoyalties, Governed, ReentrancyGuard {
    using BitMaps for BitMaps.BitMap;
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                                 STRUCTS
    //////////////////////////////////////////////////////////////*/

    /// @dev One epoch's pool of one token. `claimed <= funded` always (see {claim}).
    struct Pool {
        uint256 funded;
        uint256 claimed;
        bool rolledOver;
    }

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @notice Shortest epoch length accepted at deployment.
    uint64 public constant MIN_EPOCH_LENGTH = 1 minutes;
    /// @notice Longest epoch length accepted at deployment.
    uint64 public constant MAX_EPOCH_LENGTH = 366 days;
    /// @notice Shortest claim window governance may set.
    uint64 public constant MIN_CLAIM_WINDOW = 1 hours;
    /// @notice Longest claim window governance may set.
    uint64 public constant MAX_CLAIM_WINDOW = 366 days;
    /// @inheritdoc IUsageRoyalties
    bytes32 public constant USAGE_KIND = bytes32("usage");

    /// @notice The registry that maps a work to its split.
    IContentRegistry public immutable registry;
    /// @notice The splitter holding every work's split.
    IRoyaltySplitter public immutable splitter;
    /// @notice The oracle hub whose usage jobs settle epochs.
    IOracleHub public immutable hub;
    /// @inheritdoc IUsageRoyalties
    uint64 public immutable genesis;
    /// @inheritdoc IUsageRoyalties
    uint64 public immutable epochLength;

    /// @inheritdoc IUsageRoyalties
    address public reporter;
    /// @inheritdoc IUsageRoyalties
    uint64 public claimWindow;

    mapping(uint256 epoch => Settlement) private _settlements;
    mapping(uint256 epoch => mapping(address token => Pool)) private _pools;
    // Work ids are sequential, so a bitmap marks 256 neighbouring works' claims per storage slot.
    mapping(uint256 epoch => mapping(address token => BitMaps.BitMap)) private _claimed;
    mapping(uint256 epoch => uint256 jobId) private _firstValidReport;
    mapping(uint256 epoch => uint64 window) private _settledClaimWindow;

    /*//////////////////////////////////////////////////////////////
                               CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param governance The timelock that owns the reporter and the claim window.
    /// @param registry_ The {ContentRegistry} whose works are paid.
    /// @param splitter_ The {RoyaltySplitter} holding the works' splits.
    /// @param hub_ The {OracleHub} that attests usage reports.
    /// @param epochLength_ Every epoch's length in seconds, {MIN_EPOCH_LENGTH}..{MAX_EPOCH_LENGTH}; fixed.
    /// @param claimWindow_ The initial claim window in seconds, {MIN_CLAIM_WINDOW}..{MAX_CLAIM_WINDOW}.
    /// @param reporter_ The initial reporter.
    constructor(
        address governance,
        IContentRegistry registry_,
        IRoyaltySplitter splitter_,
        IOracleHub hub_,
        uint64 epochLength_,
        uint64 claimWindow_,
        address reporter_
    ) Ownable(governance) {
        if (address(registry_) == address(0) || address(splitter_) == address(0) || address(hub_) == address(0)) {
            revert ZeroAddress();
        }
        if (epochLength_ < MIN_EPOCH_LENGTH || epochLength_ > MAX_EPOCH_LENGTH) {
            revert InvalidEpochLength(epochLength_, MIN_EPOCH_LENGTH, MAX_EPOCH_LENGTH);
        }
        registry = registry_;
        splitter = splitter_;
        hub = hub_;
        genesis = uint64(block.timestamp);
        epochLength = epochLength_;
        _setClaimWindow(claimWindow_);
        _setReporter(reporter_);
    }

    /*//////////////////////////////////////////////////////////////
                            PUBLIC FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IUsageRoyalties
    function fundETH() external payable {
        if (msg.value == 0) revert ZeroFunding();
        _addToPool(currentEpoch(), address(0), msg.sender, msg.value);
    }

    /// @inheritdoc IUsageRoyalties
    /// @dev Guarded: a token re-entering {fund} from its own transfer would be counted twice.
    function fund(address token, uint256 amount) external nonReentrant {
        if (token == address(0)) revert InvalidToken(token);
        uint256 balanceBefore = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 arrived = IERC20(token).balanceOf(address(this)) - balanceBefore;
        if (arrived == 0) revert ZeroFunding();
        _addToPool(currentEpoch(), token, msg.sender, arrived);
    }

    /// @inheritdoc IUsageRoyalties
    function supersedeReports(uint256 epoch, uint256 firstValidJobId) external {
        if (msg.sender != reporter) revert NotReporter(msg.sender);
        if (_settlements[epoch].settledAt != 0) revert EpochAlreadySettled(epoch);
        uint256 current = _firstValidReport[epoch];
        uint256 next = hub.jobCount() + 1;
        if (firstValidJobId <= current || firstValidJobId > next) {
            revert InvalidSupersede(firstValidJobId, current, next);
        }
        _firstValidReport[epoch] = firstValidJobId;
        emit ReportsSuperseded(epoch, firstValidJobId);
    }

    /// @inheritdoc IUsageRoyalties
    function settle(uint256 epoch, uint256 jobId, bytes32 root, uint256 totalPlays) external {
        uint64 end = _epochEnd(epoch);
        if (block.timestamp < end) revert EpochNotEnded(epoch, end);
        if (_settlements[epoch].settledAt != 0) revert EpochAlreadySettled(epoch);
        if ((root == bytes32(0)) != (totalPlays == 0)) revert InvalidSettlement(root, totalPlays);
        uint256 firstValid = _firstValidReport[epoch];
        if (jobId < firstValid) revert ReportSuperseded(epoch, jobId, firstValid);

        IOracleHub.Job memory job_ = hub.job(jobId);
        if (job_.kind != USAGE_KIND) revert NotAUsageJob(jobId, job_.kind);
        if (job_.requester != reporter) revert NotReportedByReporter(jobId, job_.requester);
        // Reverts with the hub's JobNotFulfilled until a quorum has agreed.
        (, bytes32 attested,,) = hub.fulfilledResult(jobId);
        bytes32 expected = commitmentOf(epoch, root, totalPlays);
        if (attested != expected) revert CommitmentMismatch(jobId, expected, attested);

        _settlements[epoch] = Settlement(root, totalPlays, jobId, uint64(block.timestamp));
        // Fixed now: a later governance change of the window must not close claims already promised.
        _settledClaimWindow[epoch] = claimWindow;
        emit EpochSettled(epoch, jobId, root, totalPlays);
    }

    /// @inheritdoc IUsageRoyalties
    function claim(uint256 epoch, address token, uint256 workId, uint256 plays, bytes32[] calldata proof)
        external
        nonReentrant
        returns (uint256 amount)
    {
        Settlement storage settlement = _settlements[epoch];
        if (settlement.settledAt == 0) revert EpochNotSettled(epoch);
        Pool storage pool = _pools[epoch][token];
        if (pool.rolledOver) revert ClaimsClosed(epoch, token);
        BitMaps.BitMap storage claimed = _claimed[epoch][token];
        if (claimed.get(workId)) revert AlreadyClaimed(epoch, token, workId);
        // A zero-play epoch has the zero root, which no leaf hashes to: it fails here, never divides by zero.
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(workId, plays))));
        if (!MerkleProof.verifyCalldata(proof, settlement.root, leaf)) revert InvalidProof(epoch, workId, plays);

        amount = Math.mulDiv(pool.funded, plays, settlement.totalPlays);
        // Never binds when the counts sum to the total (the rounded-down parts sum to at most the
        // pool); a report whose counts sum above its total can then only overdraw this pool,
        // never take other epochs' or tokens' money.
        uint256 left = pool.funded - pool.claimed;
        if (amount > left) amount = left;
        if (amount == 0) revert NothingToClaim(epoch, token, workId);

        claimed.set(workId);
        pool.claimed += amount;
        emit UsageClaimed(epoch, workId, token, plays, amount);

        // Reverts with the registry's UnknownWork if no such work exists. The splitter is trusted.
        uint256 splitId = registry.work(workId).splitId;
        if (token == address(0)) {
            splitter.depositETH{value: amount}(splitId);
        } else {
            IERC20(token).forceApprove(address(splitter), amount);
            splitter.deposit(splitId, token, amount);
        }
    }

    /// @inheritdoc IUsageRoyalties
    function rollOver(uint256 epoch, address token) external returns (uint256 amount) {
        uint64 end = _epochEnd(epoch);
        if (block.timestamp < end) revert EpochNotEnded(epoch, end);
        Settlement storage settlement = _settlements[epoch];
        // An epoch without plays has no claims to wait for; otherwise claims get a full window.
        // Cannot overflow uint64: end <= block.timestamp here and the window is at most 366 days.
        uint64 until;
        if (settlement.settledAt == 0) until = end + claimWindow;
        else if (settlement.totalPlays != 0) until = settlement.settledAt + _settledClaimWindow[epoch];
        if (block.timestamp < until) revert ClaimWindowOpen(epoch, until);

        Pool storage pool = _pools[epoch][token];
        amount = pool.rolledOver ? 0 : pool.funded - pool.claimed;
        if (amount == 0) revert NothingToRollOver(epoch, token);

        pool.rolledOver = true;
        uint256 current = currentEpoch();
        emit EpochRolledOver(epoch, token, current, amount);
        _addToPool(current, token, address(this), amount);
    }

    /// @inheritdoc IUsageRoyalties
    function setReporter(address newReporter) external onlyOwner {
        _setReporter(newReporter);
    }

    /// @inheritdoc IUsageRoyalties
    function setClaimWindow(uint64 newClaimWindow) external onlyOwner {
        _setClaimWindow(newClaimWindow);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IUsageRoyalties
    function currentEpoch() public view returns (uint256) {
        return epochAt(uint64(block.timestamp));
    }

    /// @inheritdoc IUsageRoyalties
    function epochAt(uint64 timestamp) public view returns (uint256) {
        return timestamp < genesis ? 0 : (timestamp - genesis) / epochLength;
    }

    /// @inheritdoc IUsageRoyalties
    function epochBounds(uint256 epoch) external view returns (uint64 start, uint64 end) {
        // Epoch `epoch` starts where epoch `epoch - 1` ends.
        return (epoch == 0 ? genesis : _epochEnd(epoch - 1), _epochEnd(epoch));
    }

    /// @inheritdoc IUsageRoyalties
    function poolOf(uint256 epoch, address token) external view returns (uint256) {
        return _pools[epoch][token].funded;
    }

    /// @inheritdoc IUsageRoyalties
    function claimedOf(uint256 epoch, address token) external view returns (uint256) {
        return _pools[epoch][token].claimed;
    }

    /// @inheritdoc IUsageRoyalties
    function isRolledOver(uint256 epoch, address token) external view returns (bool) {
        return _pools[epoch][token].rolledOver;
    }

    /// @inheritdoc IUsageRoyalties
    function isClaimed(uint256 epoch, address token, uint256 workId) external view returns (bool) {
        return _claimed[epoch][token].get(workId);
    }

    /// @inheritdoc IUsageRoyalties
    function settlementOf(uint256 epoch) external view returns (Settlement memory) {
        return _settlements[epoch];
    }

    /// @inheritdoc IUsageRoyalties
    function shareOf(uint256 epoch, address token, uint256 plays) external view returns (uint256) {
        uint256 totalPlays = _settlements[epoch].totalPlays;
        return totalPlays == 0 ? 0 : Math.mulDiv(_pools[epoch][token].funded, plays, totalPlays);
    }

    /// @inheritdoc IUsageRoyalties
    function firstValidReportOf(uint256 epoch) external view returns (uint256) {
        return _firstValidReport[epoch];
    }

    /// @inheritdoc IUsageRoyalties
    function claimWindowOf(uint256 epoch) external view returns (uint64) {
        return _settledClaimWindow[epoch];
    }

    /// @inheritdoc IUsageRoyalties
    function commitmentOf(uint256 epoch, bytes32 root, uint256 totalPlays) public view returns (bytes32) {
        return keccak256(abi.encode(address(this), epoch, root, totalPlays));
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev The first second after epoch `epoch`. Saturates at type(uint64).max for epochs that
    /// would end beyond it (billions of years away): they never end, and nothing overflows.
    function _epochEnd(uint256 epoch) internal view returns (uint64) {
        uint256 lastEnding = (type(uint64).max - genesis) / epochLength - 1;
        if (epoch > lastEnding) return type(uint64).max;
        // Cannot overflow: epoch + 1 <= (type(uint64).max - genesis) / epochLength.
        return uint64(genesis + (epoch + 1) * epochLength);
    }

    function _addToPool(uint256 epoch, address token, address from, uint256 amount) internal {
        _pools[epoch][token].funded += amount;
        emit EpochFunded(epoch, token, from, amount);
    }

    function _setReporter(address newReporter) internal {
        if (newReporter == address(0)) revert ZeroReporter();
        reporter = newReporter;
        emit ReporterSet(newReporter);
    }

    function _setClaimWindow(uint64 newClaimWindow) internal {
        if (newClaimWindow < MIN_CLAIM_WINDOW || newClaimWindow > MAX_CLAIM_WINDOW) {
            revert InvalidClaimWindow(newClaimWindow, MIN_CLAIM_WINDOW, MAX_CLAIM_WINDOW);
        }
        claimWindow = newClaimWindow;
        emit ClaimWindowSet(newClaimWindow);
    }
}
