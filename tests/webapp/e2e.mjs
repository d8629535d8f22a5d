// Drives the web app in Debian's headless Chromium (playwright-core, no browser download) against a
// running platform, with a test wallet injected in the page: an EIP-1193 provider announced by
// EIP-6963 whose transactions anvil signs with its test keys. It can reject the next request
// (code 4001) and start on another chain, to test those paths.
// Usage: node e2e.mjs <platform.json> <screenshot-dir> <scenario,...>; prints one JSON line:
// {scenario: findings | {error}} plus "console": errors the app logged.
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [platformFile, shots, wanted] = process.argv.slice(2);
// axe-core (a dev dependency of the app) audits each page for accessibility violations.
const AXE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'app', 'node_modules', 'axe-core', 'axe.min.js');
const platform = JSON.parse(readFileSync(platformFile, 'utf8'));
const app = platform.urls.app;
mkdirSync(shots, { recursive: true });
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // the jam session: a fake microphone, no permission prompt, audio plays without a gesture
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--autoplay-policy=no-user-gesture-required'];

function testWallet({ rpcUrl, chainId }) {
  const listeners = {};
  const state = { index: 0, accounts: null, chainId, rejectNext: false };
  const emit = (event, value) => (listeners[event] || []).forEach((listener) => listener(value));
  const rpc = async (method, params) => {
    const response = await fetch(rpcUrl, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
    const answer = await response.json();
    if (answer.error) throw Object.assign(new Error(answer.error.message), { code: answer.error.code, data: answer.error.data });
    return answer.result;
  };
  const accounts = async () => (state.accounts ??= await rpc('eth_accounts', []));
  const provider = {
    async request({ method, params = [] }) {
      if (method === 'eth_requestAccounts' || method === 'eth_accounts') return [(await accounts())[state.index]];
      if (method === 'eth_chainId') return `0x${state.chainId.toString(16)}`;
      if (method === 'wallet_switchEthereumChain') { state.chainId = Number(params[0].chainId); emit('chainChanged', params[0].chainId); return null; }
      if (method === 'eth_sendTransaction' || method.startsWith('eth_sign') || method === 'personal_sign') {
        if (state.rejectNext) { state.rejectNext = false; throw Object.assign(new Error('User rejected the request.'), { code: 4001 }); }
      }
      if (method === 'eth_sendTransaction') params = [{ ...params[0], from: (await accounts())[state.index] }];
      return rpc(method, params);
    },
    on(event, listener) { (listeners[event] ||= []).push(listener); },
    removeListener(event, listener) { listeners[event] = (listeners[event] || []).filter((l) => l !== listener); },
  };
  window.testWallet = {
    async use(index) { state.index = index; emit('accountsChanged', [(await accounts())[index]]); },
    rejectNext() { state.rejectNext = true; },
  };
  const announce = () => window.dispatchEvent(new CustomEvent('eip6963:announceProvider', { detail: Object.freeze({
    info: { uuid: '5b0f2a55-0000-4000-8000-000000000001', name: 'Test wallet', icon: 'data:,', rdns: 'org.tutti.test' }, provider }) }));
  window.addEventListener('eip6963:requestProvider', announce);
  announce();
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: FLAGS });
const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
const consoleErrors = [];
const results = {};

async function openPage({ chainId = platform.chainId, track = true } = {}) {
  const page = await context.newPage();
  await page.addInitScript(testWallet, { rpcUrl: platform.urls.rpc, chainId });
  if (track) {
    page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
    page.on('pageerror', (error) => consoleErrors.push(String(error)));
  }
  return page;
}

/** Do `action`, then wait until the app has rendered a page again (main[data-rendered] changes). */
async function rerendered(page, action) {
  const before = await page.evaluate(() => document.getElementById('main')?.dataset.rendered ?? null).catch(() => null);
  await action();
  await page.waitForFunction((old) => {
    const now = document.getElementById('main')?.dataset.rendered;
    return now !== undefined && now !== old;
  }, before, { timeout: 60_000 });
}

async function go(page, hash) {
  const same = await page.evaluate((target) => location.hash === target, hash).catch(() => false);
  await rerendered(page, () => (same ? page.reload() : page.goto(`${app}/${hash}`)));
}

