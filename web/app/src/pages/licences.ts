// Licences (LicenseOffers): a work's offers with a buy button that previews who is paid, the
// owner's forms (create, pause or resume an offer, require a remix licence for derivatives), and the
// "My licences" page listing what the connected account holds.
import { parseUnits, type Address } from 'viem';
import { busy, run, statusArea } from '../actions';
import { ETH, type App, type Write } from '../chain';
import { duration, formatAmount, paymentTokens, percent, tokenInfo } from '../format';
import type { WorkDetail } from '../indexer';
import { button, field, h, input, notice, replace, select, shortAddress, table } from '../ui';

interface Offer {
  offer_id: number; work_id: number; seller: string; rights: number; right_names: string[]; token: string; price: string;
  duration: number; supply_cap: number; sold: number; transferable: boolean; paused: boolean; terms_cid: string;
}
interface Licence {
  licence_id: number; offer_id: number; work_id: number; holder: string; token: string; price: string; right_names: string[];
  transferable: boolean; valid_until: number; valid_now: boolean;
}
interface DerivativePolicy { work_id: number; licence_required: boolean }

/** The rights vocabulary of ILicenseOffers (bit value, words for a buyer). */
const RIGHTS: Array<[number, string, string]> = [
  [1, 'personal', 'personal listening'],
  [2, 'streaming', 'public streaming'],
  [4, 'sync', 'sync with pictures (video, film, game)'],
  [8, 'derivative', 'remixes and other derivative works'],
  [16, 'commercial', 'commercial use'],
];
const LICENCE_EVENTS = new Set(['OfferCreated', 'OfferPauseChanged', 'LicenseBought', 'DerivativePolicyChanged']);
const DAY = 86_400;

export const rightsInWords = (names: string[]) => names.map((name) => RIGHTS.find(([, key]) => key === name)?.[2] ?? name).join(', ');
const lasting = (seconds: number) => (seconds === 0 ? 'perpetual' : seconds % DAY === 0 ? `${seconds / DAY} days from purchase` : `${duration(seconds)} from purchase`);

/** The work page's licence section. The offers and the remix rule re-render on the indexer's licence
 * events for this work; the owner's forms are built once, so nothing typed there is lost. */
export async function licenceSection(app: App, work: WorkDetail): Promise<HTMLElement> {
  const status = statusArea();
  const rule = h('p', {});
  const list = h('div', { class: 'offers' });
  let offerIds = new Set<number>();
  const refresh = async (): Promise<DerivativePolicy> => {
    const [offers, policy, feeBps] = await Promise.all([
      app.indexer.all<Offer>(`/works/${work.work_id}/offers`),
      app.indexer.get<DerivativePolicy>(`/works/${work.work_id}/derivative-policy`),
      app.read<number>('LicenseOffers', 'platformFeeBps').then(Number),
    ]);
    offerIds = new Set(offers.map((offer) => offer.offer_id));
    const isOwner = !!app.account && app.account.toLowerCase() === work.owner.toLowerCase();
    rule.dataset.derivativePolicy = policy.licence_required ? 'required' : 'open';
    replace(rule, policy.licence_required
      ? 'Remixes and other derivatives of this work need a licence with the derivative right.'
      : 'Anyone may register a derivative of this work without a licence.');
    replace(list, ...(offers.length ? await Promise.all(offers.map((offer) => offerCard(app, work, offer, feeBps, isOwner, status, refresh)))
      : [h('p', {}, 'No licences are offered for this work.')]));
    return policy;
  };
  const policy = await refresh();
  const isOwner = !!app.account && app.account.toLowerCase() === work.owner.toLowerCase();
  const section = h('section', { 'aria-labelledby': 'licences', class: 'licences' }, h('h2', { id: 'licences' }, 'Licences'),
    rule, list, status, isOwner ? ownerForms(app, work, policy, status, refresh) : null);
  const unsubscribe = app.live.subscribe((event) => {
    if (!section.isConnected) { unsubscribe(); return; }
    if (!LICENCE_EVENTS.has(event.name)) return;
    const args = event.args as { workId?: string | number; offerId?: string | number };
    if (Number(args.workId) === work.work_id || offerIds.has(Number(args.offerId))) void refresh().catch(() => {});
  });
  return section;
}

