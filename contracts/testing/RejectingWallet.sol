// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title RejectingWallet
/// @notice Test double: a contract wallet (one owner key, ERC-1271) whose code refuses every ETH
/// transfer, like a multisig without a payable fallback. Its split share can only leave through
/// {IRoyaltySplitter-withdrawTo} with a signature it vouches for.
contract RejectingWallet is IERC1271 {
    /// @dev Any ETH sent to this contract.
    error ETHRejected(uint256 amount);

    /// @notice The key whose signatures this wallet accepts.
    address public immutable owner;

    /// @param owner_ The key whose signatures this wallet accepts.
    constructor(address owner_) {
        owner = owner_;
    }

    /// @dev Always reverts with {ETHRejected}.
    receive() external payable {
        revert ETHRejected(msg.value);
    }

    /// @notice ERC-1271: valid when the owner signed `hash`.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address signer, ECDSA.RecoverError error_,) = ECDSA.tryRecover(hash, signature);
        return error_ == ECDSA.RecoverError.NoError && signer == owner ? this.isValidSignature.selector : bytes4(0);
    }
}
