// The whole app as a user meets it: the real hublink-desktop window under Xvfb, driven through
// tauri-driver + WebKitWebDriver; the real local IdP with TOTP; headless Chromium as the
// system browser; the real keyring. Screenshots land in target/screenshots.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startIdp } from '../idp/idp.mjs';
import { ALICE, BOB } from '../people.mjs';
import {
  APP, CLI, DEVICE, RECORD_URL, card, launchApp, newDesktopUser, runWith, saveScreenshot, waitForState,
} from './harness.mjs';

let idp;
before(async () => {
  idp = await startIdp();
});
after(async () => {
  await idp?.stop();
});

function link(name = 'Linked Hub', extra = {}) {
  // Its own path on the demo hub: a hub is its URL + client, and the ini hubs use the root.
  const params = new URLSearchParams({
    url: `${idp.hubUrl}${name.toLowerCase().replace(/\W+/g, '-')}/`, name, issuer: idp.issuer, mfa: 'required', session_check: idp.sessionCheckUrl, ...extra,
  });
  return `hublink://add?${params}`;
}

function ini(sections) {
  return sections.map(([name, body]) => `[${name}]\n${body}\n`).join('\n');
}

const good = (path_ = '') => `url = ${idp.hubUrl}${path_}\nissuer = ${idp.issuer}\nsession_check = ${idp.sessionCheckUrl}\nmfa = required`;

async function hubNames(session) {
  return session.execute('return [...document.querySelectorAll("[data-hub-name]")].map((e) => e.dataset.hubName)');
}

describe('hubs.ini, links and the scheme', () => {
  const user = newDesktopUser('links');
  let app;

  before(async () => {
    fs.writeFileSync(path.join(user.env.HUBLINK_HUBS_DIR, 'corp.ini'), ini([
      ['Finance Hub', good()],
      ['Broken Hub', 'url = http://not-loopback.example.com/'],
      ['Sales Hub', good('sales/')],
    ]));
    app = await launchApp(user);
  });
  after(async () => {
    await app?.stop();
  });

  test('two good sections and one broken: two buttons and one reported problem', async () => {
    const { session } = app;
    await session.waitFor('two hubs', async () => (await hubNames(session)).length === 2);
    assert.deepEqual((await hubNames(session)).sort(), ['Finance Hub', 'Sales Hub']);
    const problems = await session.$$('#problems li.problem');
    assert.equal(problems.length, 1);
    assert.match(await session.execute('return document.querySelector("#problems li.problem").textContent'), /corp\.ini:8.*Broken Hub/s);
    await saveScreenshot(session, 'welcome');
  });

  test('editing hubs.ini while the app runs adds a third button', async () => {
    const file = path.join(user.env.HUBLINK_HUBS_DIR, 'corp.ini');
    fs.appendFileSync(file, `\n[Marketing Hub]\n${good('marketing/')}\n`);
    await app.session.waitFor('a third hub', async () => (await hubNames(app.session)).includes('Marketing Hub'), 15_000);
    assert.equal((await hubNames(app.session)).length, 3);
  });

  test('a link given to a second process reaches the running window: confirm → one new button; the same link again → still one', async () => {
    const { session } = app;
    const second = await runWith(user, APP, [link()]);
    assert.equal(second.code, 0, `second instance: ${second.stderr}`);
    const host = await session.waitForVisible('#confirm-dialog');
    assert.ok(host);
    assert.match(await (await session.$('#confirm-host')).text(), /127\.0\.0\.1:\d+/);
    assert.equal(await (await session.$('#confirm-name')).text(), 'Linked Hub');
    // Who receives the IdP's token: the IdP, and this hub's session check, which is on the IdP's host.
    assert.match(await (await session.$('#confirm-token')).text(),
      /^The identity provider 127\.0\.0\.1:\d+ and 127\.0\.0\.1:\d+ \(this hub’s session check, on the identity provider's own host\)\.$/);
    await saveScreenshot(session, 'confirmation');
    await (await session.$('#confirm-add')).click();
    await session.waitFor('the new button', async () => (await hubNames(session)).includes('Linked Hub'));

    await runWith(user, APP, [link()]);
    await session.waitForVisible('#confirm-dialog');
    // Already there: the dialog says so; whatever the user clicks, there is one button.
    const confirmButton = (await session.$('#confirm-add')) ?? (await session.$('#confirm-cancel'));
    if (confirmButton && (await confirmButton.displayed())) await confirmButton.click();
    else await (await session.$('#confirm-cancel')).click();
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await hubNames(session)).filter((n) => n === 'Linked Hub').length, 1);
  });

  test('after the scheme is registered, `gio open hublink://…` reaches the app', async () => {
    const { session } = app;
    const handler = path.join(user.env.XDG_DATA_HOME ?? '', 'applications');
    const opened = await runWith(user, 'gio', ['open', link('Gio Hub')]);
    assert.equal(opened.code, 0, `gio open: ${opened.stderr}\n(handlers in ${handler}: ${fs.existsSync(handler) ? fs.readdirSync(handler) : 'none'})`);
    await session.waitForVisible('#confirm-dialog');
    assert.equal(await (await session.$('#confirm-name')).text(), 'Gio Hub');
    await (await session.$('#confirm-cancel')).click();
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(!(await hubNames(session)).includes('Gio Hub'), 'Cancel adds nothing');
  });
});

