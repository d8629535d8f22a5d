// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title IOracleHub
/// @notice Paid off-chain jobs (analyse, compose, render, ...) answered by a k-of-n quorum of
/// operators. A requester escrows a fee; operators run the job deterministically (the seed is
/// derived from the job id) and sign an EIP-712 {Attestation} of the result; anyone may relay a
/// signed attestation. When `quorum` operators attest the same outcome the job is fulfilled and
/// the fee is credited to them; a job not fulfilled by its deadline is refunded to its requester.
/// Operators may post an ETH bond ({bond}); governance can require a minimum bond to attest
/// ({minBond}) and, by a vote, slash the bond of an operator whose dissent is on record ({slash}).
/// Slashing is never automatic: honest operators on different numeric builds may disagree, so a
/// dissent is evidence for a DAO judgement, not proof of fraud.
/// @dev Job kinds are short names left-aligned in a bytes32 ("analyze" -> 0x616e616c797a65 00...).
/// An outcome is `keccak256(abi.encode(resultHash, keccak256(bytes(resultCid)), modelId))`: two
/// attestations agree exactly when their outcomes are equal.
interface IOracleHub {
    /*//////////////////////////////////////////////////////////////
                                 STRUCTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A job's life: requested (Open), then Fulfilled by a quorum or Refunded after its deadline.
    enum JobStatus {
        None,
        Open,
        Fulfilled,
        Refunded
    }

    /// @notice What an operator signs (EIP-712 primary type). The operator is recovered from the
    /// signature, never passed, so a relayer cannot attribute a result to anyone else.
    struct Attestation {
        uint256 jobId;
        bytes32 resultHash;
        string resultCid;
        bytes32 modelId;
    }

    /// @notice A requested job. `quorum` is the quorum when it was requested: later governance
    /// changes do not move the goalposts of jobs already paid for.
    struct Job {
        address requester;
        uint64 deadline;
        JobStatus status;
        uint8 quorum;
        bytes32 kind;
        uint256 fee;
        uint256 inputWorkId;
        bytes32 outcome;
    }

    /// @notice The content of an outcome.
    struct Result {
        bytes32 resultHash;
        string resultCid;
        bytes32 modelId;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @dev No job has id `jobId`.
    error UnknownJob(uint256 jobId);
    /// @dev Job `jobId` already reached its quorum.
    error JobAlreadyFulfilled(uint256 jobId);
    /// @dev Job `jobId` was refunded.
    error JobAlreadyRefunded(uint256 jobId);
    /// @dev Job `jobId` passed its `deadline` without a quorum: it only awaits its refund.
    error JobExpired(uint256 jobId, uint64 deadline);
    /// @dev Job `jobId` can only be refunded after its `deadline`.
    error JobNotExpired(uint256 jobId, uint64 deadline);
    /// @dev Job `jobId` has not been fulfilled.
    error JobNotFulfilled(uint256 jobId);
    /// @dev `sent` wei is below the `minimum` fee for jobs of `kind`.
    error FeeBelowMinimum(bytes32 kind, uint256 sent, uint256 minimum);
    /// @dev A job needs a kind.
    error EmptyKind();
    /// @dev A job needs an input CID.
    error EmptyInputCid();
    /// @dev The input work `workId` is not registered.
    error UnknownInputWork(uint256 workId);
    /// @dev An attestation of job `jobId` without a result CID or result hash.
    error EmptyResult(uint256 jobId);
    /// @dev The attestation's signer `signer` is not an operator (also the symptom of a signature
    /// made for another chain, another hub or other data: it recovers to an unrelated address).
    error NotOperator(address signer);
    /// @dev `operator` already attested job `jobId`; each operator counts once per job.
    error AlreadyAttested(uint256 jobId, address operator);
    /// @dev `account` has nothing to withdraw.
    error NothingToWithdraw(address account);
    /// @dev Sending `amount` wei to `to` failed.
    error ETHTransferFailed(address to, uint256 amount);
    /// @dev A quorum of `quorum` with `operatorCount` operators (it must be 1..operatorCount).
    error InvalidQuorum(uint256 quorum, uint256 operatorCount);
    /// @dev The zero address cannot be an operator.
    error ZeroOperator();
    /// @dev The registry given to the constructor is the zero address.
    error ZeroRegistry();
    /// @dev `operator` is already an operator.
    error OperatorAlreadyAdded(address operator);
    /// @dev `operator` is not an operator.
    error UnknownOperator(address operator);
    /// @dev The operator set is full at `max`.
    error TooManyOperators(uint256 max);
    /// @dev The global minimum fee cannot be zero: free jobs would drain honest operators' gas.
    error ZeroGlobalMinFee();
    /// @dev A minimum fee of `fee` wei for `kind`, above the `max` the contract allows.
    error MinFeeTooHigh(bytes32 kind, uint256 fee, uint256 max);
    /// @dev A minimum bond of `bond` wei, above the `max` the contract allows.
    error MinBondTooHigh(uint256 bond, uint256 max);
    /// @dev A job timeout of `timeout` seconds, outside 1..`max`.
    error InvalidJobTimeout(uint256 timeout, uint256 max);
    /// @dev `operator` has a counting bond of `bonded` wei, below the `minBond` required to attest.
    error InsufficientBond(address operator, uint256 bonded, uint256 minBond);
    /// @dev A bond must add a non-zero amount of wei.
    error ZeroBond();
    /// @dev An unbonding request must be for a non-zero amount of wei.
    error ZeroUnbond();
    /// @dev `operator` asked to unbond `amount` wei but has only `bonded` wei counting.
    error UnbondExceedsBond(address operator, uint256 amount, uint256 bonded);
    /// @dev `operator` has no pending unbonding to withdraw.
    error NothingUnbonding(address operator);
    /// @dev `operator`'s unbonding can only be withdrawn from `availableAt` (a unix time).
    error UnbondingNotReady(address operator, uint64 availableAt);
    /// @dev An unbonding delay of `delay` seconds, outside 1..`max`.
    error InvalidUnbondingDelay(uint256 delay, uint256 max);
    /// @dev A slash must take a non-zero amount of wei.
    error ZeroSlash();
    /// @dev `operator` did not attest job `jobId`: there is no dissent to slash.
    error OperatorDidNotAttest(uint256 jobId, address operator);
    /// @dev `operator` attested the accepted `outcome` of job `jobId`: agreeing is not slashable.
    error OperatorAgreed(uint256 jobId, address operator, bytes32 outcome);
    /// @dev `operator` was already slashed for its dissent on job `jobId`.
    error AlreadySlashed(uint256 jobId, address operator);
    /// @dev Slashing `amount` wei from `operator`, who has only `slashable` wei bonded and unbonding.
    error SlashExceedsBond(address operator, uint256 amount, uint256 slashable);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice `requester` escrowed `fee` for job `jobId` of `kind` on `inputCid` (a registered
    /// work if `inputWorkId` is not 0) with `params`; operators must attest by `deadline`, using `seed`.
    event JobRequested(
        uint256 indexed jobId,
        address indexed requester,
        bytes32 indexed kind,
        string inputCid,
        bytes params,
        uint256 fee,
        uint64 deadline,
        uint256 seed,
        uint256 inputWorkId
    );
    /// @notice `operator` attested `outcome` for job `jobId`; `relayer` sent the transaction.
    event AttestationSubmitted(
        uint256 indexed jobId,
        address indexed operator,
        bytes32 indexed outcome,
        bytes32 resultHash,
        string resultCid,
        bytes32 modelId,
        address relayer
    );
    /// @notice Job `jobId` reached its quorum on `outcome`; `operators` agreed and share `fee`.
    event JobFulfilled(
        uint256 indexed jobId,
        bytes32 indexed outcome,
        bytes32 resultHash,
        string resultCid,
        bytes32 modelId,
        address[] operators,
        uint256 fee
    );
    /// @notice `operator` attested `outcome` for job `jobId`, which was fulfilled with `acceptedOutcome`.
    event AttestationDissented(
        uint256 indexed jobId, address indexed operator, bytes32 indexed outcome, bytes32 acceptedOutcome
    );
    /// @notice Job `jobId` expired unfulfilled; `amount` went back to `requester` (or became
    /// withdrawable by it if it refused the transfer).
    event JobRefunded(uint256 indexed jobId, address indexed requester, uint256 amount);
    /// @notice `account` withdrew `amount` wei of fees or refunds.
    event Withdrawn(address indexed account, uint256 amount);
    /// @notice Governance added `operator`.
    event OperatorAdded(address indexed operator);
    /// @notice Governance removed `operator`.
    event OperatorRemoved(address indexed operator);
    /// @notice Governance changed the quorum for new jobs.
    event QuorumChanged(uint256 oldQuorum, uint256 newQuorum);
    /// @notice Governance changed the minimum fee of `kind` (bytes32(0): the global minimum).
    event MinFeeChanged(bytes32 indexed kind, uint256 oldFee, uint256 newFee);
    /// @notice Governance changed the time operators have to fulfil a new job, in seconds.
    event JobTimeoutChanged(uint256 oldTimeout, uint256 newTimeout);
    /// @notice `operator` added `amount` wei to its bond, which now counts `bonded` wei.
    event Bonded(address indexed operator, uint256 amount, uint256 bonded);
    /// @notice `operator` stopped `amount` wei of its bond from counting; `pending` wei (this and any
    /// earlier request) become withdrawable at `availableAt`.
    event UnbondRequested(address indexed operator, uint256 amount, uint256 pending, uint64 availableAt);
    /// @notice `operator` withdrew `amount` wei of unbonded bond.
    event UnbondWithdrawn(address indexed operator, uint256 amount);
    /// @notice Governance took `amount` wei of `operator`'s bond for its dissent on job `jobId`.
    event OperatorSlashed(address indexed operator, uint256 indexed jobId, uint256 amount);
    /// @notice Governance changed the bond an operator needs to attest.
    event MinBondChanged(uint256 oldMinBond, uint256 newMinBond);
    /// @notice Governance changed how long an unbonding waits before it can be withdrawn, in seconds.
    event UnbondingDelayChanged(uint256 oldDelay, uint256 newDelay);

    /*//////////////////////////////////////////////////////////////
                                FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Request a job, escrowing `msg.value` as its fee.
    /// @dev Emits a {JobRequested} event. The deadline is now plus {jobTimeout}; the quorum is
    /// the current {quorum}; the seed is {seedOf}(jobId).
    /// Requirements:
    /// - a non-zero `kind` and a non-empty `inputCid`;
    /// - `msg.value` at least {minFeeOf}(`kind`);
    /// - `inputWorkId` is 0 or a work registered in the {registry}.
    /// @param kind The job kind, its name left-aligned in a bytes32.
    /// @param inputCid The IPFS CID of the input.
    /// @param params Kind-specific parameters (canonical JSON, or a CID of them).
    /// @param inputWorkId The registered work the input is, or 0.
    /// @return jobId The new job's id (ids start at 1).
    function requestJob(bytes32 kind, string calldata inputCid, bytes calldata params, uint256 inputWorkId)
        external
        payable
        returns (uint256 jobId);

