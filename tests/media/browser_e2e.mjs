// Drives the web client in Debian's headless Chromium through playwright-core (no browser download).
// Usage: node browser_e2e.mjs <node-url> <dev-key> <profile-dir> [refusal]; prints one JSON line of
// findings. With "refusal", the key holds no pass: the page's refusal is examined instead.
import { chromium } from 'playwright-core';

const [url, devKey, profile, mode] = process.argv.slice(2);
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'];

const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium', headless: true, args: FLAGS, permissions: ['microphone'],
});
const findings = { console: [] };
try {
  const page = context.pages()[0] || await context.newPage();
  page.on('console', (m) => m.type() === 'error' && findings.console.push(m.text()));
  page.on('pageerror', (e) => findings.console.push(String(e)));
  await page.goto(`${url}/?devkey=${devKey}`);
  await page.waitForFunction(() => window.tutti && window.tutti.ready, null, { timeout: 15000 });
  findings.address = await page.textContent('#dev-address');
  if (mode === 'listen') {  // the audience: through the node's Janus, no microphone
    await page.click('#listen');
    await page.waitForFunction(() => window.tutti.joined || window.tutti.error, null, { timeout: 30000 });
    findings.error = await page.evaluate(() => window.tutti.error);
    findings.refused = await page.evaluate(() => window.tutti.refused || null);
    if (findings.error) throw new Error('done');
    findings.listening = await page.evaluate(() => window.tutti.listening);
    await page.waitForFunction(() => window.tutti.leftRms + window.tutti.rightRms > 0.005, null, { timeout: 20000 });
    findings.heard = await page.evaluate(() => [window.tutti.leftRms, window.tutti.rightRms]);
    await page.click('#leave');
    findings.ended = await page.evaluate(() => window.tutti.ended);
    throw new Error('done');
  }
  await page.click('#join');
  await page.waitForFunction(() => window.tutti.joined || window.tutti.error, null, { timeout: 20000 });
  findings.error = await page.evaluate(() => window.tutti.error);
  if (mode === 'refusal') {
    findings.refused = await page.evaluate(() => window.tutti.refused);
    findings.joinDisabled = await page.$eval('#join', (b) => b.disabled);
    findings.passHelp = await page.$eval('#pass-help', (e) => (e.hidden ? '' : e.textContent));
    findings.signInEnabled = !(await page.$eval('#dev-key', (e) => e.disabled));
    await page.click('#dev-generate');  // another account: joining is possible again
    findings.joinEnabledAfterNewKey = !(await page.$eval('#join', (b) => b.disabled));
    findings.helpHiddenAfterNewKey = await page.$eval('#refusal-help', (e) => e.hidden);
    throw new Error('done');
  }
  if (findings.error) throw new Error(findings.error);
  findings.signInLocked = await page.evaluate(() => ['dev-key', 'dev-generate'].every((id) => document.getElementById(id).disabled));
  // The other musician shows up on the stage and as playing.
  await page.waitForFunction(() => window.tutti.participants.some((p) => !p.you && p.playing), null, { timeout: 15000 });
  findings.participants = await page.evaluate(() => window.tutti.participants);
  findings.playingShown = await page.$$eval('#musicians .musician.playing', (nodes) => nodes.length);
  await page.waitForFunction(() => window.tutti.leftRms + window.tutti.rightRms > 0.005, null, { timeout: 15000 });
  await page.waitForTimeout(1000);
  findings.before = await page.evaluate(() => [window.tutti.leftRms, window.tutti.rightRms]);
  // Drag the other musician from straight ahead to the listener's far left.
  const dot = await page.$('#musicians .musician circle');
  const box = await dot.boundingBox();
  const stage = await (await page.$('#stage')).boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  for (let step = 1; step <= 10; step++) {
    await page.mouse.move(box.x + box.width / 2 - ((box.x + box.width / 2 - (stage.x + 40)) * step) / 10,
      box.y + box.height / 2 + ((stage.y + stage.height / 2 - (box.y + box.height / 2)) * step) / 10);
    await page.waitForTimeout(40);
  }
  await page.mouse.up();
  await page.waitForTimeout(2000);
  findings.placement = await page.evaluate(() => Object.values(window.tutti.placements)[0]);
  findings.after = await page.evaluate(() => [window.tutti.leftRms, window.tutti.rightRms]);
  findings.statusText = await page.textContent('#status');
  await page.waitForTimeout(500);
} catch (error) {
  if (String(error) !== 'Error: done') findings.failure = String(error);
} finally {
  console.log(JSON.stringify(findings));
  await context.close();
}