describe('cold start with a link', () => {
  test('the app started with a link as its argument shows the confirmation', async () => {
    const user = newDesktopUser('cold');
    const app = await launchApp(user, { args: [link('Cold Hub')] });
    try {
      await app.session.waitForVisible('#confirm-dialog');
      assert.equal(await (await app.session.$('#confirm-name')).text(), 'Cold Hub');
    } finally {
      await app.stop();
    }
  });
});

describe('signing in', () => {
  const user = newDesktopUser('signin');
  before(() => {
    fs.writeFileSync(path.join(user.env.HUBLINK_HUBS_DIR, 'demo.ini'), ini([
      ['Demo Hub', good()],
      ['Sales Hub', good('sales/')],
    ]));
  });

  test('clicking the button: the browser completes password + TOTP, the button shows "signed in as" and until when', async () => {
    user.as(ALICE);
    const app = await launchApp(user);
    try {
      const { session } = app;
      const before = await waitForState(session, 'Demo Hub', 'sign_in_required');
      await saveScreenshot(session, 'sign-in-required');
      await (await session.$('[data-hub-name="Demo Hub"] .hub-signin')).click();
      const done = await waitForState(session, 'Demo Hub', 'signed_in');
      assert.match(done.text, /Signed in as alice/i, `${done.text}\n${user.browserLog()}`);
      assert.match(done.text, /until /, 'the session\'s horizon, not the access token\'s lifetime');
      assert.notEqual(before.text, done.text);
      await saveScreenshot(session, 'signed-in');
      // The success message closes by itself; then the page shows every hub's state.
      await session.waitFor('the dialog to close', async () => !(await (await session.$('#signin-dialog')).displayed()), 10_000);
      await saveScreenshot(session, 'welcome-signed-in');
    } finally {
      await app.stop();
    }
  });

  test('quit and start again: signed in, and no browser was opened', async () => {
    const marker = path.join(user.dir, 'browser-opened');
    const app = await launchApp(user, { env: { HUBLINK_BROWSER: RECORD_URL, HUBLINK_TEST_URL_FILE: marker } });
    try {
      const c = await waitForState(app.session, 'Demo Hub', 'signed_in', 30_000);
      assert.match(c.text, /alice/);
      assert.equal(fs.existsSync(marker), false, 'no browser opened by itself');
      // A signed-in OpenID Connect hub's button opens the hub in the system browser.
      await (await app.session.$('[data-hub-name="Demo Hub"] .hub-signin')).click();
      await app.session.waitFor('the browser to open the hub', () => fs.existsSync(marker), 10_000);
      assert.equal(fs.readFileSync(marker, 'utf8').trim(), idp.hubUrl.endsWith('/') ? idp.hubUrl : `${idp.hubUrl}/`);
    } finally {
      await app.stop();
    }
  });

  test('Cancel during sign-in: back to the button, nothing half-stored', async () => {
    const other = newDesktopUser('cancel');
    fs.writeFileSync(path.join(other.env.HUBLINK_HUBS_DIR, 'demo.ini'), ini([['Demo Hub', good()]]));
    const urls = path.join(other.dir, 'urls');
    const app = await launchApp(other, { env: { HUBLINK_BROWSER: RECORD_URL, HUBLINK_TEST_URL_FILE: urls } });
    try {
      const { session } = app;
      await waitForState(session, 'Demo Hub', 'sign_in_required');
      await (await session.$('[data-hub-name="Demo Hub"] .hub-signin')).click();
      await session.waitForVisible('#signin-dialog');
      await session.waitFor('the browser to be asked', () => fs.existsSync(urls));
      assert.match(await (await session.$('#signin-status')).text(), /browser/i);
      await saveScreenshot(session, 'signing-in');
      await (await session.$('#signin-cancel')).click();
      const back = await waitForState(session, 'Demo Hub', 'sign_in_required', 10_000);
      assert.ok(back);
      const token = await runWith(other, CLI, ['token', 'Demo Hub']);
      assert.equal(token.code, 3, `nothing may be stored after Cancel: ${token.stdout}${token.stderr}`);
    } finally {
      await app.stop();
    }
  });

  test('a hub that refuses the user: the error with the hub\'s own reason and the next step', async () => {
    const bob = newDesktopUser('bob');
    bob.as(BOB);
    fs.writeFileSync(path.join(bob.env.HUBLINK_HUBS_DIR, 'demo.ini'), ini([['Demo Hub', good()]]));
    const app = await launchApp(bob);
    try {
      const { session } = app;
      await waitForState(session, 'Demo Hub', 'sign_in_required');
      await (await session.$('[data-hub-name="Demo Hub"] .hub-signin')).click();
      await session.waitFor('the error', async () => {
        const r = await session.$('#signin-result');
        return r && (await r.attr('data-outcome')) === 'error';
      }, 45_000);
      await saveScreenshot(session, 'error');
      const text = (id) => session.execute('return document.getElementById(arguments[0]).textContent', id);
      assert.match(await text('error-message'), /server authentication failed/i);
      assert.match(await text('error-cause'), /bob.*has no access/i);
      assert.match(await text('error-next'), /administrator to grant you access/i);
    } finally {
      await app.stop();
    }
  });
});

