// One work: metadata, player, contributors and shares, lineage, income by token, plays per
// usage epoch; pay or tip it; its licence offers (buy one; the owner creates and pauses them);
// its owner can update the metadata.
import { parseSignature, parseUnits, type Address } from 'viem';
import { busy, run, statusArea } from '../actions';
import { ETH, type App } from '../chain';
import type { WorkDetail } from '../indexer';
import type { WorkMetadata } from '../ipfs';
import { formatAmount, paymentTokens, percent, tokenInfo } from '../format';
import { append, field, h, input, notice, replace, select, table } from '../ui';
import { licenceSection } from './licences';
import { loadMetadata } from './works';

export async function renderWork(app: App, root: HTMLElement, [id]: string[]): Promise<void> {
  const workId = Number(id);
  const work = await app.indexer.get<WorkDetail>(`/works/${workId}`);
  const meta: WorkMetadata = (await loadMetadata(app, work.metadata_cid)) ?? {};
  const title = meta.name || `Work ${workId}`;
  replace(root, h('h1', {}, title));
  append(root,
    h('p', { class: 'byline' }, meta.artist ? `${meta.artist} · ` : '', 'registered by ', h('code', {}, work.artist),
      meta.ai ? h('span', { class: 'tag ai' }, 'AI-made') : null),
    meta.description ? h('p', {}, meta.description) : null,
    player(app, meta),
    details(work, meta),
    await lineage(app, work),
    await income(app, work),
    await plays(app, workId),
    payForm(app, work),
    await licenceSection(app, work),
    app.account && app.account.toLowerCase() === work.owner.toLowerCase() ? metadataForm(app, work, meta) : null,
  );
}

function player(app: App, meta: WorkMetadata): HTMLElement | null {
  const sources: Array<[string, string]> = [];
  if (meta.audio) sources.push(['Recording', meta.audio]);
  if (meta.binaural) sources.push(['Binaural render (headphones)', meta.binaural]);
  if (meta.score) sources.push(['Score', meta.score]);
  if (!sources.length) return null;
  // <audio> fetches with byte ranges from the gateway: playback starts before a large file is down.
  return h('section', { 'aria-labelledby': 'listen' }, h('h2', { id: 'listen' }, 'Listen'),
    ...sources.map(([label, reference]) => h('div', { class: 'player' },
      h('p', {}, label, ' · ', h('a', { href: app.ipfs.url(reference), download: '' }, 'download')),
      /\.mid|midi/i.test(reference) || (label === 'Score' && meta.mimeType === 'audio/midi') ? null
        : h('audio', { controls: true, preload: 'metadata', src: app.ipfs.url(reference), 'aria-label': label }))));
}

function details(work: WorkDetail, meta: WorkMetadata): HTMLElement {
  const credits = meta.credits ?? {};
  const roleOf = (account: string) => Object.entries(credits).find(([, who]) => who.toLowerCase() === account.toLowerCase())?.[0] ?? '';
  return h('section', { 'aria-labelledby': 'contributors' }, h('h2', { id: 'contributors' }, 'Contributors and shares'),
    table(['Account', 'Role', 'Share of income'], work.contributors.map((c) => [h('code', {}, c.account), roleOf(c.account), percent(c.share_bps)])),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Licence'), h('dd', {}, work.license),
      h('dt', {}, 'Resale royalty (EIP-2981)'), h('dd', {}, percent(work.royalty_bps)),
      h('dt', {}, 'Royalty wallet'), h('dd', {}, h('code', {}, work.wallet)),
      h('dt', {}, 'Owner'), h('dd', {}, h('code', {}, work.owner)),
      h('dt', {}, 'Metadata'), h('dd', {}, h('code', {}, work.metadata_cid))));
}

async function lineage(app: App, work: WorkDetail): Promise<HTMLElement> {
  const name = async (id: number) => (await loadMetadata(app, (await app.indexer.get<WorkDetail>(`/works/${id}`)).metadata_cid))?.name ?? `Work ${id}`;
  const parents = await Promise.all(work.parents.map(async (p) => h('li', {}, h('a', { href: `#/works/${p.parent_work_id}` }, await name(p.parent_work_id)), ` receives ${percent(p.share_bps)} upstream`)));
  const children = await Promise.all(work.derivatives.map(async (d) => h('li', {}, h('a', { href: `#/works/${d}` }, await name(d)))));
  return h('section', { 'aria-labelledby': 'lineage', class: 'lineage' }, h('h2', { id: 'lineage' }, 'Lineage'),
    h('div', { class: 'graph' },
      h('div', {}, h('h3', {}, 'Derived from'), parents.length ? h('ul', {}, ...parents) : h('p', {}, 'An original work.')),
      h('div', { class: 'self', 'aria-hidden': 'true' }, '→ this work →'),
      h('div', {}, h('h3', {}, 'Derivatives'), children.length ? h('ul', {}, ...children) : h('p', {}, 'None yet.'))));
}

async function income(app: App, work: WorkDetail): Promise<HTMLElement> {
  const rows = await Promise.all(Object.entries(work.received).map(async ([token, amount]) => [await formatAmount(app, token, amount)]));
  return h('section', { 'aria-labelledby': 'income' }, h('h2', { id: 'income' }, 'Income by token'),
    rows.length ? table(['Received by the split'], rows) : h('p', {}, 'No income yet.'));
}

