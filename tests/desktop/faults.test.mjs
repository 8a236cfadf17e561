// Start-up faults of the desktop (issue 10): the real hublink-desktop under Xvfb, through
// tauri-driver, on a computer where something is broken — an unusable or missing D-Bus session
// bus, a read-only ~/.local/share, a read-only state folder, a desktop portal that never
// answers. Each time the window must come up within a bound and say what is wrong and why.
// Read-only folders are read-only mounts in a private mount namespace (read-only.sh), so they
// hold for root too. Figures go to target/reliability/desktop.json.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { APP, CLI, appPids, launchApp, newDesktopUser, runWith, saveScreenshot } from './harness.mjs';
import { recordFigures } from './reliability.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const READ_ONLY = path.join(here, 'read-only.sh');
/** The window, page rendered, within this long of asking tauri-driver for it. */
const WINDOW_BOUND_MS = 10_000;

const results = [];
after(() => {
  recordFigures('startup_faults', {
    cases_tried: results.length,
    cases_survived: results.filter((r) => r.survived).length,
    window_bound_ms: WINDOW_BOUND_MS,
    cases: results,
  });
});

/** Launch, timed; the case is recorded as survived only when every assertion after it holds. */
async function timedLaunch(name, user, options) {
  const started = Date.now();
  const entry = { case: name, survived: false, window_ms: null };
  results.push(entry);
  const app = await launchApp(user, options);
  entry.window_ms = Date.now() - started;
  return { app, entry };
}

const noticeText = (session, code) =>
  session.execute('return document.querySelector(`[data-notice="${arguments[0]}"]`)?.textContent ?? null', code);

const hubNames = (session) =>
  session.execute('return [...document.querySelectorAll("[data-hub-name]")].map((e) => e.dataset.hubName)');

describe('no usable D-Bus session bus', () => {
  test('an unusable DBUS_SESSION_BUS_ADDRESS: the window comes up and says the keyring cannot be reached', async () => {
    const user = newDesktopUser('bad-bus');
    const { app, entry } = await timedLaunch('unusable DBUS_SESSION_BUS_ADDRESS', user, { env: { DBUS_SESSION_BUS_ADDRESS: 'garbage' } });
    try {
      assert.ok(entry.window_ms < WINDOW_BOUND_MS, `window after ${entry.window_ms} ms`);
      const text = await app.session.waitFor('the session bus notice', () => noticeText(app.session, 'session_bus'));
      assert.match(text, /No D-Bus session bus/);
      assert.match(text, /DBUS_SESSION_BUS_ADDRESS \(garbage\) cannot be used/);
      assert.match(text, /What to do:.*dbus-run-session/);
      await saveScreenshot(app.session, 'fault-bad-bus');
      entry.survived = true;
    } finally {
      await app.stop();
    }
  });

  test('no session bus: the window comes up, and a link from a second process still reaches it', async () => {
    const user = newDesktopUser('no-bus');
    const noBus = { DBUS_SESSION_BUS_ADDRESS: undefined };
    const { app, entry } = await timedLaunch('no session bus', user, { env: noBus });
    try {
      assert.ok(entry.window_ms < WINDOW_BOUND_MS, `window after ${entry.window_ms} ms`);
      assert.match(await app.session.waitFor('the notice', () => noticeText(app.session, 'session_bus')), /\(not set\) cannot be used/);
      const link = 'hublink://add?url=https://no-bus.example.com/&name=No%20Bus%20Hub';
      const second = await runWith(user, APP, [link], { env: noBus, timeoutMs: 20_000 });
      assert.equal(second.code, 0, `the second process: ${second.stderr}`);
      await app.session.waitForVisible('#confirm-dialog');
      assert.equal(await (await app.session.$('#confirm-name')).text(), 'No Bus Hub');
      assert.equal(appPids(user.env.HUBLINK_HOME).length, 1, 'one app, not two');
      entry.survived = true;
    } finally {
      await app.stop();
    }
  });
});

