// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IPlatformFees} from "./IPlatformFees.sol";

/// @title ILicenseOffers
/// @notice Licenses to Tutti works, sold by each work's owner. An offer fixes its terms once and
/// for all: the rights granted (a bitmask over a small vocabulary), the price in ETH or one ERC-20,
/// a duration counted from each purchase (or perpetual), a supply cap, and whether its licenses may
/// change hands. Buying mints one ERC-721 license token to the buyer and pays the price, less the
/// platform fee, into the work's split in the {IRoyaltySplitter}; the fee accrues to the treasury,
/// which anyone may pay out. A work's owner can pause an offer (no new sales; licenses already
/// sold stay valid) and decide whether deriving from the work needs a license with the
/// {RIGHT_DERIVATIVE} right: by default it does not, so open works (CC-BY and the like) stay free
/// to derive from.
/// @dev Rights vocabulary (bit values of `rights`):
/// - {RIGHT_PERSONAL} 1: personal listening by the holder;
/// - {RIGHT_STREAMING} 2: streaming to the public by a service the holder runs;
/// - {RIGHT_SYNC} 4: synchronisation with pictures (a video, a film, a game);
/// - {RIGHT_DERIVATIVE} 8: remixes and other derivative works, registered with the work as a parent;
/// - {RIGHT_COMMERCIAL} 16: commercial use of the above (advertising, resale of the product).
/// Every license, whatever its rights, lets its holder obtain the work's gated files.
interface ILicenseOffers is IPlatformFees {
    /*//////////////////////////////////////////////////////////////
                                 STRUCTS
    //////////////////////////////////////////////////////////////*/

    /// @notice An offer: its terms never change once created; only `paused` and `sold` do.
    /// `duration` is in seconds from each purchase, zero for perpetual licenses; `token` is the
    /// ERC-20 the price is in, zero for ETH; `splitId` is the work's split, which sales pay (a
    /// work's split never changes, so it is read once, at creation).
    struct Offer {
        uint256 workId;
        uint256 splitId;
        address token;
        uint256 price;
        uint64 duration;
        uint32 supplyCap;
        uint32 sold;
        uint8 rights;
        bool transferable;
        bool paused;
        string termsCid;
    }

    /// @notice One sold license: its offer and when it started and ends (`validUntil` zero: never).
    /// Packed into one storage slot (offer ids stay far below 2**128: one per transaction).
    struct License {
        uint128 offerId;
        uint64 validFrom;
        uint64 validUntil;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @dev No offer has id `offerId`.
    error UnknownOffer(uint256 offerId);
    /// @dev No license has id `licenseId`.
    error UnknownLicense(uint256 licenseId);
    /// @dev `caller` does not own work `workId`.
    error NotWorkOwner(uint256 workId, address caller);
    /// @dev `rights` is empty or has bits outside the vocabulary.
    error InvalidRights(uint8 rights);
    /// @dev An offer must allow at least one sale.
    error ZeroSupplyCap();
    /// @dev The terms document's CID is empty.
    error EmptyTermsCid();
    /// @dev Offer `offerId` is paused: no sales until its work's owner resumes it.
    error OfferPaused(uint256 offerId);
    /// @dev Offer `offerId` is already in the requested pause state `paused`.
    error PauseUnchanged(uint256 offerId, bool paused);
    /// @dev All `supplyCap` licenses of offer `offerId` are sold.
    error SoldOut(uint256 offerId, uint32 supplyCap);
    /// @dev `sent` wei were sent for a license of offer `offerId`, which costs `price` wei
    /// (or, for an ERC-20 price, any ETH at all was sent).
    error WrongPayment(uint256 offerId, uint256 sent, uint256 price);
    /// @dev Only `arrived` of the `price` in ERC-20 `token` reached this contract (a fee-on-transfer
    /// token): the license is not sold short.
    error TokenShortfall(address token, uint256 arrived, uint256 price);
    /// @dev Licenses of offer `offerId` cannot change hands.
    error NonTransferable(uint256 offerId);
    /// @dev `account` would hold more than `max` licenses of work `workId` (a bound that keeps
    /// every validity check within a fixed gas budget).
    error TooManyLicenses(address account, uint256 workId, uint256 max);
    /// @dev `account` may not register a derivative of work `workId`: the work's owner requires a
    /// valid license with the derivative right, and `account` holds none. Raised by the registry.
    error DerivativeNotLicensed(uint256 workId, address account);
    /// @dev No platform fees in `token` (zero: ETH) are waiting to be paid to the treasury.
    error NoPlatformFees(address token);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice The owner of work `workId` created offer `offerId` with these terms.
    event OfferCreated(
        uint256 indexed offerId,
        uint256 indexed workId,
        address indexed seller,
        uint8 rights,
        address token,
        uint256 price,
        uint64 duration,
        uint32 supplyCap,
        bool transferable,
        string termsCid
    );
    /// @notice The work's owner paused (`paused` true) or resumed offer `offerId`.
    event OfferPauseChanged(uint256 indexed offerId, bool paused);
    /// @notice `buyer` paid `price` (in `token`, zero: ETH) for license `licenseId` of offer
    /// `offerId`, held by `to` and valid until `validUntil` (zero: perpetual); `platformFee` of it
    /// went to the platform, the rest to the work's split.
    event LicenseBought(
        uint256 indexed licenseId,
        uint256 indexed offerId,
        address indexed to,
        address buyer,
        address token,
        uint256 price,
        uint256 platformFee,
        uint64 validUntil
    );
    /// @notice The owner of work `workId` set whether deriving from it needs a license.
    event DerivativePolicyChanged(uint256 indexed workId, bool licenseRequired);
    /// @notice `amount` of accrued platform fees in `token` (zero: ETH) were paid to `treasury`.
    event PlatformFeesWithdrawn(address indexed treasury, address indexed token, uint256 amount);

