// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title IPlatformFees
/// @notice The platform's cut of sales: a fee in basis points, bounded, set by governance, that
/// accrues in the selling contract until anyone pays it out to the treasury governance chose.
interface IPlatformFees {
    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @dev An address this contract relies on (the treasury, a holder, a linked contract) is zero.
    error ZeroAddress();
    /// @dev A platform fee of `bps` basis points, above the `max` this contract allows.
    error PlatformFeeTooHigh(uint16 bps, uint16 max);
    /// @dev Sending `amount` wei of platform fees to `treasury` failed.
    error FeeTransferFailed(address treasury, uint256 amount);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Governance changed the platform fee.
    event PlatformFeeChanged(uint16 oldBps, uint16 newBps);
    /// @notice Governance changed where platform fees go.
    event TreasuryChanged(address oldTreasury, address newTreasury);

    /*//////////////////////////////////////////////////////////////
                                FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Set the platform's cut of every future sale. Governance only (the timelock).
    /// @dev Emits a {PlatformFeeChanged} event. Reverts with {PlatformFeeTooHigh} above the
    /// contract's `MAX_PLATFORM_FEE_BPS`.
    function setPlatformFee(uint16 bps) external;

    /// @notice Set where platform fees go. Governance only (the timelock).
    /// @dev Emits a {TreasuryChanged} event. Reverts with {ZeroAddress}.
    function setTreasury(address newTreasury) external;

    /// @notice The platform's cut of each sale, in basis points.
    function platformFeeBps() external view returns (uint16);

    /// @notice Where accrued platform fees are paid.
    function treasury() external view returns (address);
}
