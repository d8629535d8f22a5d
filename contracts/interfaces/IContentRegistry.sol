// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title IContentRegistry
/// @notice Musical works as ERC-721 tokens: IPFS metadata, a content hash, contributors and their
/// shares, parent works with an upstream cut, licence terms, and an EIP-2981 royalty receiver
/// that pays the work's split.
interface IContentRegistry {
    /*//////////////////////////////////////////////////////////////
                                 STRUCTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A contributor's share of the work's own income (after upstream cuts), in basis points.
    struct Contributor {
        address account;
        uint16 shareBps;
    }

    /// @notice A parent work and the share of this work's income it receives, in basis points.
    struct ParentShare {
        uint256 workId;
        uint16 shareBps;
    }

    /// @notice Everything an artist supplies to register a work.
    struct Registration {
        string metadataCid;
        bytes32 contentHash;
        string license;
        uint16 royaltyBps;
        Contributor[] contributors;
        ParentShare[] parents;
    }

    /// @notice A registered work.
    struct Work {
        string metadataCid;
        bytes32 contentHash;
        string license;
        uint16 royaltyBps;
        uint64 registeredAt;
        uint256 splitId;
        address payable wallet;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @dev `sent` wei were sent with a registration that costs `required`.
    error WrongRegistrationFee(uint256 sent, uint256 required);
    /// @dev The metadata CID is empty.
    error EmptyMetadataCid();
    /// @dev The content hash is zero.
    error EmptyContentHash();
    /// @dev This content was already registered as work `workId`.
    error ContentAlreadyRegistered(bytes32 contentHash, uint256 workId);
    /// @dev `count` contributors, more than the `max` governance allows (or none).
    error InvalidContributorCount(uint256 count, uint256 max);
    /// @dev `count` parents, more than the `max` governance allows.
    error TooManyParents(uint256 count, uint256 max);
    /// @dev `account`'s `shareBps` of the work's own `portionBps` (after parents' cuts) is less
    /// than one basis point of the work's income: raise the share or lower the parents' cut.
    error ContributorShareTooSmall(address account, uint16 shareBps, uint256 portionBps);
    /// @dev Contributor shares sum to `sum`, not 10,000.
    error ContributorSharesDoNotSumToTotal(uint256 sum);
    /// @dev Parent shares sum to `sum`, above the `max` governance allows.
    error UpstreamShareTooHigh(uint256 sum, uint256 max);
    /// @dev The EIP-2981 royalty of `bps` is above the `max` governance allows.
    error RoyaltyTooHigh(uint256 bps, uint256 max);
    /// @dev No work has id `workId`.
    error UnknownWork(uint256 workId);
    /// @dev `caller` does not own work `workId`.
    error NotWorkOwner(uint256 workId, address caller);
    /// @dev A governance limit above what the contracts can honour.
    error LimitOutOfRange(string name, uint256 value, uint256 max);
    /// @dev The treasury cannot be the zero address.
    error ZeroTreasury();
    /// @dev A constructor address (governance, splitter) cannot be zero.
    error ZeroAddress();
    /// @dev Sending the registration fees to the treasury failed (they stay pending).
    error FeeTransferFailed(address treasury, uint256 amount);
    /// @dev No registration fees are waiting to be withdrawn.
    error NoRegistrationFees();
    /// @dev A registration fee of `fee` wei, above the `max` the contract allows.
    error RegistrationFeeTooHigh(uint256 fee, uint256 max);
    /// @dev `registrant` made no live commitment to register `contentHash` (see {commitRegistration}).
    error RegistrationNotCommitted(address registrant, bytes32 contentHash);
    /// @dev The commitment was made in this block; register from block `usableFromBlock` on.
    error CommitmentTooNew(bytes32 commitment, uint256 usableFromBlock);
    /// @dev The commitment expired at `expiredAt` (a unix time); commit again.
    error CommitmentExpired(bytes32 commitment, uint256 expiredAt);
    /// @dev The same commitment is still live until `expiresAt`: re-committing it is refused so no
    /// one who learns it can push its block forward and delay the registration.
    error CommitmentStillLive(bytes32 commitment, uint256 expiresAt);
    /// @dev A zero commitment.
    error EmptyCommitment();
    /// @dev `contentHash` is the result of an oracle job requested by `requester`: only they may register it.
    error ContentReservedForRequester(bytes32 contentHash, address requester);
    /// @dev Only governance, or the deployer before any hub is set, may set the oracle hub.
    error NotAllowedToSetOracleHub(address caller);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Work `workId` was registered by `artist`; its income is split by `splitId`,
    /// and `wallet` is the address that receives royalties for it (code deployed on first use).
    event WorkRegistered(
        uint256 indexed workId,
        address indexed artist,
        bytes32 indexed contentHash,
        string metadataCid,
        uint256 splitId,
        address wallet,
        string license,
        uint16 royaltyBps
    );
    /// @notice Work `workId` derives from `parentWorkId`, which receives `shareBps` of its income.
    event DerivativeRegistered(uint256 indexed workId, uint256 indexed parentWorkId, uint16 shareBps);
    /// @notice The code of work `workId`'s royalty wallet was deployed at `wallet`.
    event WalletDeployed(uint256 indexed workId, address wallet);
    /// @notice The owner of work `workId` pointed it at new metadata.
    event WorkMetadataChanged(uint256 indexed workId, string metadataCid);
    /// @notice Governance changed the registration fee.
    event RegistrationFeeChanged(uint256 oldFee, uint256 newFee);
    /// @notice Governance changed the registration limits.
    event LimitsChanged(uint16 maxContributors, uint16 maxParents, uint16 maxUpstreamBps, uint16 maxRoyaltyBps);
    /// @notice Governance changed where registration fees go.
    event TreasuryChanged(address oldTreasury, address newTreasury);
    /// @notice `amount` wei of registration fees were paid to `treasury`.
    event RegistrationFeesWithdrawn(address indexed treasury, uint256 amount);
    /// @notice `registrant` committed to register some content (the commitment hides which).
    event RegistrationCommitted(address indexed registrant, bytes32 indexed commitment);
    /// @notice The oracle hub whose job results are reserved for their requesters is now `hub`.
    event OracleHubChanged(address oldHub, address newHub);

    /*//////////////////////////////////////////////////////////////
                                FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Commit to registering a work: `commitment` is
    /// `keccak256(abi.encode(registrant, contentHash))` (see {registrationCommitment}). The content
    /// hash stays hidden until {register} reveals it from a later block, and a copied {register}
    /// transaction fails for anyone but the registrant who committed (front-running protection).
    /// @dev Emits {RegistrationCommitted}. A commitment lives {COMMITMENT_MAX_AGE} seconds and is
    /// deleted by the registration that uses it. Requirements: non-zero; not already live
    /// ({CommitmentStillLive}).
    function commitRegistration(bytes32 commitment) external;

