// Web sign-in (auth=web) as an analyst meets it: a Qlik-like hub behind a real SAML IdP with
// TOTP, signed in inside Hublink's own window, kept in the real keyring, restored, renewed
// silently, opened, used from scripts and signed out. The real hublink-desktop under Xvfb,
// driven through tauri-driver + WebKitWebDriver (the sign-in window shares the main window's
// web context, so it is one of the session's window handles).

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startQlikHub } from '../websignin/qlik-hub.mjs';
import { startSamlIdp } from '../websignin/saml-idp.mjs';
import { APP, CLI, SHOTS, card, launchApp, newDesktopUser, runWith, saveScreenshot, waitForState } from './harness.mjs';

let idp;
let finance;
let sales;
before(async () => {
  idp = await startSamlIdp();
  finance = await startQlikHub({ idp, prefix: 'finance', name: 'Finance Hub' });
  sales = await startQlikHub({ idp, prefix: 'sales', name: 'Sales Hub', host: finance.host });
});
after(async () => {
  await sales?.stop();
  await finance?.stop();
  await idp?.stop();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const idpCounters = async () => (await fetch(`${idp.controlUrl}counters`)).json();
const hubCounters = async (hub) => (await fetch(`${hub.controlUrl}counters`)).json();
const control = (url, what) => fetch(`${url}${what}`, { method: 'POST' }).then((r) => r.json());

/** Add a hub from its link through a second process, as a click in a mail would. */
async function addFromLink(user, session, link) {
  const second = await runWith(user, APP, [link]);
  assert.equal(second.code, 0, second.stderr);
  await session.waitForVisible('#confirm-dialog');
  const text = await session.execute('return document.querySelector("#confirm-dialog").innerText');
  (await session.$('#confirm-add')).click();
  return text;
}

/** Choose an item of a card's ⋯ menu by its label. */
async function menuPick(session, hubName, label) {
  await session.execute(`document.querySelector('[data-hub-name="${hubName}"] .hub-menu').click()`);
  await session.waitFor('the menu', () => session.execute('return document.querySelectorAll("#hub-menu button").length > 0'));
  const picked = await session.execute(
    `const b = [...document.querySelectorAll('#hub-menu button')].find((b) => new RegExp(arguments[0]).test(b.textContent.trim()));
     if (b) b.click();
     return Boolean(b);`,
    label.source,
  );
  assert.ok(picked, `no menu item ${label} for ${hubName}`);
}

/** Wait until no dialog of the welcome page is open (the success dialog closes by itself). */
function noDialog(session) {
  return session.waitFor('the dialogs to close', () => session.execute('return document.querySelector("dialog[open]") === null'), 10_000);
}

/** The window handle that is not the welcome page's and not one of `seen`, once one appears. */
async function otherWindow(session, main, what = 'the sign-in window', seen = []) {
  return session.waitFor(what, async () => (await session.handles()).find((h) => h !== main && !seen.includes(h)), 20_000);
}

/** In the sign-in window: the IdP's password page, then its TOTP page. */
async function signInAtIdp(session, person, { totp = null, shot = null } = {}) {
  const user = await session.waitForVisible('#username', 20_000);
  await user.type(person);
  await (await session.$('#password')).type(`${person}-pass`);
  (await session.$('#submit')).click();
  const code = await session.waitForVisible('#code', 20_000);
  if (shot) await saveScreenshot(session, shot);
  await code.type(totp ?? (await (await fetch(`${idp.controlUrl}totp?user=${person}`)).json()).code);
  (await session.$('#submit')).click();
}

/** Invoke a Hublink command and emit an event from the current (remote) page. */
function tryHublinkFromPage(session) {
  return session.executeAsync(`
    const done = arguments[arguments.length - 1];
    const t = window.__TAURI_INTERNALS__;
    if (!t) return done({ internals: false });
    const out = { internals: true };
    const attempt = (p) => Promise.resolve().then(p).then((v) => ({ ok: true, v: JSON.stringify(v) }), (e) => ({ ok: false, e: String(e) }));
    attempt(() => t.invoke('list_hubs')).then((r) => { out.invoke = r; return attempt(() => t.invoke('plugin:event|emit', { event: 'hubs-changed', payload: null })); })
      .then((r) => { out.emit = r; done(out); });`);
}

/** Every cookie value the hubs and the IdP handed out, from their own records. */
const secretsSeen = new Set();
async function collectSecrets() {
  for (const hub of [finance, sales]) {
    const s = await (await fetch(`${hub.controlUrl}sessions`)).json();
    for (const x of s.sessions ?? []) if (x.cookie) secretsSeen.add(x.cookie);
  }
}

describe('a Qlik-like hub behind SAML with TOTP, signed in inside Hublink', () => {
  const user = newDesktopUser('websignin');
  let app;
  let main;
  const outputs = [];

  let windowManager;
  before(async () => {
    // A window manager draws the titles, which are the sign-in window's address bar.
    windowManager = spawn('openbox', [], { stdio: 'ignore' });
    user.env.HUBLINK_DESKTOP_BIN = APP;
    user.env.HUBLINK_LOG = 'trace,tao=info,wry=info,zbus=info,tauri=info,tracing=info';
    app = await launchApp(user);
    main = await app.session.currentHandle();
  });
  after(async () => {
    await app?.stop();
    windowManager?.kill();
  });

  test('the link shows the hub\'s own sign-in in the confirmation; the card waits for a sign-in', async () => {
    const text = await addFromLink(user, app.session, finance.link);
    assert.match(text, /127\.0\.0\.1/);
    assert.match(text, /own sign-in page/i);
    await waitForState(app.session, 'Finance Hub', 'sign_in_required');
  });

  test('password + TOTP in the Hublink window → signed in as CORP\\alice; the window closes; nothing else opened', async () => {
    const { session } = app;
    const before = await idpCounters();
    (await card(session, 'Finance Hub')).el.click();
    const signin = await otherWindow(session, main);
    await session.switchTo(signin);
    await session.waitFor('the IdP page', async () => (await session.url()).startsWith(idp.url));
    const fromIdp = await tryHublinkFromPage(session);
    assert.equal(fromIdp.invoke?.ok ?? false, false, `the IdP's page must not call Hublink: ${JSON.stringify(fromIdp)}`);
    assert.equal(fromIdp.emit?.ok ?? false, false, `the IdP's page must not emit events: ${JSON.stringify(fromIdp)}`);
    await saveScreenshot(session, 'websignin-idp-password');
    // The address, always visible: the title names the host the window shows and the connection.
    const titles = execFileSync('xdotool', ['search', '--name', 'Finance Hub — ', 'getwindowname', '%@'], { encoding: 'utf8' });
    assert.match(titles, new RegExp(`Finance Hub — ${new URL(idp.url).host.replace(/\./g, '\\.')} \\(NOT ENCRYPTED\\)`));
    fs.mkdirSync(SHOTS, { recursive: true });
    execFileSync('import', ['-window', 'root', path.join(SHOTS, 'websignin-window-title.png')]);
    await signInAtIdp(session, 'alice', { shot: 'websignin-idp-totp' });
    await session.waitFor('the sign-in window to close', async () => !(await session.handles()).includes(signin), 30_000);
    await session.switchTo(main);
    const c = await waitForState(session, 'Finance Hub', 'signed_in');
    assert.match(c.text, /CORP\\alice/);
    const after_ = await idpCounters();
    assert.equal(after_.logins - before.logins, 1);
    await saveScreenshot(session, 'websignin-signed-in');
    await collectSecrets();
  });

  test('`hublink header` gives a Cookie the hub accepts (curl → 200); `token` explains itself', async () => {
    const r = await runWith(user, CLI, ['header', 'Finance Hub']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Cookie: X-Qlik-Session-finance=[0-9a-f]{32}\n$/);
    secretsSeen.add(r.stdout.trim().split('=')[1]);
    const [name, value] = r.stdout.trim().split(': ');
    const api = await fetch(`${finance.url}api/v1/about`, { headers: { [name]: value } });
    assert.equal(api.status, 200);
    const noCookie = await fetch(`${finance.url}api/v1/about`);
    assert.equal(noCookie.status, 401, 'the hub really checks the cookie');
    const token = await runWith(user, CLI, ['token', 'Finance Hub']);
    assert.equal(token.code, 2);
    assert.match(token.stderr, /not an access token[\s\S]*hublink header/);
    assert.doesNotMatch(token.stderr + r.stderr, /[0-9a-f]{32}/, 'no cookie value on stderr');
    const exec = await runWith(user, CLI, ['exec', 'Finance Hub', '--', 'sh', '-c', 'test "${HUBLINK_AUTH_HEADER#Cookie: }" != "$HUBLINK_AUTH_HEADER" && test -z "$HUBLINK_ACCESS_TOKEN"']);
    assert.equal(exec.code, 0, exec.stderr);
    const list = JSON.parse((await runWith(user, CLI, ['list', '--json'])).stdout);
    assert.equal(list.hubs.find((h) => h.name === 'Finance Hub').auth, 'web');
  });

  test('opening the hub shows it signed in, in a Hublink window whose page cannot call Hublink', async () => {
    const { session } = app;
    await noDialog(session);
    (await card(session, 'Finance Hub')).el.click();
    const hubWindow = await otherWindow(session, main, 'the hub window');
    await session.switchTo(hubWindow);
    const signedIn = await session.waitForVisible('#signed-in', 20_000);
    assert.match(await signedIn.text(), /CORP\\alice/);
    const fromHub = await tryHublinkFromPage(session);
    assert.equal(fromHub.invoke?.ok ?? false, false, `the hub's page must not call Hublink: ${JSON.stringify(fromHub)}`);
    assert.equal(fromHub.emit?.ok ?? false, false, JSON.stringify(fromHub));
    await saveScreenshot(session, 'websignin-hub-window');
    await session.execute('window.close()').catch(() => {});
    await session.waitFor('the hub window to close', async () => (await session.handles()).length === 1, 10_000).catch(() => {});
    await session.switchTo(main);
  });

  test('the next hub on the same IdP signs in without a page (`hublink login` through the running app)', async () => {
    await addFromLink(user, app.session, sales.link);
    await waitForState(app.session, 'Sales Hub', 'sign_in_required');
    const before = await idpCounters();
    const r = await runWith(user, CLI, ['login', 'Sales Hub', '--timeout', '60'], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Signed in to Sales Hub as CORP\\alice/);
    const after_ = await idpCounters();
    assert.equal(after_.logins, before.logins, 'no password or code asked');
    assert.equal(after_.silentSso - before.silentSso, 1);
    await waitForState(app.session, 'Sales Hub', 'signed_in');
    await collectSecrets();
  });

  test('after a restart the session is restored with one probe and no window', async () => {
    await app.stop();
    const before = await hubCounters(finance);
    app = await launchApp(user);
    main = await app.session.currentHandle();
    await waitForState(app.session, 'Finance Hub', 'signed_in');
    const after_ = await hubCounters(finance);
    assert.equal(after_.qpsUserGood - before.qpsUserGood, 1, 'one probe of the session check, never a burst');
    assert.deepEqual(await app.session.handles(), [main]);
  });

  test('the hub\'s idle timeout passes → renewed silently with the kept IdP cookies, also after a restart', async () => {
    await app.stop();
    await control(finance.controlUrl, 'expire-sessions');
    const before = await idpCounters();
    app = await launchApp(user); // the IdP's SSO cookie was a session cookie: only the keyring kept it
    main = await app.session.currentHandle();
    const c = await waitForState(app.session, 'Finance Hub', 'signed_in', 60_000);
    assert.match(c.text, /CORP\\alice/);
    const after_ = await idpCounters();
    assert.equal(after_.logins, before.logins, 'no page asked the user anything');
    assert.ok(after_.silentSso > before.silentSso, 'the IdP answered from its SSO session');
    const r = await runWith(user, CLI, ['header', 'Finance Hub']);
    const api = await fetch(`${finance.url}api/v1/about`, { headers: { Cookie: r.stdout.trim().replace(/^Cookie: /, '') } });
    assert.equal(api.status, 200, 'the renewed cookie works');
    await collectSecrets();
  });

  test('hub and IdP sessions both gone → "Sign in again", and no window pops up', async () => {
    await control(finance.controlUrl, 'expire-sessions');
    await control(idp.controlUrl, 'end-sessions');
    const state = await app.session.executeAsync(`
      const done = arguments[arguments.length - 1];
      window.__TAURI_INTERNALS__.invoke('check_hub', { hubId: document.querySelector('[data-hub-name="Finance Hub"]').dataset.hubId })
        .then((s) => done(s), (e) => done({ error: e }));`);
    assert.equal(state.kind, 'sign_in_required', JSON.stringify(state));
    assert.match(state.reason, /identity provider asks you to sign in again/);
    await sleep(500);
    assert.deepEqual(await app.session.handles(), [main], 'the hidden window is gone, none shown');
  });

  test('sign out calls the hub\'s logout and forgets the hub\'s and the IdP\'s cookies', async () => {
    const { session } = app;
    // Signed in again first (the card's menu: its state was checked outside the page), so
    // there is a live hub session to end.
    await noDialog(session);
    await menuPick(session, 'Finance Hub', /^Sign in/);
    await session.switchTo(await otherWindow(session, main));
    await signInAtIdp(session, 'alice');
    await session.waitFor('the sign-in window to close', async () => (await session.handles()).length === 1, 30_000);
    await session.switchTo(main);
    await waitForState(session, 'Finance Hub', 'signed_in');
    await collectSecrets();
    const before = await hubCounters(finance);
    const out = await runWith(user, CLI, ['logout', 'Finance Hub']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /the hub ended the session/);
    assert.equal((await hubCounters(finance)).logouts - before.logouts, 1);
    const header = await runWith(user, CLI, ['header', 'Finance Hub']);
    assert.equal(header.code, 3, 'nothing kept in the keyring');
    // Signing out in the app also clears the web context: the IdP asks for the password again.
    const salesOut = await session.executeAsync(`
      const done = arguments[arguments.length - 1];
      window.__TAURI_INTERNALS__.invoke('logout', { hubId: document.querySelector('[data-hub-name="Sales Hub"]').dataset.hubId })
        .then((s) => done(s), (e) => done({ error: e }));`);
    assert.match(String(salesOut), /Signed out of Sales Hub/);
    const seen = await session.handles();
    await noDialog(session);
    await menuPick(session, 'Sales Hub', /^Sign in/);
    const w = await otherWindow(session, main, 'the sign-in window', seen);
    await session.switchTo(w);
    await session.waitForVisible('#username', 20_000);
    await session.execute('window.close()').catch(() => {});
    await session.switchTo(main);
  });

  test('no cookie value in the app\'s trace-level log, nor in any error the CLI printed', async () => {
    await collectSecrets();
    assert.ok(secretsSeen.size >= 1, 'the test knows the values it looks for');
    const logDir = path.join(process.env.XDG_DATA_HOME ?? '', 'app.hublink.desktop', 'logs');
    const logs = fs.readdirSync(logDir).map((f) => fs.readFileSync(path.join(logDir, f), 'utf8')).join('\n');
    assert.match(logs, /web session captured/, 'the log is the one this run wrote, at trace level');
    const idpCookie = /idp_sso=([^;\s]+)/.exec(logs);
    assert.equal(idpCookie, null, 'no IdP cookie in the log');
    for (const secret of secretsSeen) {
      assert.ok(!logs.includes(secret), 'a hub cookie value is in the log');
      for (const o of outputs) assert.ok(!o.includes(secret), 'a hub cookie value is in CLI output');
    }
  });
});

describe('web sign-in failures, each with its reason', () => {
  const user = newDesktopUser('websignin-fail');
  let app;
  let main;

  before(async () => {
    user.env.HUBLINK_DESKTOP_BIN = APP;
    app = await launchApp(user);
    main = await app.session.currentHandle();
    await addFromLink(user, app.session, finance.link);
    await waitForState(app.session, 'Finance Hub', 'sign_in_required');
  });
  after(async () => {
    await app?.stop();
  });

  async function errorText(session) {
    const dialog = await session.waitForVisible('#signin-dialog [data-outcome="error"], #signin-error', 30_000).catch(() => null);
    return dialog ? dialog.text() : session.execute('return document.querySelector("#signin-dialog")?.innerText ?? ""');
  }

  test('a wrong TOTP code: the IdP says so in the window; closing it cancels and stores nothing', async () => {
    const { session } = app;
    (await card(session, 'Finance Hub')).el.click();
    const w = await otherWindow(session, main);
    await session.switchTo(w);
    await signInAtIdp(session, 'alice', { totp: '000000' });
    const err = await session.waitForVisible('#error', 20_000);
    assert.match(await err.text(), /Wrong code/);
    await session.execute('window.close()').catch(() => {});
    await session.switchTo(main);
    await session.waitFor('the cancellation', async () => /cancel/i.test(await session.execute('return document.querySelector("#signin-dialog")?.innerText ?? ""')), 20_000);
    const r = await runWith(user, CLI, ['status', '--json']);
    assert.equal(JSON.parse(r.stdout).hubs[0].state, 'sign_in_required');
  });

  test('the hub refuses the user: "server authentication failed" with the hub\'s own words', async () => {
    const { session } = app;
    const seen = await session.handles();
    await session.execute('document.querySelector("#signin-dialog")?.close?.()');
    (await card(session, 'Finance Hub')).el.click();
    const w = await otherWindow(session, main, 'the sign-in window', seen);
    await session.switchTo(w);
    await signInAtIdp(session, 'bob');
    await session.waitFor('the window to close', async () => !(await session.handles()).includes(w), 30_000);
    await session.switchTo(main);
    const text = await session.waitFor('the refusal', async () => {
      const t = await session.execute('return document.querySelector("#signin-dialog")?.innerText ?? ""');
      return /no access pass/.test(t) ? t : null;
    }, 20_000);
    assert.match(text, /[Ss]erver authentication failed/);
    assert.match(text, /access/i);
    await saveScreenshot(session, 'websignin-refused');
  });

  test('the hub is down: `hublink login` through the app fails at once as a network error (exit 4), no window', async () => {
    const down = await startQlikHub({ idp, prefix: 'down', name: 'Down Hub' });
    const link = down.link;
    await down.stop();
    const add = await runWith(user, CLI, ['add', '--yes', link]);
    assert.equal(add.code, 0, add.stderr);
    const windows = await app.session.handles();
    const login = await runWith(user, CLI, ['login', 'Down Hub', '--timeout', '30'], { timeoutMs: 60_000 });
    assert.equal(login.code, 4, login.stderr);
    assert.match(login.stderr, /the hub \(http:\/\/127\.0\.0\.1:\d+\): connection refused/);
    assert.deepEqual(await app.session.handles(), windows, 'no window opened');
    const status = JSON.parse((await runWith(user, CLI, ['status', '--json'])).stdout);
    assert.equal(status.hubs.find((h) => h.name === 'Down Hub').state, 'sign_in_required', 'nothing stored');
  });

  test('a link whose session_check is on another origin is refused at add', async () => {
    const bad = finance.link.replace(/session_check=[^&]+/, `session_check=${encodeURIComponent(`${idp.url}/qps/user`)}`);
    const r = await runWith(user, CLI, ['add', '--yes', bad]);
    assert.equal(r.code, 5);
    assert.match(r.stderr, /session_check/);
  });
});
