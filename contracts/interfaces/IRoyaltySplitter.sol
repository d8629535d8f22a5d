// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title IRoyaltySplitter
/// @notice Pull-based, immutable revenue splits for ETH and any ERC-20.
/// @dev A split is a partition of 10,000 basis-point slots among accounts and parent splits.
/// Income is only counted on deposit (O(1) whatever the number of recipients); each recipient
/// pulls its entitlement. Unit `k` of a split's cumulative income (k = 0, 1, 2, ...) belongs to the
/// slot `k mod 10,000`, so entitlements are exact integers that never decrease and always sum to
/// the income: no wei is lost to rounding and none is locked.
interface IRoyaltySplitter {
    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @dev A split needs at least one account recipient.
    error EmptySplit();
    /// @dev `accounts` and `sharesBps` (or `parentSplitIds` and `parentSharesBps`) differ in length.
    error LengthMismatch(uint256 left, uint256 right);
    /// @dev More recipients or parents than the contract allows.
    error TooManyRecipients(uint256 count, uint256 max);
    /// @dev The account at `index` is the zero address.
    error ZeroAddressRecipient(uint256 index);
    /// @dev The share at `index` is zero: a recipient must own at least one basis point.
    error ZeroShare(uint256 index);
    /// @dev `account` appears twice in one split.
    error DuplicateRecipient(address account);
    /// @dev `parentSplitId` appears twice in one split.
    error DuplicateParent(uint256 parentSplitId);
    /// @dev Shares of accounts and parents together sum to `sum`, not 10,000.
    error SharesDoNotSumToTotal(uint256 sum);
    /// @dev No split has id `splitId`.
    error UnknownSplit(uint256 splitId);
    /// @dev Split `splitId` has no parent at `parentIndex`.
    error UnknownParentIndex(uint256 splitId, uint256 parentIndex);
    /// @dev `account` is not a recipient of split `splitId`.
    error NotARecipient(uint256 splitId, address account);
    /// @dev {depositWithPermit}: the token refused the permit and the splitter has no allowance
    /// from `owner` for the amount (a bad or expired signature, or a token without EIP-2612).
    error PermitFailed(address token, address owner);
    /// @dev A deposit of zero.
    error ZeroDeposit();
    /// @dev An ERC-20 deposit naming the zero address (ETH goes through {depositETH}).
    error InvalidToken(address token);
    /// @dev `account` has nothing to withdraw from split `splitId` in `token`.
    error NothingToWithdraw(uint256 splitId, address token, address account);
    /// @dev Parent link `parentIndex` of `splitId` has nothing new to forward in `token`.
    error NothingToForward(uint256 splitId, uint256 parentIndex, address token);
    /// @dev The withdrawal signature's `deadline` (a unix time) has passed.
    error WithdrawalSignatureExpired(uint256 deadline);
    /// @dev The signature is not `account`'s (ECDSA for an account without code, ERC-1271 otherwise).
    error InvalidWithdrawalSignature(address account);
    /// @dev Funds cannot be sent to the zero address.
    error ZeroPayee();
    /// @dev Sending `amount` wei to `to` failed.
    error ETHTransferFailed(address to, uint256 amount);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Split `splitId` was created by `creator`.
    event SplitCreated(
        uint256 indexed splitId,
        address indexed creator,
        address[] accounts,
        uint16[] sharesBps,
        uint256[] parentSplitIds,
        uint16[] parentSharesBps
    );
    /// @notice `amount` of `token` (zero address: ETH) was credited to split `splitId` by `from`.
    event Deposited(uint256 indexed splitId, address indexed token, address indexed from, uint256 amount);
    /// @notice `account` received `amount` of `token` from split `splitId`.
    event Withdrawn(uint256 indexed splitId, address indexed token, address indexed account, uint256 amount);
    /// @notice `account`'s `amount` of `token` from split `splitId` was paid to `to` (see {withdrawTo}).
    event WithdrawnTo(uint256 indexed splitId, address indexed account, address indexed to, address token, uint256 amount);
    /// @notice `amount` of `token` was forwarded from split `splitId` to its parent split `parentSplitId`.
    event ForwardedUpstream(
        uint256 indexed splitId, uint256 indexed parentSplitId, address indexed token, uint256 amount
    );

