// Wallets: any EIP-1193 provider announced through EIP-6963, plus (on local chains only) a
// development wallet that asks the local node to sign with its unlocked test accounts. The app
// never holds a private key.
import { LOCAL_CHAIN_IDS, type AppConfig } from './config';

export interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] | object }): Promise<unknown>;
  on?(event: string, listener: (...args: unknown[]) => void): void;
}

export interface WalletChoice {
  id: string;
  name: string;
  icon?: string;
  provider: Eip1193Provider;
  development: boolean;
}

interface AnnounceDetail { info: { uuid: string; name: string; icon: string; rdns: string }; provider: Eip1193Provider }

/** Collect wallets announced by EIP-6963 (and window.ethereum as a last resort). */
export function discoverWallets(onChange: (wallets: WalletChoice[]) => void): WalletChoice[] {
  const wallets: WalletChoice[] = [];
  window.addEventListener('eip6963:announceProvider', (event) => {
    const detail = (event as CustomEvent<AnnounceDetail>).detail;
    if (!detail?.provider || wallets.some((wallet) => wallet.id === detail.info.uuid)) return;
    wallets.push({ id: detail.info.uuid, name: detail.info.name, icon: detail.info.icon, provider: detail.provider, development: false });
    onChange([...wallets]);
  });
  window.dispatchEvent(new Event('eip6963:requestProvider'));
  const legacy = (window as unknown as { ethereum?: Eip1193Provider }).ethereum;
  if (legacy && !wallets.length) {
    wallets.push({ id: 'window.ethereum', name: 'Browser wallet', provider: legacy, development: false });
  }
  return wallets;
}

/** The development wallet: JSON-RPC to the local node, which signs for its unlocked accounts.
 * Offered only when the configured chain is a local one (anvil, Hardhat). */
export function developmentWallet(config: AppConfig): WalletChoice | null {
  if (!LOCAL_CHAIN_IDS.has(config.chainId) || !config.rpcUrl) return null;
  let selected: string | null = null;
  let nextId = 1;
  const rpc = async (method: string, params: unknown = []) => {
    const response = await fetch(config.rpcUrl, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
    });
    const answer = await response.json();
    if (answer.error) throw Object.assign(new Error(answer.error.message), answer.error);
    return answer.result;
  };
  const provider: Eip1193Provider = {
    async request({ method, params }) {
      if (method === 'eth_requestAccounts' || method === 'eth_accounts') {
        const accounts = await rpc('eth_accounts') as string[];
        const wanted = Number(localStorage.getItem('tutti.devAccount') || '0');
        selected = accounts[wanted] ?? accounts[0];
        return selected ? [selected] : [];
      }
      if (method === 'wallet_switchEthereumChain' || method === 'wallet_addEthereumChain') return null;
      return rpc(method, params ?? []);
    },
  };
  return { id: 'development', name: 'Development wallet (local test accounts — not for real funds)', provider, development: true };
}

export async function currentChainId(provider: Eip1193Provider): Promise<number> {
  return Number(await provider.request({ method: 'eth_chainId' }));
}

export async function switchChain(provider: Eip1193Provider, config: AppConfig): Promise<void> {
  const chainId = `0x${config.chainId.toString(16)}`;
  try {
    await provider.request({ method: 'wallet_switchEthereumChain', params: [{ chainId }] });
  } catch (error) {
    if ((error as { code?: number }).code !== 4902) throw error;
    await provider.request({
      method: 'wallet_addEthereumChain',
      params: [{ chainId, chainName: config.chainName, rpcUrls: [config.rpcUrl], nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 } }],
    });
  }
}
