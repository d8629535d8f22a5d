// Contract errors (decoded by name from the compiled ABIs) in words a user can act on.
import { BaseError, ContractFunctionRevertedError, UserRejectedRequestError, formatEther } from 'viem';

const pct = (bps: unknown) => `${Number(bps) / 100} %`;
const eth = (wei: unknown) => `${formatEther(BigInt(wei as bigint))} ETH`;

type Explain = (args: readonly unknown[]) => string;

const MESSAGES: Record<string, Explain> = {
  // ContentRegistry
  ContributorSharesDoNotSumToTotal: ([sum]) => `Contributor shares must add up to 100 %; they add up to ${pct(sum)}.`,
  ContentAlreadyRegistered: ([, workId]) => `This file is already registered (work ${workId}). Each recording or score can be registered once.`,
  InvalidContributorCount: ([count, max]) => `A work needs 1 to ${max} contributors; this one has ${count}.`,
  TooManyParents: ([count, max]) => `A work may name at most ${max} parent works; this one names ${count}.`,
  ContributorShareTooSmall: ([account, share]) => `The share of ${account} (${pct(share)}) is too small to receive anything after the upstream cut.`,
  UpstreamShareTooHigh: ([sum, max]) => `Parent works may receive at most ${pct(max)} together; this asks for ${pct(sum)}.`,
  RoyaltyTooHigh: ([bps, max]) => `The resale royalty may be at most ${pct(max)}; ${pct(bps)} was asked.`,
  WrongRegistrationFee: ([sent, required]) => `The registration fee is ${eth(required)} (the form sent ${eth(sent)}); reload to see the current fee.`,
  EmptyMetadataCid: () => 'The metadata was not uploaded to IPFS.',
  EmptyContentHash: () => 'No file was chosen for the work.',
  UnknownWork: ([workId]) => `There is no work ${workId}.`,
  NotWorkOwner: ([workId]) => `Only the owner of work ${workId} can do this.`,
  RegistrationNotCommitted: () => 'The registration was not committed first; the app commits and registers in two steps — try again.',
  CommitmentTooNew: ([, block]) => `The commitment is usable from block ${block}; wait a moment and register again.`,
  CommitmentExpired: () => 'The commitment expired; register again to make a new one.',
  CommitmentStillLive: () => 'A commitment for this file is still live; wait for it to be usable, then register.',
  ContentReservedForRequester: ([, requester]) => `This result is reserved for the job's requester ${requester}.`,
  // RoyaltySplitter
  NothingToWithdraw: () => 'There is nothing to withdraw in this token.',
  NothingToForward: () => 'There is nothing to forward upstream in this token.',
  NotARecipient: () => 'This account is not a recipient of that split.',
  ZeroDeposit: () => 'The amount must be more than zero.',
  PermitFailed: ([token]) => `The token ${token} did not accept the permit (expired, signed for another account, or the token has no EIP-2612): pay with approve instead.`,
  // AccessPass
  // (AccessPass and LicenseOffers share SoldOut and WrongPayment: one selector, one message.)
  SoldOut: ([, cap]) => `Sold out: all ${cap} passes or licences are sold.`,
  SaleEnded: () => 'Passes for this room are no longer sold.',
  WrongPayment: ([, sent, price]) => `The price is ${eth(price)}; ${eth(sent)} was sent (an ERC-20 price takes no ETH).`,
  AccountRevoked: () => 'This account’s pass to the room was revoked; it cannot buy another.',
  AlreadyRevoked: () => 'That pass is already revoked.',
  NotHost: () => 'Only the room’s host can do this.',
  InvalidWindow: () => 'The room must close after it opens.',
  WindowAlreadyOver: () => 'The room’s time window is already over.',
  UnknownHostSplit: () => 'The host split does not exist: pick one of your works.',
  ZeroSupplyCap: () => 'A room needs at least one pass.',
  // LicenseOffers
  UnknownOffer: ([offerId]) => `There is no licence offer ${offerId}.`,
  UnknownLicense: ([licenceId]) => `There is no licence ${licenceId}.`,
  InvalidRights: () => 'Tick at least one right for the licence.',
  EmptyTermsCid: () => 'The licence terms were not uploaded to IPFS.',
  OfferPaused: ([offerId]) => `Offer ${offerId} is paused: its work’s owner has stopped sales for now.`,
  PauseUnchanged: ([offerId, paused]) => `Offer ${offerId} is already ${paused ? 'paused' : 'on sale'}.`,
  TokenShortfall: ([, arrived, price]) => `Only ${arrived} of the price ${price} arrived: this token takes a fee on transfer and cannot pay for licences.`,
  NonTransferable: ([offerId]) => `Licences of offer ${offerId} cannot change hands.`,
  TooManyLicenses: ([, workId, max]) => `This account already holds the most licences of work ${workId} allowed (${max}).`,
  DerivativeNotLicensed: ([workId]) => `Work ${workId}’s owner requires a remix licence (with the derivative right) to derive from it; buy one on its page first.`,
  ZeroAddress: () => 'An address was left empty (the zero address).',
  PlatformFeeTooHigh: ([bps, max]) => `The platform fee may be at most ${pct(max)}; ${pct(bps)} was asked.`,
  NoPlatformFees: () => 'No platform fees in this token are waiting to be paid out.',
  FeeTransferFailed: ([treasury]) => `Sending the platform fees to the treasury ${treasury} failed.`,
  // Governor and token
  GovernorInsufficientProposerVotes: ([, votes, threshold]) => `You need ${formatEther(BigInt(threshold as bigint))} votes to propose; you have ${formatEther(BigInt(votes as bigint))}. Delegate to yourself first.`,
  GovernorAlreadyCastVote: () => 'You already voted on this proposal.',
  GovernorUnexpectedProposalState: () => 'The proposal is not in a state that allows this yet.',
  GovernorNonexistentProposal: () => 'There is no such proposal.',
  // OracleHub
  FeeBelowMinimum: ([fee, minimum]) => `The fee must be at least ${eth(minimum)}; ${eth(fee)} was offered.`,
  UnknownInputWork: ([workId]) => `There is no work ${workId} to use as input.`,
  EmptyInputCid: () => 'The job needs an input file.',
  InsufficientBond: () => 'The operator’s bond is below the minimum.',
  NotOperator: () => 'This account is not an oracle operator.',
};

export interface Explained { message: string; rejected: boolean }

export function explain(error: unknown): Explained {
  if (error instanceof BaseError) {
    const rejected = error.walk((cause) => cause instanceof UserRejectedRequestError || (cause as { code?: number }).code === 4001);
    if (rejected) return { message: 'You rejected the request in your wallet; nothing was sent. Your input is kept.', rejected: true };
    const reverted = error.walk((cause) => cause instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
    if (reverted?.data?.errorName) {
      const { errorName, args = [] } = reverted.data;
      const words = MESSAGES[errorName]?.(args) ?? `${errorName}(${args.map(String).join(', ')})`;
      return { message: `The contract refused: ${words}`, rejected: false };
    }
    if (reverted) return { message: `The contract refused: ${reverted.reason ?? reverted.shortMessage}`, rejected: false };
    return { message: error.shortMessage, rejected: false };
  }
  if ((error as { code?: number })?.code === 4001) {
    return { message: 'You rejected the request in your wallet; nothing was sent. Your input is kept.', rejected: true };
  }
  return { message: error instanceof Error ? error.message : String(error), rejected: false };
}
