// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {PlatformFees} from "../fees/PlatformFees.sol";

import {IAccessPass} from "../interfaces/IAccessPass.sol";
import {IRoyaltySplitter} from "../interfaces/IRoyaltySplitter.sol";

/// @title AccessPass
/// @notice Passes to Tutti rooms and performances: ERC-1155, one token id per room. Sales pay the
/// host's split in the {RoyaltySplitter}; the platform fee accrues to the treasury.
/// @dev The platform fee and treasury are owned by governance ({PlatformFees}); fees accrue in
/// ETH here until anyone calls {withdrawPlatformFees}. The host's share goes into the host's split
/// in the same transaction, where its recipients pull it.
/// Every loop is over the ids of one ERC-1155 transfer, chosen by its caller.
contract AccessPass is IAccessPass, ERC1155, PlatformFees {
    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @notice Collection name shown by wallets and marketplaces.
    string public constant name = "Tutti Access Passes";
    /// @notice Collection symbol shown by wallets and marketplaces.
    string public constant symbol = "PASS";

    /// @notice The splitter holding the hosts' splits.
    IRoyaltySplitter public immutable splitter;

    /// @inheritdoc IAccessPass
    uint256 public pendingPlatformFees;

    uint256 private _roomCount;
    mapping(uint256 roomId => Room) private _rooms;
    mapping(uint256 roomId => mapping(address account => bool)) private _revoked;

    /*//////////////////////////////////////////////////////////////
                                MODIFIERS
    //////////////////////////////////////////////////////////////*/

    modifier onlyExisting(uint256 roomId) {
        if (roomId == 0 || roomId > _roomCount) revert UnknownRoom(roomId);
        _;
    }

    /*//////////////////////////////////////////////////////////////
                               CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param governance The timelock that owns the platform fee and the treasury.
    /// @param splitter_ The {RoyaltySplitter} holding the hosts' splits.
    /// @param treasury_ Where platform fees go.
    /// @param platformFeeBps_ The initial platform fee, at most {MAX_PLATFORM_FEE_BPS}.
    constructor(address governance, IRoyaltySplitter splitter_, address treasury_, uint16 platformFeeBps_)
        ERC1155("")
        Ownable(governance)
        PlatformFees(treasury_, platformFeeBps_)
    {
        if (address(splitter_) == address(0)) revert ZeroAddress();
        splitter = splitter_;
    }

    /*//////////////////////////////////////////////////////////////
                            PUBLIC FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IAccessPass
    function createRoom(
        uint256 price,
        uint32 supplyCap,
        uint64 validFrom,
        uint64 validUntil,
        bool transferable,
        uint256 hostSplitId,
        string calldata metadataCid
    ) external returns (uint256 roomId) {
        if (hostSplitId == 0 || hostSplitId > splitter.splitCount()) revert UnknownHostSplit(hostSplitId);
        if (supplyCap == 0) revert ZeroSupplyCap();
        if (bytes(metadataCid).length == 0) revert EmptyMetadataCid();
        if (validFrom >= validUntil) revert InvalidWindow(validFrom, validUntil);
        if (validUntil <= block.timestamp) revert WindowAlreadyOver(validUntil, block.timestamp);

        roomId = ++_roomCount;
        _rooms[roomId] = Room({
            host: msg.sender,
            hostSplitId: hostSplitId,
            price: price,
            supplyCap: supplyCap,
            sold: 0,
            validFrom: validFrom,
            validUntil: validUntil,
            transferable: transferable,
            metadataCid: metadataCid
        });
        emit RoomCreated(
            roomId, msg.sender, hostSplitId, price, supplyCap, validFrom, validUntil, transferable, metadataCid
        );
    }

    /// @inheritdoc IAccessPass
    function buyPass(uint256 roomId, address to) external payable onlyExisting(roomId) {
        Room storage r = _rooms[roomId];
        if (block.timestamp > r.validUntil) revert SaleEnded(roomId, r.validUntil);
        if (r.sold >= r.supplyCap) revert SoldOut(roomId, r.supplyCap);
        uint256 price = r.price;
        if (msg.value != price) revert WrongPayment(roomId, msg.value, price);
        if (to == address(0)) revert ZeroAddress();

        uint256 fee;
        unchecked {
            // Cannot overflow: sold < supplyCap <= type(uint32).max.
            ++r.sold;
            // Cannot overflow: price == msg.value, far below 2**256 / 10,000 (all the ETH there is).
            fee = _platformFeeOf(price);
        }
        pendingPlatformFees += fee;
        emit PassBought(roomId, msg.sender, to, price, fee);

        // The fee is at most 20% of the price, so the host's share is zero only for free passes
        // (the splitter refuses empty deposits). The splitter is trusted: it makes no callback.
        if (price != 0) splitter.depositETH{value: price - fee}(r.hostSplitId);
        // Last: the receiver hook of a contract `to` is the only untrusted call. `_update` refuses
        // a revoked `to`.
        _mint(to, roomId, 1, "");
    }

    /// @inheritdoc IAccessPass
    function revoke(uint256 roomId, address account) external onlyExisting(roomId) {
        if (msg.sender != _rooms[roomId].host) revert NotHost(roomId, msg.sender);
        if (account == address(0)) revert ZeroAddress();
        if (_revoked[roomId][account]) revert AlreadyRevoked(roomId, account);

        _revoked[roomId][account] = true;
        uint256 amount = balanceOf(account, roomId);
        // Burning calls no receiver hook.
        if (amount != 0) _burn(account, roomId, amount);
        emit PassRevoked(roomId, account, amount);
    }

    /// @inheritdoc IAccessPass
    function withdrawPlatformFees() external returns (uint256 amount) {
        amount = pendingPlatformFees;
        if (amount == 0) revert NoPlatformFees();
        pendingPlatformFees = 0;
        address to = treasury;
        emit PlatformFeesWithdrawn(to, amount);
        _sendETHToTreasury(to, amount);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IAccessPass
    function hasValidPass(uint256 roomId, address account) external view returns (bool) {
        // An unknown room has validUntil == 0, always in the past.
        Room storage r = _rooms[roomId];
        return block.timestamp >= r.validFrom && block.timestamp <= r.validUntil && !_revoked[roomId][account]
            && balanceOf(account, roomId) != 0;
    }

    /// @inheritdoc IAccessPass
    function isRevoked(uint256 roomId, address account) external view returns (bool) {
        return _revoked[roomId][account];
    }

    /// @inheritdoc IAccessPass
    function room(uint256 roomId) external view onlyExisting(roomId) returns (Room memory) {
        return _rooms[roomId];
    }

    /// @inheritdoc IAccessPass
    function roomCount() external view returns (uint256) {
        return _roomCount;
    }

    /// @notice `ipfs://<metadata CID>` of room `roomId`.
    function uri(uint256 roomId) public view override onlyExisting(roomId) returns (string memory) {
        return string.concat("ipfs://", _rooms[roomId].metadataCid);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev Every mint, transfer and burn: a revoked account receives nothing, and passes of a
    /// non-transferable room only move from (mint) or to (burn) the zero address.
    function _update(address from, address to, uint256[] memory ids, uint256[] memory values)
        internal
        override
    {
        if (to != address(0)) {
            for (uint256 i; i < ids.length; ++i) {
                uint256 roomId = ids[i];
                if (from != address(0) && !_rooms[roomId].transferable) revert NonTransferable(roomId);
                if (_revoked[roomId][to]) revert AccountRevoked(roomId, to);
            }
        }
        super._update(from, to, ids, values);
    }
}
