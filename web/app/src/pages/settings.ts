// Settings: which chain, indexer and IPFS service the app uses (kept in this browser only).
import type { App } from '../chain';
import { saveSettings, savedSettings } from '../config';
import { field, h, input, notice, replace } from '../ui';

export function renderSettings(app: App, root: HTMLElement): void {
  const saved = savedSettings();
  const controls = {
    rpcUrl: input({ name: 'rpcUrl', value: app.config.rpcUrl, type: 'url' }),
    indexerUrl: input({ name: 'indexerUrl', value: app.config.indexerUrl, type: 'url' }),
    ipfsApiUrl: input({ name: 'ipfsApiUrl', value: app.config.ipfsApiUrl, type: 'url' }),
    gatewayUrl: input({ name: 'gatewayUrl', value: app.config.gatewayUrl, type: 'url' }),
  };
  const status = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card' }, h('h1', {}, 'Settings'),
    h('p', {}, `Chain ${app.config.chainName} (id ${app.config.chainId}). Addresses come from config.json next to this page.`),
    field('Chain RPC URL (reads)', controls.rpcUrl), field('Indexer API URL', controls.indexerUrl),
    field('IPFS RPC URL (Kubo API, for uploads)', controls.ipfsApiUrl), field('IPFS gateway URL', controls.gatewayUrl),
    h('button', { type: 'submit' }, 'Save and reload'), h('button', { type: 'button', onclick: () => { saveSettings({}); location.reload(); } }, 'Forget my settings'), status);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    saveSettings({ ...saved, ...Object.fromEntries(Object.entries(controls).map(([key, control]) => [key, control.value.trim()])) });
    replace(status, notice('success', 'Saved.'));
    location.reload();
  });
  replace(root, form);
}
