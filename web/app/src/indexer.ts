// Reads from the indexer's HTTP API and follows its event stream (server-sent events).
import type { AppConfig } from './config';

export class IndexerUnavailable extends Error {}

export interface Page<T> { items: T[]; next_cursor: string | null }
export interface Contributor { account: string; share_bps: number; slot_start: number }
export interface Work {
  work_id: number; artist: string; owner: string; content_hash: string; metadata_cid: string; license: string;
  royalty_bps: number; split_id: number; wallet: string; wallet_deployed: boolean; registered_block: number;
  registered_tx: string;
  /** From the work's metadata JSON, as the indexer read it from IPFS (null until it has). */
  title: string | null; artist_name: string | null; ai: boolean | null;
  metadata_status: 'ok' | 'invalid' | 'retrying' | null; is_derivative: boolean;
}
export interface WorkDetail extends Work {
  contributors: Contributor[]; parents: Array<{ parent_work_id: number; share_bps: number }>;
  derivatives: number[]; received: Record<string, string>;
}
export interface IndexedEvent {
  event_id: number; block_number: number; tx_hash: string; name: string; contract: string;
  args: Record<string, unknown>;
}

export class Indexer {
  constructor(private readonly config: AppConfig) {}

  get url(): string { return this.config.indexerUrl; }

  async get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
    const suffix = params.toString() ? `?${params}` : '';
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}${suffix}`, { headers: { Accept: 'application/json' } });
    } catch {
      throw new IndexerUnavailable(`The indexer at ${this.url || '(not configured)'} cannot be reached. ` +
        'Lists and balances cannot be shown until it is back; anything you typed is kept.');
    }
    if (!response.ok) {
      let detail = response.statusText;
      try { detail = JSON.stringify((await response.json()).detail); } catch { /* keep the status text */ }
      throw new Error(`The indexer answered ${response.status} for ${path}: ${detail}`);
    }
    return response.json() as Promise<T>;
  }

  /** Every page of a list (follows next_cursor), up to `limit` items. */
  async all<T>(path: string, query: Record<string, string | number | undefined> = {}, limit = 5000): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.get<Page<T>>(path, { ...query, limit: 500, cursor });
      items.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor && items.length < limit);
    return items;
  }

  async indexedBlock(): Promise<number> {
    const health = await this.get<{ block_number: number | null }>('/health');
    return health.block_number ?? 0;
  }

  /** Resolve when the indexer has processed `block` (follows the stream, polls /health as a fallback). */
  async waitForBlock(block: bigint | number, timeoutMs = 30_000): Promise<void> {
    const target = Number(block);
    const deadline = Date.now() + timeoutMs;
    let unreachable = 0;
    while (Date.now() < deadline) {
      try {
        if ((await this.indexedBlock()) >= target) return;
        unreachable = 0;
      } catch (error) {
        // A restart is a blip; an indexer down for seconds will not show the change soon.
        if (error instanceof IndexerUnavailable && ++unreachable >= 5) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    throw new Error(`the indexer has not reached block ${target} after ${timeoutMs / 1000} s`);
  }
}

type Listener = (event: IndexedEvent) => void;

/** One EventSource for the whole app; pages subscribe while they are shown. */
export class LiveEvents {
  private source: EventSource | null = null;
  private readonly listeners = new Set<Listener>();
  onState: (connected: boolean) => void = () => {};

  constructor(private readonly url: string) {}

  /** Open the stream. EventSource hands `event: Name` messages only to listeners of that name,
   * so every event name the contracts declare gets one. */
  start(eventNames: string[]): void {
    if (this.source || !this.url) return;
    this.source = new EventSource(`${this.url}/stream`);
    this.source.onopen = () => this.onState(true);
    this.source.onerror = () => this.onState(false);
    this.source.onmessage = (message) => this.dispatch(message);
    for (const name of eventNames) this.source.addEventListener(name, (message) => this.dispatch(message as MessageEvent));
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private dispatch(message: MessageEvent): void {
    try {
      const event = JSON.parse(message.data) as IndexedEvent;
      for (const listener of this.listeners) listener(event);
    } catch { /* a malformed message is skipped */ }
  }
}