    /// @notice Count an operator's signed attestation. Anyone may submit it (relaying).
    /// @dev Emits an {AttestationSubmitted} event; the attestation that completes the quorum also
    /// emits {JobFulfilled}, credits the fee to the agreeing operators (equal shares, the remainder
    /// of the division to the first) and emits one {AttestationDissented} per operator that
    /// attested another outcome. After fulfilment, an attestation of another outcome is still
    /// recorded as dissent (it emits {AttestationSubmitted} and {AttestationDissented}); one of the
    /// accepted outcome is refused with {JobAlreadyFulfilled}.
    /// Requirements:
    /// - the job exists and is not refunded; if it is not fulfilled, its deadline has not passed;
    /// - a non-empty result CID and a non-zero result hash;
    /// - a valid, low-s, 65-byte signature over the attestation in this hub's EIP-712 domain
    ///   (OpenZeppelin {ECDSA} errors otherwise), by a current operator;
    /// - that operator's counting bond ({bondOf}) is at least {minBond} ({InsufficientBond});
    /// - that operator has not attested this job before.
    /// @return operator The recovered signer.
    function submitAttestation(Attestation calldata attestation, bytes calldata signature)
        external
        returns (address operator);

    /// @notice Return the fee of job `jobId`, unfulfilled past its deadline, to its requester. Anyone may call it.
    /// @dev Emits a {JobRefunded} event. State is updated before the transfer; if the requester
    /// refuses the ETH the amount is credited to it instead (see {withdraw}), so nothing is locked.
    /// Requirements: the job exists, is open, and its deadline has passed.
    function refund(uint256 jobId) external;

