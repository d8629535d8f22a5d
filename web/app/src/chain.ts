// Chain access with viem: reads over the configured RPC, writes signed by the connected wallet.
// Every write is simulated first, so a revert is explained before anything is signed.
import {
  createPublicClient, createWalletClient, custom, defineChain, http,
  type Abi, type Address, type Hash, type PublicClient, type TransactionReceipt, type WalletClient,
} from 'viem';
import * as abis from './generated/abis';
import type { AppConfig } from './config';
import { explain } from './errors';
import { Indexer, IndexerUnavailable, LiveEvents } from './indexer';
import { Ipfs } from './ipfs';
import { currentChainId, switchChain, type WalletChoice } from './wallet';

export type ContractName = 'ContentRegistry' | 'RoyaltySplitter' | 'TuttiToken' | 'TuttiGovernor' | 'TuttiTimelock'
  | 'AccessPass' | 'OracleHub' | 'UsageRoyalties' | 'TestToken' | 'LicenseOffers';

export const ABIS = abis as unknown as Record<string, Abi>;
export const ETH: Address = '0x0000000000000000000000000000000000000000';

/** Every error and event any of our contracts declares: viem decodes reverts from nested calls too. */
const ALL_ERRORS: Abi = Object.values(ABIS).flatMap((abi) => abi.filter((item) => item.type === 'error'));

export function hasFunction(contract: ContractName, name: string): boolean {
  return ABIS[contract].some((item) => item.type === 'function' && item.name === name);
}

export function eventNames(): string[] {
  return [...new Set(Object.values(ABIS).flatMap((abi) => abi.filter((item) => item.type === 'event').map((item) => (item as { name: string }).name)))];
}

export type Progress = (stage: 'sign' | 'pending' | 'mined' | 'indexed', detail: string) => void;

export interface Write {
  contract: ContractName;
  functionName: string;
  args?: readonly unknown[];
  value?: bigint;
  address?: Address;
}

export class App {
  readonly publicClient: PublicClient;
  readonly indexer: Indexer;
  readonly ipfs: Ipfs;
  readonly live: LiveEvents;
  wallet: WalletChoice | null = null;
  walletClient: WalletClient | null = null;
  account: Address | null = null;
  walletChainId: number | null = null;
  /** Set when the last write was mined but the indexer could not confirm it (shown with the success). */
  indexerLag: string | null = null;
  onAccountChange: () => void = () => {};

  constructor(readonly config: AppConfig) {
    const chain = defineChain({
      id: config.chainId, name: config.chainName,
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [config.rpcUrl] } },
    });
    this.publicClient = createPublicClient({ chain, transport: http(config.rpcUrl) }) as PublicClient;
    this.indexer = new Indexer(config);
    this.ipfs = new Ipfs(config);
    this.live = new LiveEvents(config.indexerUrl);
  }

  address(name: ContractName | string): Address {
    const address = this.config.contracts[name] ?? this.config.extras[name];
    if (!address) throw new Error(`this deployment has no ${name} (check config.json)`);
    return address;
  }

  async read<T>(contract: ContractName, functionName: string, args: readonly unknown[] = [], address?: Address): Promise<T> {
    return await this.publicClient.readContract({
      address: address ?? this.address(contract), abi: ABIS[contract], functionName, args,
    } as never) as T;
  }

  async connect(choice: WalletChoice): Promise<void> {
    const accounts = await choice.provider.request({ method: 'eth_requestAccounts' }) as Address[];
    if (!accounts.length) throw new Error(`${choice.name} shared no account`);
    this.wallet = choice;
    this.account = accounts[0];
    this.walletChainId = await currentChainId(choice.provider);
    this.walletClient = createWalletClient({ account: this.account, chain: this.publicClient.chain, transport: custom(choice.provider) });
    choice.provider.on?.('accountsChanged', (...args: unknown[]) => {
      const next = (args[0] as Address[] | undefined)?.[0] ?? null;
      this.account = next;
      if (next && this.wallet) this.walletClient = createWalletClient({ account: next, chain: this.publicClient.chain, transport: custom(this.wallet.provider) });
      this.onAccountChange();
    });
    choice.provider.on?.('chainChanged', (chainId: unknown) => { this.walletChainId = Number(chainId); this.onAccountChange(); });
    this.onAccountChange();
  }

  get wrongChain(): boolean {
    return this.walletChainId !== null && this.walletChainId !== this.config.chainId;
  }

  async switchToConfiguredChain(): Promise<void> {
    if (!this.wallet) return;
    await switchChain(this.wallet.provider, this.config);
    this.walletChainId = await currentChainId(this.wallet.provider);
    this.onAccountChange();
  }

  /** Simulate, ask the wallet to sign, wait for the block, then for the indexer to have it. */
  async send(write: Write, progress: Progress): Promise<TransactionReceipt> {
    if (!this.walletClient || !this.account) throw new Error('Connect a wallet first (button at the top of the page).');
    if (this.wrongChain) throw new Error(`Your wallet is on chain ${this.walletChainId}; switch it to ${this.config.chainName} (${this.config.chainId}) first.`);
    const abi = [...ABIS[write.contract], ...ALL_ERRORS] as Abi;
    const { request } = await this.publicClient.simulateContract({
      account: this.account, address: write.address ?? this.address(write.contract), abi,
      functionName: write.functionName, args: write.args ?? [], value: write.value,
      // pending: the state the transaction will meet (e.g. a commitment from the block just mined)
      blockTag: 'pending',
    } as never);
    progress('sign', `Confirm “${write.functionName}” in your wallet…`);
    const hash: Hash = await this.walletClient.writeContract(request as never);
    progress('pending', `Transaction ${hash} sent, waiting for a block…`);
    const receipt = await this.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') throw new Error(`Transaction ${hash} reverted in block ${receipt.blockNumber}.`);
    progress('mined', `Mined in block ${receipt.blockNumber}; waiting for the indexer…`);
    this.indexerLag = null;
    try {
      await this.indexer.waitForBlock(receipt.blockNumber);
      progress('indexed', `Done: block ${receipt.blockNumber} is indexed.`);
    } catch (error) {
      const why = error instanceof IndexerUnavailable ? `the indexer at ${this.config.indexerUrl} cannot be reached` : 'the indexer has not caught up yet';
      this.indexerLag = `Mined in block ${receipt.blockNumber}, but ${why}: lists will show it later.`;
      progress('indexed', this.indexerLag);
    }
    return receipt;
  }
}

export { explain };
