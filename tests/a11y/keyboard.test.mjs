// The keyboard in the dialogs (Chromium): focus moves into a dialog when it opens, Tab and
// Shift+Tab reach only its controls and never leave it (nor stop on the dialog box itself),
// Escape closes it, and focus goes back to the control that opened it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { focused, isControl, launchChromium, openPage, serveDist } from './harness.mjs';
import { AUTH_URL, LINKS, SIGNIN_ERROR } from './fixtures.mjs';

let server;
let browser;

before(async () => {
  server = await serveDist();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** The controls of the open dialog `id` that Tab should reach (visible, enabled). */
function reachable(page, id) {
  return page.evaluate((dialogId) => {
    const d = document.getElementById(dialogId);
    const all = d.querySelectorAll('button, a[href], input, select, textarea, summary');
    return [...all]
      .filter((e) => !e.disabled && e.checkVisibility())
      .map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}`);
  }, id);
}

/** Presses the key `presses` times; every stop must be a control inside dialog `id`. Returns the
 *  stops, for the caller to compare with the controls. */
async function walk(page, id, key, presses) {
  const stops = [];
  for (let i = 0; i < presses; i++) {
    await page.keyboard.press(key);
    const f = await focused(page);
    assert.ok(isControl(f), `${key} #${i + 1} in #${id} focused ${f?.describe ?? 'nothing'}, not a control (stops so far: ${stops.join(' > ')})`);
    assert.equal(f.dialog, id, `${key} #${i + 1} left #${id} for ${f.describe} (stops so far: ${stops.join(' > ')})`);
    stops.push(f.describe.split('.')[0]);
  }
  return stops;
}

/** Focus is in the open dialog `id`; Tab and Shift+Tab cycle through exactly its controls.
 *  Returns where focus was when the dialog opened. */
async function checkDialog(page, id) {
  await page.waitForSelector(`#${id}[open]`);
  const f = await focused(page);
  assert.ok(isControl(f) && f.dialog === id, `focus did not move into #${id} when it opened (it is on ${f?.describe ?? 'nothing'})`);
  const controls = await reachable(page, id);
  assert.ok(controls.length > 0, `#${id} has no controls`);
  // Twice round and a bit: the wrap at both ends is crossed at least once.
  const n = controls.length * 2 + 1;
  const forward = await walk(page, id, 'Tab', n);
  assert.deepEqual([...new Set(forward)].sort(), [...controls].sort(), `Tab in #${id} reached ${forward.join(' > ')}`);
  const backward = await walk(page, id, 'Shift+Tab', n);
  assert.deepEqual([...new Set(backward)].sort(), [...controls].sort(), `Shift+Tab in #${id} reached ${backward.join(' > ')}`);
  return f;
}

async function escapeReturnsTo(page, id, selector) {
  await page.keyboard.press('Escape');
  await page.waitForSelector(`#${id}`, { state: 'hidden' });
  await page.waitForFunction((sel) => document.activeElement === document.querySelector(sel), selector, { timeout: 5000 }).catch(() => {});
  const f = await focused(page);
  const expected = await page.evaluate((sel) => document.activeElement === document.querySelector(sel), selector);
  assert.ok(expected, `after Escape closed #${id}, focus is on ${f?.describe ?? 'nothing'}, not on ${selector}`);
}

/** Focuses `selector` and presses Enter, as a keyboard user would. */
async function activate(page, selector) {
  await page.focus(selector);
  await page.keyboard.press('Enter');
}

describe('keyboard in the dialogs', () => {
  let page;
  const fresh = async (fixture = 'default') => {
    await page?.context().close();
    page = await openPage(browser, server.url, fixture);
  };
  after(() => page?.context().close());

  test('Add dialog, then its confirmation', async () => {
    await fresh();
    await activate(page, '#add-link');
    await checkDialog(page, 'add-dialog');
    await escapeReturnsTo(page, 'add-dialog', '#add-link');

    await activate(page, '#add-link');
    await page.waitForSelector('#add-dialog[open]');
    await page.keyboard.type(LINKS.lookalike);
    await page.keyboard.press('Enter');
    await checkDialog(page, 'confirm-dialog');
    await escapeReturnsTo(page, 'confirm-dialog', '#add-link');
  });

  test('confirmation with a signature problem, from a link of the OS', async () => {
    await fresh();
    await page.evaluate((l) => window.__fake.clickLink(l), LINKS.tampered);
    const first = await checkDialog(page, 'confirm-dialog');
    assert.equal(first.id, 'confirm-cancel', 'the safe choice has the focus when the dialog opens');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#confirm-dialog', { state: 'hidden' });
  });

  test('sign-in: browser, then its error', async () => {
    await fresh();
    const card = '[data-hub-name="Partner Portal"] .hub-signin';
    await activate(page, card);
    await page.evaluate((url) => window.__fake.progress({ hub_id: 'h-partner', kind: 'browser_opened', url }), AUTH_URL);
    await page.waitForSelector('#signin-url:not(:empty)');
    await checkDialog(page, 'signin-dialog');
    await page.evaluate((e) => window.__fake.failLogin('h-partner', e), SIGNIN_ERROR);
    await page.waitForSelector('#signin-result[data-outcome="error"]');
    await checkDialog(page, 'signin-dialog');
    await escapeReturnsTo(page, 'signin-dialog', card);
  });

  test('sign-in with a device code; Escape cancels it', async () => {
    await fresh();
    const card = '[data-hub-name="Data Lab"] .hub-signin';
    await activate(page, card);
    await page.evaluate(() =>
      window.__fake.progress({
        hub_id: 'h-lab', kind: 'device_code', user_code: 'WDJB-MJHT', verification_uri: 'https://sso.example.org/device',
        verification_uri_complete: null, expires_in_secs: 600,
      }),
    );
    await page.waitForSelector('#signin-device:not([hidden])');
    await checkDialog(page, 'signin-dialog');
    await escapeReturnsTo(page, 'signin-dialog', card);
    assert.ok(await page.evaluate(() => window.__fake.calls.some((c) => c.cmd === 'cancel_login')), 'Escape cancelled the sign-in');
  });

  test('Details from the card menu; a signed-in card opens its hub', async () => {
    await fresh();
    const card = '[data-hub-name="Finance Hub"] .hub-signin';
    await activate(page, card);
    await page.waitForFunction(() => window.__fake.calls.some((c) => c.cmd === 'open_hub'));
    assert.equal(await page.evaluate(() => document.querySelector('dialog[open]')), null, 'opening a hub shows no dialog');

    const menu = '[data-hub-name="Data Lab"] .hub-menu';
    await activate(page, menu);
    await page.waitForSelector('#hub-menu:not([hidden])');
    await page.focus('#hub-menu [data-action="details"]');
    await page.keyboard.press('Enter');
    await checkDialog(page, 'details-dialog');
    await escapeReturnsTo(page, 'details-dialog', menu);
  });

  test('"Remove …?" from the card menu', async () => {
    await fresh();
    const menu = '[data-hub-name="Sales Hub"] .hub-menu';
    await activate(page, menu);
    await page.waitForSelector('#hub-menu:not([hidden])');
    await page.keyboard.press('End'); // "Remove" is the last item
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.action), 'remove');
    await page.keyboard.press('Enter');
    await checkDialog(page, 'ask-dialog');
    await escapeReturnsTo(page, 'ask-dialog', menu);
  });

  test('a refused link (AllowUserHubs off): the Add dialog with only Close', async () => {
    await fresh('managed');
    await page.evaluate((l) => window.__fake.clickLink(l), LINKS.refused);
    await checkDialog(page, 'add-dialog');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#add-dialog', { state: 'hidden' });
  });
});