describe('read-only folders', () => {
  test('a read-only ~/.local/share: the window comes up, and says the log is not written to a file', async () => {
    const user = newDesktopUser('ro-data');
    const data = path.join(user.dir, 'data');
    fs.mkdirSync(data);
    const { app, entry } = await timedLaunch('read-only ~/.local/share', user, {
      app: READ_ONLY,
      env: { XDG_DATA_HOME: data, HUBLINK_TEST_APP: APP, HUBLINK_TEST_READ_ONLY: data },
    });
    try {
      assert.ok(entry.window_ms < WINDOW_BOUND_MS, `window after ${entry.window_ms} ms`);
      const text = await app.session.waitFor('the log notice', () => noticeText(app.session, 'log_file'));
      assert.match(text, /log is not written to a file/);
      assert.match(text, /Read-only file system/);
      assert.equal(fs.readdirSync(data).length, 0, 'nothing was written there');
      await saveScreenshot(app.session, 'fault-read-only-data');
      entry.survived = true;
    } finally {
      await app.stop();
    }
  });

  test('a read-only state folder: its hubs are listed, with the reason nothing can be saved', async () => {
    const user = newDesktopUser('ro-home');
    const added = await runWith(user, CLI, ['add', 'hublink://add?url=https://kept.example.com/&name=Kept%20Hub', '--yes']);
    assert.equal(added.code, 0, added.stderr);
    const home = user.env.HUBLINK_HOME;
    const { app, entry } = await timedLaunch('read-only state folder', user, {
      app: READ_ONLY,
      env: { HUBLINK_TEST_APP: APP, HUBLINK_TEST_READ_ONLY: home },
    });
    try {
      assert.ok(entry.window_ms < WINDOW_BOUND_MS, `window after ${entry.window_ms} ms`);
      await app.session.waitFor('the link hub', async () => (await hubNames(app.session)).includes('Kept Hub'));
      const banners = await app.session.execute('return document.getElementById("banners").textContent');
      assert.match(banners, /state folder .* cannot be written \(Read-only file system/);
      await saveScreenshot(app.session, 'fault-read-only-home');
      entry.survived = true;
    } finally {
      await app.stop();
    }
  });
});

/**
 * A session bus of our own whose desktop portal never answers: `hung` — the portal can be
 * started but never comes up (a stuck xdg-desktop-portal); `silent` — a process owns the name
 * and never replies (dbus-test-tool black-hole, Debian's dbus-tests).
 */
async function busWithSilentPortal(dir, kind) {
  const services = path.join(dir, 'services');
  fs.mkdirSync(services, { recursive: true });
  if (kind === 'hung') {
    // Never claims the name; ends once the bus has gone.
    fs.writeFileSync(path.join(services, 'org.freedesktop.portal.Desktop.service'),
      '[D-BUS Service]\nName=org.freedesktop.portal.Desktop\nExec=/bin/sh -c "while kill -0 $PPID 2>/dev/null; do sleep 1; done"\n');
  }
  const conf = path.join(dir, 'bus.conf');
  fs.writeFileSync(conf, `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:tmpdir=${dir}</listen><auth>EXTERNAL</auth>
<servicedir>${services}</servicedir>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
</busconfig>\n`);
  const daemon = spawn('dbus-daemon', ['--config-file', conf, '--print-address', '--nofork'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const address = await new Promise((resolve, reject) => {
    let out = '';
    daemon.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.trim());
    });
    daemon.on('exit', (code) => reject(new Error(`dbus-daemon exited with ${code}`)));
  });
  const helpers = [];
  if (kind === 'silent') {
    const hole = spawn('dbus-test-tool', ['black-hole', '--session', '--name=org.freedesktop.portal.Desktop', '--no-read'], {
      env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address },
      stdio: 'ignore',
    });
    helpers.push(hole);
    await new Promise((resolve, reject) => {
      hole.on('error', () => reject(new Error('dbus-test-tool is missing: apt-get install dbus-tests (scripts/setup.sh --desktop)')));
      setTimeout(resolve, 500);
    });
  }
  return {
    address,
    stop() {
      for (const p of [...helpers, daemon]) p.kill('SIGTERM');
    },
  };
}

describe('a desktop portal that never answers', () => {
  for (const kind of ['hung', 'silent']) {
    test(`${kind === 'hung' ? 'a portal that never starts' : 'a portal that never replies'}: the window within the bound (not ~30 s), with the reason`, async () => {
      const user = newDesktopUser(`portal-${kind}`);
      const bus = await busWithSilentPortal(path.join(user.dir, 'bus'), kind);
      try {
        // Portal use left to GTK's own choice, as on a desktop.
        const { app, entry } = await timedLaunch(`desktop portal that never ${kind === 'hung' ? 'starts' : 'replies'}`, user, {
          env: { DBUS_SESSION_BUS_ADDRESS: bus.address, GTK_USE_PORTAL: undefined },
        });
        try {
          assert.ok(entry.window_ms < WINDOW_BOUND_MS, `window after ${entry.window_ms} ms`);
          const text = await app.session.waitFor('the portal notice', () => noticeText(app.session, 'portal'));
          assert.match(text, /desktop portal does not answer/);
          assert.match(text, /org\.freedesktop\.portal\.Desktop did not answer within 1\.5 s/);
          assert.match(text, /What to do: .*restart xdg-desktop-portal/);
          if (kind === 'hung') await saveScreenshot(app.session, 'fault-portal');
          entry.survived = true;
        } finally {
          await app.stop();
        }
      } finally {
        bus.stop();
      }
    });
  }
});
