// Files to and from IPFS: Kubo's RPC `add` (the project's `tutti ipfs serve` or a real Kubo node)
// and a path gateway for reading.
import type { AppConfig } from './config';

export class Ipfs {
  constructor(private readonly config: AppConfig) {}

  /** Add one file (CIDv1, raw leaves, pinned); return its CID. */
  async add(data: Blob, name = 'file'): Promise<string> {
    const form = new FormData();
    form.append('file', data, encodeURIComponent(name));
    let response: Response;
    try {
      response = await fetch(`${this.config.ipfsApiUrl}/api/v0/add?cid-version=1&pin=true`, { method: 'POST', body: form });
    } catch {
      throw new Error(`The IPFS service at ${this.config.ipfsApiUrl} cannot be reached; nothing was uploaded.`);
    }
    const text = await response.text();
    if (!response.ok) throw new Error(`IPFS refused the upload of ${name}: ${safeMessage(text)}`);
    const lines = text.trim().split('\n').map((line) => JSON.parse(line) as { Name: string; Hash: string });
    return lines[lines.length - 1].Hash;
  }

  async addJson(value: unknown, name = 'metadata.json'): Promise<string> {
    return this.add(new Blob([JSON.stringify(value, null, 2) + '\n'], { type: 'application/json' }), name);
  }

  /** A gateway URL for `ipfs://CID/path`, `/ipfs/CID/path` or a bare CID. */
  url(reference: string): string {
    const path = reference.replace(/^ipfs:\/\//, '').replace(/^\/?ipfs\//, '');
    return `${this.config.gatewayUrl}/ipfs/${path}`;
  }

  async bytes(reference: string): Promise<Uint8Array> {
    const response = await fetch(this.url(reference));
    if (!response.ok) throw new Error(`IPFS has no ${reference} (HTTP ${response.status})`);
    return new Uint8Array(await response.arrayBuffer());
  }

  async json<T>(reference: string): Promise<T> {
    const response = await fetch(this.url(reference));
    if (!response.ok) throw new Error(`IPFS has no ${reference} (HTTP ${response.status})`);
    return response.json() as Promise<T>;
  }

  /** Names and CIDs in a UnixFS directory (Kubo RPC `ls`). */
  async ls(cid: string): Promise<Array<{ Name: string; Hash: string; Size: number; Type: number }>> {
    const response = await fetch(`${this.config.ipfsApiUrl}/api/v0/ls?arg=${encodeURIComponent(cid)}`, { method: 'POST' });
    if (!response.ok) throw new Error(`IPFS cannot list ${cid}: ${safeMessage(await response.text())}`);
    const answer = await response.json() as { Objects: Array<{ Links: Array<{ Name: string; Hash: string; Size: number; Type: number }> }> };
    return answer.Objects[0]?.Links ?? [];
  }
}

function safeMessage(text: string): string {
  try { return JSON.parse(text).Message ?? text; } catch { return text.slice(0, 200); }
}

/** A work's metadata JSON as the app and the scripts write it (every field optional when read). */
export interface WorkMetadata {
  name?: string;
  artist?: string;
  description?: string;
  audio?: string;
  score?: string;
  image?: string;
  mimeType?: string;
  ai?: boolean;
  credits?: Record<string, string>;
  binaural?: string;
}
