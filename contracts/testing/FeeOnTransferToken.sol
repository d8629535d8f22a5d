// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title FeeOnTransferToken
/// @notice Test double: a mintable ERC-20 that burns `feeBps` of every transfer between two
/// accounts, so less arrives than was sent (as with some real-world "taxed" tokens).
/// @dev Never deploy to a public network: anyone can mint.
contract FeeOnTransferToken is ERC20 {
    /// @notice Basis points burnt from every transfer (not from mints or burns).
    uint16 public immutable feeBps;

    /// @param feeBps_ Basis points of each transfer that never arrive.
    constructor(uint16 feeBps_) ERC20("Fee Token", "FEE") {
        feeBps = feeBps_;
    }

    /// @notice Mint `amount` to `to` (test networks only).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) {
            super._update(from, to, value);
            return;
        }
        uint256 fee = value * feeBps / 10_000;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
