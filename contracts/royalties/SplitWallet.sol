// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";

import {IRoyaltySplitter} from "../interfaces/IRoyaltySplitter.sol";

/// @title SplitWallet
/// @notice A plain address in front of one split, for payers that can only send to an address
/// (EIP-2981 marketplaces, exchanges). ETH sent to it is deposited into the split at once;
/// ERC-20 tokens (or ETH forced in without a call) are deposited by anyone calling {flush}.
/// @dev Deployed as an EIP-1167 clone whose immutable argument is the split id.
contract SplitWallet {
    using SafeERC20 for IERC20;

    /// @dev The wallet holds none of `token`.
    error NothingToFlush(address token);

    /// @notice The splitter every clone deposits into.
    IRoyaltySplitter public immutable splitter;

    /// @param splitter_ The {RoyaltySplitter} shared by all clones.
    constructor(IRoyaltySplitter splitter_) {
        splitter = splitter_;
    }

    /// @notice Forward received ETH to the split.
    receive() external payable {
        splitter.depositETH{value: msg.value}(splitId());
    }

    /// @notice Deposit this wallet's whole balance of `token` (zero address: ETH) into the split.
    /// @dev Emits the splitter's {IRoyaltySplitter-Deposited} event.
    /// Requirements: the balance is not zero.
    function flush(address token) external {
        if (token == address(0)) {
            uint256 balance = address(this).balance;
            if (balance == 0) revert NothingToFlush(token);
            splitter.depositETH{value: balance}(splitId());
        } else {
            uint256 balance = IERC20(token).balanceOf(address(this));
            if (balance == 0) revert NothingToFlush(token);
            IERC20(token).forceApprove(address(splitter), balance);
            splitter.deposit(splitId(), token, balance);
        }
    }

    /// @notice The split this wallet pays into.
    function splitId() public view returns (uint256) {
        return abi.decode(Clones.fetchCloneArgs(address(this)), (uint256));
    }
}
