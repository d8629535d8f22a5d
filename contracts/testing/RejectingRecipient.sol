// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title RejectingRecipient
/// @notice Test double: a split recipient that refuses every ETH transfer, so the splitter's
/// {IRoyaltySplitter-ETHTransferFailed} path can be exercised. It accepts ERC-20 tokens as any address does.
contract RejectingRecipient {
    /// @dev Any ETH sent to this contract.
    error ETHRejected(uint256 amount);

    /// @dev Always reverts with {ETHRejected}.
    receive() external payable {
        revert ETHRejected(msg.value);
    }
}