async function offerCard(app: App, work: WorkDetail, offer: Offer, feeBps: number, isOwner: boolean, status: HTMLElement, refresh: () => Promise<unknown>): Promise<HTMLElement> {
  const price = BigInt(offer.price);
  const priceText = price === 0n ? 'free' : await formatAmount(app, offer.token, price);
  const soldOut = offer.sold >= offer.supply_cap;
  // What is paid to whom, shown before the wallet is asked (the fee rate as the contract has it now).
  const fee = price * BigInt(feeBps) / 10_000n;
  const preview = h('p', { class: 'preview' }, price === 0n ? 'Free: nothing is paid.' : [
    `You pay ${priceText}: ${await formatAmount(app, offer.token, fee)} platform fee (${percent(feeBps)}) to the treasury, `,
    `${await formatAmount(app, offer.token, price - fee)} to work ${work.work_id}’s split, shared by `,
    work.contributors.map((c) => `${shortAddress(c.account)} ${percent(c.share_bps)}`).join(', '), '.'].join(''));
  const buy = h('button', { type: 'button', disabled: offer.paused || soldOut, 'aria-label': `Buy licence ${offer.offer_id} for ${priceText}` }, 'Buy licence');
  buy.addEventListener('click', busy(buy, async () => {
    if (!app.account) { replace(status, notice('error', 'Connect a wallet first (button at the top of the page).')); return; }
    const account = app.account;
    const purchase: Write = { contract: 'LicenseOffers', functionName: 'buyLicense', args: [BigInt(offer.offer_id), account], value: offer.token === ETH ? price : undefined };
    const steps: Write[] = offer.token === ETH || price === 0n ? [purchase]
      : [{ contract: 'TestToken', address: offer.token as Address, functionName: 'approve', args: [app.address('LicenseOffers'), price] }, purchase];
    if (await run(app, status, steps, `Bought a licence of offer ${offer.offer_id} (${rightsInWords(offer.right_names)}). See it under My licences.`)) await refresh();
  }));
  const pause = isOwner ? button(offer.paused ? 'Resume sales' : 'Pause sales', async () => {
    if (await run(app, status, [{ contract: 'LicenseOffers', functionName: 'setOfferPaused', args: [BigInt(offer.offer_id), !offer.paused] }],
      `Offer ${offer.offer_id} ${offer.paused ? 'is on sale again' : 'is paused'}.`)) await refresh();
  }, { 'aria-label': `${offer.paused ? 'Resume' : 'Pause'} sales of offer ${offer.offer_id}` }) : null;
  return h('article', { class: 'card offer', 'data-offer': offer.offer_id, 'data-paused': String(offer.paused) },
    h('h3', {}, `Offer ${offer.offer_id}: ${rightsInWords(offer.right_names)}`),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Price'), h('dd', {}, priceText),
      h('dt', {}, 'Duration'), h('dd', {}, lasting(offer.duration)),
      h('dt', {}, 'Sold'), h('dd', { 'data-sold': offer.sold }, `${offer.sold} of ${offer.supply_cap}`),
      h('dt', {}, 'Transferable'), h('dd', {}, offer.transferable ? 'yes' : 'no (bound to the buyer)'),
      h('dt', {}, 'Sales'), h('dd', {}, offer.paused ? 'paused' : soldOut ? 'sold out' : 'open')),
    preview, buy, pause);
}

