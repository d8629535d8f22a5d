// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title StubAccessPass
/// @notice Stands in for AccessPass in the media node's tests: a settable answer to
///         {hasValidPass}, the one view the node calls.
/// @dev Never deploy to a public network: anyone can grant or revoke any pass.
contract StubAccessPass {
    /// @dev Emitted when a pass is granted or withdrawn with {setValid}.
    event ValiditySet(uint256 indexed roomId, address indexed account, bool valid);

    mapping(uint256 roomId => mapping(address account => bool)) private _valid;

    /// @notice Grant (`valid` true) or withdraw (false, as on expiry or revocation) a pass.
    /// @dev Emits a {ValiditySet} event.
    function setValid(uint256 roomId, address account, bool valid) external {
        _valid[roomId][account] = valid;
        emit ValiditySet(roomId, account, valid);
    }

    /// @notice Same signature as IAccessPass.hasValidPass.
    function hasValidPass(uint256 roomId, address account) external view returns (bool) {
        return _valid[roomId][account];
    }
}