    /// @notice Send the caller everything credited to it (operator fees, refunds it refused).
    /// @dev Emits a {Withdrawn} event. Requirements: a non-zero {claimable} balance.
    /// @return amount What was sent.
    function withdraw() external returns (uint256 amount);

    /// @notice Add `msg.value` to the caller's bond. Anyone may bond, for itself only (an account
    /// may bond before governance makes it an operator).
    /// @dev Emits a {Bonded} event. Requirements: a non-zero `msg.value` ({ZeroBond}).
    function bond() external payable;

    /// @notice Stop `amount` wei of the caller's bond from counting at once; it becomes withdrawable
    /// {unbondingDelay} seconds from now. A new request adds to the pending amount and restarts the
    /// wait for all of it. Pending wei can still be slashed until withdrawn.
    /// @dev Emits an {UnbondRequested} event. Requirements: 0 < `amount` <= {bondOf}(caller)
    /// ({ZeroUnbond}, {UnbondExceedsBond}).
    function requestUnbond(uint256 amount) external;

    /// @notice Send the caller its pending unbonding once its wait is over.
    /// @dev Emits an {UnbondWithdrawn} event. State is cleared before the transfer; a refused
    /// transfer reverts ({ETHTransferFailed}) and leaves the amount pending.
    /// Requirements: a pending unbonding ({NothingUnbonding}) whose `availableAt` has come
    /// ({UnbondingNotReady}).
    /// @return amount What was sent.
    function withdrawUnbonded() external returns (uint256 amount);

