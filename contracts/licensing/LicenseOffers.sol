// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {PlatformFees} from "../fees/PlatformFees.sol";
import {IContentRegistry} from "../interfaces/IContentRegistry.sol";
import {ILicenseOffers} from "../interfaces/ILicenseOffers.sol";
import {IRoyaltySplitter} from "../interfaces/IRoyaltySplitter.sol";

/// @title LicenseOffers
/// @notice Licences to Tutti works: offers by each work's owner, one ERC-721 token per sold licence.
/// @dev ERC-721 per licence rather than ERC-1155 per offer: a licence that lasts a duration from
/// its purchase has its own expiry, which ERC-1155's fungible balances cannot carry through a
/// transfer (two licences of one offer bought a month apart are not interchangeable). One token
/// per licence keeps its start and end with it wherever it goes.
/// Validity checks loop over the licences one account holds of one work, bounded by
/// {MAX_LICENSES_PER_WORK} (enforced on every mint and transfer), so a check never runs out of
/// gas however many licences a work sells.
/// Sales pay the work's split in the same transaction; platform fees accrue per token here
/// ({PlatformFees}: governance owns the rate and the treasury) until anyone withdraws them.
contract LicenseOffers is ILicenseOffers, ERC721, PlatformFees, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @notice Right: personal listening by the holder.
    uint8 public constant RIGHT_PERSONAL = 1;
    /// @notice Right: streaming to the public by a service the holder runs.
    uint8 public constant RIGHT_STREAMING = 2;
    /// @notice Right: synchronisation with pictures (video, film, game).
    uint8 public constant RIGHT_SYNC = 4;
    /// @notice Right: remixes and other derivative works.
    uint8 public constant RIGHT_DERIVATIVE = 8;
    /// @notice Right: commercial use of the other rights granted.
    uint8 public constant RIGHT_COMMERCIAL = 16;
    /// @notice Every right of the vocabulary.
    uint8 public constant ALL_RIGHTS = 31;
    /// @notice Most licences of one work one account may hold (bounds every validity check).
    uint256 public constant MAX_LICENSES_PER_WORK = 16;

    /// @notice The registry whose works are licensed.
    IContentRegistry public immutable registry;
    /// @notice The splitter holding the works' splits.
    IRoyaltySplitter public immutable splitter;

    /// @inheritdoc ILicenseOffers
    mapping(address token => uint256) public pendingPlatformFees;
    /// @inheritdoc ILicenseOffers
    mapping(uint256 workId => bool) public derivativeLicenseRequired;

    uint256 private _offerCount;
    uint256 private _licenseCount;
    mapping(uint256 offerId => Offer) private _offers;
    mapping(uint256 licenseId => License) private _licenses;
    mapping(address account => mapping(uint256 workId => uint256[] licenseIds)) private _held;
    /// @dev Position of a licence in its holder's `_held` list, for O(1) removal.
    mapping(uint256 licenseId => uint256) private _heldIndex;

    /*//////////////////////////////////////////////////////////////
                                MODIFIERS
    //////////////////////////////////////////////////////////////*/

    modifier onlyExistingOffer(uint256 offerId) {
        if (offerId == 0 || offerId > _offerCount) revert UnknownOffer(offerId);
        _;
    }

    /*//////////////////////////////////////////////////////////////
                               CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param governance The timelock that owns the platform fee and the treasury.
    /// @param registry_ The {ContentRegistry} whose works are licensed.
    /// @param splitter_ The {RoyaltySplitter} holding the works' splits.
    /// @param treasury_ Where platform fees go.
    /// @param platformFeeBps_ The initial platform fee, at most {MAX_PLATFORM_FEE_BPS}.
    constructor(
        address governance,
        IContentRegistry registry_,
        IRoyaltySplitter splitter_,
        address treasury_,
        uint16 platformFeeBps_
    ) ERC721("Tutti Licenses", "LICENSE") Ownable(governance) PlatformFees(treasury_, platformFeeBps_) {
        if (address(registry_) == address(0) || address(splitter_) == address(0)) revert ZeroAddress();
        registry = registry_;
        splitter = splitter_;
    }

    /*//////////////////////////////////////////////////////////////
                            PUBLIC FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILicenseOffers
    function createOffer(
        uint256 workId,
        uint8 rights,
        address token,
        uint256 price,
        uint64 duration,
        uint32 supplyCap,
        bool transferable,
        string calldata termsCid
    ) external returns (uint256 offerId) {
        _requireWorkOwner(workId);
        if (rights == 0 || rights & ~ALL_RIGHTS != 0) revert InvalidRights(rights);
        if (supplyCap == 0) revert ZeroSupplyCap();
        if (bytes(termsCid).length == 0) revert EmptyTermsCid();

        offerId = ++_offerCount;
        _offers[offerId] = Offer({
            workId: workId,
            splitId: registry.work(workId).splitId,
            token: token,
            price: price,
            duration: duration,
            supplyCap: supplyCap,
            sold: 0,
            rights: rights,
            transferable: transferable,
            paused: false,
            termsCid: termsCid
        });
        emit OfferCreated(offerId, workId, msg.sender, rights, token, price, duration, supplyCap, transferable, termsCid);
    }

    /// @inheritdoc ILicenseOffers
    function setOfferPaused(uint256 offerId, bool paused) external onlyExistingOffer(offerId) {
        Offer storage o = _offers[offerId];
        _requireWorkOwner(o.workId);
        if (o.paused == paused) revert PauseUnchanged(offerId, paused);
        o.paused = paused;
        emit OfferPauseChanged(offerId, paused);
    }

    /// @inheritdoc ILicenseOffers
    function buyLicense(uint256 offerId, address to)
        external
        payable
        nonReentrant
        onlyExistingOffer(offerId)
        returns (uint256 licenseId)
    {
        Offer storage o = _offers[offerId];
        if (o.paused) revert OfferPaused(offerId);
        if (o.sold >= o.supplyCap) revert SoldOut(offerId, o.supplyCap);
        if (to == address(0)) revert ZeroAddress();
        uint256 price = o.price;
        address token = o.token;
        if (token == address(0) ? msg.value != price : msg.value != 0) revert WrongPayment(offerId, msg.value, price);

        uint64 validUntil;
        uint256 fee;
        unchecked {
            // Cannot overflow: sold < supplyCap <= type(uint32).max.
            ++o.sold;
            // Cannot overflow: a uint64 duration added to a uint64-sized timestamp fits in 65 bits; it is
            // clamped to the largest uint64 (a licence ending after year 584 billion is perpetual enough).
            uint256 end = block.timestamp + o.duration;
            validUntil = o.duration == 0 ? 0 : uint64(end > type(uint64).max ? type(uint64).max : end);
            licenseId = ++_licenseCount;
        }
        // Cannot truncate: offerId <= _offerCount, one per createOffer transaction, far below 2**128.
        _licenses[licenseId] = License({offerId: uint128(offerId), validFrom: uint64(block.timestamp), validUntil: validUntil});

        if (price != 0) {
            if (token != address(0)) _pullExactly(IERC20(token), price);
            // Checked arithmetic: an ERC-20 price near 2**256 / 2,000 reverts instead of wrapping.
            fee = _platformFeeOf(price);
            pendingPlatformFees[token] += fee;
        }
        emit LicenseBought(licenseId, offerId, to, msg.sender, token, price, fee, validUntil);

        // The fee is at most 20% of the price, so the split's part is zero only for free licences
        // (the splitter refuses empty deposits). The splitter is trusted: it makes no callback.
        if (price != 0) _payWorkSplit(o.splitId, token, price - fee);
        // Last: the receiver hook of a contract `to` is the only untrusted call.
        _safeMint(to, licenseId);
    }

    /// @inheritdoc ILicenseOffers
    function setDerivativeLicenseRequired(uint256 workId, bool required) external {
        _requireWorkOwner(workId);
        derivativeLicenseRequired[workId] = required;
        emit DerivativePolicyChanged(workId, required);
    }

    /// @inheritdoc ILicenseOffers
    function withdrawPlatformFees(address token) external nonReentrant returns (uint256 amount) {
        amount = pendingPlatformFees[token];
        if (amount == 0) revert NoPlatformFees(token);
        pendingPlatformFees[token] = 0;
        address to = treasury;
        emit PlatformFeesWithdrawn(to, token, amount);
        if (token == address(0)) {
            _sendETHToTreasury(to, amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILicenseOffers
    function offer(uint256 offerId) external view onlyExistingOffer(offerId) returns (Offer memory) {
        return _offers[offerId];
    }

    /// @inheritdoc ILicenseOffers
    function license(uint256 licenseId) external view returns (License memory) {
        if (_ownerOf(licenseId) == address(0)) revert UnknownLicense(licenseId);
        return _licenses[licenseId];
    }

    /// @inheritdoc ILicenseOffers
    function isLicenseValid(uint256 licenseId) public view returns (bool) {
        if (_ownerOf(licenseId) == address(0)) return false;
        uint64 validUntil = _licenses[licenseId].validUntil;
        return validUntil == 0 || block.timestamp <= validUntil;
    }

    /// @inheritdoc ILicenseOffers
    function hasValidLicense(uint256 workId, address account, uint8 rights) public view returns (bool) {
        uint256[] storage held = _held[account][workId];
        // Bounded: at most MAX_LICENSES_PER_WORK entries.
        for (uint256 i; i < held.length; ++i) {
            uint256 licenseId = held[i];
            if (_offers[_licenses[licenseId].offerId].rights & rights == rights && isLicenseValid(licenseId)) {
                return true;
            }
        }
        return false;
    }

    /// @inheritdoc ILicenseOffers
    function mayDerive(uint256 workId, address account) public view returns (bool) {
        if (!derivativeLicenseRequired[workId]) return true;
        return _workOwner(workId) == account || hasValidLicense(workId, account, RIGHT_DERIVATIVE);
    }

    /// @inheritdoc ILicenseOffers
    function licensesOf(address account, uint256 workId) external view returns (uint256[] memory) {
        return _held[account][workId];
    }

    /// @inheritdoc ILicenseOffers
    function offerCount() external view returns (uint256) {
        return _offerCount;
    }

    /// @inheritdoc ILicenseOffers
    function licenseCount() external view returns (uint256) {
        return _licenseCount;
    }

    /// @notice `ipfs://<terms CID>` of the licence's offer: the licence's full text.
    function tokenURI(uint256 licenseId) public view override returns (string memory) {
        _requireOwned(licenseId);
        return string.concat("ipfs://", _offers[_licenses[licenseId].offerId].termsCid);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev Every mint and transfer (there is no burn): licences of a non-transferable offer only
    /// move from the zero address, and each holder's per-work list is kept within its bound.
    function _update(address to, uint256 licenseId, address auth) internal override returns (address from) {
        uint256 offerId = _licenses[licenseId].offerId;
        uint256 workId = _offers[offerId].workId;
        from = _ownerOf(licenseId);
        if (from != address(0) && !_offers[offerId].transferable) revert NonTransferable(offerId);
        if (from != address(0)) _removeHeld(from, workId, licenseId);
        if (to != address(0)) {
            uint256[] storage held = _held[to][workId];
            if (held.length >= MAX_LICENSES_PER_WORK) revert TooManyLicenses(to, workId, MAX_LICENSES_PER_WORK);
            _heldIndex[licenseId] = held.length;
            held.push(licenseId);
        }
        return super._update(to, licenseId, auth);
    }

    function _removeHeld(address account, uint256 workId, uint256 licenseId) internal {
        uint256[] storage held = _held[account][workId];
        uint256 index = _heldIndex[licenseId];
        uint256 last = held[held.length - 1];
        held[index] = last;
        _heldIndex[last] = index;
        held.pop();
    }

    /// @dev Takes the whole price from the buyer; a fee-on-transfer token would sell the licence short.
    function _pullExactly(IERC20 token, uint256 price) internal {
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), price);
        uint256 arrived = token.balanceOf(address(this)) - before;
        if (arrived != price) revert TokenShortfall(address(token), arrived, price);
    }

    function _payWorkSplit(uint256 splitId, address token, uint256 amount) internal {
        if (token == address(0)) {
            splitter.depositETH{value: amount}(splitId);
        } else {
            IERC20(token).forceApprove(address(splitter), amount);
            splitter.deposit(splitId, token, amount);
        }
    }

    /// @dev For an unknown work the registry's `ownerOf` reverts (ERC-721 {ERC721NonexistentToken}).
    function _requireWorkOwner(uint256 workId) internal view {
        if (_workOwner(workId) != msg.sender) revert NotWorkOwner(workId, msg.sender);
    }

    function _workOwner(uint256 workId) internal view returns (address) {
        return IERC721(address(registry)).ownerOf(workId);
    }
}
