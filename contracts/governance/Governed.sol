// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

/// @title Governed
/// @notice Ownership as every Tutti contract with parameters holds it: the owner is the DAO's
/// timelock; it moves in two steps ({transferOwnership}, then {acceptOwnership} by the new owner),
/// so a proposal with a mistyped address cannot hand the parameters to nobody; and it can never be
/// renounced, which would freeze every parameter for good.
abstract contract Governed is Ownable2Step {
    /// @dev Renouncing ownership is disabled: it would leave the parameters without a governor.
    error RenounceDisabled();

    /// @notice Always reverts with {RenounceDisabled} (only the owner may even try).
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }
}
