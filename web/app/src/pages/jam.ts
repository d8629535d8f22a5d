// A room's jam session inside the app: the room's media node is found in the indexer's room
// directory and its own jam client (WebRTC, binaural mix, stage) runs in a frame, signing in with
// the app's connected wallet through a postMessage bridge. The node's API is same-origin for its
// client only (it sends no CORS headers), so the client runs on the node's origin, framed here.
import type { App } from '../chain';
import { h, notice, replace } from '../ui';

interface MediaNode { url: string; expires_at: number }

/** What the framed jam client may ask the app's wallet: the account, the chain, and a SIWE signature. */
const BRIDGED = new Set(['eth_requestAccounts', 'eth_accounts', 'eth_chainId', 'personal_sign']);
let bridge: ((event: MessageEvent) => void) | null = null;

export async function renderJam(app: App, root: HTMLElement, [id]: string[]): Promise<void> {
  const roomId = Number(id);
  replace(root, h('h1', {}, `Jam session · room ${roomId}`));
  const nodes = await app.indexer.get<MediaNode[]>(`/rooms/${roomId}/media-nodes`);
  const roomsPage = `${location.href.split('#')[0]}#/rooms`;
  if (!nodes.length) {
    root.append(notice('info', 'No media node serves this room right now. ', h('a', { href: '#/rooms' }, 'Back to the rooms.')));
    return;
  }
  const node = new URL(nodes[0].url);
  const status = h('p', { class: 'jam-state', role: 'status', 'data-jam': 'idle' },
    app.account ? 'Press “Join and play” below: your wallet signs the node’s sign-in message (no transaction, no fee).'
      : 'Connect a wallet (top of the page) to sign in to the session.');
  const help = h('div', { class: 'notice error', role: 'alert', hidden: true },
    'The node refused you: this room needs an access pass held by your account. ',
    h('a', { href: `#/rooms`, 'data-buy-pass': roomId }, `Buy a pass for room ${roomId}`), ', then come back and join.');
  const frame = h('iframe', {
    src: `${node.origin}/?room=${roomId}&pass=${encodeURIComponent(roomsPage)}`,
    title: `Jam session of room ${roomId} on ${node.host}`, allow: 'microphone; autoplay', class: 'jam',
  });
  if (bridge) window.removeEventListener('message', bridge);
  bridge = (event: MessageEvent) => void answer(app, event, frame, node, status, help);
  window.addEventListener('message', bridge);
  root.append(
    h('p', {}, 'Served by the media node ', h('code', {}, node.origin), ' from the room directory. ',
      'You sign in with the wallet connected to this app; the node checks your pass on chain.'),
    status, help, frame);
}

async function answer(app: App, event: MessageEvent, frame: HTMLIFrameElement, node: URL, status: HTMLElement, help: HTMLElement): Promise<void> {
  if (event.source !== frame.contentWindow || event.origin !== node.origin) return;
  const data = event.data as { type?: string; id?: number; method?: string; params?: unknown[]; joined?: boolean; refused?: number; address?: string };
  if (data.type === 'tutti-jam-state') {
    status.dataset.jam = data.joined ? 'joined' : data.refused ? 'refused' : 'idle';
    replace(status, data.joined ? `Connected: you are in the session as ${data.address}.` : data.refused ? `Refused (${data.refused}).` : '');
    help.hidden = data.refused !== 403;
    return;
  }
  if (data.type !== 'tutti-wallet' || typeof data.id !== 'number') return;
  const reply = (body: object) => frame.contentWindow?.postMessage({ type: 'tutti-wallet-result', id: data.id, ...body }, node.origin);
  try {
    if (!BRIDGED.has(data.method ?? '')) throw Object.assign(new Error(`the app does not relay ${data.method}`), { code: 4200 });
    if (!app.wallet || !app.account) {
      if (data.method === 'eth_requestAccounts' || data.method === 'eth_accounts') { reply({ result: [] }); return; }
      throw Object.assign(new Error('connect a wallet in the app first'), { code: 4100 });
    }
    if (data.method === 'personal_sign') checkSignIn(String(data.params?.[0] ?? ''), node);
    if (data.method === 'eth_requestAccounts' || data.method === 'eth_accounts') { reply({ result: [app.account] }); return; }
    reply({ result: await app.wallet.provider.request({ method: data.method!, params: data.params ?? [] }) });
  } catch (error) {
    const { message, code } = error as { message?: string; code?: number };
    reply({ error: { message: message ?? String(error), code } });
  }
}

/** Only a sign-in message for the framed node is relayed (so the frame cannot ask for other signatures). */
function checkSignIn(hexMessage: string, node: URL): void {
  const bytes = hexMessage.replace(/^0x/, '').match(/../g)?.map((byte) => parseInt(byte, 16)) ?? [];
  const text = new TextDecoder().decode(new Uint8Array(bytes));
  if (!text.startsWith(`${node.host} wants you to sign in with your Ethereum account:`)) {
    throw Object.assign(new Error(`not a sign-in message for ${node.host}`), { code: 4100 });
  }
}
