// The keyboard in the dialogs in WebKitGTK, the engine the desktop app runs in on Linux (its
// MiniBrowser, driven by WebKitWebDriver; no Rust app needed). WebKit, left to itself, stops on
// the modal <dialog> box itself when Tab runs off either end of it; the page keeps Tab among the
// dialog's controls. Skipped where WebKitWebDriver, MiniBrowser or a display is missing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { freePort, newSession } from '../desktop/webdriver.mjs';
import { CONTROL_ROLES, CONTROL_TAGS, serveDist } from './harness.mjs';
import { LINKS } from './fixtures.mjs';

function miniBrowser() {
  if (process.env.MINIBROWSER) return process.env.MINIBROWSER;
  const dirs = ['/usr/libexec/webkit2gtk-4.1', ...readdirSync('/usr/lib', { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `/usr/lib/${d.name}/webkit2gtk-4.1`)];
  return dirs.map((d) => `${d}/MiniBrowser`).find((f) => existsSync(f)) ?? null;
}

const browserBin = miniBrowser();
const hasDriver = spawnSync('sh', ['-c', 'command -v WebKitWebDriver'], { stdio: 'ignore' }).status === 0;
const hasDisplay = !!(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const skip = !hasDriver ? 'WebKitWebDriver is missing (webkit2gtk-driver)' : !browserBin ? 'MiniBrowser is missing (libwebkit2gtk-4.1-0)' : !hasDisplay ? 'no display (run under xvfb-run)' : false;

const TAB = '\uE004';
const SHIFT = '\uE008';
const ENTER = '\uE007';
const ESCAPE = '\uE00C';

describe('keyboard in the dialogs, WebKitGTK', { skip }, () => {
  let server;
  let driver;
  let s;

  before(async () => {
    server = await serveDist();
    const port = await freePort();
    driver = spawn('WebKitWebDriver', [`--port=${port}`], { stdio: 'ignore' });
    const end = Date.now() + 15_000;
    for (;;) {
      try {
        s = await newSession(`http://127.0.0.1:${port}`, { 'webkitgtk:browserOptions': { binary: browserBin, args: ['--automation'] } });
        break;
      } catch (e) {
        if (Date.now() > end) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  });

  after(async () => {
    await s?.delete().catch(() => {});
    driver?.kill();
    await server?.close();
  });

  const press = (...keys) =>
    s.cmd('POST', '/actions', {
      actions: [{ type: 'key', id: 'kb', actions: [...keys.map((value) => ({ type: 'keyDown', value })), ...keys.reverse().map((value) => ({ type: 'keyUp', value }))] }],
    });
  const focused = () =>
    s.execute(`const a = document.activeElement;
      return a ? { tag: a.tagName.toLowerCase(), role: a.getAttribute('role'), id: a.id, dialog: a.closest('dialog')?.id ?? null,
        describe: a.tagName.toLowerCase() + (a.id ? '#' + a.id : '') + (typeof a.className === 'string' && a.className ? '.' + a.className.trim().split(/\\s+/).join('.') : '') } : null;`);
  const isControl = (f) => !!f && (CONTROL_TAGS.has(f.tag) || CONTROL_ROLES.has(f.role ?? ''));
  const load = async (fixture) => {
    await s.cmd('POST', '/url', { url: `${server.url}?fixture=${fixture}` });
    await s.waitFor('the page', () => s.execute('return document.body.dataset.ready === "true"'));
  };
  const activate = async (css) => {
    await s.execute('document.querySelector(arguments[0]).focus()', css);
    await press(ENTER);
  };

  async function cycle(id) {
    await s.waitFor(`#${id} open`, () => s.execute('return document.getElementById(arguments[0]).open', id));
    const controls = await s.execute(
      `return [...document.getElementById(arguments[0]).querySelectorAll('button, a[href], input, select, textarea, summary')]
        .filter((e) => !e.disabled && e.getClientRects().length > 0).length`,
      id,
    );
    const first = await focused();
    assert.ok(isControl(first) && first.dialog === id, `focus did not move into #${id} (it is on ${first?.describe})`);
    for (const keys of [[TAB], [SHIFT, TAB]]) {
      const stops = [];
      for (let i = 0; i < controls * 2 + 1; i++) {
        await press(...keys);
        const f = await focused();
        stops.push(f?.describe ?? 'nothing');
        assert.ok(isControl(f) && f.dialog === id, `${keys.length > 1 ? 'Shift+Tab' : 'Tab'} in #${id} stopped on ${f?.describe ?? 'nothing'}: ${stops.join(' > ')}`);
      }
      assert.equal(new Set(stops).size, controls, `#${id}: ${stops.join(' > ')}`);
    }
  }

  async function escapeReturnsTo(id, css) {
    await press(ESCAPE);
    await s.waitFor(`#${id} closed`, () => s.execute('return !document.getElementById(arguments[0]).open', id));
    await s.waitFor(`focus back on ${css}`, () => s.execute('return document.activeElement === document.querySelector(arguments[0])', css), 5000).catch(async (e) => {
      throw new Error(`${e.message}; after #${id} closed, focus is on ${(await focused())?.describe}`);
    });
  }

  test('Add dialog and its confirmation', async () => {
    await load('default');
    await activate('#add-link');
    await cycle('add-dialog');
    await escapeReturnsTo('add-dialog', '#add-link');
    await activate('#add-link');
    await s.waitFor('add open', () => s.execute('return document.getElementById("add-dialog").open'));
    await s.execute('document.getElementById("link-input").value = arguments[0]', LINKS.lookalike);
    await press(ENTER);
    await cycle('confirm-dialog');
    await escapeReturnsTo('confirm-dialog', '#add-link');
  });

  test('Details, and "Remove …?" from the card menu', async () => {
    await load('default');
    await s.waitFor('checks', () => s.execute('return document.querySelector(\'[data-hub-name="Finance Hub"]\').dataset.state === "signed_in"'));
    await activate('[data-hub-name="Finance Hub"] .hub-menu');
    await s.waitFor('menu', () => s.execute('return !document.getElementById("hub-menu").hidden'));
    await s.execute('document.querySelector(\'#hub-menu [data-action="details"]\').focus()');
    await press(ENTER);
    await cycle('details-dialog');
    await escapeReturnsTo('details-dialog', '[data-hub-name="Finance Hub"] .hub-menu');
    await activate('[data-hub-name="Sales Hub"] .hub-menu');
    await s.waitFor('menu', () => s.execute('return !document.getElementById("hub-menu").hidden'));
    await s.execute('document.querySelector(\'#hub-menu [data-action="remove"]\').focus()');
    await press(ENTER);
    await cycle('ask-dialog');
    await escapeReturnsTo('ask-dialog', '[data-hub-name="Sales Hub"] .hub-menu');
  });

  test('sign-in with a device code', async () => {
    await load('default');
    await s.waitFor('checks', () => s.execute('return document.querySelector(\'[data-hub-name="Data Lab"]\').dataset.state === "offline"'));
    await activate('[data-hub-name="Data Lab"] .hub-signin');
    await s.execute(`window.__fake.progress({ hub_id: 'h-lab', kind: 'device_code', user_code: 'WDJB-MJHT',
      verification_uri: 'https://sso.example.org/device', verification_uri_complete: null, expires_in_secs: 600 })`);
    await s.waitFor('code', () => s.execute('return !document.getElementById("signin-device").hidden'));
    await cycle('signin-dialog');
    await escapeReturnsTo('signin-dialog', '[data-hub-name="Data Lab"] .hub-signin');
  });
});
