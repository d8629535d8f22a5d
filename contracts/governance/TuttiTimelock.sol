// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title TuttiTimelock
/// @notice Owns every Tutti parameter and the DAO treasury; runs what the {TuttiGovernor} passed,
/// after `minDelay` seconds. OpenZeppelin's TimelockController, named for deployment.
contract TuttiTimelock is TimelockController {
    /// @param minDelay Seconds between queueing and execution.
    /// @param proposers Accounts allowed to queue (the governor).
    /// @param executors Accounts allowed to execute (the zero address: anyone).
    /// @param admin Temporary admin used during deployment, renounced at its end.
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors, address admin)
        TimelockController(minDelay, proposers, executors, admin)
    {}
}
