// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title StipendPayer
/// @notice Test helper: pays like an old marketplace, with Solidity's 2,300-gas `transfer`.
contract StipendPayer {
    /// @notice Send `msg.value` to `to` with a 2,300-gas stipend.
    function payWithTransfer(address payable to) external payable {
        to.transfer(msg.value);
    }
}
