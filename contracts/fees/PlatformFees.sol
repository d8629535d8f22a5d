// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Governed} from "../governance/Governed.sol";
import {IPlatformFees} from "../interfaces/IPlatformFees.sol";

/// @title PlatformFees
/// @notice The platform fee as every Tutti contract that sells takes it ({AccessPass},
/// {LicenseOffers}): at most {MAX_PLATFORM_FEE_BPS} of each sale, with the rate and the treasury
/// owned by governance (the timelock).
/// @dev Fees are pull payments: the seller accrues them and anyone pays them to the current
/// treasury. A treasury that rejects ETH can then never block a sale, and governance can point the
/// fees elsewhere, so no fee is ever locked. Each seller keeps its own pending balances and
/// withdrawal (ETH only, or per token).
abstract contract PlatformFees is IPlatformFees, Governed {
    /// @notice Highest platform fee governance may set: 20% of each sale.
    uint16 public constant MAX_PLATFORM_FEE_BPS = 2_000;
    uint16 private constant TOTAL_BPS = 10_000;

    /// @inheritdoc IPlatformFees
    uint16 public platformFeeBps;
    /// @inheritdoc IPlatformFees
    address public treasury;

    /// @param treasury_ Where platform fees go.
    /// @param platformFeeBps_ The initial platform fee, at most {MAX_PLATFORM_FEE_BPS}.
    constructor(address treasury_, uint16 platformFeeBps_) {
        if (treasury_ == address(0)) revert ZeroAddress();
        treasury = treasury_;
        _setPlatformFee(platformFeeBps_);
    }

    /// @inheritdoc IPlatformFees
    function setPlatformFee(uint16 bps) external onlyOwner {
        _setPlatformFee(bps);
    }

    /// @inheritdoc IPlatformFees
    function setTreasury(address newTreasury) external onlyOwner {
        if (newTreasury == address(0)) revert ZeroAddress();
        emit TreasuryChanged(treasury, newTreasury);
        treasury = newTreasury;
    }

    /// @dev The platform's cut of a sale at `price`, at the rate in force, rounded down. At most
    /// 20% of the price, so the seller's part is zero only for a free sale.
    function _platformFeeOf(uint256 price) internal view returns (uint256) {
        return price * platformFeeBps / TOTAL_BPS;
    }

    /// @dev Sends `amount` wei of accrued fees to the current treasury; the caller has already
    /// zeroed its pending balance and emitted its event (checks-effects-interactions).
    function _sendETHToTreasury(address to, uint256 amount) internal {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert FeeTransferFailed(to, amount);
    }

    function _setPlatformFee(uint16 bps) internal {
        if (bps > MAX_PLATFORM_FEE_BPS) revert PlatformFeeTooHigh(bps, MAX_PLATFORM_FEE_BPS);
        emit PlatformFeeChanged(platformFeeBps, bps);
        platformFeeBps = bps;
    }
}
