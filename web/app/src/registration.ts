// Registering a work: commit, then register in a later block (the ContentRegistry's front-running
// guard: commitment = keccak256(abi.encode(registrant, contentHash))). One function, used by the
// register page and by "register this result as a derivative" on the jobs page.
import { encodeAbiParameters, keccak256, parseEventLogs, type Address, type Hex } from 'viem';
import { ABIS, hasFunction, type App } from './chain';

export interface Registration {
  metadataCid: string;
  contentHash: Hex;
  license: string;
  royaltyBps: number;
  contributors: Array<{ account: Address; shareBps: number }>;
  parents: Array<{ workId: bigint; shareBps: number }>;
}

export interface Registered { workId: bigint; splitId: bigint; wallet: Address; txHash: Hex }

export function registrationCommitment(registrant: Address, contentHash: Hex): Hex {
  return keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'bytes32' }], [registrant, contentHash]));
}

/** Whether the deployed registry (as compiled into this app) wants a commitment first. */
export const needsCommitment = () => hasFunction('ContentRegistry', 'commitRegistration');

export async function registerWork(app: App, registration: Registration, report: (text: string) => void): Promise<Registered> {
  if (!app.account) throw new Error('Connect a wallet first (button at the top of the page).');
  const fee = await app.read<bigint>('ContentRegistry', 'registrationFee');
  if (needsCommitment()) {
    report('Step 1 of 2: commit to the file (hides it from front-runners until it is registered)…');
    await app.send({ contract: 'ContentRegistry', functionName: 'commitRegistration',
      args: [registrationCommitment(app.account, registration.contentHash)] }, (_stage, detail) => report(`Step 1 of 2: ${detail}`));
    // The register transaction lands in a later block than the commitment, as the registry
    // requires; App.send simulates it against the pending block, where that already holds.
  }
  const receipt = await app.send({ contract: 'ContentRegistry', functionName: 'register', args: [registration], value: fee },
    (_stage, detail) => report(needsCommitment() ? `Step 2 of 2: ${detail}` : detail));
  const [event] = parseEventLogs({ abi: ABIS.ContentRegistry, logs: receipt.logs, eventName: 'WorkRegistered' }) as unknown as
    Array<{ args: { workId: bigint; splitId: bigint; wallet: Address } }>;
  return { workId: event.args.workId, splitId: event.args.splitId, wallet: event.args.wallet, txHash: receipt.transactionHash };
}