    /*//////////////////////////////////////////////////////////////
                                FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Offer licenses of work `workId`, which the caller owns.
    /// @dev Emits an {OfferCreated} event. The terms are fixed for good; to change them, pause the
    /// offer and create another.
    /// Requirements:
    /// - the caller owns work `workId` in the registry;
    /// - `rights` is not empty and uses only the vocabulary's bits;
    /// - `supplyCap` is at least 1 and `termsCid` is not empty.
    /// @param workId The licensed work; sales pay its split.
    /// @param rights The rights granted, a bitmask of the RIGHT_* constants.
    /// @param token The ERC-20 the price is in, or the zero address for ETH.
    /// @param price The price of one license (zero: free, still capped and pausable).
    /// @param duration Seconds each license lasts from its purchase; zero for perpetual.
    /// @param supplyCap Most licenses ever sold.
    /// @param transferable Whether holders may give or sell their licenses on.
    /// @param termsCid IPFS CID of the license's full text; the license token's URI.
    /// @return offerId The new offer's id (ids start at 1).
    function createOffer(
        uint256 workId,
        uint8 rights,
        address token,
        uint256 price,
        uint64 duration,
        uint32 supplyCap,
        bool transferable,
        string calldata termsCid
    ) external returns (uint256 offerId);

    /// @notice Pause (`paused` true) or resume sales of offer `offerId`. Licenses already sold are
    /// not affected.
    /// @dev Emits an {OfferPauseChanged} event.
    /// Requirements: the offer exists, the caller owns its work now, and the state changes.
    function setOfferPaused(uint256 offerId, bool paused) external;

    /// @notice Buy one license of offer `offerId` for `to` (the caller pays; `to` receives the token).
    /// @dev Emits {LicenseBought}, ERC-721 {Transfer}, and the splitter's
    /// {IRoyaltySplitter-Deposited} unless the license is free. The platform fee is
    /// `price * platformFeeBps / 10,000` rounded down, at the rate in force at the sale; it accrues
    /// here until {withdrawPlatformFees}. For an ERC-20 price the caller must have approved this
    /// contract for `price`. If `to` is a contract it must accept ERC-721 tokens.
    /// Requirements:
    /// - the offer exists, is not paused and is not sold out;
    /// - for ETH `msg.value` equals the price; for an ERC-20 no ETH is sent and the whole price arrives;
    /// - `to` is not the zero address and holds fewer than {MAX_LICENSES_PER_WORK} licenses of the work.
    /// @return licenseId The new license's token id (ids start at 1).
    function buyLicense(uint256 offerId, address to) external payable returns (uint256 licenseId);

    /// @notice Say whether deriving from work `workId` needs a license with {RIGHT_DERIVATIVE}.
    /// @dev Emits a {DerivativePolicyChanged} event. Only the work's owner. The rule is checked
    /// when a derivative is registered; works registered before it stay registered.
    function setDerivativeLicenseRequired(uint256 workId, bool required) external;

    /// @notice Send all accrued platform fees in `token` (zero: ETH) to {treasury}. Anyone may call it.
    /// @dev Emits a {PlatformFeesWithdrawn} event. Reverts with {NoPlatformFees} when none accrued.
    /// @return amount What was sent.
    function withdrawPlatformFees(address token) external returns (uint256 amount);

    /// @notice Offer `offerId`. Reverts with {UnknownOffer} if it does not exist.
    function offer(uint256 offerId) external view returns (Offer memory);

    /// @notice License `licenseId`. Reverts with {UnknownLicense} if it does not exist.
    function license(uint256 licenseId) external view returns (License memory);

    /// @notice Whether license `licenseId` exists and is in force now (not yet expired).
    function isLicenseValid(uint256 licenseId) external view returns (bool);

    /// @notice Whether `account` holds, now, a license of work `workId` in force that grants every
    /// right in `rights` (zero: any license of the work).
    function hasValidLicense(uint256 workId, address account, uint8 rights) external view returns (bool);

    /// @notice Whether `account` may register a derivative of work `workId`: the work is open
    /// (no license required), or `account` owns it, or holds a valid license with {RIGHT_DERIVATIVE}.
    function mayDerive(uint256 workId, address account) external view returns (bool);

    /// @notice Whether deriving from work `workId` needs a license with {RIGHT_DERIVATIVE}.
    function derivativeLicenseRequired(uint256 workId) external view returns (bool);

    /// @notice The ids of the licenses of work `workId` that `account` holds (at most
    /// {MAX_LICENSES_PER_WORK}).
    function licensesOf(address account, uint256 workId) external view returns (uint256[] memory);

    /// @notice Number of offers created so far (also the id of the newest).
    function offerCount() external view returns (uint256);

    /// @notice Number of licenses sold so far (also the id of the newest).
    function licenseCount() external view returns (uint256);

    /// @notice Platform fees in `token` (zero: ETH) accrued and not yet paid to the treasury.
    function pendingPlatformFees(address token) external view returns (uint256);
}
