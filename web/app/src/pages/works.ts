// Works list: every indexed work, filtered by title/artist text, licence, derivative or not and
// AI-made or not. Titles live in each work's metadata on IPFS: they load for the rows on screen
// first, then in the background so a text search covers everything.
import type { App } from '../chain';
import type { Work } from '../indexer';
import type { WorkMetadata } from '../ipfs';
import { field, h, input, notice, replace, select, shortAddress } from '../ui';
import { percent } from '../format';

const PAGE = 50;
const metadataCache = new Map<string, WorkMetadata | null>();

export async function loadMetadata(app: App, cid: string): Promise<WorkMetadata | null> {
  if (!metadataCache.has(cid)) {
    try { metadataCache.set(cid, await app.ipfs.json<WorkMetadata>(cid)); } catch { metadataCache.set(cid, null); }
  }
  return metadataCache.get(cid)!;
}

export async function renderWorks(app: App, root: HTMLElement): Promise<void> {
  const started = performance.now();
  const search = input({ type: 'search', name: 'q', autocomplete: 'off', placeholder: 'title or artist' });
  const licence = select([['', 'any licence']], { name: 'licence' });
  const derivative = select([['', 'originals and derivatives'], ['original', 'originals only'], ['derivative', 'derivatives only']], { name: 'derivative' });
  const ai = select([['', 'made by anyone'], ['ai', 'AI-made only'], ['human', 'not AI-made']], { name: 'ai' });
  const count = h('p', { role: 'status', class: 'count' }, 'Loading works…');
  const list = h('ol', { class: 'works', 'aria-label': 'Works' });
  const more = h('button', { type: 'button', class: 'more', hidden: true }, 'Show more');
  replace(root,
    h('h1', {}, 'Works'),
    h('form', { class: 'filters', role: 'search', onsubmit: (event: Event) => event.preventDefault() },
      field('Search', search), field('Licence', licence), field('Lineage', derivative), field('Made by', ai)),
    count, list, more);

  let works: Work[] = [];
  let shown = PAGE;
  let derivatives = new Set<number>();
  try {
    const first = await app.indexer.get<{ items: Work[]; next_cursor: string | null }>('/works', { limit: 500 });
    works = first.items;
    show();
    root.dataset.firstRenderMs = String(Math.round(performance.now() - started));
    let cursor = first.next_cursor;
    const [rest, parentEvents] = await Promise.all([
      (async () => { const items: Work[] = []; while (cursor) { const page = await app.indexer.get<{ items: Work[]; next_cursor: string | null }>('/works', { limit: 500, cursor }); items.push(...page.items); cursor = page.next_cursor; } return items; })(),
      app.indexer.all<{ args: { workId: string | number } }>('/events', { name: 'DerivativeRegistered' }, 100_000),
    ]);
    works = works.concat(rest);
    derivatives = new Set(parentEvents.map((event) => Number(event.args.workId)));
  } catch (error) {
    replace(count, notice('error', (error as Error).message));
    return;
  }
  for (const value of [...new Set(works.map((work) => work.license))].sort()) licence.appendChild(h('option', { value }, value));
  show();

  function matching(): Work[] {
    const text = search.value.trim().toLowerCase();
    return works.filter((work) => {
      if (licence.value && work.license !== licence.value) return false;
      if (derivative.value === 'original' && derivatives.has(work.work_id)) return false;
      if (derivative.value === 'derivative' && !derivatives.has(work.work_id)) return false;
      const meta = metadataCache.get(work.metadata_cid);
      if (ai.value && (meta === undefined || Boolean(meta?.ai) !== (ai.value === 'ai'))) return false;
      if (!text) return true;
      const haystack = `${meta?.name ?? ''} ${meta?.artist ?? ''} ${work.artist} ${work.work_id}`.toLowerCase();
      return haystack.includes(text);
    });
  }
  function show(): void {
    const found = matching();
    const pending = works.filter((work) => !metadataCache.has(work.metadata_cid)).length;
    replace(count, `${found.length} of ${works.length} works`, pending && (search.value || ai.value) ? ` (still reading ${pending} titles…)` : '');
    replace(list, ...found.slice(0, shown).map((work) => row(app, work, derivatives.has(work.work_id))));
    more.hidden = found.length <= shown;
  }
  more.addEventListener('click', () => { shown += PAGE; show(); });
  for (const control of [search, licence, derivative, ai]) control.addEventListener('input', () => { shown = PAGE; show(); indexTitles(); });

  // Read titles in the background, eight at a time, when a search or the AI filter needs them.
  let indexing = false;
  async function indexTitles(): Promise<void> {
    if (indexing || (!search.value && !ai.value)) return;
    indexing = true;
    const missing = works.filter((work) => !metadataCache.has(work.metadata_cid));
    for (let index = 0; index < missing.length && root.isConnected; index += 8) {
      await Promise.all(missing.slice(index, index + 8).map((work) => loadMetadata(app, work.metadata_cid)));
      if (index % 64 === 0) show();
    }
    indexing = false;
    show();
  }
  const unsubscribe = app.live.subscribe((event) => {
    if (!root.isConnected) { unsubscribe(); return; }
    if (event.name === 'WorkRegistered') void renderWorks(app, root);
  });
}

function row(app: App, work: Work, isDerivative: boolean): HTMLElement {
  const title = h('a', { href: `#/works/${work.work_id}` }, `Work ${work.work_id}`);
  const byline = h('span', { class: 'byline' }, shortAddress(work.artist));
  const tags = h('span', { class: 'tags' }, h('span', { class: 'tag' }, work.license),
    isDerivative ? h('span', { class: 'tag' }, 'derivative') : null,
    h('span', { class: 'tag' }, `royalty ${percent(work.royalty_bps)}`));
  const item = h('li', { 'data-work-id': work.work_id }, h('h2', {}, title), byline, tags);
  void loadMetadata(app, work.metadata_cid).then((meta) => {
    if (!meta) return;
    if (meta.name) replace(title, meta.name);
    if (meta.artist) replace(byline, meta.artist, ' · ', shortAddress(work.artist));
    if (meta.ai) tags.appendChild(h('span', { class: 'tag ai' }, 'AI-made'));
  });
  return item;
}