async function plays(app: App, workId: number): Promise<HTMLElement> {
  const claims = await app.indexer.all<{ epoch: number; plays: number; amount?: string; token?: string }>(`/works/${workId}/usage`);
  return h('section', { 'aria-labelledby': 'plays' }, h('h2', { id: 'plays' }, 'Plays per usage epoch'),
    claims.length ? table(['Epoch', 'Plays'], claims.map((c) => [String(c.epoch), String(c.plays)])) : h('p', {}, 'No settled plays yet.'));
}

function payForm(app: App, work: WorkDetail): HTMLElement {
  const token = select(paymentTokens(app), { name: 'token' });
  const amount = input({ name: 'amount', inputmode: 'decimal', required: true, placeholder: '0.1' });
  const method = select([['permit', 'Sign a permit, then one transaction (EIP-2612)'], ['approve', 'Approve, then pay (two transactions)']], { name: 'authorise' });
  const methodField = field('Authorise the token with', method, 'A permit is a signature, not a transaction: no gas for the approval.');
  const showMethod = () => { methodField.hidden = token.value === ETH; };
  token.addEventListener('change', showMethod);
  showMethod();
  const status = statusArea();
  const submit = h('button', { type: 'submit' }, 'Pay');
  const form = h('form', { class: 'card', 'aria-labelledby': 'pay' }, h('h2', { id: 'pay' }, 'Pay or tip this work'),
    h('p', {}, 'The payment goes to the work’s split; each contributor (and any parent work) can withdraw their share.'),
    field('Token', token), field('Amount', amount), methodField, submit, status);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void busy(submit, async () => {
      const { decimals, symbol } = await tokenInfo(app, token.value);
      let value: bigint;
      try { value = parseUnits(amount.value.trim(), decimals); } catch { replace(status, notice('error', `“${amount.value}” is not an amount of ${symbol}.`)); return; }
      if (value <= 0n) { replace(status, notice('error', 'The amount must be more than zero.')); return; }
      const splitId = BigInt(work.split_id);
      const tokenAddress = token.value as Address;
      const steps = token.value === ETH
        ? [{ contract: 'RoyaltySplitter' as const, functionName: 'depositETH', args: [splitId], value }]
        : method.value === 'permit' ? [(report: (text: string) => void) => payWithPermit(app, splitId, tokenAddress, value, report)]
        : [{ contract: 'TestToken' as const, address: tokenAddress, functionName: 'approve', args: [app.address('RoyaltySplitter'), value] },
           { contract: 'RoyaltySplitter' as const, functionName: 'deposit', args: [splitId, token.value, value] }];
      if (await run(app, status, steps, `Paid ${amount.value} ${symbol} to “work ${work.work_id}”. Thank you!`)) amount.value = '';
    })();
  });
  return form;
}

/** EIP-2612: the payer signs a Permit (owner, spender, value, nonce, deadline) for the splitter in
 * the token's EIP-712 domain, then `depositWithPermit` uses it and pays in the same transaction. */
async function payWithPermit(app: App, splitId: bigint, token: Address, value: bigint, report: (text: string) => void): Promise<void> {
  if (!app.walletClient || !app.account) throw new Error('Connect a wallet first (button at the top of the page).');
  const owner = app.account;
  const spender = app.address('RoyaltySplitter');
  // EIP-5267 gives the token's own domain (name and version), so nothing is guessed.
  const [[, name, version, chainId], nonce, block] = await Promise.all([
    app.read<readonly [string, string, string, bigint]>('TestToken', 'eip712Domain', [], token),
    app.read<bigint>('TestToken', 'nonces', [owner], token),
    app.publicClient.getBlock(),
  ]);
  const deadline = block.timestamp + 3600n; // the chain's clock, not this computer's
  report('Sign the permit in your wallet (a signature, not a transaction)…');
  const signature = await app.walletClient.signTypedData({
    account: owner,
    domain: { name, version, chainId: Number(chainId), verifyingContract: token },
    types: { Permit: [{ name: 'owner', type: 'address' }, { name: 'spender', type: 'address' }, { name: 'value', type: 'uint256' },
      { name: 'nonce', type: 'uint256' }, { name: 'deadline', type: 'uint256' }] },
    primaryType: 'Permit',
    message: { owner, spender, value, nonce, deadline },
  });
  const { r, s, v, yParity } = parseSignature(signature);
  await app.send({ contract: 'RoyaltySplitter', functionName: 'depositWithPermit',
    args: [splitId, token, value, deadline, Number(v ?? BigInt(yParity + 27)), r, s] }, (_stage, detail) => report(detail));
}

function metadataForm(app: App, work: WorkDetail, meta: WorkMetadata): HTMLElement {
  const title = input({ name: 'title', value: meta.name ?? '', required: true });
  const description = h('textarea', { name: 'description', rows: 3 }, meta.description ?? '');
  const status = statusArea();
  const submit = h('button', { type: 'submit' }, 'Save metadata');
  const form = h('form', { class: 'card metadata', 'aria-labelledby': 'update-metadata' }, h('h2', { id: 'update-metadata' }, 'Update metadata (owner)'),
    field('Title', title), field('Description', description), submit, status);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void busy(submit, async () => {
      const saved = await run(app, status, [async (report) => {
        report('Uploading the new metadata to IPFS…');
        const cid = await app.ipfs.addJson({ ...meta, name: title.value.trim(), description: description.value.trim() });
        await app.send({ contract: 'ContentRegistry', functionName: 'setMetadataCid', args: [BigInt(work.work_id), cid] }, (_s, d) => report(d));
      }], 'Metadata updated.');
      if (saved) window.dispatchEvent(new HashChangeEvent('hashchange')); // re-render: the new metadata, read back
    })();
  });
  return form;
}
