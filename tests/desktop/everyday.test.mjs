// Every morning without thinking: the real app keeps sessions fresh in the background, warns
// before a session's end and renews with one click, lives in the tray (its menu lists the
// hubs), keeps running when the window closes, starts at login when asked, and sends desktop
// notifications — against the real OpenID Connect IdP with TOTP, under Xvfb with a real window
// manager, the notifications captured from the session bus.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startIdp } from '../idp/idp.mjs';
import { ALICE } from '../people.mjs';
import { card, launchApp, newDesktopUser, saveScreenshot, waitForState } from './harness.mjs';

let idp;
let windowManager;
before(async () => {
  idp = await startIdp();
  windowManager = spawn('openbox', [], { stdio: 'ignore' });
});
after(async () => {
  windowManager?.kill();
  await idp?.stop();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const gdbus = (...args) => execFileSync('gdbus', ['call', '--session', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function hubsIni(user, extra = '') {
  fs.writeFileSync(path.join(user.env.HUBLINK_HUBS_DIR, 'demo.ini'),
    `[Demo Hub]\nurl = ${idp.hubUrl}\nissuer = ${idp.issuer}\nsession_check = ${idp.sessionCheckUrl}\nmfa = required\n${extra}`);
}

/** The app's pid: the hublink-desktop process that runs with this user's HUBLINK_HOME. */
function appPid(user) {
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('hublink-desktop')) continue;
      if (fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`HUBLINK_HOME=${user.env.HUBLINK_HOME}`)) return Number(pid);
    } catch { /* gone */ }
  }
  return null;
}

/** The labels of the app's tray menu, read over D-Bus (StatusNotifierItem + dbusmenu). */
function trayMenuLabels(pid) {
  const names = gdbus('--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', 'org.freedesktop.DBus.ListNames');
  for (const name of names.match(/':1\.\d+'/g) ?? []) {
    const bus = name.slice(1, -1);
    let owner = '';
    try {
      owner = gdbus('--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', 'org.freedesktop.DBus.GetConnectionUnixProcessID', bus);
    } catch { continue; /* gone meanwhile */ }
    if (!owner.includes(`uint32 ${pid},`)) continue;
    try {
      const layout = gdbus('--dest', bus, '--object-path', '/org/ayatana/NotificationItem/tray_icon_tray_app_hublink/Menu',
        '--method', 'com.canonical.dbusmenu.GetLayout', 'int32 0', 'int32 -1', '@as []');
      return [...layout.matchAll(/'label': <'([^']*)'>/g)].map((m) => m[1]);
    } catch { /* not this connection */ }
  }
  return null;
}

describe('kept fresh, in the tray, warned in time', () => {
  const user = newDesktopUser('everyday');
  let app;
  let monitor;
  let notifications = '';

  before(async () => {
    hubsIni(user);
    user.as(ALICE);
    // The background looks every 2 s here (30 s by default).
    // HOME too: the autostart library writes ~/.config/autostart, whatever XDG_CONFIG_HOME says.
    Object.assign(user.env, { HUBLINK_RENEW_INTERVAL_SECS: '2', HOME: user.dir });
    fs.mkdirSync(path.join(user.dir, '.config'), { recursive: true });
    monitor = spawn('dbus-monitor', ['--session', "interface='org.freedesktop.Notifications'"], { stdio: ['ignore', 'pipe', 'ignore'] });
    monitor.stdout.on('data', (d) => { notifications += d; });
    app = await launchApp(user);
  });
  after(async () => {
    monitor?.kill();
    await app?.stop();
  });

  test('signed in: the card shows the session\'s horizon, not a 20-second access token', async () => {
    idp.setAccessTokenTtl(20);
    const { session } = app;
    await waitForState(session, 'Demo Hub', 'sign_in_required');
    (await card(session, 'Demo Hub')).el.click();
    const c = await waitForState(session, 'Demo Hub', 'signed_in', 60_000);
    assert.match(c.text, /Signed in as alice · until /);
    assert.doesNotMatch(c.text, /less than a minute|expires in/);
    await session.waitFor('the dialog to close', async () => session.execute('return document.querySelector("dialog[open]") === null'), 10_000);
  });

  test('the access token expires while the app runs: renewed with no window and no browser', async () => {
    const before = idp.counters.refreshes;
    const logins = idp.counters.authorizationCodes;
    const log = user.browserLog();
    await app.session.waitFor('a background refresh', () => idp.counters.refreshes > before, 40_000);
    assert.equal(idp.counters.authorizationCodes, logins, 'no new sign-in');
    assert.equal(user.browserLog(), log, 'no browser was opened');
    const c = await card(app.session, 'Demo Hub');
    assert.equal(c.state, 'signed_in');
  });

  test('the tray is there and its menu lists the hubs with their state', async () => {
    const pid = appPid(user);
    assert.ok(pid, 'the app runs');
    const labels = await app.session.waitFor('the tray menu', () => {
      const l = trayMenuLabels(pid);
      return l && l.some((x) => x.startsWith('Demo Hub')) ? l : null;
    }, 20_000);
    assert.ok(labels.includes('Open Hublink'), labels.join(' | '));
    assert.ok(labels.includes('Demo Hub — signed in as alice'), labels.join(' | '));
    assert.ok(labels.includes('Quit Hublink'), labels.join(' | '));
  });

  test('start at login: the settings dialog writes the autostart entry and removes it', async () => {
    const { session } = app;
    const entry = path.join(user.dir, '.config', 'autostart', 'Hublink.desktop');
    (await session.$('#settings-open')).click();
    await session.waitForVisible('#settings-dialog');
    await saveScreenshot(session, 'settings');
    (await session.$('#settings-autostart')).click();
    (await session.$('#settings-save')).click();
    await session.waitFor('the autostart entry', () => fs.existsSync(entry), 10_000).catch(async (e) => {
      const shown = await session.execute('return document.getElementById("settings-error").textContent');
      const found = fs.existsSync(path.dirname(entry)) ? fs.readdirSync(path.dirname(entry)) : [];
      throw new Error(`${e.message}; the dialog says: ${shown}; ${path.dirname(entry)} holds ${found.join(', ')}`);
    });
    assert.match(fs.readFileSync(entry, 'utf8'), /Exec=.*hublink-desktop.*--hidden/);
    (await session.$('#settings-open')).click();
    await session.waitForVisible('#settings-dialog');
    assert.equal(await session.execute('return document.getElementById("settings-autostart").checked'), true);
    (await session.$('#settings-autostart')).click();
    (await session.$('#settings-save')).click();
    await session.waitFor('the entry to go', () => !fs.existsSync(entry), 10_000);
  });

  test('closing the window keeps Hublink and its tray running', async () => {
    const pid = appPid(user);
    const win = execFileSync('xdotool', ['search', '--name', '^Hublink$'], { encoding: 'utf8' }).trim().split('\n')[0];
    // As a user does: the window manager asks the window to close (WM_DELETE_WINDOW).
    execFileSync('xdotool', ['windowactivate', '--sync', win, 'key', '--clearmodifiers', 'alt+F4']);
    await sleep(1500);
    assert.ok(appPid(user), 'still running');
    assert.equal(appPid(user), pid);
    assert.ok(trayMenuLabels(pid)?.includes('Quit Hublink'), 'the tray is still there');
  });

  test('a hub that needs a new sign-in is a desktop notification (once)', async () => {
    idp.revokeAllGrants('alice');
    idp.setAccessTokenTtl(3600);
    await waitForState(app.session, 'Demo Hub', 'sign_in_required', 60_000);
    await app.session.waitFor('the notification', () => /Sign in again to Demo Hub/.test(notifications), 10_000);
    await sleep(5000);
    assert.equal(notifications.match(/Sign in again to Demo Hub/g).length, 1, 'said once, not every tick');
  });

});

