// Every state of the welcome page a user meets, each reached from a fresh page the way a user
// (or the backend) gets there. `fixture` names a fixture in fixtures.mjs; `go` drives the page.
import { AUTH_URL, LINKS, SIGNIN_ERROR } from './fixtures.mjs';

const openDialog = (page, id) => page.waitForSelector(`#${id}[open]`);
const clickLink = async (page, link, dialog) => {
  await page.evaluate((l) => window.__fake.clickLink(l), link);
  await openDialog(page, dialog);
};
const startSignIn = async (page, hubName) => {
  await page.click(`[data-hub-name="${hubName}"] .hub-signin`);
  await openDialog(page, 'signin-dialog');
};
const progress = (page, p) => page.evaluate((x) => window.__fake.progress(x), p);

export const STATES = [
  { name: 'empty', fixture: 'empty', go: async () => {} },
  { name: 'managed-empty', fixture: 'managed-empty', go: async () => {} },
  {
    name: 'list',
    fixture: 'full',
    go: async (page) => {
      await page.click('#hidden-toggle'); // the hidden hubs, shown
      await page.waitForSelector('#hidden-list:not([hidden])');
    },
  },
  { name: 'list-managed', fixture: 'managed', go: async () => {} },
  { name: 'load-error', fixture: 'load-error', go: async () => {} },
  {
    name: 'menu',
    fixture: 'default',
    go: async (page) => {
      await page.click('[data-hub-name="Finance Hub"] .hub-menu');
      await page.waitForSelector('#hub-menu:not([hidden])');
    },
  },
  {
    name: 'add',
    fixture: 'default',
    go: async (page) => {
      await page.click('#add-link');
      await openDialog(page, 'add-dialog');
    },
  },
  {
    name: 'add-error',
    fixture: 'default',
    go: async (page) => {
      await page.click('#add-link');
      await openDialog(page, 'add-dialog');
      await page.fill('#link-input', 'hublink://add?url=http://hub.example.com/');
      await page.click('#link-submit');
      await page.waitForSelector('#add-error:not([hidden])');
    },
  },
  { name: 'add-refused', fixture: 'managed', go: (page) => clickLink(page, LINKS.refused, 'add-dialog') },
  { name: 'confirm-signed', fixture: 'default', go: (page) => clickLink(page, LINKS.signed, 'confirm-dialog') },
  { name: 'confirm-lookalike', fixture: 'default', go: (page) => clickLink(page, LINKS.lookalike, 'confirm-dialog') },
  { name: 'confirm-tampered', fixture: 'default', go: (page) => clickLink(page, LINKS.tampered, 'confirm-dialog') },
  {
    name: 'confirm-present',
    fixture: 'default',
    go: async (page) => {
      await page.click('#add-link');
      await openDialog(page, 'add-dialog');
      await page.fill('#link-input', LINKS.present);
      await page.click('#link-submit');
      await openDialog(page, 'confirm-dialog');
    },
  },
  {
    name: 'added-toast',
    fixture: 'default',
    go: async (page) => {
      await clickLink(page, LINKS.signed, 'confirm-dialog');
      await page.click('#confirm-add');
      await page.waitForSelector('#toast:not([hidden])');
      await page.waitForSelector('#confirm-dialog', { state: 'hidden' });
    },
  },
  {
    name: 'settings',
    fixture: 'default',
    go: async (page) => {
      await page.click('#settings-open');
      await openDialog(page, 'settings-dialog');
    },
  },
  { name: 'confirm-web', fixture: 'default', go: (page) => clickLink(page, LINKS.web, 'confirm-dialog') },
  {
    name: 'menu-web',
    fixture: 'default',
    go: async (page) => {
      await page.click('[data-hub-name="Qlik Finance"] .hub-menu');
      await page.waitForSelector('#hub-menu [data-action="forget_web"]');
    },
  },
  {
    name: 'signin-window',
    fixture: 'default',
    go: async (page) => {
      await startSignIn(page, 'Team Wiki');
      await progress(page, { hub_id: 'h-wiki', kind: 'window_opened', url: 'https://wiki.example.com/login' });
      await page.waitForFunction(() => document.querySelector('#signin-status')?.textContent?.includes('Hublink window'));
    },
  },
  {
    name: 'signin-browser',
    fixture: 'default',
    go: async (page) => {
      await startSignIn(page, 'Partner Portal');
      await progress(page, { hub_id: 'h-partner', kind: 'browser_opened', url: AUTH_URL });
      await page.waitForSelector('#signin-browser:not([hidden])');
    },
  },
  {
    name: 'signin-browser-failed',
    fixture: 'default',
    go: async (page) => {
      await startSignIn(page, 'Sales Hub');
      await progress(page, { hub_id: 'h-sales', kind: 'browser_failed', url: AUTH_URL, reason: 'xdg-open exited with status 3 (no web browser is set up)' });
      await page.waitForFunction(() => document.querySelector('#signin-status')?.textContent?.startsWith('Open this'));
    },
  },
  {
    name: 'signin-device',
    fixture: 'default',
    go: async (page) => {
      await startSignIn(page, 'Data Lab');
      await progress(page, {
        hub_id: 'h-lab', kind: 'device_code', user_code: 'WDJB-MJHT', verification_uri: 'https://sso.example.org/device',
        verification_uri_complete: 'https://sso.example.org/device?user_code=WDJB-MJHT', expires_in_secs: 600,
      });
      await page.waitForSelector('#signin-device:not([hidden])');
    },
  },
  {
    name: 'signin-verifying',
    fixture: 'default',
    go: async (page) => {
      await startSignIn(page, 'Partner Portal');
      await progress(page, { hub_id: 'h-partner', kind: 'verifying' });
      await page.waitForFunction(() => document.querySelector('#signin-status')?.textContent?.startsWith('Verifying'));
    },
  },
  {
    name: 'signin-success',
    fixture: 'default',
    go: async (page) => {
      await startSignIn(page, 'Sales Hub');
      // The success message closes itself after 1.5 s; keep it open long enough to be checked.
      await page.evaluate(() => {
        const real = window.setTimeout;
        window.setTimeout = (fn, ms, ...rest) => (ms === 1500 ? 0 : real(fn, ms, ...rest));
        window.__fake.finishLogin('h-sales', { user: 'alice', expires_at: new Date(Date.now() + 8 * 3600e3).toISOString() });
      });
      await page.waitForSelector('#signin-result[data-outcome="success"]');
    },
  },
  {
    name: 'signin-error',
    fixture: 'default',
    go: async (page) => {
      await startSignIn(page, 'Partner Portal');
      await page.evaluate((e) => window.__fake.failLogin('h-partner', e), SIGNIN_ERROR);
      await page.waitForSelector('#signin-result[data-outcome="error"]');
    },
  },
  {
    name: 'details',
    fixture: 'default',
    go: async (page) => {
      await page.click('[data-hub-name="Finance Hub"] .hub-menu');
      await page.click('#hub-menu [data-action="details"]');
      await openDialog(page, 'details-dialog');
    },
  },
  {
    name: 'details-offline',
    fixture: 'default',
    go: async (page) => {
      await page.click('[data-hub-name="Data Lab"] .hub-menu');
      await page.click('#hub-menu [data-action="details"]');
      await openDialog(page, 'details-dialog');
    },
  },
  {
    name: 'ask-remove',
    fixture: 'default',
    go: async (page) => {
      await page.click('[data-hub-name="Sales Hub"] .hub-menu');
      await page.click('#hub-menu [data-action="remove"]');
      await openDialog(page, 'ask-dialog');
    },
  },
];
