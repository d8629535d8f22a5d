// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IPlatformFees} from "./IPlatformFees.sol";

/// @title IAccessPass
/// @notice Paid passes to rooms and performances, as ERC-1155 tokens: one token id per room.
/// A host opens a room with a price, a supply cap, a validity window and (optionally) passes that
/// cannot change hands; anyone buys passes for themselves or someone else until the window ends.
/// Each sale pays the room's price minus the platform fee into the host's split in the
/// {IRoyaltySplitter}; the fee accrues to the platform treasury, which anyone can pay out.
/// A host can revoke an account: its passes of the room are burnt and it can hold none again.
/// @dev The platform fee and the treasury belong to governance (the owner is the timelock).
/// Sales are open from creation until `validUntil` (inclusive), so passes can be sold ahead of a
/// performance; a pass is *valid* only within `[validFrom, validUntil]`.
interface IAccessPass is IPlatformFees {
    /*//////////////////////////////////////////////////////////////
                                 STRUCTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A room (or performance) and its sales so far. `sold` counts every pass ever sold,
    /// revoked ones included: revocation does not free a seat.
    struct Room {
        address host;
        uint256 hostSplitId;
        uint256 price;
        uint32 supplyCap;
        uint32 sold;
        uint64 validFrom;
        uint64 validUntil;
        bool transferable;
        string metadataCid;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @dev No room has id `roomId`.
    error UnknownRoom(uint256 roomId);
    /// @dev The host's split `splitId` does not exist in the splitter.
    error UnknownHostSplit(uint256 splitId);
    /// @dev The metadata CID is empty.
    error EmptyMetadataCid();
    /// @dev A room must admit at least one pass.
    error ZeroSupplyCap();
    /// @dev The window `[validFrom, validUntil]` is empty or reversed.
    error InvalidWindow(uint64 validFrom, uint64 validUntil);
    /// @dev The window ends at `validUntil`, not after the current time `currentTime`.
    error WindowAlreadyOver(uint64 validUntil, uint256 currentTime);
    /// @dev `sent` wei were sent for a pass to room `roomId`, which costs `price`.
    error WrongPayment(uint256 roomId, uint256 sent, uint256 price);
    /// @dev All `supplyCap` passes to room `roomId` are sold.
    error SoldOut(uint256 roomId, uint32 supplyCap);
    /// @dev Sales of room `roomId` ended with its window at `validUntil`.
    error SaleEnded(uint256 roomId, uint64 validUntil);
    /// @dev `caller` is not the host of room `roomId`.
    error NotHost(uint256 roomId, address caller);
    /// @dev `account` was revoked from room `roomId` and cannot hold its passes.
    error AccountRevoked(uint256 roomId, address account);
    /// @dev `account` is already revoked from room `roomId`.
    error AlreadyRevoked(uint256 roomId, address account);
    /// @dev Passes to room `roomId` cannot change hands.
    error NonTransferable(uint256 roomId);
    /// @dev No platform fees are waiting to be paid to the treasury.
    error NoPlatformFees();

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice `host` opened room `roomId`; its sales pay split `hostSplitId`.
    event RoomCreated(
        uint256 indexed roomId,
        address indexed host,
        uint256 hostSplitId,
        uint256 price,
        uint32 supplyCap,
        uint64 validFrom,
        uint64 validUntil,
        bool transferable,
        string metadataCid
    );
    /// @notice `buyer` paid `price` for a pass to room `roomId` held by `to`; `platformFee` of it
    /// went to the platform, the rest to the host's split.
    event PassBought(
        uint256 indexed roomId, address indexed buyer, address indexed to, uint256 price, uint256 platformFee
    );
    /// @notice The host revoked `account` from room `roomId`, burning its `amount` passes (maybe none).
    event PassRevoked(uint256 indexed roomId, address indexed account, uint256 amount);
    /// @notice `amount` wei of accrued platform fees were paid to `treasury`.
    event PlatformFeesWithdrawn(address indexed treasury, uint256 amount);

    /*//////////////////////////////////////////////////////////////
                                FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Open a room whose passes sell for `price` wei, the caller being its host.
    /// @dev Emits a {RoomCreated} event.
    /// Requirements:
    /// - `hostSplitId` exists in the splitter (any split: a band may route sales to its own);
    /// - `supplyCap` is at least 1 and `metadataCid` is not empty;
    /// - `validFrom < validUntil` and `validUntil` is in the future (`validFrom` may be past).
    /// @param price Wei per pass (zero: free passes, still capped and revocable).
    /// @param supplyCap Most passes ever sold.
    /// @param validFrom First second at which a pass admits its holder.
    /// @param validUntil Last second at which a pass admits its holder, and the end of sales.
    /// @param transferable Whether holders may give or sell their passes on.
    /// @param hostSplitId The split paid by every sale (minus the platform fee).
    /// @param metadataCid IPFS CID of the room's metadata JSON; {uri} is `ipfs://<metadataCid>`.
    /// @return roomId The new room's id, which is its passes' token id (ids start at 1).
    function createRoom(
        uint256 price,
        uint32 supplyCap,
        uint64 validFrom,
        uint64 validUntil,
        bool transferable,
        uint256 hostSplitId,
        string calldata metadataCid
    ) external returns (uint256 roomId);