    /*//////////////////////////////////////////////////////////////
                                FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Create an immutable split.
    /// @dev Emits a {SplitCreated} event.
    /// Requirements:
    /// - at least one account, at most {MAX_RECIPIENTS} accounts and {MAX_PARENTS} parents;
    /// - no zero address, no duplicate account or parent, no zero share, every parent exists;
    /// - account and parent shares together sum to exactly 10,000 basis points.
    /// @param accounts Recipients paid directly.
    /// @param sharesBps Each account's share of the split's income, in basis points.
    /// @param parentSplitIds Splits that receive an upstream cut (a derivative's sources).
    /// @param parentSharesBps Each parent's share of the split's income, in basis points.
    /// @return splitId The new split's id (ids start at 1).
    function createSplit(
        address[] calldata accounts,
        uint16[] calldata sharesBps,
        uint256[] calldata parentSplitIds,
        uint16[] calldata parentSharesBps
    ) external returns (uint256 splitId);

    /// @notice Pay ETH into split `splitId`. Costs the same gas for any number of recipients.
    /// @dev Emits a {Deposited} event. Reverts with {ZeroDeposit} or {UnknownSplit}.
    function depositETH(uint256 splitId) external payable;

    /// @notice Pay `amount` of ERC-20 `token` into split `splitId` (the caller must have approved it).
    /// @dev Credits what actually arrived, so fee-on-transfer tokens cannot inflate a split.
    /// Emits a {Deposited} event. Reverts with {ZeroDeposit}, {InvalidToken} or {UnknownSplit}.
    function deposit(uint256 splitId, address token, uint256 amount) external;

    /// @notice Pay `amount` of ERC-20 `token` into split `splitId` in one transaction, authorised
    /// by the caller's EIP-2612 permit signature (`deadline`, `v`, `r`, `s`) instead of a prior
    /// `approve`: the permit grants the splitter exactly `amount`, then {deposit}'s transfer uses it.
    /// @dev If the permit call fails (for example because somebody submitted the same signature
    /// first) the deposit still goes ahead when the allowance is there. Emits a {Deposited} event.
    /// Reverts with {PermitFailed}, {ZeroDeposit}, {InvalidToken} or {UnknownSplit}.
    function depositWithPermit(
        uint256 splitId,
        address token,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external;

    /// @notice Send `account` everything it has accrued in split `splitId` in `token` (zero: ETH).
    /// @dev Anyone may trigger it; the funds always go to `account`. State is updated before the
    /// transfer. Emits a {Withdrawn} event.
    /// Requirements: `account` is a recipient and has a non-zero withdrawable amount.
    /// @return amount What was sent.
    function withdraw(uint256 splitId, address token, address account) external returns (uint256 amount);

    /// @notice Send everything `account` has accrued in split `splitId` in `token` to `to` instead:
    /// the way out for a recipient that rejects ETH (splits are immutable, so its share would
    /// otherwise be locked). `account` itself may call it; anyone else relays `account`'s EIP-712
    /// {WithdrawTo} signature (ECDSA for an account without code, ERC-1271 for a contract wallet).
    /// @dev Emits {Withdrawn} (for `account`, as {withdraw}) and {WithdrawnTo}. A signature is
    /// single-use (it carries `account`'s next {nonces} value) and expires at `deadline`.
    /// Requirements: `to` is not zero ({ZeroPayee}); the caller is `account`, or the signature is
    /// `account`'s ({InvalidWithdrawalSignature}) and `deadline` has not passed
    /// ({WithdrawalSignatureExpired}); a non-zero withdrawable amount.
    /// @return amount What was sent.
    function withdrawTo(
        uint256 splitId,
        address token,
        address account,
        address to,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint256 amount);

    /// @notice The next withdrawal-signature nonce of `account`.
    function nonces(address account) external view returns (uint256);

    /// @notice Credit parent link `parentIndex` of split `splitId` with its accrued upstream cut in `token`.
    /// @dev Pure accounting (the funds stay in this contract); anyone may call it.
    /// Emits a {ForwardedUpstream} and a {Deposited} event for the parent split.
    /// @return amount What was forwarded.
    function forwardUpstream(uint256 splitId, uint256 parentIndex, address token) external returns (uint256 amount);

    /// @notice How much `account` can withdraw from split `splitId` in `token` now.
    function withdrawable(uint256 splitId, address token, address account) external view returns (uint256);

    /// @notice How much parent link `parentIndex` of split `splitId` can forward in `token` now.
    function forwardable(uint256 splitId, uint256 parentIndex, address token) external view returns (uint256);

    /// @notice Total income ever credited to split `splitId` in `token`.
    function totalReceived(uint256 splitId, address token) external view returns (uint256);

    /// @notice The split's account recipients and their shares in basis points.
    function recipientsOf(uint256 splitId)
        external
        view
        returns (address[] memory accounts, uint16[] memory sharesBps);

    /// @notice The split's parent splits and their upstream shares in basis points.
    function parentsOf(uint256 splitId)
        external
        view
        returns (uint256[] memory parentSplitIds, uint16[] memory sharesBps);

    /// @notice Number of splits created so far (also the id of the newest).
    function splitCount() external view returns (uint256);
}