function ownerForms(app: App, work: WorkDetail, policy: DerivativePolicy, status: HTMLElement, refresh: () => Promise<unknown>): HTMLElement {
  const boxes = RIGHTS.map(([bit, key, words]) => {
    const box = input({ type: 'checkbox', name: 'rights', value: bit, id: `right-${key}` });
    return { bit, box, element: h('div', { class: 'field check' }, box, h('label', { for: `right-${key}` }, words)) };
  });
  const token = select(paymentTokens(app), { name: 'offer-token' });
  const price = input({ name: 'offer-price', inputmode: 'decimal', required: true, value: '0.01' });
  const days = input({ name: 'offer-days', type: 'number', min: 0, value: '0' });
  const cap = input({ name: 'offer-cap', type: 'number', min: 1, value: '100' });
  const transferable = input({ type: 'checkbox', name: 'offer-transferable', id: 'offer-transferable' });
  const submit = h('button', { type: 'submit' }, 'Create offer');
  const form = h('form', { class: 'card', 'aria-labelledby': 'create-offer' }, h('h3', { id: 'create-offer' }, 'Offer licences (owner)'),
    h('fieldset', {}, h('legend', {}, 'Rights granted'), ...boxes.map((b) => b.element)),
    field('Price token', token), field('Price per licence', price), field('Duration (days, 0: perpetual)', days), field('Licences for sale', cap),
    h('div', { class: 'field check' }, transferable, h('label', { for: 'offer-transferable' }, 'Licences may be transferred')), submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const rights = boxes.filter((b) => b.box.checked).reduce((mask, b) => mask | b.bit, 0);
    if (!rights) { replace(status, notice('error', 'Tick at least one right for the licence.')); return; }
    const supply = Number(cap.value), lifetime = Number(days.value);
    if (!Number.isInteger(supply) || supply < 1) { replace(status, notice('error', 'Offer at least one licence.')); return; }
    if (!Number.isFinite(lifetime) || lifetime < 0) { replace(status, notice('error', 'The duration is a number of days (0: perpetual).')); return; }
    void busy(submit, async () => {
      const { decimals, symbol } = await tokenInfo(app, token.value);
      let amount: bigint;
      try { amount = parseUnits(price.value.trim(), decimals); } catch { replace(status, notice('error', `“${price.value}” is not an amount of ${symbol}.`)); return; }
      const names = RIGHTS.filter(([bit]) => rights & bit).map(([, key]) => key);
      const seconds = BigInt(Math.round(lifetime * DAY));
      if (await run(app, status, [async (report) => {
        report('Uploading the licence terms to IPFS…');
        const termsCid = await app.ipfs.addJson({ work: work.work_id, rights: names, text: `Licence to work ${work.work_id}: ${rightsInWords(names)}.`,
          price: `${price.value.trim()} ${symbol}`, duration: seconds === 0n ? 'perpetual' : `${lifetime} days`, transferable: transferable.checked }, 'licence.json');
        await app.send({ contract: 'LicenseOffers', functionName: 'createOffer',
          args: [BigInt(work.work_id), rights, token.value, amount, seconds, supply, transferable.checked, termsCid] }, (_s, d) => report(d));
      }], `Offer created: ${rightsInWords(names)} for ${price.value.trim()} ${symbol}.`)) {
        form.reset(); // a next offer starts from the defaults, not from this one's rights
        await refresh();
      }
    })();
  });
  const required = input({ type: 'checkbox', name: 'remix-licence', id: 'remix-licence', checked: policy.licence_required });
  const save = h('button', { type: 'submit' }, 'Save remix rule');
  const policyForm = h('form', { class: 'card', 'aria-labelledby': 'remix-rule' }, h('h3', { id: 'remix-rule' }, 'Derivatives (owner)'),
    h('div', { class: 'field check' }, required, h('label', { for: 'remix-licence' }, 'Require a remix licence (derivative right) to register a derivative')), save);
  policyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void busy(save, async () => {
      if (await run(app, status, [{ contract: 'LicenseOffers', functionName: 'setDerivativeLicenseRequired', args: [BigInt(work.work_id), required.checked] }],
        required.checked ? 'Derivatives of this work now need a remix licence.' : 'Anyone may now derive from this work.')) await refresh();
    })();
  });
  return h('div', {}, form, policyForm);
}

/** "My licences": every licence the connected account holds, with whether it is in force. */
export async function renderLicences(app: App, root: HTMLElement): Promise<void> {
  replace(root, h('h1', {}, 'My licences'));
  if (!app.account) { root.appendChild(notice('info', 'Connect a wallet to see the licences you hold.')); return; }
  const licences = await app.indexer.all<Licence>('/licences', { holder: app.account });
  const rows = await Promise.all(licences.map(async (licence) => [
    String(licence.licence_id), h('a', { href: `#/works/${licence.work_id}` }, `Work ${licence.work_id}`), rightsInWords(licence.right_names),
    BigInt(licence.price) === 0n ? 'free' : await formatAmount(app, licence.token, licence.price),
    licence.valid_until === 0 ? 'perpetual' : new Date(licence.valid_until * 1000).toLocaleString(),
    h('strong', { 'data-valid': String(licence.valid_now) }, licence.valid_now ? 'valid' : 'expired'),
    licence.transferable ? 'yes' : 'no']));
  const account = app.account.toLowerCase();
  const unsubscribe = app.live.subscribe((event) => {
    if (!root.isConnected) { unsubscribe(); return; }
    if (event.name === 'LicenseBought' && String((event.args as { to?: string }).to).toLowerCase() === account) void renderLicences(app, root).catch(() => {});
  });
  root.append(h('p', {}, 'Each licence is an ERC-721 token in your wallet; validity is as of the last indexed block.'),
    rows.length ? table(['Licence', 'Work', 'Rights', 'Paid', 'Valid until', 'Status', 'Transferable'], rows, 'Licences you hold')
      : h('p', {}, 'You hold no licences yet. Works offering them show a “Buy licence” button.'));
}
