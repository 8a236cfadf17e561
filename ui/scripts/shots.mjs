// Screenshots of the welcome page for a human to look at: builds nothing, serves dist/ with
// the preview backend (?preview), drives it with headless Chromium (Debian's, never a
// downloaded one), and writes PNGs. Usage: npm run build && node scripts/shots.mjs [OUT_DIR]
import { mkdir } from 'node:fs/promises';
import { preview } from 'vite';
import { chromium } from 'playwright-core';

const out = process.argv[2] ?? '../../scratch/ui-shots';
const browserPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
await mkdir(out, { recursive: true });

const server = await preview({ preview: { port: 4173, strictPort: false, host: '127.0.0.1', open: false } });
const base = server.resolvedUrls?.local[0] ?? 'http://127.0.0.1:4173/';
const browser = await chromium.launch({
  executablePath: browserPath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

const shots = [];
async function page(scheme, query) {
  const ctx = await browser.newContext({ viewport: { width: 900, height: 640 }, colorScheme: scheme, deviceScaleFactor: 1 });
  const p = await ctx.newPage();
  p.on('console', (m) => m.type() === 'error' && console.error(`[${scheme} ${query}]`, m.text()));
  p.on('pageerror', (e) => console.error(`[${scheme} ${query}] page error`, e.message));
  await p.goto(`${base}?${query}`);
  await p.waitForSelector('body[data-ready="true"]');
  return p;
}
async function snap(p, name) {
  await p.waitForTimeout(350); // let dialog and menu animations finish
  const path = `${out}/${name}.png`;
  await p.screenshot({ path });
  shots.push(path);
}
const settled = (p) => p.waitForFunction(() => !document.querySelector('[data-state="checking"]'));

for (const scheme of ['light', 'dark']) {
  // First moments: every hub still 'checking'.
  let p = await page(scheme, 'preview');
  await snap(p, `${scheme}-01-checking`);
  await settled(p);
  await p.waitForTimeout(300);
  await snap(p, `${scheme}-02-list`);

  // The ⋯ menu of the signed-in hub.
  await p.click('[data-hub-name="Finance Hub"] .hub-menu');
  await snap(p, `${scheme}-03-menu`);
  await p.keyboard.press('Escape');

  // Details (clicking a signed-in card).
  await p.click('[data-hub-name="Finance Hub"] .hub-signin');
  await p.waitForSelector('#details-dialog[open]');
  await snap(p, `${scheme}-04-details`);
  await p.keyboard.press('Escape');

  // Browser sign-in in progress, then its failure.
  await p.click('[data-hub-name="Partner Portal"] .hub-signin');
  await p.waitForFunction(() => document.querySelector('#signin-status')?.textContent?.startsWith('Finish'));
  await snap(p, `${scheme}-05-signin-browser`);
  await p.waitForSelector('#signin-result[data-outcome="error"]', { timeout: 20000 });
  await snap(p, `${scheme}-06-signin-error`);
  await p.click('#signin-close');

  // Device code.
  await p.click('[data-hub-name="Data Lab"] .hub-signin');
  await p.waitForSelector('#device-code:not(:empty)');
  await p.waitForTimeout(1200);
  await snap(p, `${scheme}-07-device-code`);
  await p.click('#signin-cancel');
  await p.waitForSelector('#signin-dialog', { state: 'hidden' });

  // Browser could not be opened, then success.
  await p.click('[data-hub-name="Sales Hub"] .hub-signin');
  await p.waitForFunction(() => document.querySelector('#signin-status')?.textContent?.startsWith('Open this'));
  await snap(p, `${scheme}-08-browser-failed`);
  await p.waitForSelector('#signin-result[data-outcome="success"]', { timeout: 20000 });
  await snap(p, `${scheme}-09-success`);
  await p.waitForSelector('#signin-dialog', { state: 'hidden' });
  await p.waitForTimeout(400);
  await snap(p, `${scheme}-10-after-success`);

  // Add dialog with an error, then hidden hubs and problems scrolled into view.
  await p.click('#add-link');
  await p.fill('#link-input', 'hub.example.com/add');
  await p.click('#link-submit');
  await p.waitForSelector('#add-error:not([hidden])');
  await snap(p, `${scheme}-11-add-error`);
  await p.keyboard.press('Escape');
  await p.click('#hidden-toggle');
  await p.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await snap(p, `${scheme}-12-bottom`);
  await p.context().close();

  // A link clicked in the OS, with an international (punycode) host.
  p = await page(scheme, 'preview=link');
  await p.waitForSelector('#confirm-dialog[open]');
  await p.waitForTimeout(300);
  await snap(p, `${scheme}-13-confirm-idn`);
  await p.context().close();

  // First start.
  p = await page(scheme, 'preview=empty');
  await snap(p, `${scheme}-14-empty`);
  await p.click('#add-link');
  await snap(p, `${scheme}-15-add-dialog`);
  await p.context().close();

  // Plain-file storage warning.
  p = await page(scheme, 'preview=storage');
  await settled(p);
  await snap(p, `${scheme}-16-storage-warning`);
  await p.context().close();
}

await browser.close();
await server.close();
console.log(shots.join('\n'));