    /// @notice Register a work, minting its token to the caller and creating its split and wallet.
    /// @dev Emits {WorkRegistered}, one {DerivativeRegistered} per parent, and ERC-721 {Transfer}.
    /// The work's wallet address is fixed now; its code is deployed by {deployWallet} when needed.
    /// Contributor shares are of the work's own portion (10,000 minus the parents' shares); they
    /// are scaled into the split, any basis point lost to rounding going to the first contributor.
    /// Requirements:
    /// - a {commitRegistration} by the caller for this content hash, made in an earlier block and at
    ///   most {COMMITMENT_MAX_AGE} seconds ago ({RegistrationNotCommitted}, {CommitmentTooNew},
    ///   {CommitmentExpired}); it is used up;
    /// - if the content hash is an oracle job's result, the caller is that job's requester
    ///   ({ContentReservedForRequester});
    /// - `msg.value` equals {registrationFee};
    /// - a non-empty metadata CID, a non-zero content hash never registered before;
    /// - 1 to {maxContributors} contributors whose shares sum to 10,000, each worth at least one
    ///   basis point of the work's income once the parents' cuts are taken;
    /// - at most {maxParents} existing parents whose shares sum to at most {maxUpstreamBps};
    /// - a royalty of at most {maxRoyaltyBps}.
    /// @return workId The new work's token id (ids start at 1).
    function register(Registration calldata registration) external payable returns (uint256 workId);

