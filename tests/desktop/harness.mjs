// Start the real Hublink desktop app under tauri-driver (WebKitWebDriver) with an isolated
// environment: temp HUBLINK_HOME, hubs.ini folder, XDG config folder; the keyring and display
// of the surrounding run (tests/with-keyring.sh + xvfb-run, see scripts/test.sh).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { browserEnv } from '../people.mjs';
import { freePort, newSession, waitForPort } from './webdriver.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
export const APP = process.env.HUBLINK_DESKTOP_BIN ?? path.join(root, 'target/debug/hublink-desktop');
export const CLI = process.env.HUBLINK_BIN ?? path.join(root, 'target/debug/hublink');
export const SIGNIN = path.join(root, 'tests/browser/signin.mjs');
export const DEVICE = path.join(root, 'tests/browser/device.mjs');
export const RECORD_URL = path.join(root, 'tests/cli/record-url.sh');
export const SHOTS = process.env.HUBLINK_SCREENSHOTS ?? path.join(root, 'target/screenshots');

/** An isolated user of the desktop app. */
export function newDesktopUser(name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hublink-desktop-${name}-`));
  const env = {
    ...process.env,
    HUBLINK_HOME: path.join(dir, 'home'),
    HUBLINK_HUBS_DIR: path.join(dir, 'hubs'),
    XDG_CONFIG_HOME: path.join(dir, 'config'),
    XDG_CACHE_HOME: path.join(dir, 'cache'),
    HUBLINK_BROWSER: SIGNIN,
    HUBLINK_TEST_BROWSER_LOG: path.join(dir, 'browser.log'),
    HUBLINK_LOG: process.env.HUBLINK_LOG ?? 'hublink=info',
    // No accessibility bus or desktop portals under Xvfb: keep GTK from asking for them.
    NO_AT_BRIDGE: '1',
    GTK_USE_PORTAL: '0',
  };
  for (const k of ['HUBLINK_HUBS_DIR', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME']) fs.mkdirSync(env[k], { recursive: true });
  return {
    dir,
    env,
    as(person, action = 'approve') {
      Object.assign(env, browserEnv(person, action));
    },
    browserLog() {
      try { return fs.readFileSync(env.HUBLINK_TEST_BROWSER_LOG, 'utf8'); } catch { return ''; }
    },
  };
}

/** The user's environment with `env` over it; a variable set to `undefined` is removed. */
export function envWith(user, env = {}) {
  const merged = { ...user.env, ...env };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  return merged;
}

/** Start the app (through tauri-driver) for `user`; resolves when the page has rendered.
 *  `app`: the program tauri-driver starts instead of the app (a wrapper that execs it). */
export async function launchApp(user, { args = [], env = {}, app = APP } = {}) {
  const port = await freePort();
  const nativePort = await freePort();
  const driverLog = fs.openSync(path.join(user.dir, `tauri-driver-${port}.log`), 'a');
  const driver = spawn('tauri-driver', ['--port', String(port), '--native-port', String(nativePort)], {
    env: envWith(user, env),
    stdio: ['ignore', driverLog, driverLog],
  });
  const exited = new Promise((resolve) => driver.on('exit', resolve));
  try {
    // tauri-driver starts WebKitWebDriver itself; both must listen before a session can start.
    await waitForPort(port);
    await waitForPort(nativePort);
    const session = await newSession(`http://127.0.0.1:${port}`, {
      'tauri:options': { application: app, args },
    });
    await session.waitFor('the welcome page', () => session.execute('return document.body.dataset.ready === "true"'), 30_000);
    return {
      session,
      async stop() {
        await session.delete().catch(() => {});
        driver.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        // The app is a single instance per desktop session: one left running would swallow the
        // next test's launch. End every instance that runs with this user's HUBLINK_HOME.
        await endApps(user.env.HUBLINK_HOME);
      },
    };
  } catch (e) {
    driver.kill('SIGKILL');
    throw new Error(`${e.message}\n--- tauri-driver log\n${fs.readFileSync(path.join(user.dir, `tauri-driver-${port}.log`), 'utf8')}`);
  }
}

/** The running app processes of the user whose state folder is `home`. */
export function appPids(home) {
  const pids = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const argv0 = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
      if (argv0 !== APP) continue;
      if (fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`HUBLINK_HOME=${home}`)) pids.push(Number(pid));
    } catch {
      // The process ended meanwhile.
    }
  }
  return pids;
}

async function endApps(home) {
  for (const signal of ['SIGTERM', 'SIGKILL']) {
    for (const pid of appPids(home)) {
      try { process.kill(pid, signal); } catch { /* gone */ }
    }
    for (let i = 0; i < 30 && appPids(home).length; i += 1) await new Promise((r) => setTimeout(r, 100));
    if (!appPids(home).length) return;
  }
}

/** Run a program with the user's environment; resolves with {code, stdout, stderr}. */
export function runWith(user, cmd, args, { env = {}, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: envWith(user, env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => { clearTimeout(t); resolve({ code, stdout, stderr }); });
  });
}

export async function saveScreenshot(session, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  fs.writeFileSync(file, await session.screenshot());
  console.log(`screenshot: ${file}`);
  return file;
}

/** The card of the hub called `name`, with its state. */
export async function card(session, name) {
  const el = await session.$(`[data-hub-name="${name}"]`);
  if (!el) return null;
  return { el, state: await el.attr('data-state'), text: await el.text() };
}

export function waitForState(session, name, state, timeoutMs = 45_000) {
  return session.waitFor(`${name} to be ${state}`, async () => {
    const c = await card(session, name);
    return c && c.state === state ? c : null;
  }, timeoutMs);
}
