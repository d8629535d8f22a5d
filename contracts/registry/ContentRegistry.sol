// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";
import {IERC2981} from "@openzeppelin/contracts/interfaces/IERC2981.sol";
import {IERC4906} from "@openzeppelin/contracts/interfaces/IERC4906.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

import {Governed} from "../governance/Governed.sol";

import {IContentRegistry} from "../interfaces/IContentRegistry.sol";
import {ILicenseOffers} from "../interfaces/ILicenseOffers.sol";
import {IOracleHub} from "../interfaces/IOracleHub.sol";
import {IRoyaltySplitter} from "../interfaces/IRoyaltySplitter.sol";
import {RoyaltySplitter} from "../royalties/RoyaltySplitter.sol";
import {SplitWallet} from "../royalties/SplitWallet.sol";

/// @title ContentRegistry
/// @notice The registry of Tutti works. Each work is an ERC-721 token owned by the artist who
/// registered it; its income is divided by an immutable split in the {RoyaltySplitter}, reached
/// through the work's own {SplitWallet} address (the EIP-2981 receiver). The wallet's address is
/// fixed at registration (CREATE2) and its code deployed only when first needed.
/// @dev Every parameter (fee, limits, treasury) is owned by governance: the owner is the timelock.
contract ContentRegistry is IContentRegistry, ERC721, IERC2981, IERC4906, Governed {
    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    uint16 private constant TOTAL_BPS = 10_000;
    /// @notice How long a registration commitment stays usable, in seconds. Long enough for a
    /// transaction stuck behind a gas spike; short enough that stale commitments do not pile up
    /// as meaning (a commitment reveals nothing and binds only its own registrant).
    uint256 public constant COMMITMENT_MAX_AGE = 1 days;
    /// @notice Highest registration fee governance may set, in wei.
    uint256 public constant MAX_REGISTRATION_FEE = 1 ether;

    /// @dev When a commitment was made; both zero when none is live. One storage slot.
    struct Commitment {
        uint64 blockNumber;
        uint64 timestamp;
    }

    /// @dev The account that deployed the registry: it may set the oracle hub once (see {setOracleHub}).
    address private immutable _deployer;

    /// @notice The splitter that holds every work's split.
    IRoyaltySplitter public immutable splitter;

    /// @notice Wei charged per registration, credited to {treasury} (see {withdrawRegistrationFees}).
    uint256 public registrationFee;
    /// @inheritdoc IContentRegistry
    uint256 public pendingRegistrationFees;
    /// @notice Where registration fees go.
    address payable public treasury;
    /// @notice Most contributors per work.
    uint16 public maxContributors;
    /// @notice Most parent works per work.
    uint16 public maxParents;
    /// @notice Most basis points of a work's income its parents may take together.
    uint16 public maxUpstreamBps;
    /// @notice Highest EIP-2981 royalty a work may ask, in basis points.
    uint16 public maxRoyaltyBps;

    uint256 private _workCount;
    mapping(uint256 workId => Work) private _works;
    mapping(uint256 workId => ParentShare[]) private _parents;
    mapping(bytes32 contentHash => uint256 workId) private _workIdByContentHash;
    mapping(bytes32 commitment => Commitment) private _commitments;
    /// @notice The oracle hub whose fulfilled results only their requesters may register (zero: none).
    IOracleHub public oracleHub;

    /// @notice The licence contract asked before a derivative is registered (zero: every work is
    /// open to derivatives).
    ILicenseOffers public licenseOffers;

    /// @notice {licenseOffers} changed (by the deployer once, then by governance).
    event LicenseOffersChanged(address oldLicenseOffers, address newLicenseOffers);

    /*//////////////////////////////////////////////////////////////
                               CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param governance The timelock that owns every parameter.
    /// @param splitter_ The {RoyaltySplitter}.
    /// @param treasury_ Where registration fees go.
    /// @param registrationFee_ Initial fee in wei.
    constructor(address governance, IRoyaltySplitter splitter_, address payable treasury_, uint256 registrationFee_)
        ERC721("Tutti Works", "WORK")
        Ownable(governance)
    {
        if (treasury_ == address(0)) revert ZeroTreasury();
        if (governance == address(0) || address(splitter_) == address(0)) revert ZeroAddress();
        _deployer = msg.sender;
        splitter = splitter_;
        treasury = treasury_;
        // Checked like a governance change, but no change event: there was no fee before.
        if (registrationFee_ > MAX_REGISTRATION_FEE) {
            revert RegistrationFeeTooHigh(registrationFee_, MAX_REGISTRATION_FEE);
        }
        registrationFee = registrationFee_;
        _setLimits(50, 8, 5_000, 2_500);
    }

    /*//////////////////////////////////////////////////////////////
                            PUBLIC FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IContentRegistry
    function commitRegistration(bytes32 commitment) external {
        if (commitment == bytes32(0)) revert EmptyCommitment();
        Commitment storage existing = _commitments[commitment];
        if (existing.timestamp != 0 && block.timestamp <= existing.timestamp + COMMITMENT_MAX_AGE) {
            revert CommitmentStillLive(commitment, existing.timestamp + COMMITMENT_MAX_AGE);
        }
        // Cannot truncate: block numbers and timestamps are far below 2**64.
        _commitments[commitment] = Commitment(uint64(block.number), uint64(block.timestamp));
        emit RegistrationCommitted(msg.sender, commitment);
    }

    /// @inheritdoc IContentRegistry
    function register(Registration calldata registration) external payable returns (uint256 workId) {
        if (msg.value != registrationFee) revert WrongRegistrationFee(msg.value, registrationFee);
        if (bytes(registration.metadataCid).length == 0) revert EmptyMetadataCid();
        if (registration.contentHash == bytes32(0)) revert EmptyContentHash();
        uint256 existing = _workIdByContentHash[registration.contentHash];
        if (existing != 0) revert ContentAlreadyRegistered(registration.contentHash, existing);
        if (registration.royaltyBps > maxRoyaltyBps) revert RoyaltyTooHigh(registration.royaltyBps, maxRoyaltyBps);

        // Parents are checked against the works that exist before this one.
        _checkDerivativeRights(registration.parents);
        (uint256 splitId, address payable wallet) = _createSplitAndWallet(registration);
        // After every check of the registration itself, so a bad one reports its own error first.
        _useCommitment(registration.contentHash);
        _requireNotReservedForOther(registration.contentHash);
        workId = ++_workCount;
        _record(workId, registration, splitId, wallet);

        // Pull payment: a treasury that refuses ETH cannot stop registration.
        if (msg.value != 0) pendingRegistrationFees += msg.value;
        _safeMint(msg.sender, workId);
    }

    /// @inheritdoc IContentRegistry
    function withdrawRegistrationFees() external returns (uint256 amount) {
        amount = pendingRegistrationFees;
        if (amount == 0) revert NoRegistrationFees();
        pendingRegistrationFees = 0;
        address payable to = treasury;
        emit RegistrationFeesWithdrawn(to, amount);
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert FeeTransferFailed(to, amount);
    }

    /// @inheritdoc IContentRegistry
    function deployWallet(uint256 workId) public returns (address wallet) {
        _requireWork(workId);
        wallet = _works[workId].wallet;
        if (wallet.code.length == 0) {
            uint256 splitId = _works[workId].splitId;
            Create2.deploy(0, bytes32(splitId), _walletInitCode(splitId));
            emit WalletDeployed(workId, wallet);
        }
    }

    /// @inheritdoc IContentRegistry
    function flushWallet(uint256 workId, address token) external {
        SplitWallet(payable(deployWallet(workId))).flush(token);
    }

    /// @inheritdoc IContentRegistry
    function setMetadataCid(uint256 workId, string calldata metadataCid) external {
        if (_ownerOf(workId) != msg.sender) revert NotWorkOwner(workId, msg.sender);
        if (bytes(metadataCid).length == 0) revert EmptyMetadataCid();
        _works[workId].metadataCid = metadataCid;
        emit WorkMetadataChanged(workId, metadataCid);
        emit MetadataUpdate(workId);
    }

    /// @inheritdoc IContentRegistry
    function setRegistrationFee(uint256 newFee) external onlyOwner {
        if (newFee > MAX_REGISTRATION_FEE) revert RegistrationFeeTooHigh(newFee, MAX_REGISTRATION_FEE);
        emit RegistrationFeeChanged(registrationFee, newFee);
        registrationFee = newFee;
    }

    /// @inheritdoc IContentRegistry
    function setLimits(uint16 maxContributors_, uint16 maxParents_, uint16 maxUpstreamBps_, uint16 maxRoyaltyBps_)
        external
        onlyOwner
    {
        _setLimits(maxContributors_, maxParents_, maxUpstreamBps_, maxRoyaltyBps_);
    }

    /// @inheritdoc IContentRegistry
    function setOracleHub(address hub) external {
        bool byDeployerOnce = msg.sender == _deployer && address(oracleHub) == address(0);
        if (msg.sender != owner() && !byDeployerOnce) revert NotAllowedToSetOracleHub(msg.sender);
        emit OracleHubChanged(address(oracleHub), hub);
        oracleHub = IOracleHub(hub);
    }

    /// @inheritdoc IContentRegistry
    function setTreasury(address payable newTreasury) external onlyOwner {
        if (newTreasury == address(0)) revert ZeroTreasury();
        emit TreasuryChanged(treasury, newTreasury);
        treasury = newTreasury;
    }

    /// @notice Point the registry at the licence contract that rules derivatives (zero: none).
    /// @dev Emits {LicenseOffersChanged}. Governance (the timelock), or the deployer once while unset.
    function setLicenseOffers(ILicenseOffers newLicenseOffers) external {
        bool wiring = msg.sender == _deployer && address(licenseOffers) == address(0);
        if (msg.sender != owner() && !wiring) revert OwnableUnauthorizedAccount(msg.sender);
        emit LicenseOffersChanged(address(licenseOffers), address(newLicenseOffers));
        licenseOffers = newLicenseOffers;
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IContentRegistry
    function registrationCommitment(address registrant, bytes32 contentHash) public pure returns (bytes32) {
        return keccak256(abi.encode(registrant, contentHash));
    }

    /// @inheritdoc IContentRegistry
    function commitmentOf(bytes32 commitment) external view returns (uint64 blockNumber, uint64 timestamp) {
        Commitment storage made = _commitments[commitment];
        return (made.blockNumber, made.timestamp);
    }

    /// @inheritdoc IContentRegistry
    function work(uint256 workId) external view returns (Work memory) {
        _requireWork(workId);
        return _works[workId];
    }

    /// @inheritdoc IContentRegistry
    function parentsOf(uint256 workId) external view returns (ParentShare[] memory) {
        _requireWork(workId);
        return _parents[workId];
    }

    /// @inheritdoc IContentRegistry
    function workIdByContentHash(bytes32 contentHash) external view returns (uint256) {
        return _workIdByContentHash[contentHash];
    }

    /// @inheritdoc IContentRegistry
    function workCount() external view returns (uint256) {
        return _workCount;
    }

    /// @notice EIP-2981: the work's wallet receives `salePrice * royaltyBps / 10,000`.
    function royaltyInfo(uint256 tokenId, uint256 salePrice)
        external
        view
        returns (address receiver, uint256 royaltyAmount)
    {
        _requireWork(tokenId);
        Work storage w = _works[tokenId];
        return (w.wallet, salePrice * w.royaltyBps / TOTAL_BPS);
    }

    /// @notice `ipfs://<metadata CID>` of the work.
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        _requireWork(tokenId);
        return string.concat("ipfs://", _works[tokenId].metadataCid);
    }

    /// @notice ERC-165: ERC-721, EIP-2981 and ERC-4906.
    function supportsInterface(bytes4 interfaceId) public view override(ERC721, IERC165) returns (bool) {
        return interfaceId == type(IERC2981).interfaceId || interfaceId == bytes4(0x49064906)
            || super.supportsInterface(interfaceId);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev Checks the caller's commitment to `contentHash` and uses it up: a front-runner who copies
    /// the registration has no commitment of its own that is a block old.
    function _useCommitment(bytes32 contentHash) internal {
        bytes32 commitment = registrationCommitment(msg.sender, contentHash);
        Commitment memory made = _commitments[commitment];
        if (made.timestamp == 0) revert RegistrationNotCommitted(msg.sender, contentHash);
        if (made.blockNumber >= block.number) revert CommitmentTooNew(commitment, made.blockNumber + 1);
        if (block.timestamp > made.timestamp + COMMITMENT_MAX_AGE) {
            revert CommitmentExpired(commitment, made.timestamp + COMMITMENT_MAX_AGE);
        }
        delete _commitments[commitment];
    }

    /// @dev An oracle job's result hash is public once attested: only the job's requester (who paid
    /// for it) may register it, so no one can race them with their own commitment.
    function _requireNotReservedForOther(bytes32 contentHash) internal view {
        IOracleHub hub = oracleHub;
        if (address(hub) == address(0)) return;
        address requester = hub.requesterOfResult(contentHash);
        if (requester != address(0) && requester != msg.sender) {
            revert ContentReservedForRequester(contentHash, requester);
        }
    }

    /// @dev Each parent must allow the registrant to derive from it ({ILicenseOffers-mayDerive});
    /// reverts with {ILicenseOffers-DerivativeNotLicensed} naming the first parent that does not.
    /// Every registration of a derivative, the oracle network's AI derivatives included, passes here.
    function _checkDerivativeRights(ParentShare[] calldata parents) internal view {
        ILicenseOffers offers = licenseOffers;
        if (address(offers) == address(0)) return;
        for (uint256 i; i < parents.length; ++i) {
            // Reverted here rather than bubbled up, so the error is in this contract's ABI.
            if (!offers.mayDerive(parents[i].workId, msg.sender)) {
                revert ILicenseOffers.DerivativeNotLicensed(parents[i].workId, msg.sender);
            }
        }
    }

    function _requireWork(uint256 workId) internal view {
        if (workId == 0 || workId > _workCount) revert UnknownWork(workId);
    }

    /// @dev Creates the work's split (parents first resolved to their splits) and fixes its wallet address.
    function _createSplitAndWallet(Registration calldata registration)
        internal
        returns (uint256 splitId, address payable wallet)
    {
        (uint256[] memory parentSplitIds, uint16[] memory parentShares, uint256 upstreamBps) =
            _parentSplits(registration.parents);
        (address[] memory accounts, uint16[] memory shares) =
            _contributorSplits(registration.contributors, TOTAL_BPS - upstreamBps);
        splitId = splitter.createSplit(accounts, shares, parentSplitIds, parentShares);
        wallet = payable(Create2.computeAddress(bytes32(splitId), keccak256(_walletInitCode(splitId))));
    }

    /// @dev Split ids are unique, so each is a unique CREATE2 salt.
    function _walletInitCode(uint256 splitId) internal view returns (bytes memory) {
        return abi.encodePacked(type(SplitWallet).creationCode, abi.encode(splitter, splitId));
    }

    /// @dev Stores the work and its lineage and emits their events (split out to keep the stack shallow).
    function _record(uint256 workId, Registration calldata registration, uint256 splitId, address payable wallet)
        internal
    {
        _works[workId] = Work({
            metadataCid: registration.metadataCid,
            contentHash: registration.contentHash,
            license: registration.license,
            royaltyBps: registration.royaltyBps,
            registeredAt: uint64(block.timestamp),
            splitId: splitId,
            wallet: wallet
        });
        _workIdByContentHash[registration.contentHash] = workId;
        for (uint256 i; i < registration.parents.length; ++i) {
            _parents[workId].push(registration.parents[i]);
            emit DerivativeRegistered(workId, registration.parents[i].workId, registration.parents[i].shareBps);
        }
        emit WorkRegistered(
            workId,
            msg.sender,
            registration.contentHash,
            registration.metadataCid,
            splitId,
            wallet,
            registration.license,
            registration.royaltyBps
        );
    }

    function _parentSplits(ParentShare[] calldata parents)
        internal
        view
        returns (uint256[] memory splitIds, uint16[] memory shares, uint256 upstreamBps)
    {
        if (parents.length > maxParents) revert TooManyParents(parents.length, maxParents);
        splitIds = new uint256[](parents.length);
        shares = new uint16[](parents.length);
        for (uint256 i; i < parents.length; ++i) {
            _requireWork(parents[i].workId);
            splitIds[i] = _works[parents[i].workId].splitId;
            shares[i] = parents[i].shareBps;
            upstreamBps += parents[i].shareBps;
        }
        if (upstreamBps > maxUpstreamBps) revert UpstreamShareTooHigh(upstreamBps, maxUpstreamBps);
    }

    /// @dev Scales contributor shares (of 10,000) into `portionBps` of the split; the basis points
    /// lost to rounding down (fewer than one per contributor) go to the first contributor so the
    /// split still sums to 10,000. A share worth less than one basis point of the split is refused.
    function _contributorSplits(Contributor[] calldata contributors, uint256 portionBps)
        internal
        view
        returns (address[] memory accounts, uint16[] memory shares)
    {
        uint256 count = contributors.length;
        if (count == 0 || count > maxContributors) revert InvalidContributorCount(count, maxContributors);
        accounts = new address[](count);
        shares = new uint16[](count);
        uint256 sum;
        uint256 allocated;
        for (uint256 i; i < count; ++i) {
            accounts[i] = contributors[i].account;
            sum += contributors[i].shareBps;
            // Cannot overflow uint16: shareBps * portionBps / 10,000 <= portionBps <= 10,000.
            shares[i] = uint16(uint256(contributors[i].shareBps) * portionBps / TOTAL_BPS);
            if (shares[i] == 0) {
                revert ContributorShareTooSmall(contributors[i].account, contributors[i].shareBps, portionBps);
            }
            allocated += shares[i];
        }
        if (sum != TOTAL_BPS) revert ContributorSharesDoNotSumToTotal(sum);
        shares[0] += uint16(portionBps - allocated);
    }

    function _setLimits(uint16 maxContributors_, uint16 maxParents_, uint16 maxUpstreamBps_, uint16 maxRoyaltyBps_)
        internal
    {
        RoyaltySplitter reference_ = RoyaltySplitter(address(splitter));
        if (maxContributors_ == 0 || maxContributors_ > reference_.MAX_RECIPIENTS()) {
            revert LimitOutOfRange("maxContributors", maxContributors_, reference_.MAX_RECIPIENTS());
        }
        if (maxParents_ > reference_.MAX_PARENTS()) {
            revert LimitOutOfRange("maxParents", maxParents_, reference_.MAX_PARENTS());
        }
        if (maxUpstreamBps_ >= TOTAL_BPS) revert LimitOutOfRange("maxUpstreamBps", maxUpstreamBps_, TOTAL_BPS - 1);
        if (maxRoyaltyBps_ > TOTAL_BPS) revert LimitOutOfRange("maxRoyaltyBps", maxRoyaltyBps_, TOTAL_BPS);
        maxContributors = maxContributors_;
        maxParents = maxParents_;
        maxUpstreamBps = maxUpstreamBps_;
        maxRoyaltyBps = maxRoyaltyBps_;
        emit LimitsChanged(maxContributors_, maxParents_, maxUpstreamBps_, maxRoyaltyBps_);
    }
}