async function connect(page, account) {
  const connectButton = page.getByRole('button', { name: 'Connect: Test wallet' });
  await rerendered(page, async () => {
    await page.evaluate((index) => window.testWallet.use(index), account);
    if (await connectButton.count()) await connectButton.click();
  });
}

async function as(page, account, hash) {
  await go(page, hash);
  await connect(page, account);
}

const message = (page, kind) => page.locator(`.notice.${kind}`).last().textContent({ timeout: 60_000 });
async function outcome(page, scope = page) {
  const done = scope.locator('.notice.success, .notice.error').last();
  await done.waitFor({ timeout: 90_000 });
  return { ok: (await done.getAttribute('class')).includes('success'), text: await done.textContent() };
}
const shot = (page, name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
const accounts = platform.accounts;
const workFile = (text) => ({ name: 'take.wav', mimeType: 'audio/wav', buffer: Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVEfmt '), Buffer.from(text)]) });

async function fillRegistration(page, { title, file, contributors, parents = [] }) {
  await page.getByLabel('Recording or score').setInputFiles(file);
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Artist name').fill('E2E Band');
  while (await page.locator('#contributors fieldset').count() < contributors.length) await page.getByRole('button', { name: 'Add contributor' }).click();
  for (const [index, [address, share]] of contributors.entries()) {
    const row = page.locator('#contributors fieldset').nth(index);
    await row.getByLabel('Address').fill(address);
    await row.getByLabel('Share (%)').fill(String(share));
  }
  for (const [index, [work, share]] of parents.entries()) {
    await page.getByRole('button', { name: 'Add parent work' }).click();
    const row = page.locator('#parents fieldset').nth(index);
    await row.getByLabel('Work number').fill(String(work));
    await row.getByLabel('Upstream share (%)').fill(String(share));
  }
}

/** Mint the deployment's test stablecoin (TestToken.mint is open) to `to`, sent by that account. */
async function mintTestToken(to, amount) {
  const { extras } = await (await fetch(`${app}/config.json`)).json();
  const word = (hex) => hex.replace(/^0x/, '').padStart(64, '0');
  const data = `0x40c10f19${word(to.toLowerCase())}${word(amount.toString(16))}`; // mint(address,uint256)
  const call = async (method, params) => (await (await fetch(platform.urls.rpc, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })).json()).result;
  const hash = await call('eth_sendTransaction', [{ from: to, to: extras.TestToken, data }]);
  while (!(await call('eth_getTransactionReceipt', [hash]))) await new Promise((resolve) => setTimeout(resolve, 200));
}

/** The pages every user sees, for the accessibility audit and the phone-width check. */
const PAGES = (room) => ['#/works', '#/works/1', '#/register', '#/royalties', '#/licences', '#/governance', '#/rooms',
  `#/jam/${room}`, '#/jobs', '#/operator', '#/settings'];

/** The media node's room (the sample room): read from the node itself. */
const sampleRoom = async () => (await (await fetch(`${platform.urls.media}/api/room`)).json()).room;

async function axeViolations(page) {
  await page.addScriptTag({ path: AXE });
  // iframes: false — the jam page's frame is another origin (the media node), audited on its own.
  return page.evaluate(async () => (await window.axe.run(document, { iframes: false, resultTypes: ['violations'] })).violations
    .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, target: String(v.nodes[0]?.target ?? '') })));
}

