// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

import {Governed} from "../governance/Governed.sol";

import {IContentRegistry} from "../interfaces/IContentRegistry.sol";
import {IOracleHub} from "../interfaces/IOracleHub.sol";

/// @title OracleHub
/// @notice Escrowed jobs answered by a k-of-n quorum of operators' EIP-712 attestations.
/// @dev Every parameter (operators, quorum, minimum fees, job timeout, minimum bond, unbonding
/// delay) is owned by governance: the owner is the timelock. Fees are pull payments: fulfilment
/// only credits balances, {withdraw} pays. Bonds are held here, apart from fees: the hub's balance
/// is at least the sum of escrowed fees, {claimable} credits, bonds and pending unbondings. Loops
/// are bounded by the operator set ({MAX_OPERATORS}): fulfilment credits exactly the
/// job's quorum of operators and visits each attester of the job once, and only an operator can
/// attest, once per job, so no job can grow too large to settle (0xSplits issue #18).
contract OracleHub is IOracleHub, EIP712, Governed {
    using EnumerableSet for EnumerableSet.AddressSet;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @notice The EIP-712 type operators sign.
    bytes32 public constant ATTESTATION_TYPEHASH =
        keccak256("Attestation(uint256 jobId,bytes32 resultHash,string resultCid,bytes32 modelId)");
    /// @notice Most operators at once; bounds every loop (and fits a job's quorum in a uint8).
    uint256 public constant MAX_OPERATORS = 64;
    /// @notice Longest job timeout governance may set.
    uint256 public constant MAX_JOB_TIMEOUT = 30 days;
    /// @notice Longest unbonding delay governance may set.
    uint256 public constant MAX_UNBONDING_DELAY = 365 days;
    /// @notice Highest minimum job fee governance may set, per kind or globally, in wei.
    uint256 public constant MAX_MIN_FEE = 10 ether;
    /// @notice Highest minimum bond governance may set, in wei: a higher one would silence every operator.
    uint256 public constant MAX_MIN_BOND = 1_000 ether;

    /// @notice The registry whose works may be a job's input.
    IContentRegistry public immutable registry;

    /// @inheritdoc IOracleHub
    uint256 public quorum;
    /// @inheritdoc IOracleHub
    uint256 public jobTimeout;
    /// @inheritdoc IOracleHub
    uint256 public minBond;
    /// @inheritdoc IOracleHub
    uint256 public unbondingDelay;

    EnumerableSet.AddressSet private _operators;
    mapping(bytes32 kind => uint256) private _minFee;
    uint256 private _jobCount;
    mapping(uint256 jobId => Job) private _jobs;
    mapping(uint256 jobId => address[]) private _attesters;
    mapping(uint256 jobId => mapping(address operator => bytes32 outcome)) private _attestations;
    mapping(uint256 jobId => mapping(bytes32 outcome => address[])) private _agreeing;
    mapping(bytes32 outcome => Result) private _results;
    mapping(address account => uint256) private _claimable;
    mapping(bytes32 resultHash => address requester) private _resultRequester;

    /// @dev Wei an operator asked to unbond: no longer counting, still slashable until withdrawn.
    struct Unbonding {
        uint256 amount;
        uint64 availableAt;
    }

    mapping(address operator => uint256) private _bonds;
    mapping(address operator => Unbonding) private _unbondings;
    mapping(uint256 jobId => mapping(address operator => bool)) private _slashed;

    /*//////////////////////////////////////////////////////////////
                               CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param governance The timelock that owns every parameter.
    /// @param registry_ The {ContentRegistry} whose works may be inputs.
    /// @param operators_ The initial operators.
    /// @param quorum_ The initial quorum, 1..operators_.length.
    /// @param minFee_ The initial global minimum fee, in wei (not zero).
    /// @param jobTimeout_ The initial job timeout, in seconds.
    /// @param minBond_ The initial counting bond an operator needs to attest, in wei (0: none).
    /// @param unbondingDelay_ The initial unbonding delay, in seconds.
    constructor(
        address governance,
        IContentRegistry registry_,
        address[] memory operators_,
        uint256 quorum_,
        uint256 minFee_,
        uint256 jobTimeout_,
        uint256 minBond_,
        uint256 unbondingDelay_
    ) EIP712("Tutti OracleHub", "1") Ownable(governance) {
        if (address(registry_) == address(0)) revert ZeroRegistry();
        registry = registry_;
        for (uint256 i; i < operators_.length; ++i) {
            _addOperator(operators_[i]);
        }
        _setQuorum(quorum_);
        _setMinFee(bytes32(0), minFee_);
        _setJobTimeout(jobTimeout_);
        _setMinBond(minBond_);
        _setUnbondingDelay(unbondingDelay_);
    }

    /*//////////////////////////////////////////////////////////////
                            PUBLIC FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IOracleHub
    function requestJob(bytes32 kind, string calldata inputCid, bytes calldata params, uint256 inputWorkId)
        external
        payable
        returns (uint256 jobId)
    {
        if (kind == bytes32(0)) revert EmptyKind();
        if (bytes(inputCid).length == 0) revert EmptyInputCid();
        uint256 minimum = minFeeOf(kind);
        if (msg.value < minimum) revert FeeBelowMinimum(kind, msg.value, minimum);
        if (inputWorkId != 0 && inputWorkId > registry.workCount()) revert UnknownInputWork(inputWorkId);

        jobId = ++_jobCount;
        // Cannot overflow uint64: jobTimeout <= MAX_JOB_TIMEOUT and timestamps are far below 2**63.
        uint64 deadline = uint64(block.timestamp + jobTimeout);
        _jobs[jobId] = Job({
            requester: msg.sender,
            deadline: deadline,
            status: JobStatus.Open,
            // Cannot truncate: quorum <= operatorCount <= MAX_OPERATORS < 256.
            quorum: uint8(quorum),
            kind: kind,
            fee: msg.value,
            inputWorkId: inputWorkId,
            outcome: bytes32(0)
        });
        emit JobRequested(jobId, msg.sender, kind, inputCid, params, msg.value, deadline, seedOf(jobId), inputWorkId);
    }

    /// @inheritdoc IOracleHub
    function submitAttestation(Attestation calldata attestation, bytes calldata signature)
        external
        returns (address operator)
    {
        uint256 jobId = attestation.jobId;
        Job storage job_ = _jobs[jobId];
        JobStatus status = job_.status;
        if (status == JobStatus.None) revert UnknownJob(jobId);
        if (status == JobStatus.Refunded) revert JobAlreadyRefunded(jobId);
        if (status == JobStatus.Open && block.timestamp > job_.deadline) revert JobExpired(jobId, job_.deadline);
        if (bytes(attestation.resultCid).length == 0 || attestation.resultHash == bytes32(0)) {
            revert EmptyResult(jobId);
        }

        // ECDSA.recover rejects malformed and high-s (malleable) signatures with its own errors.
        operator = ECDSA.recoverCalldata(_hashTypedDataV4(_structHash(attestation)), signature);
        if (!_operators.contains(operator)) revert NotOperator(operator);
        _requireBond(operator);
        if (_attestations[jobId][operator] != bytes32(0)) revert AlreadyAttested(jobId, operator);

        bytes32 outcome = _outcome(attestation.resultHash, attestation.resultCid, attestation.modelId);
        bytes32 accepted = job_.outcome;
        if (status == JobStatus.Fulfilled && outcome == accepted) revert JobAlreadyFulfilled(jobId);

        _attestations[jobId][operator] = outcome;
        _attesters[jobId].push(operator);
        if (bytes(_results[outcome].resultCid).length == 0) {
            _results[outcome] = Result(attestation.resultHash, attestation.resultCid, attestation.modelId);
        }
        emit AttestationSubmitted(
            jobId,
            operator,
            outcome,
            attestation.resultHash,
            attestation.resultCid,
            attestation.modelId,
            msg.sender
        );

        if (status == JobStatus.Fulfilled) {
            // A late attestation of another outcome: kept on record as dissent, it changes nothing.
            emit AttestationDissented(jobId, operator, outcome, accepted);
            return operator;
        }
        address[] storage agreeing = _agreeing[jobId][outcome];
        agreeing.push(operator);
        if (agreeing.length >= job_.quorum) {
            // Only attesters who are operators now count: a key governance removed (leaked, say)
            // cannot complete a quorum or earn a fee with an attestation it left pending.
            address[] memory counted = _currentOperators(agreeing);
            if (counted.length >= job_.quorum) _fulfil(jobId, job_, outcome, counted);
        }
    }

    /// @inheritdoc IOracleHub
    function refund(uint256 jobId) external {
        Job storage job_ = _requireJob(jobId);
        if (job_.status == JobStatus.Fulfilled) revert JobAlreadyFulfilled(jobId);
        if (job_.status == JobStatus.Refunded) revert JobAlreadyRefunded(jobId);
        if (block.timestamp <= job_.deadline) revert JobNotExpired(jobId, job_.deadline);

        job_.status = JobStatus.Refunded;
        address requester = job_.requester;
        uint256 amount = job_.fee;
        emit JobRefunded(jobId, requester, amount);
        if (amount != 0) {
            (bool ok,) = requester.call{value: amount}("");
            // A requester that refuses ETH can still pull it later; the fee is never locked.
            if (!ok) _claimable[requester] += amount;
        }
    }

    /// @inheritdoc IOracleHub
    function withdraw() external returns (uint256 amount) {
        amount = _claimable[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        _claimable[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert ETHTransferFailed(msg.sender, amount);
    }

    /// @inheritdoc IOracleHub
    function bond() external payable {
        if (msg.value == 0) revert ZeroBond();
        uint256 bonded = _bonds[msg.sender] + msg.value;
        _bonds[msg.sender] = bonded;
        emit Bonded(msg.sender, msg.value, bonded);
    }

    /// @inheritdoc IOracleHub
    function requestUnbond(uint256 amount) external {
        if (amount == 0) revert ZeroUnbond();
        uint256 bonded = _bonds[msg.sender];
        if (amount > bonded) revert UnbondExceedsBond(msg.sender, amount, bonded);

        unchecked {
            // Cannot underflow: amount <= bonded, checked above.
            _bonds[msg.sender] = bonded - amount;
        }
        Unbonding storage unbonding = _unbondings[msg.sender];
        // Cannot overflow: the pending amount and `amount` are both parts of the ETH held here.
        uint256 pending = unbonding.amount + amount;
        // Cannot truncate: unbondingDelay <= MAX_UNBONDING_DELAY and timestamps are far below 2**63.
        uint64 availableAt = uint64(block.timestamp + unbondingDelay);
        unbonding.amount = pending;
        unbonding.availableAt = availableAt;
        emit UnbondRequested(msg.sender, amount, pending, availableAt);
    }

    /// @inheritdoc IOracleHub
    function withdrawUnbonded() external returns (uint256 amount) {
        Unbonding storage unbonding = _unbondings[msg.sender];
        amount = unbonding.amount;
        if (amount == 0) revert NothingUnbonding(msg.sender);
        if (block.timestamp < unbonding.availableAt) revert UnbondingNotReady(msg.sender, unbonding.availableAt);

        // Checks, effects, then the transfer: a re-entering caller finds nothing pending.
        delete _unbondings[msg.sender];
        emit UnbondWithdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert ETHTransferFailed(msg.sender, amount);
    }

    /// @inheritdoc IOracleHub
    function slash(address operator, uint256 jobId, uint256 amount) external onlyOwner {
        if (amount == 0) revert ZeroSlash();
        Job storage job_ = _requireJob(jobId);
        if (job_.status != JobStatus.Fulfilled) revert JobNotFulfilled(jobId);
        bytes32 attested = _attestations[jobId][operator];
        if (attested == bytes32(0)) revert OperatorDidNotAttest(jobId, operator);
        if (attested == job_.outcome) revert OperatorAgreed(jobId, operator, attested);
        if (_slashed[jobId][operator]) revert AlreadySlashed(jobId, operator);
        uint256 bonded = _bonds[operator];
        Unbonding storage unbonding = _unbondings[operator];
        uint256 pending = unbonding.amount;
        // Cannot overflow: both are parts of the ETH held here.
        if (amount > bonded + pending) revert SlashExceedsBond(operator, amount, bonded + pending);

        _slashed[jobId][operator] = true;
        if (amount <= bonded) {
            unchecked {
                // Cannot underflow: amount <= bonded.
                _bonds[operator] = bonded - amount;
            }
        } else {
            _bonds[operator] = 0;
            uint256 remaining;
            unchecked {
                // Cannot underflow: bonded < amount <= bonded + pending.
                remaining = pending - (amount - bonded);
            }
            // Nothing left pending reads as no unbonding at all: (0, 0).
            if (remaining == 0) delete _unbondings[operator];
            else unbonding.amount = remaining;
        }
        emit OperatorSlashed(operator, jobId, amount);

        address treasury = owner();
        (bool ok,) = treasury.call{value: amount}("");
        // A treasury that refuses ETH can pull it later; slashed wei are never locked.
        if (!ok) _claimable[treasury] += amount;
    }

    /// @inheritdoc IOracleHub
    function addOperator(address operator) external onlyOwner {
        _addOperator(operator);
    }

    /// @inheritdoc IOracleHub
    function removeOperator(address operator) external onlyOwner {
        if (!_operators.remove(operator)) revert UnknownOperator(operator);
        if (_operators.length() < quorum) revert InvalidQuorum(quorum, _operators.length());
        emit OperatorRemoved(operator);
    }

    /// @inheritdoc IOracleHub
    function setQuorum(uint256 newQuorum) external onlyOwner {
        _setQuorum(newQuorum);
    }

    /// @inheritdoc IOracleHub
    function setMinFee(bytes32 kind, uint256 newFee) external onlyOwner {
        _setMinFee(kind, newFee);
    }

    /// @inheritdoc IOracleHub
    function setJobTimeout(uint256 newTimeout) external onlyOwner {
        _setJobTimeout(newTimeout);
    }

    /// @inheritdoc IOracleHub
    function setMinBond(uint256 newMinBond) external onlyOwner {
        _setMinBond(newMinBond);
    }

    /// @inheritdoc IOracleHub
    function setUnbondingDelay(uint256 newDelay) external onlyOwner {
        _setUnbondingDelay(newDelay);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IOracleHub
    function job(uint256 jobId) external view returns (Job memory) {
        return _requireJob(jobId);
    }

    /// @inheritdoc IOracleHub
    function seedOf(uint256 jobId) public view returns (uint256) {
        return uint256(keccak256(abi.encode(block.chainid, address(this), jobId)));
    }

    /// @inheritdoc IOracleHub
    function fulfilledResult(uint256 jobId)
        external
        view
        returns (string memory resultCid, bytes32 resultHash, bytes32 modelId, uint256 inputWorkId)
    {
        Job storage job_ = _requireJob(jobId);
        if (job_.status != JobStatus.Fulfilled) revert JobNotFulfilled(jobId);
        Result storage result = _results[job_.outcome];
        return (result.resultCid, result.resultHash, result.modelId, job_.inputWorkId);
    }

    /// @inheritdoc IOracleHub
    function resultOf(bytes32 outcome) external view returns (Result memory) {
        return _results[outcome];
    }

    /// @inheritdoc IOracleHub
    function attestationOf(uint256 jobId, address operator) external view returns (bytes32) {
        return _attestations[jobId][operator];
    }

    /// @inheritdoc IOracleHub
    function attestersOf(uint256 jobId) external view returns (address[] memory) {
        return _attesters[jobId];
    }

    /// @inheritdoc IOracleHub
    function agreeingOperators(uint256 jobId, bytes32 outcome) external view returns (address[] memory) {
        return _agreeing[jobId][outcome];
    }

    /// @inheritdoc IOracleHub
    function dissentersOf(uint256 jobId)
        external
        view
        returns (address[] memory operators_, bytes32[] memory outcomes)
    {
        Job storage job_ = _jobs[jobId];
        if (job_.status != JobStatus.Fulfilled) return (operators_, outcomes);
        address[] storage attesters = _attesters[jobId];
        bytes32 accepted = job_.outcome;
        operators_ = new address[](attesters.length);
        outcomes = new bytes32[](attesters.length);
        uint256 count;
        for (uint256 i; i < attesters.length; ++i) {
            bytes32 attested = _attestations[jobId][attesters[i]];
            if (attested != accepted) {
                operators_[count] = attesters[i];
                outcomes[count] = attested;
                ++count;
            }
        }
        // Shrink both arrays to the dissenters found (count <= their allocated length).
        assembly ("memory-safe") {
            mstore(operators_, count)
            mstore(outcomes, count)
        }
    }

    /// @inheritdoc IOracleHub
    function outcomeOf(bytes32 resultHash, string calldata resultCid, bytes32 modelId)
        external
        pure
        returns (bytes32)
    {
        return _outcome(resultHash, resultCid, modelId);
    }

    /// @inheritdoc IOracleHub
    function attestationDigest(Attestation calldata attestation) external view returns (bytes32) {
        return _hashTypedDataV4(_structHash(attestation));
    }

    /// @inheritdoc IOracleHub
    function minFeeOf(bytes32 kind) public view returns (uint256) {
        uint256 globalMinimum = _minFee[bytes32(0)];
        uint256 kindMinimum = _minFee[kind];
        return kindMinimum > globalMinimum ? kindMinimum : globalMinimum;
    }

    /// @notice The minimum fee set for `kind` alone (bytes32(0): the global minimum).
    function minFee(bytes32 kind) external view returns (uint256) {
        return _minFee[kind];
    }

    /// @inheritdoc IOracleHub
    function requesterOfResult(bytes32 resultHash) external view returns (address) {
        return _resultRequester[resultHash];
    }

    /// @inheritdoc IOracleHub
    function claimable(address account) external view returns (uint256) {
        return _claimable[account];
    }

    /// @inheritdoc IOracleHub
    function isOperator(address account) external view returns (bool) {
        return _operators.contains(account);
    }

    /// @inheritdoc IOracleHub
    function operators() external view returns (address[] memory) {
        return _operators.values();
    }

    /// @inheritdoc IOracleHub
    function operatorCount() external view returns (uint256) {
        return _operators.length();
    }

    /// @inheritdoc IOracleHub
    function jobCount() external view returns (uint256) {
        return _jobCount;
    }

    /// @inheritdoc IOracleHub
    function bondOf(address operator) external view returns (uint256) {
        return _bonds[operator];
    }

    /// @inheritdoc IOracleHub
    function unbondingOf(address operator) external view returns (uint256 amount, uint64 availableAt) {
        Unbonding storage unbonding = _unbondings[operator];
        return (unbonding.amount, unbonding.availableAt);
    }

    /// @inheritdoc IOracleHub
    function slashedFor(uint256 jobId, address operator) external view returns (bool) {
        return _slashed[jobId][operator];
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _requireJob(uint256 jobId) internal view returns (Job storage job_) {
        job_ = _jobs[jobId];
        if (job_.status == JobStatus.None) revert UnknownJob(jobId);
    }

    /// @dev A function of its own to keep {submitAttestation}'s stack shallow.
    function _requireBond(address operator) internal view {
        uint256 bonded = _bonds[operator];
        uint256 minimum = minBond;
        if (bonded < minimum) revert InsufficientBond(operator, bonded, minimum);
    }

    function _structHash(Attestation calldata attestation) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                ATTESTATION_TYPEHASH,
                attestation.jobId,
                attestation.resultHash,
                keccak256(bytes(attestation.resultCid)),
                attestation.modelId
            )
        );
    }

    function _outcome(bytes32 resultHash, string calldata resultCid, bytes32 modelId)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(resultHash, keccak256(bytes(resultCid)), modelId));
    }

    /// @dev The members of `attesters` still in the operator set, in order. Bounded: an outcome's
    /// attesters are distinct operators, at most {MAX_OPERATORS} plus those removed since.
    function _currentOperators(address[] storage attesters) internal view returns (address[] memory counted) {
        uint256 length = attesters.length;
        counted = new address[](length);
        uint256 count;
        for (uint256 i; i < length; ++i) {
            address attester = attesters[i];
            if (_operators.contains(attester)) counted[count++] = attester;
        }
        // Shrink to the members found (count <= the allocated length).
        assembly ("memory-safe") {
            mstore(counted, count)
        }
    }

    /// @dev Marks the job fulfilled, credits the fee to the `agreeing` operators (the job's quorum
    /// of current operators, or more if governance re-added one) and records every other attester
    /// as a dissenter.
    function _fulfil(uint256 jobId, Job storage job_, bytes32 outcome, address[] memory agreeing) internal {
        job_.status = JobStatus.Fulfilled;
        job_.outcome = outcome;

        uint256 fee = job_.fee;
        uint256 count = agreeing.length;
        uint256 share = fee / count;
        // The remainder of the division goes to the first agreeing operator: no wei stays behind.
        _claimable[agreeing[0]] += share + fee % count;
        for (uint256 i = 1; i < count; ++i) {
            _claimable[agreeing[i]] += share;
        }

        Result storage result = _results[outcome];
        // The first requester to be served a result is the one the registry lets register it.
        if (_resultRequester[result.resultHash] == address(0)) _resultRequester[result.resultHash] = job_.requester;
        emit JobFulfilled(jobId, outcome, result.resultHash, result.resultCid, result.modelId, agreeing, fee);

        address[] storage attesters = _attesters[jobId];
        for (uint256 i; i < attesters.length; ++i) {
            bytes32 attested = _attestations[jobId][attesters[i]];
            if (attested != outcome) emit AttestationDissented(jobId, attesters[i], attested, outcome);
        }
    }

    function _addOperator(address operator) internal {
        if (operator == address(0)) revert ZeroOperator();
        if (_operators.length() >= MAX_OPERATORS) revert TooManyOperators(MAX_OPERATORS);
        if (!_operators.add(operator)) revert OperatorAlreadyAdded(operator);
        emit OperatorAdded(operator);
    }

    function _setQuorum(uint256 newQuorum) internal {
        uint256 count = _operators.length();
        if (newQuorum == 0 || newQuorum > count) revert InvalidQuorum(newQuorum, count);
        emit QuorumChanged(quorum, newQuorum);
        quorum = newQuorum;
    }

    function _setMinFee(bytes32 kind, uint256 newFee) internal {
        if (newFee > MAX_MIN_FEE) revert MinFeeTooHigh(kind, newFee, MAX_MIN_FEE);
        if (kind == bytes32(0) && newFee == 0) revert ZeroGlobalMinFee();
        emit MinFeeChanged(kind, _minFee[kind], newFee);
        _minFee[kind] = newFee;
    }

    function _setJobTimeout(uint256 newTimeout) internal {
        if (newTimeout == 0 || newTimeout > MAX_JOB_TIMEOUT) {
            revert InvalidJobTimeout(newTimeout, MAX_JOB_TIMEOUT);
        }
        emit JobTimeoutChanged(jobTimeout, newTimeout);
        jobTimeout = newTimeout;
    }

    function _setMinBond(uint256 newMinBond) internal {
        if (newMinBond > MAX_MIN_BOND) revert MinBondTooHigh(newMinBond, MAX_MIN_BOND);
        emit MinBondChanged(minBond, newMinBond);
        minBond = newMinBond;
    }

    function _setUnbondingDelay(uint256 newDelay) internal {
        if (newDelay == 0 || newDelay > MAX_UNBONDING_DELAY) {
            revert InvalidUnbondingDelay(newDelay, MAX_UNBONDING_DELAY);
        }
        emit UnbondingDelayChanged(unbondingDelay, newDelay);
        unbondingDelay = newDelay;
    }
}
