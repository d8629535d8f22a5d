// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IRoyaltySplitter} from "../interfaces/IRoyaltySplitter.sol";

/// @title ReentrantRecipient
/// @notice Attacker for tests: a split recipient that tries to withdraw again while being paid.
contract ReentrantRecipient {
    IRoyaltySplitter public immutable splitter;
    uint256 public splitId;
    uint256 public attempts;
    bool public reentryReverted;

    /// @param splitter_ The splitter under attack.
    constructor(IRoyaltySplitter splitter_) {
        splitter = splitter_;
    }

    /// @notice Set the split to attack.
    function target(uint256 splitId_) external {
        splitId = splitId_;
    }

    /// @notice Start the attack: withdraw this contract's ETH share.
    function attack() external {
        splitter.withdraw(splitId, address(0), address(this));
    }

    /// @dev Re-enters once; records whether the guard stopped it.
    receive() external payable {
        if (attempts++ == 0) {
            try splitter.withdraw(splitId, address(0), address(this)) {
                reentryReverted = false;
            } catch {
                reentryReverted = true;
            }
        }
    }
}
