// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IRoyaltySplitter} from "../interfaces/IRoyaltySplitter.sol";

/// @title SplitWallet
/// @notice A plain address in front of one split, for payers that can only send to an address
/// (EIP-2981 marketplaces, exchanges). The registry hands out its CREATE2 address at registration
/// but deploys it only when someone first flushes it: until then the address has no code, so any
/// payment reaches it, even one forwarding only Solidity's 2,300-gas stipend.
/// @dev Once deployed, ETH sent with enough gas is deposited into the split at once; ETH sent with a
/// stipend, ERC-20 tokens and ETH forced in wait here until anyone calls {flush}. It never refuses
/// a payment and holds no owner or admin.
contract SplitWallet {
    using SafeERC20 for IERC20;

    /// @dev The wallet holds none of `token`.
    error NothingToFlush(address token);

    /// @dev Gas that forwarding a payment to the splitter needs, with margin; below it the ETH waits.
    uint256 private constant FORWARD_GAS = 50_000;

    /// @notice The splitter this wallet deposits into.
    IRoyaltySplitter public immutable splitter;
    /// @notice The split this wallet pays into.
    uint256 public immutable splitId;

    /// @param splitter_ The {RoyaltySplitter}. @param splitId_ The split to pay.
    constructor(IRoyaltySplitter splitter_, uint256 splitId_) {
        splitter = splitter_;
        splitId = splitId_;
    }

    /// @notice Forward received ETH to the split, or keep it for {flush} when sent with little gas.
    receive() external payable {
        if (gasleft() >= FORWARD_GAS && msg.value != 0) {
            splitter.depositETH{value: msg.value}(splitId);
        }
    }

    /// @notice Deposit this wallet's whole balance of `token` (zero address: ETH) into the split.
    /// @dev Emits the splitter's {IRoyaltySplitter-Deposited} event.
    /// Requirements: the balance is not zero.
    function flush(address token) external {
        if (token == address(0)) {
            uint256 balance = address(this).balance;
            if (balance == 0) revert NothingToFlush(token);
            splitter.depositETH{value: balance}(splitId);
        } else {
            uint256 balance = IERC20(token).balanceOf(address(this));
            if (balance == 0) revert NothingToFlush(token);
            IERC20(token).forceApprove(address(splitter), balance);
            splitter.deposit(splitId, token, balance);
        }
    }
}
