// The Tutti web app: layout, wallet bar and a hash router (hash routes work from any folder or
// IPFS gateway path, no server rewrites needed). Pages other than the works list load on demand.
import { App, eventNames } from './chain';
import { loadConfig } from './config';
import { explain } from './errors';
import { button, h, notice, replace, shortAddress } from './ui';
import { developmentWallet, discoverWallets, type WalletChoice } from './wallet';
import { renderWorks } from './pages/works';

type Render = (app: App, root: HTMLElement, params: string[]) => Promise<void> | void;

const ROUTES: Array<{ path: RegExp; title: string; nav?: string; load: () => Promise<Render> }> = [
  { path: /^\/?$|^\/works$/, title: 'Works', nav: '#/works', load: async () => renderWorks },
  { path: /^\/works\/(\d+)$/, title: 'Work', load: async () => (await import('./pages/work')).renderWork },
  { path: /^\/register$/, title: 'Register a work', nav: '#/register', load: async () => (await import('./pages/register')).renderRegister },
  { path: /^\/royalties$/, title: 'Royalties', nav: '#/royalties', load: async () => (await import('./pages/royalties')).renderRoyalties },
  { path: /^\/licences$/, title: 'My licences', nav: '#/licences', load: async () => (await import('./pages/licences')).renderLicences },
  { path: /^\/governance$/, title: 'Governance', nav: '#/governance', load: async () => (await import('./pages/governance')).renderGovernance },
  { path: /^\/rooms$/, title: 'Rooms', nav: '#/rooms', load: async () => (await import('./pages/rooms')).renderRooms },
  { path: /^\/jam\/(\d+)$/, title: 'Jam session', load: async () => (await import('./pages/jam')).renderJam },
  { path: /^\/jobs$/, title: 'Oracle jobs', nav: '#/jobs', load: async () => (await import('./pages/jobs')).renderJobs },
  { path: /^\/operator$/, title: 'Operators', nav: '#/operator', load: async () => (await import('./pages/operator')).renderOperator },
  { path: /^\/settings$/, title: 'Settings', nav: '#/settings', load: async () => (await import('./pages/settings')).renderSettings },
];

async function main(): Promise<void> {
  const config = await loadConfig();
  const app = new App(config);
  const main = document.getElementById('main')!;
  const walletBar = document.getElementById('wallet')!;
  const liveState = document.getElementById('live-state')!;
  const nav = document.getElementById('nav')!;

  for (const route of ROUTES.filter((r) => r.nav)) {
    nav.appendChild(h('li', {}, h('a', { href: route.nav! }, route.title)));
  }

  let wallets: WalletChoice[] = [];
  const dev = developmentWallet(config);
  const renderWallet = () => renderWalletBar(app, walletBar, [...wallets, ...(dev ? [dev] : [])]);
  wallets = discoverWallets((found) => { wallets = found; renderWallet(); });
  app.onAccountChange = () => { renderWallet(); void route(); };
  renderWallet();

  app.live.onState = (connected) => replace(liveState, connected ? 'Live updates on' : 'Live updates off (indexer unreachable)');
  app.live.start(eventNames());

  let current = 0;
  const route = async () => {
    const path = location.hash.replace(/^#/, '') || '/works';
    const match = ROUTES.map((r) => ({ r, m: r.path.exec(path) })).find(({ m }) => m);
    const ticket = ++current;
    for (const link of nav.querySelectorAll('a')) {
      if (link.getAttribute('href') === `#${path}`) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    if (!match) {
      replace(main, h('h1', {}, 'Not found'), h('p', {}, 'No page at ', path, '. ', h('a', { href: '#/works' }, 'See the works.')));
      return;
    }
    document.title = `${match.r.title} · Tutti`;
    const container = h('div', {});
    replace(main, container);
    try {
      const render = await match.r.load();
      if (ticket !== current) return;
      await render(app, container, match.m!.slice(1));
    } catch (error) {
      if (ticket === current) container.appendChild(notice('error', explain(error).message));
    }
    main.focus({ preventScroll: true });
    main.dataset.rendered = String(ticket); // tests wait on this
  };
  window.addEventListener('hashchange', () => void route());
  // The skip link must not change the hash (that is the router's): it only moves the focus.
  document.querySelector('.skip')?.addEventListener('click', (event) => { event.preventDefault(); main.focus(); });
  await route();
}

function renderWalletBar(app: App, bar: HTMLElement, choices: WalletChoice[]): void {
  if (app.account && app.wallet) {
    replace(bar,
      h('span', { class: app.wallet.development ? 'badge dev' : 'badge' }, app.wallet.development ? 'DEV WALLET' : app.wallet.name),
      ' ', h('span', { class: 'account', title: app.account, 'data-account': app.account }, shortAddress(app.account)),
      app.wallet.development ? devAccountPicker(app) : null,
      app.wrongChain ? h('span', { class: 'wrong-chain', role: 'alert' },
        ` Wrong network (chain ${app.walletChainId}). `,
        button(`Switch to ${app.config.chainName}`, async () => {
          try { await app.switchToConfiguredChain(); } catch (error) { bar.appendChild(notice('error', explain(error).message)); }
        })) : null);
    return;
  }
  if (!choices.length) {
    replace(bar, h('span', {}, 'No wallet found: install a browser wallet to sign.'));
    return;
  }
  replace(bar, ...choices.map((choice) => button(`Connect: ${choice.name}`, async () => {
    try { await app.connect(choice); } catch (error) { bar.appendChild(notice('error', explain(error).message)); }
  }, { class: choice.development ? 'dev' : '' })));
}

function devAccountPicker(app: App): HTMLElement {
  const picker = h('select', { 'aria-label': 'Development account', class: 'dev-account' });
  for (let index = 0; index < 10; index++) picker.appendChild(h('option', { value: index }, `test account ${index}`));
  picker.value = localStorage.getItem('tutti.devAccount') || '0';
  picker.addEventListener('change', async () => {
    localStorage.setItem('tutti.devAccount', picker.value);
    if (app.wallet) await app.connect(app.wallet);
  });
  return picker;
}

void main();