    /// @notice Pay every pending registration fee to the {treasury}. Anyone may call it.
    /// @dev Emits {RegistrationFeesWithdrawn}. Registration only credits fees (pull payment), so a
    /// treasury that refuses ETH never stops registration; this call then reverts with
    /// {FeeTransferFailed} and the fees stay pending until governance points {setTreasury} elsewhere.
    /// Requirements: some fees pending ({NoRegistrationFees}).
    /// @return amount The wei paid.
    function withdrawRegistrationFees() external returns (uint256 amount);

    /// @notice Registration fees credited to the treasury and not yet withdrawn, in wei.
    function pendingRegistrationFees() external view returns (uint256);

    /// @notice Deploy the code of work `workId`'s royalty wallet at its fixed address (no-op if done).
    /// @dev Anyone may call it. Emits {WalletDeployed} the first time.
    /// @return wallet The wallet's address (the EIP-2981 receiver).
    function deployWallet(uint256 workId) external returns (address wallet);

    /// @notice Deposit everything work `workId`'s wallet holds in `token` (zero: ETH) into its split,
    /// deploying the wallet first if needed. Anyone may call it.
    /// @dev Reverts with {SplitWallet-NothingToFlush} when the wallet holds none of `token`.
    function flushWallet(uint256 workId, address token) external;

    /// @notice Point work `workId` at a new metadata CID (for example, corrected credits).
    /// @dev Emits {WorkMetadataChanged} and ERC-4906 {MetadataUpdate}. Only the work's owner.
    function setMetadataCid(uint256 workId, string calldata metadataCid) external;

    /// @notice Set the registration fee, in wei. Governance only (the timelock).
    /// @dev Emits {RegistrationFeeChanged}. Reverts with {RegistrationFeeTooHigh} above
    /// {MAX_REGISTRATION_FEE}: no vote can price artists out of the registry.
    function setRegistrationFee(uint256 newFee) external;

    /// @notice Set the registration limits. Governance only (the timelock).
    /// @dev Emits {LimitsChanged}. Reverts with {LimitOutOfRange} beyond what the splitter allows.
    function setLimits(uint16 maxContributors, uint16 maxParents, uint16 maxUpstreamBps, uint16 maxRoyaltyBps)
        external;

    /// @notice Set where registration fees go. Governance only (the timelock).
    /// @dev Emits {TreasuryChanged}.
    function setTreasury(address payable newTreasury) external;

    /// @notice Set the {OracleHub} whose fulfilled results only their requesters may register.
    /// Governance (the timelock) at any time; the registry's deployer once, while none is set (the
    /// hub is deployed after the registry, which it references).
    /// @dev Emits {OracleHubChanged}.
    function setOracleHub(address hub) external;

    /// @notice The commitment `registrant` sends to {commitRegistration} before registering `contentHash`.
    function registrationCommitment(address registrant, bytes32 contentHash) external pure returns (bytes32);

    /// @notice When `commitment` was made: its block and unix time (zeros if none is live or it was used).
    function commitmentOf(bytes32 commitment) external view returns (uint64 blockNumber, uint64 timestamp);

    /// @notice A registered work.
    function work(uint256 workId) external view returns (Work memory);

    /// @notice The parents of work `workId` and their upstream shares.
    function parentsOf(uint256 workId) external view returns (ParentShare[] memory);

    /// @notice The work registered with `contentHash`, or 0.
    function workIdByContentHash(bytes32 contentHash) external view returns (uint256);

    /// @notice Number of works registered so far (also the id of the newest).
    function workCount() external view returns (uint256);
}
