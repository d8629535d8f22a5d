// Time to first render of the works list in Debian's headless Chromium (playwright-core), for
// bench/webapp.py. Usage: node webapp_first_render.mjs <app URL> <runs> <query>
// Each run opens the list in a fresh browser context (cold HTTP cache) and notes, from navigation
// start: the first row on screen, the first row with its title, and the app's own firstRenderMs;
// then the time from typing <query> in the search box to the list narrowing. Prints one JSON line.
import { chromium } from 'playwright-core';

const [app, runs, query] = process.argv.slice(2);
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: FLAGS });
const results = [];
try {
  for (let run = 0; run < Number(runs); run++) {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${app}/#/works`);
    await page.waitForSelector('.works li', { timeout: 120_000 });
    const firstRow = await page.evaluate(() => performance.now());
    let titled = null;
    try {
      await page.waitForFunction(() => !/^Work \d+$/.test(document.querySelector('.works li h2 a')?.textContent ?? 'Work 0'),
        null, { timeout: 30_000, polling: 'raf' });
      titled = await page.evaluate(() => performance.now());
    } catch { /* titles never came (no IPFS gateway for the old app) */ }
    const appMs = await page.evaluate(() => Number(document.querySelector('[data-first-render-ms]')?.getAttribute('data-first-render-ms')));
    const rows = await page.locator('.works li').count();
    let searchMs = null;
    if (query) {
      const before = await page.locator('.works li').count();
      const started = Date.now();
      await page.getByLabel('Search').fill(query);
      try {
        await page.waitForFunction(([q]) => {
          const titles = [...document.querySelectorAll('.works li h2')].map((h) => h.textContent.toLowerCase());
          return titles.length > 0 && titles.every((t) => t.includes(q));
        }, [query.toLowerCase(), before], { timeout: 60_000, polling: 'raf' });
        searchMs = Date.now() - started;
      } catch { /* the search never narrowed the list */ }
    }
    results.push({ firstRow, titled, appMs, rows, searchMs });
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(results));
