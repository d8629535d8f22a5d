// Where the app finds the chain, the indexer and IPFS. Read from ./config.json next to the page
// (written by the platform command), then from what the user saved on the settings page.

export interface AppConfig {
  chainId: number;
  chainName: string;
  rpcUrl: string;
  indexerUrl: string;
  ipfsApiUrl: string;
  gatewayUrl: string;
  jamPage?: string;
  contracts: Record<string, `0x${string}`>;
  extras: Record<string, `0x${string}`>;
}

const STORAGE_KEY = 'tutti.settings';

export const LOCAL_CHAIN_IDS = new Set([31337, 1337]);

export async function loadConfig(): Promise<AppConfig> {
  let fromFile: Partial<AppConfig> = {};
  try {
    const response = await fetch('./config.json', { cache: 'no-store' });
    if (response.ok) fromFile = await response.json();
  } catch {
    // no config.json: the settings page is the only source
  }
  const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || '{}') as Partial<AppConfig>;
  const config = { chainId: 31337, chainName: 'Local chain', rpcUrl: '', indexerUrl: '', ipfsApiUrl: '',
    gatewayUrl: '', contracts: {}, extras: {}, ...fromFile, ...saved } as AppConfig;
  for (const key of ['rpcUrl', 'indexerUrl', 'ipfsApiUrl', 'gatewayUrl'] as const) {
    config[key] = config[key].replace(/\/+$/, '');
  }
  return config;
}

export function saveSettings(settings: Partial<AppConfig>): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(settings));
}

export function savedSettings(): Partial<AppConfig> {
  return JSON.parse(localStorage.getItem(STORAGE_KEY) || '{}');
}
