// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {IRoyaltySplitter} from "../interfaces/IRoyaltySplitter.sol";

/// @title RoyaltySplitter
/// @notice Pull-based, immutable revenue splits for ETH and ERC-20 tokens, with upstream cuts to
/// parent splits (derivative works pay their sources).
/// @dev Deposits only increase a per-split, per-token counter, so they cost the same gas for 1 or
/// 500 recipients: a split can never become too large to pay out (0xSplits issue #18).
/// Entitlements use modular slot allocation (see {IRoyaltySplitter}): exact and monotonic.
/// Rebasing tokens are not supported (a balance that shrinks by itself breaks the accounting).
contract RoyaltySplitter is IRoyaltySplitter, ReentrancyGuard, EIP712, Nonces {
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                                 STRUCTS
    //////////////////////////////////////////////////////////////*/

    /// @dev One storage slot: the recipient owns slots [start, start + share) of every 10,000 units.
    struct AccountSlot {
        address account;
        uint16 start;
        uint16 share;
    }

    /// @dev One storage slot, like {AccountSlot} but owned by another split.
    struct ParentSlot {
        uint64 splitId;
        uint16 start;
        uint16 share;
    }

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @notice The EIP-712 type a recipient signs to have its share paid elsewhere.
    bytes32 public constant WITHDRAW_TO_TYPEHASH = keccak256(
        "WithdrawTo(uint256 splitId,address token,address account,address to,uint256 nonce,uint256 deadline)"
    );
    /// @notice Basis points in a whole split.
    uint16 public constant TOTAL_BPS = 10_000;
    /// @notice Most account recipients in one split; keeps creation far below a block's gas limit.
    uint256 public constant MAX_RECIPIENTS = 500;
    /// @notice Most parent splits in one split.
    uint256 public constant MAX_PARENTS = 16;

    uint256 private _splitCount;
    mapping(uint256 splitId => AccountSlot[]) private _accounts;
    mapping(uint256 splitId => mapping(address account => uint256)) private _accountIndexPlusOne;
    mapping(uint256 splitId => ParentSlot[]) private _parents;
    mapping(uint256 splitId => mapping(address token => uint256)) private _received;
    mapping(uint256 splitId => mapping(address token => mapping(address account => uint256))) private _withdrawn;
    mapping(uint256 splitId => mapping(address token => mapping(uint256 parentIndex => uint256))) private _forwarded;

    /*//////////////////////////////////////////////////////////////
                                MODIFIERS
    //////////////////////////////////////////////////////////////*/

    modifier onlyExisting(uint256 splitId) {
        if (splitId == 0 || splitId > _splitCount) revert UnknownSplit(splitId);
        _;
    }

    /*//////////////////////////////////////////////////////////////
                               CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    constructor() EIP712("Tutti RoyaltySplitter", "1") {}

    /*//////////////////////////////////////////////////////////////
                            PUBLIC FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IRoyaltySplitter
    function createSplit(
        address[] calldata accounts,
        uint16[] calldata sharesBps,
        uint256[] calldata parentSplitIds,
        uint16[] calldata parentSharesBps
    ) external returns (uint256 splitId) {
        if (accounts.length == 0) revert EmptySplit();
        if (accounts.length != sharesBps.length) revert LengthMismatch(accounts.length, sharesBps.length);
        if (parentSplitIds.length != parentSharesBps.length) {
            revert LengthMismatch(parentSplitIds.length, parentSharesBps.length);
        }
        if (accounts.length > MAX_RECIPIENTS) revert TooManyRecipients(accounts.length, MAX_RECIPIENTS);
        if (parentSplitIds.length > MAX_PARENTS) revert TooManyRecipients(parentSplitIds.length, MAX_PARENTS);

        splitId = ++_splitCount;
        uint256 next; // first unallocated slot; bounded by the sum check below
        for (uint256 i; i < accounts.length; ++i) {
            address account = accounts[i];
            if (account == address(0)) revert ZeroAddressRecipient(i);
            if (sharesBps[i] == 0) revert ZeroShare(i);
            if (_accountIndexPlusOne[splitId][account] != 0) revert DuplicateRecipient(account);
            if (next + sharesBps[i] > TOTAL_BPS) revert SharesDoNotSumToTotal(next + sharesBps[i]);
            _accounts[splitId].push(AccountSlot(account, uint16(next), sharesBps[i]));
            _accountIndexPlusOne[splitId][account] = i + 1;
            next += sharesBps[i];
        }
        for (uint256 i; i < parentSplitIds.length; ++i) {
            uint256 parentId = parentSplitIds[i];
            // Parents must already exist, so the split graph is acyclic by construction.
            if (parentId == 0 || parentId >= splitId) revert UnknownSplit(parentId);
            if (parentSharesBps[i] == 0) revert ZeroShare(accounts.length + i);
            for (uint256 j; j < i; ++j) {
                if (parentSplitIds[j] == parentId) revert DuplicateParent(parentId);
            }
            if (next + parentSharesBps[i] > TOTAL_BPS) revert SharesDoNotSumToTotal(next + parentSharesBps[i]);
            _parents[splitId].push(ParentSlot(uint64(parentId), uint16(next), parentSharesBps[i]));
            next += parentSharesBps[i];
        }
        if (next != TOTAL_BPS) revert SharesDoNotSumToTotal(next);

        emit SplitCreated(splitId, msg.sender, accounts, sharesBps, parentSplitIds, parentSharesBps);
    }

    /// @inheritdoc IRoyaltySplitter
    function depositETH(uint256 splitId) external payable onlyExisting(splitId) {
        if (msg.value == 0) revert ZeroDeposit();
        _received[splitId][address(0)] += msg.value;
        emit Deposited(splitId, address(0), msg.sender, msg.value);
    }

    /// @inheritdoc IRoyaltySplitter
    function deposit(uint256 splitId, address token, uint256 amount) external nonReentrant onlyExisting(splitId) {
        _deposit(splitId, token, amount);
    }

    /// @inheritdoc IRoyaltySplitter
    function depositWithPermit(
        uint256 splitId,
        address token,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant onlyExisting(splitId) {
        if (token == address(0)) revert InvalidToken(token);
        // A permit seen in the mempool can be submitted by anyone first, which makes ours revert;
        // the allowance it granted is all we need, so only a missing allowance is an error.
        try IERC20Permit(token).permit(msg.sender, address(this), amount, deadline, v, r, s) {}
        catch {
            if (IERC20(token).allowance(msg.sender, address(this)) < amount) revert PermitFailed(token, msg.sender);
        }
        _deposit(splitId, token, amount);
    }

    /// @dev Pull `amount` of `token` from the caller and credit what actually arrived.
    function _deposit(uint256 splitId, address token, uint256 amount) internal {
        if (token == address(0)) revert InvalidToken(token);
        if (amount == 0) revert ZeroDeposit();
        uint256 balanceBefore = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 arrived = IERC20(token).balanceOf(address(this)) - balanceBefore;
        if (arrived == 0) revert ZeroDeposit();
        _received[splitId][token] += arrived;
        emit Deposited(splitId, token, msg.sender, arrived);
    }

    /// @inheritdoc IRoyaltySplitter
    function withdraw(uint256 splitId, address token, address account)
        external
        nonReentrant
        onlyExisting(splitId)
        returns (uint256 amount)
    {
        amount = _withdrawable(splitId, token, account);
        if (amount == 0) revert NothingToWithdraw(splitId, token, account);
        _withdrawn[splitId][token][account] += amount;
        emit Withdrawn(splitId, token, account, amount);
        _send(token, account, amount);
    }

    /// @inheritdoc IRoyaltySplitter
    function withdrawTo(
        uint256 splitId,
        address token,
        address account,
        address to,
        uint256 deadline,
        bytes calldata signature
    ) external nonReentrant onlyExisting(splitId) returns (uint256 amount) {
        if (to == address(0)) revert ZeroPayee();
        if (msg.sender != account) _checkWithdrawToSignature(splitId, token, account, to, deadline, signature);
        amount = _withdrawable(splitId, token, account);
        if (amount == 0) revert NothingToWithdraw(splitId, token, account);
        _withdrawn[splitId][token][account] += amount;
        emit Withdrawn(splitId, token, account, amount);
        emit WithdrawnTo(splitId, account, to, token, amount);
        _send(token, to, amount);
    }

    /// @inheritdoc IRoyaltySplitter
    function forwardUpstream(uint256 splitId, uint256 parentIndex, address token)
        external
        onlyExisting(splitId)
        returns (uint256 amount)
    {
        amount = _forwardable(splitId, parentIndex, token);
        if (amount == 0) revert NothingToForward(splitId, parentIndex, token);
        uint256 parentId = _parents[splitId][parentIndex].splitId;
        _forwarded[splitId][token][parentIndex] += amount;
        _received[parentId][token] += amount;
        emit ForwardedUpstream(splitId, parentId, token, amount);
        emit Deposited(parentId, token, address(this), amount);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IRoyaltySplitter
    function withdrawable(uint256 splitId, address token, address account)
        external
        view
        onlyExisting(splitId)
        returns (uint256)
    {
        return _withdrawable(splitId, token, account);
    }

    /// @inheritdoc IRoyaltySplitter
    function forwardable(uint256 splitId, uint256 parentIndex, address token)
        external
        view
        onlyExisting(splitId)
        returns (uint256)
    {
        return _forwardable(splitId, parentIndex, token);
    }

    /// @inheritdoc IRoyaltySplitter
    function totalReceived(uint256 splitId, address token) external view onlyExisting(splitId) returns (uint256) {
        return _received[splitId][token];
    }

    /// @inheritdoc IRoyaltySplitter
    function recipientsOf(uint256 splitId)
        external
        view
        onlyExisting(splitId)
        returns (address[] memory accounts, uint16[] memory sharesBps)
    {
        AccountSlot[] storage slots = _accounts[splitId];
        accounts = new address[](slots.length);
        sharesBps = new uint16[](slots.length);
        for (uint256 i; i < slots.length; ++i) {
            (accounts[i], sharesBps[i]) = (slots[i].account, slots[i].share);
        }
    }

    /// @inheritdoc IRoyaltySplitter
    function parentsOf(uint256 splitId)
        external
        view
        onlyExisting(splitId)
        returns (uint256[] memory parentSplitIds, uint16[] memory sharesBps)
    {
        ParentSlot[] storage slots = _parents[splitId];
        parentSplitIds = new uint256[](slots.length);
        sharesBps = new uint16[](slots.length);
        for (uint256 i; i < slots.length; ++i) {
            (parentSplitIds[i], sharesBps[i]) = (slots[i].splitId, slots[i].share);
        }
    }

    /// @inheritdoc IRoyaltySplitter
    function splitCount() external view returns (uint256) {
        return _splitCount;
    }

    /// @inheritdoc IRoyaltySplitter
    function nonces(address account) public view override(IRoyaltySplitter, Nonces) returns (uint256) {
        return super.nonces(account);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev Reverts unless `signature` is `account`'s current {WithdrawTo} signature; uses its nonce.
    function _checkWithdrawToSignature(
        uint256 splitId,
        address token,
        address account,
        address to,
        uint256 deadline,
        bytes calldata signature
    ) internal {
        if (block.timestamp > deadline) revert WithdrawalSignatureExpired(deadline);
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(WITHDRAW_TO_TYPEHASH, splitId, token, account, to, _useNonce(account), deadline))
        );
        if (!SignatureChecker.isValidSignatureNow(account, digest, signature)) {
            revert InvalidWithdrawalSignature(account);
        }
    }

    function _withdrawable(uint256 splitId, address token, address account) internal view returns (uint256) {
        uint256 indexPlusOne = _accountIndexPlusOne[splitId][account];
        if (indexPlusOne == 0) revert NotARecipient(splitId, account);
        AccountSlot storage slot = _accounts[splitId][indexPlusOne - 1];
        return _entitlement(_received[splitId][token], slot.start, slot.share) - _withdrawn[splitId][token][account];
    }

    function _forwardable(uint256 splitId, uint256 parentIndex, address token) internal view returns (uint256) {
        if (parentIndex >= _parents[splitId].length) revert UnknownParentIndex(splitId, parentIndex);
        ParentSlot storage slot = _parents[splitId][parentIndex];
        return _entitlement(_received[splitId][token], slot.start, slot.share) - _forwarded[splitId][token][parentIndex];
    }

    /// @dev Units among the first `total` that fall in slots [start, start + share) mod 10,000.
    /// Non-decreasing in `total`, and the shares of a full partition sum to exactly `total`, so a
    /// recipient's withdrawn amount can never exceed its entitlement (the subtraction above is safe).
    function _entitlement(uint256 total, uint256 start, uint256 share) internal pure returns (uint256) {
        uint256 fullCycles = total / TOTAL_BPS;
        uint256 position = total % TOTAL_BPS;
        uint256 intoRange = position > start ? position - start : 0;
        return fullCycles * share + (intoRange < share ? intoRange : share);
    }

    function _send(address token, address to, uint256 amount) internal {
        if (token == address(0)) {
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert ETHTransferFailed(to, amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }
}