    /// @notice Take `amount` wei of `operator`'s bond for its recorded dissent on job `jobId`, and
    /// give it to the owner (the timelock's treasury). Governance only (the timelock): a DAO vote
    /// judges whether the dissent was a fault; nothing is slashed automatically.
    /// @dev Emits an {OperatorSlashed} event. Takes from the counting bond first, then from the
    /// pending unbonding (whose `availableAt` is kept; an unbonding taken whole is cleared). The
    /// ETH is sent to the owner after the state change; if the owner refuses it, it is credited
    /// to the owner instead (see {withdraw}).
    /// Requirements:
    /// - a non-zero `amount` ({ZeroSlash});
    /// - job `jobId` exists and is fulfilled ({UnknownJob}, {JobNotFulfilled});
    /// - `operator` attested it ({OperatorDidNotAttest}) an outcome other than the accepted one
    ///   ({OperatorAgreed}), i.e. it is among {dissentersOf}(`jobId`);
    /// - `operator` was not slashed for this job before ({AlreadySlashed});
    /// - `amount` <= {bondOf}(`operator`) plus its pending unbonding ({SlashExceedsBond}).
    function slash(address operator, uint256 jobId, uint256 amount) external;

    /// @notice Add an operator. Governance only (the timelock).
    /// @dev Emits an {OperatorAdded} event. Requirements: not the zero address, not already an
    /// operator, fewer than {MAX_OPERATORS} operators.
    function addOperator(address operator) external;

    /// @notice Remove an operator. Governance only (the timelock). It cannot attest any more, and
    /// its attestations on jobs still open no longer count toward their quorum nor earn a share of
    /// their fee (a leaked key governance removed cannot complete a quorum). Jobs already fulfilled
    /// stay as they are, and its recorded dissent stays slashable.
    /// @dev Emits an {OperatorRemoved} event. Requirements: an operator, and the remaining
    /// operators are at least the {quorum}.
    function removeOperator(address operator) external;

    /// @notice Set the quorum k for jobs requested from now on. Governance only (the timelock).
    /// @dev Emits a {QuorumChanged} event. Requirements: 1 <= `newQuorum` <= {operatorCount}.
    function setQuorum(uint256 newQuorum) external;

    /// @notice Set the minimum fee of `kind` in wei; `kind` bytes32(0) sets the global minimum.
    /// Governance only (the timelock).
    /// @dev Emits a {MinFeeChanged} event. A job pays at least the larger of the two, see {minFeeOf}.
    /// Requirements: at most {MAX_MIN_FEE} ({MinFeeTooHigh}); the global minimum is not zero ({ZeroGlobalMinFee}).
    function setMinFee(bytes32 kind, uint256 newFee) external;

    /// @notice Set how long operators have to fulfil a job requested from now on, in seconds.
    /// Governance only (the timelock).
    /// @dev Emits a {JobTimeoutChanged} event. Requirements: 1 <= `newTimeout` <= {MAX_JOB_TIMEOUT}.
    function setJobTimeout(uint256 newTimeout) external;

    /// @notice Set the counting bond an operator needs to attest, in wei (0: no bond needed).
    /// Governance only (the timelock). Applies at once, also to open jobs.
    /// @dev Emits a {MinBondChanged} event. Requirements: at most {MAX_MIN_BOND} ({MinBondTooHigh}).
    function setMinBond(uint256 newMinBond) external;

