// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/// @title TuttiToken
/// @notice The governance token: ERC-20 with EIP-2612 permits and ERC-5805 vote delegation.
/// @dev Fixed supply minted once at deployment; the token has no owner and no admin function.
contract TuttiToken is ERC20, ERC20Permit, ERC20Votes {
    /// @param initialHolder Receives the whole supply.
    /// @param supply Total supply in the token's smallest unit.
    constructor(address initialHolder, uint256 supply) ERC20("Tutti", "TUTTI") ERC20Permit("Tutti") {
        _mint(initialHolder, supply);
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }

    /// @notice The next permit / delegation-by-signature nonce of `owner`.
    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }
}
