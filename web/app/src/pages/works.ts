// Works list: every indexed work, searched and filtered by the indexer (title/artist text, licence,
// derivative or not, AI-made or not): it reads each work's metadata from IPFS once, so the page asks
// one question per filter change and shows a page of 50, never fetching metadata work by work.
import type { App } from '../chain';
import type { Page, Work } from '../indexer';
import type { WorkMetadata } from '../ipfs';
import { field, h, input, notice, replace, select, shortAddress } from '../ui';
import { percent } from '../format';

const PAGE = 50;
const metadataCache = new Map<string, WorkMetadata | null>();

/** A work's full metadata JSON from IPFS (the work page shows more than the index keeps). */
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

  let cursor: string | null = null;
  let shown = 0;
  let query = 0; // answers to an older filter are dropped
  let unreadRetries = 10;
  function filters(): Record<string, string | undefined> {
    return {
      q: search.value.trim() || undefined,
      license: licence.value || undefined,
      derivative: derivative.value ? String(derivative.value === 'derivative') : undefined,
      ai: ai.value ? String(ai.value === 'ai') : undefined,
    };
  }
  async function load(append: boolean): Promise<void> {
    const asked = ++query;
    try {
      const page = await app.indexer.get<Page<Work>>('/works', { ...filters(), limit: PAGE, cursor: append ? cursor ?? undefined : undefined });
      if (asked !== query || !root.isConnected) return;
      cursor = page.next_cursor;
      shown = append ? shown + page.items.length : page.items.length;
      const rows = page.items.map(row);
      if (append) list.append(...rows); else replace(list, ...rows);
      const filtered = Object.values(filters()).some((value) => value !== undefined);
      replace(count, `${shown}${cursor ? '+' : ''} ${filtered ? 'matching ' : ''}work${shown === 1 && !cursor ? '' : 's'}`);
      more.hidden = !cursor;
      // Metadata of new works is read by the indexer within seconds: ask again for their titles.
      if (!append && page.items.some((work) => work.metadata_status === null) && unreadRetries-- > 0) {
        setTimeout(() => { if (asked === query) void load(false); }, 1500);
      }
    } catch (error) {
      if (asked === query) replace(count, notice('error', (error as Error).message));
    }
  }
  await load(false);
  root.dataset.firstRenderMs = String(Math.round(performance.now() - started));
  void app.indexer.get<Array<{ license: string; works: number }>>('/works/licenses').then((licences) => {
    for (const { license } of licences) licence.appendChild(h('option', { value: license }, license));
  }).catch(() => { /* the filter keeps "any licence" */ });

  more.addEventListener('click', () => { void load(true); });
  let typing: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(() => void load(false), 250); });
  for (const control of [licence, derivative, ai]) {
    // The rows on screen follow the choice at once; the indexer's answer then fills the page.
    control.addEventListener('input', () => { narrowShown(); void load(false); });
  }
  function narrowShown(): void {
    for (const item of list.querySelectorAll<HTMLElement>('li')) {
      if ((licence.value !== '' && item.dataset.license !== licence.value)
        || (derivative.value !== '' && (item.dataset.derivative === 'true') !== (derivative.value === 'derivative'))
        || (ai.value !== '' && (item.dataset.ai === 'true') !== (ai.value === 'ai'))) item.remove();
    }
  }
  const unsubscribe = app.live.subscribe((event) => {
    if (!root.isConnected) { unsubscribe(); return; }
    if (event.name === 'WorkRegistered') void load(false);
  });
}

function row(work: Work): HTMLElement {
  const title = h('a', { href: `#/works/${work.work_id}` }, work.title ?? `Work ${work.work_id}`);
  const byline = h('span', { class: 'byline' }, ...(work.artist_name ? [work.artist_name, ' · '] : []), shortAddress(work.artist));
  const tags = h('span', { class: 'tags' }, h('span', { class: 'tag' }, work.license),
    work.is_derivative ? h('span', { class: 'tag' }, 'derivative') : null,
    work.ai ? h('span', { class: 'tag ai' }, 'AI-made') : null,
    h('span', { class: 'tag' }, `royalty ${percent(work.royalty_bps)}`));
  return h('li', { 'data-work-id': work.work_id, 'data-license': work.license, 'data-derivative': String(work.is_derivative),
    'data-ai': String(Boolean(work.ai)) }, h('h2', {}, title), byline, tags);
}
