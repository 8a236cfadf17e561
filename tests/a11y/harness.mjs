// The welcome page without the Rust app: ui/dist served on 127.0.0.1, Debian's Chromium driven
// by playwright-core (never a downloaded browser), the Tauri IPC replaced by fake-tauri.mjs, and
// axe-core run against the page.
import http from 'node:http';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { installFakeTauri } from './fake-tauri.mjs';
import { fixture } from './fixtures.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../..');
export const DIST = process.env.HUBLINK_UI_DIST ?? path.join(ROOT, 'ui/dist');
export const SHOTS = process.env.HUBLINK_SCREENSHOTS ?? path.join(ROOT, 'target/screenshots');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
export const SCHEMES = ['light', 'dark'];

const AXE_SOURCE = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json' };

/** Serves ui/dist on 127.0.0.1. `/?fixture=NAME` gets index.html with the fake IPC for that
 *  fixture inlined before the page's scripts (for drivers without an init-script hook). */
export async function serveDist() {
  if (!existsSync(path.join(DIST, 'index.html'))) throw new Error(`${DIST}/index.html is missing: run (cd ui && npm ci && npm run build) first`);
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rel = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
    const file = path.resolve(DIST, `.${rel}`);
    if (!file.startsWith(DIST + path.sep)) return void res.writeHead(403).end();
    try {
      let body = await readFile(file);
      const name = url.searchParams.get('fixture');
      if (rel === '/index.html' && name) {
        const inline = `<script>(${installFakeTauri})(${JSON.stringify(fixture(name)).replace(/</g, '\\u003c')});</script>`;
        body = Buffer.from(body.toString('utf8').replace('<head>', `<head>${inline}`));
      }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(r)) };
}

export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--font-render-hinting=none'],
  });
}

/** A fresh page on fixture `name` with the fake IPC, once the first list has rendered. */
export async function openPage(browser, base, name, { scheme = 'light', waitChecks = true } = {}) {
  const context = await browser.newContext({ viewport: { width: 900, height: 700 }, colorScheme: scheme, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.addInitScript(installFakeTauri, fixture(name));
  await page.goto(base);
  await page.waitForSelector('body[data-ready="true"]');
  if (waitChecks) {
    // Every check that answers has answered (the fixture leaves some "Checking…" on purpose).
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-hub-id]')].every((c) => c.dataset.state !== 'checking' || c.dataset.hubId === 'h-build'),
    );
  }
  page.errors = errors;
  return page;
}

/** Waits until the finite animations and transitions (dialogs, toast, flash) have finished. */
export async function settle(page) {
  await page.evaluate(async () => {
    const finite = document.getAnimations().filter((a) => a.effect?.getComputedTiming().endTime !== Infinity);
    await Promise.all(finite.map((a) => a.finished.catch(() => {})));
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  });
}

/** axe-core on the whole document with the WCAG 2.1 A/AA rules. */
export async function runAxe(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ content: AXE_SOURCE });
  return page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
    }));
  }, WCAG_TAGS);
}

export function formatViolations(violations) {
  return violations
    .flatMap((v) => v.nodes.map((n) => `  [${v.impact}] ${v.id} (${v.help})\n    target: ${n.target}\n    ${String(n.summary).replace(/\n/g, '\n    ')}`))
    .join('\n');
}

export async function screenshot(page, name) {
  await mkdir(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `a11y-${name}.png`);
  // The whole page when no dialog is open (long lists), else what the user sees.
  const fullPage = await page.evaluate(() => {
    const none = !document.querySelector('dialog[open]');
    if (none) window.scrollTo(0, 0); // else the sticky header is drawn where the page was scrolled to
    return none;
  });
  await page.screenshot({ path: file, fullPage });
  return file;
}

/** Tag, id and classes of the focused element, for messages. */
export function focused(page) {
  return page.evaluate(() => {
    const a = document.activeElement;
    if (!a) return null;
    const dlg = a.closest('dialog');
    return {
      tag: a.tagName.toLowerCase(),
      id: a.id,
      role: a.getAttribute('role'),
      text: (a.getAttribute('aria-label') ?? a.textContent ?? '').trim().slice(0, 40),
      dialog: dlg ? dlg.id : null,
      describe: `${a.tagName.toLowerCase()}${a.id ? `#${a.id}` : ''}${a.className && typeof a.className === 'string' ? `.${a.className.trim().split(/\s+/).join('.')}` : ''}`,
    };
  });
}

export const CONTROL_TAGS = new Set(['button', 'input', 'a', 'select', 'textarea', 'summary']);
export const CONTROL_ROLES = new Set(['button', 'link', 'menuitem', 'checkbox', 'radio', 'switch', 'tab', 'textbox', 'combobox', 'option', 'slider', 'spinbutton']);
export const isControl = (f) => !!f && (CONTROL_TAGS.has(f.tag) || CONTROL_ROLES.has(f.role ?? ''));