    /// @notice Set how long an unbonding requested from now on waits, in seconds. Governance only
    /// (the timelock). It should exceed the time a slashing proposal takes (voting delay, voting
    /// period and timelock delay), or a faulty operator can withdraw before the vote ends.
    /// @dev Emits an {UnbondingDelayChanged} event. Requirements: 1 <= `newDelay` <= {MAX_UNBONDING_DELAY}.
    function setUnbondingDelay(uint256 newDelay) external;

    /// @notice The requester of the first job fulfilled with result hash `resultHash` (zero: none).
    /// The {ContentRegistry} lets only this account register the result as a work.
    function requesterOfResult(bytes32 resultHash) external view returns (address);

    /// @notice A requested job. Reverts with {UnknownJob}.
    function job(uint256 jobId) external view returns (Job memory);

    /// @notice The seed every operator uses for job `jobId`: keccak256(abi.encode(chainid, hub, jobId)).
    function seedOf(uint256 jobId) external view returns (uint256);

    /// @notice The accepted result of fulfilled job `jobId` and the registered work it was
    /// computed from (0 if none). Reverts with {UnknownJob} or {JobNotFulfilled}.
    /// @dev To register the result as a derivative work, its requester calls
    /// {IContentRegistry-register} itself with the result CID (in its metadata) and
    /// `inputWorkId` as a parent: the token is then minted to the requester, not to the hub.
    function fulfilledResult(uint256 jobId)
        external
        view
        returns (string memory resultCid, bytes32 resultHash, bytes32 modelId, uint256 inputWorkId);

    /// @notice The content of `outcome`, once any operator attested it (empty otherwise).
    function resultOf(bytes32 outcome) external view returns (Result memory);

    /// @notice The outcome `operator` attested for job `jobId`, or bytes32(0).
    function attestationOf(uint256 jobId, address operator) external view returns (bytes32 outcome);

    /// @notice The operators that attested job `jobId`, in order of arrival.
    function attestersOf(uint256 jobId) external view returns (address[] memory);

    /// @notice The operators that attested job `jobId` so far for `outcome`, in order of arrival.
    function agreeingOperators(uint256 jobId, bytes32 outcome) external view returns (address[] memory);

    /// @notice The operators of fulfilled job `jobId` that attested another outcome than the
    /// accepted one, and what they attested (empty while the job is not fulfilled).
    function dissentersOf(uint256 jobId)
        external
        view
        returns (address[] memory operators, bytes32[] memory outcomes);

    /// @notice The outcome key of a result: what agreeing attestations share.
    function outcomeOf(bytes32 resultHash, string calldata resultCid, bytes32 modelId)
        external
        pure
        returns (bytes32);

    /// @notice The EIP-712 digest an operator signs for `attestation` in this hub's domain.
    function attestationDigest(Attestation calldata attestation) external view returns (bytes32);

    /// @notice The fee a job of `kind` must at least pay: the larger of the global and the kind's minimum.
    function minFeeOf(bytes32 kind) external view returns (uint256);

    /// @notice Wei `account` can withdraw.
    function claimable(address account) external view returns (uint256);

    /// @notice Whether `account` is an operator.
    function isOperator(address account) external view returns (bool);

    /// @notice The current operators.
    function operators() external view returns (address[] memory);

    /// @notice Number of current operators.
    function operatorCount() external view returns (uint256);

    /// @notice The quorum k for jobs requested from now on.
    function quorum() external view returns (uint256);

    /// @notice Seconds operators have to fulfil a job requested from now on.
    function jobTimeout() external view returns (uint256);

    /// @notice Number of jobs requested so far (also the id of the newest).
    function jobCount() external view returns (uint256);

    /// @notice The counting bond of `operator`, in wei (what {minBond} is compared with).
    function bondOf(address operator) external view returns (uint256);

    /// @notice The wei `operator` asked to unbond and when it can withdraw them (0, 0: none).
    function unbondingOf(address operator) external view returns (uint256 amount, uint64 availableAt);

    /// @notice Whether `operator` was slashed for its dissent on job `jobId`.
    function slashedFor(uint256 jobId, address operator) external view returns (bool);

    /// @notice The counting bond an operator needs to attest, in wei.
    function minBond() external view returns (uint256);

    /// @notice Seconds an unbonding requested now waits before it can be withdrawn.
    function unbondingDelay() external view returns (uint256);
}
