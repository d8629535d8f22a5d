// Register a work: files to IPFS, metadata JSON, the fee and the resulting split shown before
// signing, then commit + register, then the new work once the indexer has it.
import { formatEther, isAddress, keccak256, type Address } from 'viem';
import { busy, statusArea } from '../actions';
import { explain, type App } from '../chain';
import { percent } from '../format';
import { registerWork, needsCommitment } from '../registration';
import { button, field, h, input, notice, replace, select, table } from '../ui';

export const LICENCES: Array<[string, string]> = [
  ['CC-BY-4.0', 'CC BY 4.0 (credit)'], ['CC-BY-SA-4.0', 'CC BY-SA 4.0 (credit, share alike)'],
  ['CC-BY-NC-4.0', 'CC BY-NC 4.0 (credit, non-commercial)'], ['CC0-1.0', 'CC0 (public domain)'],
  ['All-Rights-Reserved', 'All rights reserved'],
];

interface Row { element: HTMLElement; a: HTMLInputElement; b: HTMLInputElement; role?: HTMLInputElement }

export async function renderRegister(app: App, root: HTMLElement): Promise<void> {
  const file = input({ type: 'file', name: 'file', required: true, accept: 'audio/*,.mid,.midi,.musicxml,.xml,.pdf' });
  const cover = input({ type: 'file', name: 'cover', accept: 'image/*' });
  const title = input({ name: 'title', required: true, autocomplete: 'off' });
  const artistName = input({ name: 'artist', autocomplete: 'off' });
  const description = h('textarea', { name: 'description', rows: 3 });
  const licence = select(LICENCES, { name: 'licence' });
  const royalty = input({ name: 'royalty', type: 'number', min: 0, max: 25, step: '0.01', value: '10' });
  const aiMade = input({ type: 'checkbox', name: 'ai' });
  const contributors = h('div', { class: 'rows', id: 'contributors' });
  const parents = h('div', { class: 'rows', id: 'parents' });
  const contributorRows: Row[] = [];
  const parentRows: Row[] = [];
  const preview = h('div', { class: 'preview', 'aria-live': 'polite' });
  const status = statusArea();
  const submit = h('button', { type: 'submit' }, 'Review done — sign and register');

  const addContributor = (account = '', share = '') => {
    const a = input({ name: 'contributor-account', value: account, placeholder: '0x…', autocomplete: 'off', spellcheck: 'false' });
    const role = input({ name: 'contributor-role', placeholder: 'e.g. vocals' });
    const b = input({ name: 'contributor-share', type: 'number', min: 0.01, max: 100, step: '0.01', value: share });
    const n = contributorRows.length + 1;
    const element = h('fieldset', { class: 'row' }, h('legend', {}, `Contributor ${n}`), field('Address', a), field('Role', role), field('Share (%)', b),
      button('Remove', () => { contributorRows.splice(contributorRows.findIndex((r) => r.element === element), 1); element.remove(); update(); }, { 'aria-label': `Remove contributor ${n}` }));
    contributorRows.push({ element, a, b, role });
    contributors.appendChild(element);
    for (const control of [a, b]) control.addEventListener('input', update);
  };
  const addParent = (work = '', share = '') => {
    const a = input({ name: 'parent-work', type: 'number', min: 1, value: work });
    const b = input({ name: 'parent-share', type: 'number', min: 0.01, max: 50, step: '0.01', value: share });
    const n = parentRows.length + 1;
    const element = h('fieldset', { class: 'row' }, h('legend', {}, `Parent work ${n}`), field('Work number', a), field('Upstream share (%)', b),
      button('Remove', () => { parentRows.splice(parentRows.findIndex((r) => r.element === element), 1); element.remove(); update(); }, { 'aria-label': `Remove parent ${n}` }));
    parentRows.push({ element, a, b });
    parents.appendChild(element);
    for (const control of [a, b]) control.addEventListener('input', update);
  };

  const form = h('form', { class: 'register', novalidate: true },
    h('h1', {}, 'Register a work'),
    h('p', {}, 'The file’s fingerprint (keccak-256) goes on chain; the file, the cover and the metadata go to IPFS. ',
      needsCommitment() ? 'Registering takes two signatures: a commitment, then the registration a block later, so nobody can copy your registration from the mempool.' : ''),
    h('fieldset', {}, h('legend', {}, 'Files'), field('Recording or score', file, 'Audio, MIDI, MusicXML or PDF.'), field('Cover image (optional)', cover)),
    h('fieldset', {}, h('legend', {}, 'About the work'), field('Title', title), field('Artist name', artistName), field('Description', description),
      field('Licence', licence), field('Resale royalty (%)', royalty, 'EIP-2981: what marketplaces pay the work on each sale.'),
      h('div', { class: 'field check' }, aiMade, h('label', { for: (aiMade.id = 'ai-made') }, 'Made with AI'))),
    h('fieldset', {}, h('legend', {}, 'Contributors (shares must total 100 %)'), contributors, button('Add contributor', () => { addContributor(); update(); })),
    h('fieldset', {}, h('legend', {}, 'Parent works (for a remix or derivative)'), parents, button('Add parent work', () => { addParent(); update(); })),
    h('section', { 'aria-labelledby': 'preview-heading' }, h('h2', { id: 'preview-heading' }, 'Before you sign'), preview),
    submit, status);
  replace(root, form);
  addContributor(app.account ?? '', '100');
  for (const control of [royalty]) control.addEventListener('input', update);

  let fee: bigint | null = null;
  try { fee = await app.read<bigint>('ContentRegistry', 'registrationFee'); } catch (error) { preview.before(notice('error', `Cannot read the registration fee: ${explain(error).message}`)); }
  update();

  function problems(): string[] {
    const found: string[] = [];
    if (!file.files?.length) found.push('Choose the recording or score file.');
    if (!title.value.trim()) found.push('Give the work a title.');
    const total = contributorRows.reduce((sum, row) => sum + Math.round(Number(row.b.value) * 100), 0);
    if (!contributorRows.length) found.push('Add at least one contributor.');
    if (contributorRows.length && total !== 10_000) found.push(`Contributor shares must total 100 %; they total ${percent(total)}.`);
    for (const [index, row] of contributorRows.entries()) {
      if (!isAddress(row.a.value.trim())) found.push(`Contributor ${index + 1}: “${row.a.value}” is not an address.`);
    }
    for (const [index, row] of parentRows.entries()) {
      if (!(Number(row.a.value) >= 1)) found.push(`Parent ${index + 1}: give a work number.`);
      if (!(Number(row.b.value) > 0)) found.push(`Parent ${index + 1}: give its upstream share.`);
    }
    return found;
  }

  function update(): void {
    const upstream = parentRows.reduce((sum, row) => sum + Math.round(Number(row.b.value || 0) * 100), 0);
    const portion = 10_000 - upstream;
    const rows = contributorRows.map((row, index) => {
      const bps = Math.round(Number(row.b.value || 0) * 100);
      return [row.a.value || `contributor ${index + 1}`, percent(bps), percent(Math.floor(bps * portion / 10_000))];
    });
    for (const row of parentRows) rows.push([`work ${row.a.value || '?'} (upstream)`, '—', percent(Math.round(Number(row.b.value || 0) * 100))]);
    replace(preview,
      h('p', {}, 'Registration fee: ', h('strong', { 'data-fee': String(fee ?? '') }, fee === null ? 'unknown' : `${formatEther(fee)} ETH`), ' (paid to the DAO treasury).'),
      table(['Receives', 'Share entered', 'Of every payment'], rows, 'How income will be split'));
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const found = problems();
    if (found.length) {
      replace(status, notice('error', h('p', {}, 'Please fix:'), h('ul', {}, ...found.map((text) => h('li', {}, text)))));
      return;
    }
    void busy(submit, async () => {
      const report = (text: string) => replace(status, notice('info', text));
      try {
        const chosen = file.files![0];
        const bytes = new Uint8Array(await chosen.arrayBuffer());
        const contentHash = keccak256(bytes);
        report(`Uploading ${chosen.name} to IPFS…`);
        const fileCid = await app.ipfs.add(chosen, chosen.name);
        const coverCid = cover.files?.length ? await app.ipfs.add(cover.files[0], cover.files[0].name) : undefined;
        const isScore = /midi|xml|pdf/.test(chosen.type) || /\.(mid|midi|xml|musicxml|pdf)$/i.test(chosen.name);
        const credits: Record<string, string> = {};
        for (const row of contributorRows) if (row.role?.value.trim()) credits[row.role.value.trim()] = row.a.value.trim();
        const metadata = {
          name: title.value.trim(), artist: artistName.value.trim() || undefined, description: description.value.trim() || undefined,
          [isScore ? 'score' : 'audio']: `ipfs://${fileCid}`, mimeType: chosen.type || undefined, image: coverCid ? `ipfs://${coverCid}` : undefined,
          ai: aiMade.checked || undefined, credits,
        };
        report('Uploading the metadata to IPFS…');
        const metadataCid = await app.ipfs.addJson(metadata);
        const registered = await registerWork(app, {
          metadataCid, contentHash, license: licence.value, royaltyBps: Math.round(Number(royalty.value) * 100),
          contributors: contributorRows.map((row) => ({ account: row.a.value.trim() as Address, shareBps: Math.round(Number(row.b.value) * 100) })),
          parents: parentRows.map((row) => ({ workId: BigInt(row.a.value), shareBps: Math.round(Number(row.b.value) * 100) })),
        }, report);
        replace(status, notice('success', `Registered as work ${registered.workId}. `,
          h('a', { href: `#/works/${registered.workId}`, 'data-new-work': String(registered.workId) }, `Open work ${registered.workId}`), app.indexerLag ? ` ${app.indexerLag}` : ''));
      } catch (error) {
        replace(status, notice('error', explain(error).message));
      }
    })();
  });
}
