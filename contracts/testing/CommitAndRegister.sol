// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IContentRegistry} from "../interfaces/IContentRegistry.sol";

/// @title CommitAndRegister
/// @notice Test double: a front-running bot that, seeing an artist's registration pending, commits
/// to the same content and registers it in one transaction. The registry's one-block rule stops it.
contract CommitAndRegister {
    /// @notice Commit and register `registration` in this one transaction, as this contract.
    function commitAndRegister(IContentRegistry registry, IContentRegistry.Registration calldata registration)
        external
        payable
    {
        registry.commitRegistration(registry.registrationCommitment(address(this), registration.contentHash));
        registry.register{value: msg.value}(registration);
    }
}
