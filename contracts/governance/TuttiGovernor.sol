// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Governor} from "@openzeppelin/contracts/governance/Governor.sol";
import {GovernorSettings} from "@openzeppelin/contracts/governance/extensions/GovernorSettings.sol";
import {GovernorCountingSimple} from "@openzeppelin/contracts/governance/extensions/GovernorCountingSimple.sol";
import {GovernorVotes} from "@openzeppelin/contracts/governance/extensions/GovernorVotes.sol";
import {GovernorVotesQuorumFraction} from
    "@openzeppelin/contracts/governance/extensions/GovernorVotesQuorumFraction.sol";
import {GovernorTimelockControl} from "@openzeppelin/contracts/governance/extensions/GovernorTimelockControl.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title TuttiGovernor
/// @notice The Tutti DAO: token holders propose and vote; passed proposals run through the timelock,
/// which owns every platform parameter. Votes may be cast directly or by EIP-712 signature.
/// @dev Assembled from OpenZeppelin extensions only; voting delay, period and threshold are
/// themselves governable through {GovernorSettings}, the quorum through the quorum fraction.
contract TuttiGovernor is
    Governor,
    GovernorSettings,
    GovernorCountingSimple,
    GovernorVotes,
    GovernorVotesQuorumFraction,
    GovernorTimelockControl
{
    /// @notice Longest voting delay a vote may set, in blocks (about 14 days of 12-second blocks).
    uint48 public constant MAX_VOTING_DELAY = 100_800;
    /// @notice Longest voting period a vote may set, in blocks (about 28 days of 12-second blocks).
    uint32 public constant MAX_VOTING_PERIOD = 201_600;
    /// @notice Lowest quorum a vote may set, in percent of the supply: never a quorum of nobody.
    uint256 public constant MIN_QUORUM_PERCENT = 1;
    /// @notice Highest quorum a vote may set, in percent: above it no proposal could ever pass.
    uint256 public constant MAX_QUORUM_PERCENT = 50;

    /// @dev The token or the timelock given to the constructor is the zero address.
    error ZeroAddress();
    /// @dev Governance setting `name` of `value`, outside `min`..`max`: a vote cannot freeze the DAO.
    error GovernanceSettingOutOfRange(string name, uint256 value, uint256 min, uint256 max);

    /// @param token The voting token.
    /// @param timelock The timelock that executes proposals.
    /// @param votingDelay_ Blocks between proposal and the start of voting.
    /// @param votingPeriod_ Blocks voting stays open.
    /// @param proposalThreshold_ Votes needed to propose.
    /// @param quorumPercent Percent of the supply that must vote for or abstain.
    constructor(
        IVotes token,
        TimelockController timelock,
        uint48 votingDelay_,
        uint32 votingPeriod_,
        uint256 proposalThreshold_,
        uint256 quorumPercent
    )
        Governor("Tutti DAO")
        GovernorSettings(votingDelay_, votingPeriod_, proposalThreshold_)
        GovernorVotes(token)
        GovernorVotesQuorumFraction(quorumPercent)
        GovernorTimelockControl(timelock)
    {
        if (address(token) == address(0) || address(timelock) == address(0)) {
            revert ZeroAddress();
        }
    }

    /// @dev Bounds the voting delay a vote may set (OpenZeppelin leaves it unbounded).
    function _setVotingDelay(uint48 newVotingDelay) internal override {
        if (newVotingDelay > MAX_VOTING_DELAY) {
            revert GovernanceSettingOutOfRange("votingDelay", newVotingDelay, 0, MAX_VOTING_DELAY);
        }
        super._setVotingDelay(newVotingDelay);
    }

    /// @dev Bounds the voting period a vote may set (OpenZeppelin only refuses zero).
    function _setVotingPeriod(uint32 newVotingPeriod) internal override {
        if (newVotingPeriod == 0 || newVotingPeriod > MAX_VOTING_PERIOD) {
            revert GovernanceSettingOutOfRange("votingPeriod", newVotingPeriod, 1, MAX_VOTING_PERIOD);
        }
        super._setVotingPeriod(newVotingPeriod);
    }

    /// @dev Bounds the quorum a vote may set (OpenZeppelin allows 0..100 %).
    function _updateQuorumNumerator(uint256 newQuorumNumerator) internal override {
        if (newQuorumNumerator < MIN_QUORUM_PERCENT || newQuorumNumerator > MAX_QUORUM_PERCENT) {
            revert GovernanceSettingOutOfRange("quorumPercent", newQuorumNumerator, MIN_QUORUM_PERCENT,
                MAX_QUORUM_PERCENT);
        }
        super._updateQuorumNumerator(newQuorumNumerator);
    }

    // The overrides below only resolve the diamond between OpenZeppelin extensions.

    function votingDelay() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.votingDelay();
    }

    function votingPeriod() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.votingPeriod();
    }

    function proposalThreshold() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.proposalThreshold();
    }

    function state(uint256 proposalId) public view override(Governor, GovernorTimelockControl) returns (ProposalState) {
        return super.state(proposalId);
    }

    function proposalNeedsQueuing(uint256 proposalId)
        public
        view
        override(Governor, GovernorTimelockControl)
        returns (bool)
    {
        return super.proposalNeedsQueuing(proposalId);
    }

    function _queueOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint48) {
        return super._queueOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _executeOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) {
        super._executeOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _cancel(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint256) {
        return super._cancel(targets, values, calldatas, descriptionHash);
    }

    function _executor() internal view override(Governor, GovernorTimelockControl) returns (address) {
        return super._executor();
    }
}
