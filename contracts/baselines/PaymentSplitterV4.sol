// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {PaymentSplitter} from "@openzeppelin/contracts-v4/finance/PaymentSplitter.sol";

/// @title PaymentSplitterV4
/// @notice OpenZeppelin 4.9's PaymentSplitter, compiled only as the baseline of `bench/gas.py`.
contract PaymentSplitterV4 is PaymentSplitter {
    /// @param payees Recipients. @param shares_ Their shares.
    constructor(address[] memory payees, uint256[] memory shares_) payable PaymentSplitter(payees, shares_) {}
}