describe('the session\'s hard end is near', () => {
  const user = newDesktopUser('renew');
  let app;

  before(async () => {
    hubsIni(user, 'max_session_days = 1');
    user.as(ALICE);
    idp.setAccessTokenTtl(3600);
    app = await launchApp(user);
  });
  after(async () => {
    await app?.stop();
  });

  test('"Renew by <day>" on the card, and one click is a real sign-in ahead of time', async () => {
    const { session } = app;
    await waitForState(session, 'Demo Hub', 'sign_in_required');
    (await card(session, 'Demo Hub')).el.click();
    await waitForState(session, 'Demo Hub', 'signed_in', 60_000);
    await session.waitFor('the dialog to close', async () => session.execute('return document.querySelector("dialog[open]") === null'), 10_000);
    const c = await card(session, 'Demo Hub');
    assert.match(c.text, /renew by/i);
    await saveScreenshot(session, 'renew-by');
    const codes = idp.counters.authorizationCodes;
    c.el.click();
    await session.waitFor('an interactive sign-in', () => idp.counters.authorizationCodes > codes, 60_000);
    await waitForState(session, 'Demo Hub', 'signed_in', 30_000);
  });
});

describe('a browser per hub, chosen in the window', () => {
  const user = newDesktopUser('hub-browser');
  let app;

  before(async () => {
    hubsIni(user);
    app = await launchApp(user);
  });
  after(async () => {
    await app?.stop();
  });

  test('the hub\'s details take a browser command; its sign-in opens there, not in HUBLINK_BROWSER', async () => {
    const { session } = app;
    const urls = path.join(user.dir, 'work-browser-urls');
    const script = path.join(user.dir, 'work-browser.sh');
    fs.writeFileSync(script, `#!/bin/sh\nprintf '%s %s\\n' "$1" "$2" >> ${urls}\n`, { mode: 0o755 });
    await waitForState(session, 'Demo Hub', 'sign_in_required');
    await session.execute(`document.querySelector('[data-hub-name="Demo Hub"] .hub-menu').click()`);
    await session.waitFor('the menu', () => session.execute('return document.querySelectorAll("#hub-menu [data-action=\\"details\\"]").length > 0'));
    await session.execute('document.querySelector(\'#hub-menu [data-action="details"]\').click()');
    const field = await session.waitForVisible('#details-browser');
    await field.type(`${script} --profile=work`);
    (await session.$('#details-browser-save')).click();
    await session.waitFor('the saved choice', () => {
      const prefs = path.join(user.env.HUBLINK_HOME, 'preferences.json');
      return fs.existsSync(prefs) && fs.readFileSync(prefs, 'utf8').includes('--profile=work');
    }, 10_000);
    (await session.$('#details-close')).click();
    (await card(session, 'Demo Hub')).el.click();
    await session.waitFor('the hub\'s browser', () => fs.existsSync(urls), 20_000);
    assert.match(fs.readFileSync(urls, 'utf8'), /^--profile=work http:\/\/127\.0\.0\.1:\d+\/.*auth/);
    assert.equal(user.browserLog(), '', 'HUBLINK_BROWSER (the test browser) was not used');
    await (await session.$('#signin-cancel')).click();
  });
});
