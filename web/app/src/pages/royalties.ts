// Royalties: every split the connected account is in, what it can withdraw per token (one click
// per token), and a remix's upstream cut that anyone may forward to its parents.
import { busy, run, statusArea } from '../actions';
import type { App } from '../chain';
import { formatAmount, percent } from '../format';
import { button, h, notice, replace, table } from '../ui';

interface SplitBalance { split_id: number; work_id: number | null; token: string; share_bps: number; split_received: string; entitled: string; withdrawn: string; withdrawable: string }
interface Balances { royalties: SplitBalance[] }
interface SplitDetail { split_id: number; parents: Array<{ parent_split_id: number; share_bps: number }>; received: Record<string, string>; work_id: number | null }

export async function renderRoyalties(app: App, root: HTMLElement): Promise<void> {
  replace(root, h('h1', {}, 'Royalties'));
  if (!app.account) { root.appendChild(notice('info', 'Connect a wallet to see the splits you are in.')); return; }
  const account = app.account;
  const balances = await app.indexer.get<Balances>(`/balances/${account}`);
  const status = statusArea();
  const rows = await Promise.all(balances.royalties.map(async (entry) => {
    const withdrawButton = h('button', { type: 'button', disabled: BigInt(entry.withdrawable) === 0n,
      'aria-label': `Withdraw ${await formatAmount(app, entry.token, entry.withdrawable)} from split ${entry.split_id}` }, 'Withdraw');
    withdrawButton.addEventListener('click', busy(withdrawButton, async () => {
      if (await run(app, status, [{ contract: 'RoyaltySplitter', functionName: 'withdraw', args: [BigInt(entry.split_id), entry.token, account] }],
        `Withdrew ${await formatAmount(app, entry.token, entry.withdrawable)} from split ${entry.split_id}.`)) {
        await renderRoyaltiesAfter(app, root, status);
      }
    }));
    return [entry.work_id ? h('a', { href: `#/works/${entry.work_id}` }, `Work ${entry.work_id}`) : `Split ${entry.split_id}`,
      percent(entry.share_bps), await formatAmount(app, entry.token, entry.entitled), await formatAmount(app, entry.token, entry.withdrawn),
      h('strong', { 'data-withdrawable': entry.withdrawable }, await formatAmount(app, entry.token, entry.withdrawable)), withdrawButton];
  }));
  root.append(
    h('p', {}, 'Income paid to a work is split by the contract; you withdraw your share whenever you like, per token.'),
    rows.length ? table(['Work', 'Your share', 'Earned', 'Withdrawn', 'Withdrawable', ''], rows, 'Splits you are in') : h('p', {}, 'You are not in any split yet.'),
    status,
    await upstreamSection(app, [...new Set(balances.royalties.map((entry) => entry.split_id))], status));
}

async function renderRoyaltiesAfter(app: App, root: HTMLElement, status: HTMLElement): Promise<void> {
  const kept = status.cloneNode(true) as HTMLElement;
  await renderRoyalties(app, root);
  root.querySelector('.status')?.replaceWith(kept);
}

async function upstreamSection(app: App, splitIds: number[], status: HTMLElement): Promise<HTMLElement> {
  const rows: Array<Array<Node | string>> = [];
  for (const splitId of splitIds) {
    const split = await app.indexer.get<SplitDetail>(`/splits/${splitId}`);
    for (const [index, parent] of split.parents.entries()) {
      for (const token of Object.keys(split.received)) {
        const forward = button('Forward', async () => {
          await run(app, status, [{ contract: 'RoyaltySplitter', functionName: 'forwardUpstream', args: [BigInt(splitId), BigInt(index), token] }],
            `Forwarded split ${splitId}'s upstream cut in ${await formatAmount(app, token, 0n).then((text) => text.split(' ')[1])} to split ${parent.parent_split_id}.`);
        });
        rows.push([split.work_id ? `Work ${split.work_id}` : `Split ${splitId}`, `split ${parent.parent_split_id} (${percent(parent.share_bps)})`,
          (await formatAmount(app, token, 0n)).split(' ')[1], forward]);
      }
    }
  }
  return h('section', { 'aria-labelledby': 'upstream' }, h('h2', { id: 'upstream' }, 'Upstream cuts of remixes'),
    rows.length ? table(['Remix', 'Parent', 'Token', ''], rows) : h('p', {}, 'None of your splits pays a parent work.'));
}