const scenarios = {
  async works(page) {
    await go(page, '#/works');
    await page.waitForSelector('.works li');
    await page.waitForFunction(() => document.querySelectorAll('.works li h2 a')[0]?.textContent !== 'Work 1');
    const titles = await page.locator('.works li h2').allTextContents();
    await page.getByLabel('Lineage').selectOption('derivative');
    const derivatives = await page.locator('.works li h2').allTextContents();
    await page.getByLabel('Lineage').selectOption('');
    // Each step waits for its own answer: the derivatives-only list is one work too.
    await page.waitForFunction(() => document.querySelectorAll('.works li').length > 1);
    await page.getByLabel('Search').fill('a major');
    await page.waitForFunction(() => {
      const rows = document.querySelectorAll('.works li h2');
      return rows.length === 1 && /a major/i.test(rows[0].textContent ?? '');
    });
    const searched = await page.locator('.works li h2').allTextContents();
    await page.getByLabel('Search').fill('');
    await shot(page, 'works');
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
      .filter((control) => !control.labels?.length && !control.getAttribute('aria-label')).map((control) => control.outerHTML));
    return { titles, derivatives, searched, unlabelled };
  },

  async wrongChain() {
    const page = await openPage({ chainId: 1 });
    await go(page, '#/works');
    await page.getByRole('button', { name: 'Connect: Test wallet' }).click();
    const warning = await page.locator('.wrong-chain').textContent();
    await page.getByRole('button', { name: /Switch to/ }).click();
    await page.waitForSelector('.wrong-chain', { state: 'detached' });
    await page.close();
    return { warning };
  },

  async register(page) {
    await as(page, accounts.artist.index, '#/register');
    await fillRegistration(page, { title: 'E2E Duet', file: workFile('duet'),
      contributors: [[accounts.artist.address, 60], [accounts.producer.address, 40]], parents: [[1, 10]] });
    const preview = await page.locator('.preview').textContent();
    await shot(page, 'register');
    await page.locator('form.register').evaluate((form) => form.requestSubmit());
    const result = await outcome(page);
    if (!result.ok) return { result };
    const workId = await page.locator('[data-new-work]').getAttribute('data-new-work');
    await page.locator('[data-new-work]').click();
    // The page renders its title first and its sections after their reads (and re-renders on live
    // events): read the contributors and the lineage together, once both are on the page.
    const { contributors, lineage } = await (await page.waitForFunction(() => {
      if (document.querySelector('main h1')?.textContent !== 'E2E Duet') return null;
      const rows = [...document.querySelectorAll('section:has(#contributors) tbody tr')].map((row) => row.textContent);
      const lineage = document.querySelector('.lineage')?.textContent;
      return rows.length && lineage ? { contributors: rows, lineage } : null;
    })).jsonValue();
    await shot(page, 'work');
    return { result, preview, workId: Number(workId), contributors, lineage };
  },

  async rejected(page) {
    await as(page, accounts.artist.index, '#/register');
    await fillRegistration(page, { title: 'Rejected take', file: workFile('rejected'), contributors: [[accounts.artist.address, 100]] });
    await page.evaluate(() => window.testWallet.rejectNext());
    await page.getByRole('button', { name: /sign and register/ }).click();
    const result = await outcome(page);
    return { result, titleKept: await page.getByLabel('Title').inputValue(), fileKept: await page.getByLabel('Recording or score').evaluate((input) => input.files.length) };
  },

  async reverted(page) {
    await as(page, accounts.producer.index, '#/register');
    await fillRegistration(page, { title: 'Copy of the duet', file: workFile('duet'), contributors: [[accounts.producer.address, 100]] });
    await page.getByRole('button', { name: /sign and register/ }).click();
    const result = await outcome(page);
    return { result, titleKept: await page.getByLabel('Title').inputValue() };
  },

  async pay(page) {
    const workId = results.register?.workId;
    await as(page, accounts.fan.index, `#/works/${workId}`);
    await page.getByLabel('Amount').fill('1');
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    const result = await outcome(page, page.locator('form:has(#pay)'));
    await go(page, '#/works');
    await go(page, `#/works/${workId}`);
    const income = await page.locator('section:has(#income)').textContent();
    return { result, income };
  },

  async withdraw(page) {
    const workId = results.register?.workId;
    await as(page, accounts.producer.index, '#/royalties');
    const row = page.locator('tbody tr', { has: page.locator(`a[href="#/works/${workId}"]`) }).first();
    const before = await row.locator('[data-withdrawable]').getAttribute('data-withdrawable');
    await row.getByRole('button', { name: /Withdraw/ }).click();
    const result = await outcome(page);
    await page.waitForFunction((id) => document.querySelector(`tbody tr:has(a[href="#/works/${id}"]) [data-withdrawable]`)?.getAttribute('data-withdrawable') === '0', workId);
    await shot(page, 'royalties');
    return { result, before };
  },

  async governance(page) {
    const steps = {};
    for (const account of [accounts.holderA.index, accounts.holderB.index]) {
      await as(page, account, '#/governance');
      await page.getByRole('button', { name: 'Delegate', exact: true }).click();
      steps[`delegate${account}`] = await outcome(page, page.locator('section:has(#power)'));
    }
    steps.votes = await page.locator('[data-votes]').textContent();
    // The registration fee is the first parameter; its form fills in once the current value is read.
    await page.waitForSelector('.args input');
    steps.currentFee = await page.locator('.args input').inputValue();
    await page.locator('.args input').fill('0.02');
    await page.getByLabel('Description').fill('Raise the registration fee to 0.02 ETH\nKeeps the registry clean.');
    await page.getByRole('button', { name: 'Propose' }).click();
    // On success the page re-renders with the new proposal listed.
    await page.waitForSelector('.proposal', { timeout: 90_000 });
    steps.propose = { ok: true, text: await page.locator('.proposal h3').first().textContent() };
    // The local tools re-render the governance section when done: wait for what they change.
    const mine = async (label, changed) => { await page.getByRole('button', { name: label }).click(); await page.waitForSelector(changed, { timeout: 60_000 }); };
    await mine('Mine 10 blocks', '.proposal[data-state="Active"]');
    for (const [account, reason] of [[accounts.holderA.index, 'cleaner registry'], [accounts.holderB.index, 'agreed']]) {
      await as(page, account, '#/governance');
      const card = page.locator('.proposal[data-state="Active"]').first();
      await card.getByLabel('Your vote').selectOption('1');
      await card.getByLabel('Reason').fill(reason);
      await card.getByRole('button', { name: 'Vote' }).click();
      steps[`vote${account}`] = await outcome(page, card);
    }
    await shot(page, 'governance');
    await mine('Mine 100 blocks', '.proposal[data-state="Succeeded"]');
    await page.locator('.proposal[data-state="Succeeded"]').first().getByRole('button', { name: 'Queue in the timelock' }).click();
    await page.waitForSelector('.proposal[data-state="Queued"]');
    await mine('Skip 2 days', '.proposal[data-state="Queued"] >> text=Executable now.');
    await page.locator('.proposal[data-state="Queued"]').first().getByRole('button', { name: 'Execute' }).click();
    await page.waitForSelector('.proposal[data-state="Executed"]');
    await go(page, '#/register');
    steps.newFee = await page.locator('[data-fee]').getAttribute('data-fee');
    return steps;
  },

  async rooms(page) {
    await as(page, accounts.artist.index, '#/rooms');
    const jamLinks = await page.locator('.room a', { hasText: 'join on' }).evaluateAll((links) => links.map((link) => link.href));
    await page.getByLabel('Name').fill('E2E session');
    await page.getByLabel('Price per pass (ETH)').fill('0.01');
    await page.getByRole('button', { name: 'Create room' }).click();
    await page.waitForFunction(() => [...document.querySelectorAll('.room h2')].some((h) => h.textContent === 'E2E session'));
    const roomId = await page.locator('.room', { has: page.locator('h2', { hasText: 'E2E session' }) }).getAttribute('data-room');
    await as(page, accounts.fan.index, '#/rooms');
    const room = page.locator(`.room[data-room="${roomId}"]`);
    await room.getByRole('button', { name: /Buy a pass/ }).click();
    await page.waitForSelector(`.room[data-room="${roomId}"] [data-pass="valid"]`, { timeout: 60_000 });
    const passStatus = await page.locator(`.room[data-room="${roomId}"] .pass-status`).textContent();
    await shot(page, 'rooms');
    return { jamLinks, roomId: Number(roomId), passStatus };
  },

  async payPermit(page) {
    // The fan pays sample work 1 in tUSD with an EIP-2612 permit: one signature, one transaction.
    await mintTestToken(accounts.fan.address, 5_000_000n);
    await as(page, accounts.fan.index, '#/works/1');
    const form = page.locator('form:has(#pay)');
    await form.getByLabel('Token', { exact: true }).selectOption({ label: 'TestToken' });
    const method = await form.getByLabel('Authorise the token with').inputValue();
    await form.getByLabel('Amount').fill('5');
    await form.getByRole('button', { name: 'Pay', exact: true }).click();
    const result = await outcome(page, form);
    await go(page, '#/works/1');
    await page.waitForSelector('section:has(#income)');
    const income = await page.locator('section:has(#income)').textContent();
    return { result, method, income };
  },

  async metadata(page) {
    // The owner renames a work and describes it: new metadata on IPFS, setMetadataCid, page shows it.
    const workId = results.register?.workId ?? 2; // sample work 2 is the artist's too
    await as(page, accounts.artist.index, `#/works/${workId}`);
    const form = page.locator('form.metadata');
    const before = await page.locator('main h1').textContent();
    await form.getByLabel('Title').fill(`${before} (remastered)`);
    await form.getByLabel('Description').fill('Remastered in 2026.');
    await form.getByRole('button', { name: 'Save metadata' }).click();
    await page.waitForFunction((title) => document.querySelector('main h1')?.textContent === title, `${before} (remastered)`, { timeout: 90_000 });
    await page.waitForSelector('main p >> text=Remastered in 2026.');
    const title = await page.locator('main h1').textContent();
    return { workId, before, title, description: await page.locator('main p', { hasText: 'Remastered' }).textContent() };
  },

  async revoke(page) {
    // The host (artist) revokes the pass the fan bought in the rooms scenario; the fan sees it.
    const roomId = results.rooms?.roomId;
    await as(page, accounts.artist.index, '#/rooms');
    const room = page.locator(`.room[data-room="${roomId}"]`);
    await room.getByLabel('Revoke the pass of').fill(accounts.fan.address);
    await room.getByRole('button', { name: 'Revoke pass' }).click();
    const result = await outcome(page, room);
    await as(page, accounts.fan.index, '#/rooms');
    await page.waitForSelector(`.room[data-room="${roomId}"] [data-pass="revoked"]`, { timeout: 60_000 });
    const passStatus = await page.locator(`.room[data-room="${roomId}"] .pass-status`).textContent();
    return { result, passStatus };
  },

  async jam(page) {
    // The fan has no pass for the sample room: the node refuses, the app says how to get one.
    // Its own page, not tracked: the browser logs the node's 403 answer as a console error.
    const room = await sampleRoom();
    const refused = await openPage({ track: false });
    await as(refused, accounts.fan.index, `#/jam/${room}`);
    const frame = refused.frameLocator('iframe.jam');
    await frame.locator('#join').click();
    await refused.waitForSelector('.jam-state[data-jam="refused"]', { timeout: 60_000 });
    const refusedJoinDisabled = await frame.locator('#join').isDisabled();
    const refusalHelp = await frame.locator('#refusal-help').innerText();
    const buyLink = await refused.locator('[data-buy-pass]').getAttribute('href');
    const frameBuyLink = await frame.locator('#pass-link').getAttribute('href');
    const signInHidden = await frame.locator('#signin').isHidden();
    await shot(refused, 'jam-refused');
    // Follow the app's link, buy a pass, come back and join: connected.
    await rerendered(refused, () => refused.locator('[data-buy-pass]').click());
    const onRoomsPage = refused.url().endsWith('#/rooms');
    await refused.close();
    await as(page, accounts.fan.index, '#/rooms');
    const card = page.locator(`.room[data-room="${room}"]`);
    await card.getByRole('button', { name: /Buy a pass/ }).click();
    await page.waitForSelector(`.room[data-room="${room}"] [data-pass="valid"]`, { timeout: 60_000 });
    await rerendered(page, () => card.locator('a.join-jam').click());
    await page.frameLocator('iframe.jam').locator('#join').click();
    await page.waitForSelector('.jam-state[data-jam="joined"]', { timeout: 60_000 });
    const joinedFrame = page.frames().find((f) => f.url().startsWith(platform.urls.media));
    const joined = await joinedFrame.evaluate(() => ({ joined: window.tutti.joined, address: window.tutti.address,
      signInHidden: document.getElementById('signin').hidden, leaveEnabled: !document.getElementById('leave').disabled }));
    const state = await page.locator('.jam-state').textContent();
    await shot(page, 'jam');
    await page.frameLocator('iframe.jam').locator('#leave').click();
    return { room, refusedJoinDisabled, refusalHelp, buyLink, onRoomsPage, frameBuyLink, signInHidden, joined, state };
  },

  async audit(page) {
    // Every page: axe-core violations (connected as the fan), then sideways overflow at phone width.
    const room = await sampleRoom();
    await as(page, accounts.fan.index, '#/works');
    const violations = {};
    for (const hash of PAGES(room)) {
      await go(page, hash);
      await page.waitForLoadState('networkidle').catch(() => {});
      violations[hash] = await axeViolations(page);
    }
    const phone = await context.newPage();
    await phone.addInitScript(testWallet, { rpcUrl: platform.urls.rpc, chainId: platform.chainId });
    await phone.setViewportSize({ width: 390, height: 844 });
    phone.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
    phone.on('pageerror', (error) => consoleErrors.push(String(error)));
    const overflow = {};
    for (const hash of PAGES(room)) {
      await go(phone, hash);
      await phone.waitForLoadState('networkidle').catch(() => {});
      overflow[hash] = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    }
    // The media node's own jam page (the app frames it on #/jam/<room>).
    await phone.goto(`${platform.urls.media}/`);
    await phone.waitForFunction(() => window.tutti?.ready);
    overflow['jam page (node)'] = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await phone.close();
    await page.goto(`${platform.urls.media}/`);
    await page.waitForFunction(() => window.tutti?.ready);
    violations['jam page (node)'] = await axeViolations(page);
    // Keyboard: the skip link moves the focus to the page without leaving it.
    await go(page, '#/works');
    // (the first thing Tab reaches on every page is the skip link)
    const skipFocused = await page.evaluate(() => document.querySelector('a[href], button, input, select, textarea')?.classList.contains('skip'));
    await page.locator('.skip').focus();
    await page.keyboard.press('Enter');
    const afterSkip = await page.evaluate(() => ({ hash: location.hash, focused: document.activeElement?.id }));
    return { violations, overflow, skipFocused, afterSkip };
  },

  async compose(page) {
    await as(page, accounts.fan.index, '#/jobs');
    await page.getByLabel('Kind').selectOption('compose');
    await page.getByLabel('Input', { exact: true }).selectOption('1');
    await page.getByRole('button', { name: 'Request' }).click();
    const requested = await outcome(page, page.locator('form:has(#request)'));
    const card = page.locator('.job').first();
    const jobId = await card.getAttribute('data-job');
    await page.waitForSelector(`.job[data-job="${jobId}"][data-state="fulfilled"]`, { timeout: 540_000 });
    const fulfilled = page.locator(`.job[data-job="${jobId}"]`);
    await fulfilled.getByRole('button', { name: /Verify/ }).click();
    await page.waitForSelector(`.job[data-job="${jobId}"] .verdict[data-verified]`);
    const verified = await fulfilled.locator('.verdict').getAttribute('data-verified');
    const files = await fulfilled.locator('.result li a').allTextContents();
    await shot(page, 'jobs');
    await fulfilled.getByRole('button', { name: 'Register as a derivative work' }).click();
    await page.waitForSelector(`.job[data-job="${jobId}"] [data-new-work]`, { timeout: 90_000 });
    const derivative = Number(await page.locator(`.job[data-job="${jobId}"] [data-new-work]`).getAttribute('data-new-work'));
    return { requested, jobId: Number(jobId), verified, files, derivative };
  },

  async licences(page) {
    // Sample work 2 belongs to the artist: an offer of personal + remix rights, 30 days, 5 for sale.
    await as(page, accounts.artist.index, '#/works/2');
    const section = page.locator('section.licences');
    const before = await section.locator('.offer').count();
    await section.getByLabel('personal listening').check();
    await section.getByLabel('remixes and other derivative works').check();
    await section.getByLabel('Price per licence').fill('0.02');
    await section.getByLabel('Duration (days, 0: perpetual)').fill('30');
    await section.getByLabel('Licences for sale').fill('5');
    await section.getByRole('button', { name: 'Create offer' }).click();
    const created = await outcome(page, section);
    if (!created.ok) return { created };
    await page.waitForFunction((count) => document.querySelectorAll('section.licences .offer').length > count, before);
    const offerId = Number(await section.locator('.offer').last().getAttribute('data-offer'));
    // A second offer priced in the local stablecoin (6 decimals): perpetual streaming rights, transferable.
    await section.getByLabel('public streaming').check();
    await section.getByLabel('Price token').selectOption({ label: 'TestToken' });
    await section.getByLabel('Price per licence').fill('5');
    await section.getByLabel('Duration (days, 0: perpetual)').fill('0');
    await section.getByLabel('Licences may be transferred').check();
    await section.getByRole('button', { name: 'Create offer' }).click();
    const createdToken = await outcome(page, section);
    await page.waitForFunction((count) => document.querySelectorAll('section.licences .offer').length > count + 1, before);
    const tokenOfferId = Number(await section.locator('.offer').last().getAttribute('data-offer'));
    await section.getByLabel('Require a remix licence (derivative right) to register a derivative').check();
    await section.getByRole('button', { name: 'Save remix rule' }).click();
    const policy = await outcome(page, section);
    await page.waitForSelector('[data-derivative-policy="required"]');
    await as(page, accounts.fan.index, '#/works/2');
    const card = page.locator(`.offer[data-offer="${offerId}"]`);
    const offerText = await card.locator('dl').textContent();
    const preview = await card.locator('.preview').textContent();
    await card.getByRole('button', { name: /Buy licence/ }).click();
    const bought = await outcome(page, section);
    await page.waitForSelector(`.offer[data-offer="${offerId}"] [data-sold="1"]`);
    // The fan gets 5 tUSD from the test token's open mint, then buys: approve, then buyLicense.
    await mintTestToken(accounts.fan.address, 5_000_000n);
    const tokenCard = page.locator(`.offer[data-offer="${tokenOfferId}"]`);
    const tokenOfferText = await tokenCard.locator('dl').textContent();
    await tokenCard.getByRole('button', { name: /Buy licence/ }).click();
    const boughtToken = await outcome(page, section);
    await page.waitForSelector(`.offer[data-offer="${tokenOfferId}"] [data-sold="1"]`);
    await shot(page, 'licences-work');
    await go(page, '#/licences');
    const mine = await page.locator('tbody tr').allTextContents();
    const valid = await page.locator('tbody [data-valid]').evaluateAll((cells) => cells.map((cell) => cell.getAttribute('data-valid')));
    await shot(page, 'licences');
    await as(page, accounts.artist.index, '#/works/2');
    await page.locator(`.offer[data-offer="${offerId}"]`).getByRole('button', { name: `Pause sales of offer ${offerId}` }).click();
    const paused = await outcome(page, section);
    await page.waitForSelector(`.offer[data-offer="${offerId}"][data-paused="true"]`);
    return { created, createdToken, policy, offerId, tokenOfferId, offerText, tokenOfferText, bought, boughtToken, preview, mine, valid, paused,
      buyDisabled: await page.locator(`.offer[data-offer="${offerId}"]`).getByRole('button', { name: /Buy licence/ }).isDisabled() };
  },

  async operator(page) {
    await as(page, accounts.operator.index, '#/operator');
    const rows = await page.locator('tbody tr').count();
    await shot(page, 'operator');
    return { rows };
  },

  async phone() {
    const page = await context.newPage({ viewport: { width: 390, height: 844 } });
    await page.addInitScript(testWallet, { rpcUrl: platform.urls.rpc, chainId: platform.chainId });
    await page.setViewportSize({ width: 390, height: 844 });
    page.on('pageerror', (error) => consoleErrors.push(String(error)));
    await go(page, '#/works');
    await page.waitForSelector('.works li');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await shot(page, 'phone-works');
    await go(page, '#/register');
    const registerOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await page.close();
    return { overflow, registerOverflow };
  },

  async indexerDown() {
    // Its own page, not tracked: the browser logs every refused connection as a console error.
    const page = await openPage({ track: false });
    await page.goto(`${app}/#/works`);
    await page.evaluate((url) => localStorage.setItem('tutti.settings', JSON.stringify({ indexerUrl: url })), platform.closedUrl);
    await page.reload();
    await page.getByLabel('Search').fill('chorale');
    const worksMessage = await message(page, 'error');
    const searchKept = await page.getByLabel('Search').inputValue();
    await connect(page, accounts.producer.index);
    await go(page, '#/register');
    await fillRegistration(page, { title: 'Offline-indexer take', file: workFile('offline'), contributors: [[accounts.producer.address, 100]] });
    await page.getByRole('button', { name: /sign and register/ }).click();
    const result = await outcome(page);
    const titleKept = await page.getByLabel('Title').inputValue();
    await page.evaluate(() => localStorage.removeItem('tutti.settings'));
    await page.close();
    return { worksMessage, searchKept, result, titleKept };
  },
};

const page = await openPage();
for (const name of wanted.split(',')) {
  try {
    results[name] = await scenarios[name](page);
  } catch (error) {
    results[name] = { error: String(error).slice(0, 2000) };
    await page.screenshot({ path: join(shots, `failed-${name}.png`), fullPage: true }).catch(() => {});
  }
}
await browser.close();
console.log(JSON.stringify({ ...results, console: consoleErrors }));
