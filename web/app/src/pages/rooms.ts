// Live-session rooms: create one (a soulbound ERC-1155 pass paying one of your works' splits),
// buy a pass, see your passes' status, revoke a pass as host, and join the jam on the room's
// media node (found in the indexer's room directory): in the app (#/jam/<room>, same wallet) or on
// the node's own page.
import { formatEther, isAddress, parseEther, parseEventLogs } from 'viem';
import { busy, run, statusArea } from '../actions';
import { ABIS, type App } from '../chain';
import type { Work } from '../indexer';
import { field, h, input, notice, replace, select, shortAddress } from '../ui';

interface Room { room_id: number; host: string; host_split_id: number; price: string; supply_cap: number; sold: number; valid_from: number; valid_until: number; transferable: boolean; metadata_cid: string; phase: string }
interface HeldPass { room_id: number; balance: number; revoked: boolean; valid_now: boolean; phase: string; valid_until: number }
interface MediaNode { url: string; expires_at: number }

const when = (seconds: number) => new Date(seconds * 1000).toLocaleString();

export async function renderRooms(app: App, root: HTMLElement): Promise<void> {
  replace(root, h('h1', {}, 'Live-session rooms'));
  const [rooms, passes] = await Promise.all([
    app.indexer.all<Room>('/rooms'),
    app.account ? app.indexer.all<HeldPass>('/passes', { holder: app.account }) : Promise.resolve([] as HeldPass[]),
  ]);
  const mine = new Map(passes.map((pass) => [pass.room_id, pass]));
  const list = h('div', { class: 'rooms' });
  for (const room of [...rooms].reverse()) list.append(await roomCard(app, room, mine.get(room.room_id), root));
  root.append(list.childElementCount ? list : h('p', {}, 'No rooms yet.'), await createForm(app, root));
}

async function roomCard(app: App, room: Room, pass: HeldPass | undefined, root: HTMLElement): Promise<HTMLElement> {
  let title = `Room ${room.room_id}`;
  try { title = (await app.ipfs.json<{ name?: string }>(room.metadata_cid)).name ?? title; } catch { /* untitled */ }
  const status = statusArea();
  const nodes = await app.indexer.get<MediaNode[]>(`/rooms/${room.room_id}/media-nodes`).catch(() => [] as MediaNode[]);
  const isHost = app.account?.toLowerCase() === room.host.toLowerCase();
  const passText = !app.account ? 'Connect a wallet to buy a pass.' : !pass ? 'You have no pass.'
    : pass.revoked ? 'Your pass was revoked.' : pass.valid_now ? 'Your pass is valid now.' : `You hold a pass (room ${pass.phase}).`;
  const buy = h('button', { type: 'button', disabled: !app.account || room.phase === 'over' || room.sold >= room.supply_cap }, `Buy a pass for ${formatEther(BigInt(room.price))} ETH`);
  buy.addEventListener('click', busy(buy, async () => {
    if (await run(app, status, [{ contract: 'AccessPass', functionName: 'buyPass', args: [BigInt(room.room_id), app.account], value: BigInt(room.price) }], 'Pass bought.')) await renderRooms(app, root);
  }));
  const host: HTMLElement[] = [];
  if (isHost) {
    const who = input({ name: 'revoke-account', placeholder: '0x…', spellcheck: 'false' });
    const revoke = h('button', { type: 'submit' }, 'Revoke pass');
    const form = h('form', { class: 'inline' }, field('Revoke the pass of', who), revoke);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!isAddress(who.value.trim())) { replace(status, notice('error', `“${who.value}” is not an address.`)); return; }
      void busy(revoke, async () => {
        const account = who.value.trim();
        if (await run(app, status, [{ contract: 'AccessPass', functionName: 'revoke', args: [BigInt(room.room_id), account] }], `Revoked the pass of ${account}.`)) {
          who.value = '';
          status.dataset.revoked = account;
        }
      })();
    });
    host.push(form);
  }
  return h('article', { class: 'card room', 'data-room': room.room_id },
    h('h2', {}, title),
    h('p', {}, `Host ${shortAddress(room.host)} · ${room.phase} · ${room.sold} of ${room.supply_cap} passes sold · ${room.transferable ? 'transferable' : 'soulbound'}`),
    h('p', {}, `Open ${when(room.valid_from)} – ${when(room.valid_until)}`),
    h('p', { class: 'pass-status', 'data-pass': pass ? (pass.revoked ? 'revoked' : pass.valid_now ? 'valid' : 'held') : 'none' }, passText),
    buy,
    nodes.length ? h('p', {}, h('a', { href: `#/jam/${room.room_id}`, class: 'join-jam' }, 'Join the jam session'),
      ' (or the node’s own page: ', ...nodes.map((node) => h('a', { href: node.url + '/', rel: 'noopener' }, `join on ${new URL(node.url).host}`)), ')')
      : h('p', {}, 'No media node serves this room right now.'),
    ...host, status);
}

async function createForm(app: App, root: HTMLElement): Promise<HTMLElement> {
  const form = h('form', { class: 'card', 'aria-labelledby': 'create-room' }, h('h2', { id: 'create-room' }, 'Create a room'));
  if (!app.account) { form.append(notice('info', 'Connect a wallet to host a room.')); return form; }
  const works = await app.indexer.all<Work>('/works', { artist: app.account });
  if (!works.length) { form.append(notice('info', 'Sales pay one of your works’ splits: register a work first.')); return form; }
  const name = input({ name: 'room-name', required: true });
  const split = select(works.map((work) => [String(work.split_id), `work ${work.work_id} (split ${work.split_id})`]), { name: 'host-split' });
  const price = input({ name: 'price', value: '0.05', inputmode: 'decimal' });
  const cap = input({ name: 'cap', type: 'number', min: 1, value: '100' });
  const hours = input({ name: 'hours', type: 'number', min: 1, value: '3' });
  const transferable = input({ type: 'checkbox', name: 'transferable', id: 'room-transferable' });
  const status = statusArea();
  const submit = h('button', { type: 'submit' }, 'Create room');
  form.append(field('Name', name), field('Sales pay the split of', split), field('Price per pass (ETH)', price), field('Passes for sale', cap),
    field('Open for (hours from now)', hours), h('div', { class: 'field check' }, transferable, h('label', { for: 'room-transferable' }, 'Passes may be transferred')), submit, status);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    let wei: bigint;
    try { wei = parseEther(price.value.trim()); } catch { replace(status, notice('error', `“${price.value}” is not an amount of ETH.`)); return; }
    if (!name.value.trim()) { replace(status, notice('error', 'Name the room.')); return; }
    void busy(submit, () => run(app, status, [async (report) => {
      report('Uploading the room’s description to IPFS…');
      const metadataCid = await app.ipfs.addJson({ name: name.value.trim() }, 'room.json');
      const now = BigInt((await app.publicClient.getBlock()).timestamp);
      const receipt = await app.send({ contract: 'AccessPass', functionName: 'createRoom', args: [wei, Number(cap.value), now, now + BigInt(Number(hours.value) * 3600), transferable.checked, BigInt(split.value), metadataCid] }, (_s, d) => report(d));
      const [created] = parseEventLogs({ abi: ABIS.AccessPass, logs: receipt.logs, eventName: 'RoomCreated' }) as unknown as Array<{ args: { roomId: bigint } }>;
      report(`Room ${created?.args.roomId ?? ''} created.`);
      await renderRooms(app, root);
    }], 'Room created.'))();
  });
  return form;
}