    /// @notice Buy one pass to room `roomId` for `to` (the caller pays; `to` receives the token).
    /// @dev Emits a {PassBought} and an ERC-1155 {TransferSingle} event, and the splitter's
    /// {IRoyaltySplitter-Deposited} (unless the pass is free). The platform fee is
    /// `price * platformFeeBps / 10,000` rounded down, at the rate in force at the sale; it accrues
    /// here until {withdrawPlatformFees}. If `to` is a contract it must accept ERC-1155 tokens.
    /// Requirements:
    /// - room `roomId` exists and its window has not ended (`block.timestamp <= validUntil`);
    /// - fewer than `supplyCap` passes were sold;
    /// - `msg.value` equals the room's price;
    /// - `to` is not the zero address and not revoked from the room.
    function buyPass(uint256 roomId, address to) external payable;

    /// @notice Revoke `account` from room `roomId`: burn all its passes of the room and refuse it
    /// any pass from now on (bought or transferred). Payments are not refunded.
    /// @dev Emits a {PassRevoked} event, and an ERC-1155 {TransferSingle} event if it held passes.
    /// An account holding no pass can be revoked too (banned in advance).
    /// Requirements:
    /// - room `roomId` exists and the caller is its host;
    /// - `account` is not the zero address and not revoked already.
    function revoke(uint256 roomId, address account) external;

    /// @notice Send all accrued platform fees to {treasury}. Anyone may call it.
    /// @dev Emits a {PlatformFeesWithdrawn} event.
    /// Requirements: some fees have accrued, and the treasury accepts ETH (otherwise governance
    /// points {setTreasury} elsewhere; the fees stay here meanwhile).
    /// @return amount What was sent.
    function withdrawPlatformFees() external returns (uint256 amount);

    /// @notice Whether `account` may enter room `roomId` now: it holds a pass, was not revoked,
    /// and `validFrom <= block.timestamp <= validUntil`. False for a room that does not exist.
    function hasValidPass(uint256 roomId, address account) external view returns (bool);

    /// @notice Whether the host revoked `account` from room `roomId`.
    function isRevoked(uint256 roomId, address account) external view returns (bool);

    /// @notice Room `roomId`. Reverts with {UnknownRoom} if it does not exist.
    function room(uint256 roomId) external view returns (Room memory);

    /// @notice Number of rooms created so far (also the id of the newest).
    function roomCount() external view returns (uint256);

    /// @notice Platform fees accrued and not yet paid to the treasury, in wei.
    function pendingPlatformFees() external view returns (uint256);
}
