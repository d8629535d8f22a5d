// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title TestToken
/// @notice A freely mintable ERC-20 standing in for a stablecoin in local stories and tests, with
/// EIP-2612 permits (like USDC) so that a payment can be signed rather than approved first.
/// @dev Never deploy to a public network: anyone can mint.
contract TestToken is ERC20, ERC20Permit {
    uint8 private immutable _decimals;

    /// @param name_ Token name. @param symbol_ Token symbol. @param decimals_ Display decimals.
    constructor(string memory name_, string memory symbol_, uint8 decimals_) ERC20(name_, symbol_) ERC20Permit(name_) {
        _decimals = decimals_;
    }

    /// @notice Mint `amount` to `to` (test networks only).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Display decimals.
    function decimals() public view override returns (uint8) {
        return _decimals;
    }
}
