// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title TuttiTimelock
/// @notice Owns every Tutti parameter and the DAO treasury; runs what the {TuttiGovernor} passed,
/// after `minDelay` seconds. OpenZeppelin's TimelockController, named for deployment.
contract TuttiTimelock is TimelockController {
    /// @notice Longest delay a proposal may set: a longer one would freeze every parameter.
    uint256 public constant MAX_DELAY = 30 days;

    /// @dev A delay of `delay` seconds, above `max`.
    error TimelockDelayTooLong(uint256 delay, uint256 max);

    /// @param minDelay Seconds between queueing and execution.
    /// @param proposers Accounts allowed to queue (the governor).
    /// @param executors Accounts allowed to execute (the zero address: anyone).
    /// @param admin Temporary admin used during deployment, renounced at its end.
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors, address admin)
        TimelockController(minDelay, proposers, executors, admin)
    {
        if (minDelay > MAX_DELAY) revert TimelockDelayTooLong(minDelay, MAX_DELAY);
    }

    /// @notice Change the delay (only the timelock itself, i.e. a passed proposal), at most {MAX_DELAY}.
    function updateDelay(uint256 newDelay) public override {
        if (newDelay > MAX_DELAY) revert TimelockDelayTooLong(newDelay, MAX_DELAY);
        super.updateDelay(newDelay);
    }
}
