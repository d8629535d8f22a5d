import { formatUnits, type Address } from 'viem';
import type { App } from './chain';
import { ETH } from './chain';

const known = new Map<string, { symbol: string; decimals: number }>();

/** Symbol and decimals of a token (ETH for the zero address), read once from the chain. */
export async function tokenInfo(app: App, token: string): Promise<{ symbol: string; decimals: number }> {
  const key = token.toLowerCase();
  if (key === ETH) return { symbol: 'ETH', decimals: 18 };
  if (!known.has(key)) {
    try {
      const [symbol, decimals] = await Promise.all([
        app.read<string>('TestToken', 'symbol', [], token as Address),
        app.read<number>('TestToken', 'decimals', [], token as Address),
      ]);
      known.set(key, { symbol, decimals: Number(decimals) });
    } catch {
      known.set(key, { symbol: `${token.slice(0, 8)}…`, decimals: 18 });
    }
  }
  return known.get(key)!;
}

export async function formatAmount(app: App, token: string, amount: bigint | string): Promise<string> {
  const { symbol, decimals } = await tokenInfo(app, token);
  return `${formatUnits(BigInt(amount), decimals)} ${symbol}`;
}

export const percent = (bps: number) => `${(bps / 100).toLocaleString('en', { maximumFractionDigits: 2 })} %`;

export function duration(seconds: number): string {
  if (seconds <= 0) return 'now';
  const hours = Math.floor(seconds / 3600), minutes = Math.floor((seconds % 3600) / 60);
  return hours ? `${hours} h ${minutes} min` : minutes ? `${minutes} min` : `${seconds} s`;
}

/** Tokens the app offers for payments: ETH and the deployment's extras that are ERC-20s. */
export function paymentTokens(app: App): Array<[string, string]> {
  const tokens: Array<[string, string]> = [[ETH, 'ETH']];
  for (const [name, address] of Object.entries(app.config.extras)) tokens.push([address, name]);
  return tokens;
}