describe('device flow', () => {
  test('a hub with flow=device shows the code large; entering it on "another device" signs in', async () => {
    const user = newDesktopUser('device');
    user.as(ALICE);
    fs.writeFileSync(path.join(user.env.HUBLINK_HUBS_DIR, 'device.ini'), ini([['Remote Hub', `${good('remote/')}\nflow = device`]]));
    const app = await launchApp(user);
    try {
      const { session } = app;
      await waitForState(session, 'Remote Hub', 'sign_in_required');
      await (await session.$('[data-hub-name="Remote Hub"] .hub-signin')).click();
      const codeEl = await session.waitForVisible('#device-code');
      const code = await session.waitFor('the code', async () => (await codeEl.text()).trim());
      assert.match(code, /^[A-Z0-9-]{6,}$/);
      const url = await session.execute('return document.getElementById("device-open").dataset.url');
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/device/);
      await saveScreenshot(session, 'device-code');
      const device = spawn(process.execPath, [DEVICE, url], { env: user.env, stdio: 'ignore' });
      try {
        const done = await waitForState(session, 'Remote Hub', 'signed_in', 60_000);
        assert.match(done.text, /Signed in as alice/i, user.browserLog());
      } finally {
        device.kill();
      }
    } finally {
      await app.stop();
    }
  });
});

describe('first start', () => {
  test('no hubs: the empty state tells a first-time user what to do', async () => {
    const user = newDesktopUser('empty');
    const app = await launchApp(user);
    try {
      const empty = await app.session.waitForVisible('#empty-state');
      assert.match(await empty.text(), /administrator/i);
      await saveScreenshot(app.session, 'empty');
      void card;
    } finally {
      await app.stop();
    }
  });

  test('a dark desktop gets the dark page (prefers-color-scheme follows the OS theme)', async () => {
    const user = newDesktopUser('dark');
    const background = (session) => session.execute('return getComputedStyle(document.body).backgroundColor');
    const brightness = (rgb) => rgb.match(/\d+/g).slice(0, 3).map(Number).reduce((a, b) => a + b, 0) / 3;
    const app = await launchApp(user, { env: { GTK_THEME: 'Adwaita:dark' } });
    try {
      assert.equal(await app.session.execute('return matchMedia("(prefers-color-scheme: dark)").matches'), true);
      assert.ok(brightness(await background(app.session)) < 80, await background(app.session));
      await saveScreenshot(app.session, 'empty-dark');
    } finally {
      await app.stop();
    }
  });
});
