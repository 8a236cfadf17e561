// Shared by the fault-injection ring (tests/faults/*.test.mjs): users whose "browser" is the
// quirks ring's follow.mjs, a record of every fault tried and whether Hublink survived it
// (target/reliability/faults/<suite>.json, merged by tests/faults/run.sh), private D-Bus
// session buses with or without a real gnome-keyring-daemon, and throwaway certificates.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';

import { newUser, show } from '../cli/harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../..');
export const FOLLOW = path.resolve(here, '../quirks/follow.mjs');
/** Where the figures go (scripts/secret-hygiene.sh points this elsewhere for its trace run). */
export const RELIABILITY_DIR = process.env.HUBLINK_RELIABILITY_DIR ?? path.join(ROOT, 'target/reliability');
export const RESULTS_DIR = path.join(RELIABILITY_DIR, 'faults');
export const IS_ROOT = process.getuid?.() === 0;

export { show };
export const both = (r) => `${r.stdout}\n${r.stderr}`;

const roots = [];
/** A fresh user whose "system browser" follows redirects (the quirk IdP approves at once). */
export function faultUser(name) {
  const user = newUser(`faults-${name}`);
  user.env.HUBLINK_BROWSER = FOLLOW;
  roots.push(user.root);
  return user;
}

/** A temp folder of this file's, removed with the users' folders. */
export function scratch(name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hublink-faults-${name}-`));
  roots.push(dir);
  return dir;
}

// The users' folders go when the file's tests are done — unless the secret-hygiene run
// (HUBLINK_TEST_CAPTURE_DIR) is going to scan them, or HUBLINK_TEST_KEEP asks to keep them.
after(() => {
  if (process.env.HUBLINK_TEST_CAPTURE_DIR || process.env.HUBLINK_TEST_KEEP) return;
  for (const r of roots) {
    try {
      fs.rmSync(r, { recursive: true, force: true, maxRetries: 3 });
    } catch (e) {
      process.stderr.write(`# could not remove ${r}: ${e.message}\n`);
    }
  }
});

const results = [];

/**
 * Record this file's faults as `suite` and write them when the file's tests are done.
 * Each `fault(name, fn)` is a test whose outcome is also kept: survived = every assertion held.
 */
export function faultSuite(suite) {
  after(() => {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    fs.writeFileSync(path.join(RESULTS_DIR, `${suite}.json`), `${JSON.stringify({ suite, faults: results }, null, 2)}\n`);
  });
  return (name, fn, opts = {}) => test(name, opts, async (t) => {
    const t0 = Date.now();
    try {
      await fn(t);
      results.push({ name, survived: true, ms: Date.now() - t0 });
    } catch (e) {
      results.push({ name, survived: false, ms: Date.now() - t0, error: String(e.message).slice(0, 400) });
      throw e;
    }
  });
}

/** Assert a command ended with `code` within `ms`, its stderr matching every pattern. */
export function assertFailure(r, { code, ms, took, says = [], next }) {
  if (ms !== undefined) assert.ok(took < ms, `took ${took} ms (limit ${ms})\n${show(r)}`);
  assert.equal(r.code, code, show(r));
  const line = r.stderr.split('\n').find((l) => l.startsWith('hublink: ')) ?? '';
  assert.ok(line, `no "hublink: <message>: <cause>" line\n${show(r)}`);
  for (const re of says) assert.match(line, re, show(r));
  const nextLine = r.stderr.split('\n').find((l) => l.startsWith('next: ')) ?? '';
  assert.ok(nextLine.length > 'next: '.length, `no next step\n${show(r)}`);
  if (next) assert.match(nextLine, next, show(r));
}

/** Run and time a command. */
export async function timed(user, args, opts) {
  const t0 = Date.now();
  const r = await user.run(args, opts);
  return { r, took: Date.now() - t0 };
}

/** JSON of `hublink list --json`, asserting it exits 0 and parses. */
export async function listJson(user, opts) {
  const r = await user.run(['list', '--json'], opts);
  assert.equal(r.code, 0, show(r));
  try {
    return JSON.parse(r.stdout);
  } catch {
    return assert.fail(`list --json is not JSON\n${show(r)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Private D-Bus session buses. No <servicedir>: nothing is activated on demand, so a bus
// without a started keyring really has no Secret Service.

const BUS_CONFIG = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;

function readLine(stream, ms) {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no line within ${ms} ms: ${text}`)), ms);
    stream.on('data', function onData(d) {
      text += d;
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        stream.off('data', onData);
        resolve(text.slice(0, nl).trim());
      }
    });
  });
}

const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });

/**
 * A private session bus in `dir`. `bus.env` points a process at it; `startKeyring()` starts a
 * real, unlocked gnome-keyring-daemon on it (data in dir/data, so a restart keeps the items).
 */
export async function privateBus(dir = scratch('bus')) {
  fs.mkdirSync(dir, { recursive: true });
  const config = path.join(dir, 'bus.conf');
  fs.writeFileSync(config, BUS_CONFIG);
  const daemon = spawn('dbus-daemon', [`--config-file=${config}`, '--nofork', '--print-address=1'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const address = await readLine(daemon.stdout, 10_000);
  const env = { DBUS_SESSION_BUS_ADDRESS: address };
  const data = path.join(dir, 'data');
  const run = path.join(dir, 'run');
  const gdbus = (args) => execFileSync('gdbus', ['call', '--session', ...args], {
    env: { ...process.env, ...env }, encoding: 'utf8', timeout: 10_000,
  }).trim();
  const hasSecrets = () => gdbus(['--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus',
    '--method', 'org.freedesktop.DBus.NameHasOwner', 'org.freedesktop.secrets']) === '(true,)';
  let keyring = null;
  const bus = {
    address,
    env,
    gdbus,
    get keyringPid() {
      return keyring?.pid;
    },
    async startKeyring() {
      fs.mkdirSync(data, { recursive: true });
      fs.mkdirSync(run, { recursive: true, mode: 0o700 });
      keyring = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], {
        env: {
          ...process.env, ...env, XDG_DATA_HOME: data, XDG_RUNTIME_DIR: run, DISPLAY: '', WAYLAND_DISPLAY: '',
        },
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      keyring.stdin.end('fault-keyring-pw');
      for (let i = 0; i < 50 && !hasSecrets(); i += 1) await sleep(100);
      assert.ok(hasSecrets(), 'gnome-keyring-daemon owns org.freedesktop.secrets');
      // A login keyring exists only once something is stored: store and remove a probe.
      execFileSync('sh', ['-c', 'printf x | secret-tool store --label probe faults probe && secret-tool clear faults probe'], {
        env: { ...process.env, ...env }, timeout: 10_000,
      });
    },
    lockLogin() {
      gdbus(['--dest', 'org.freedesktop.secrets', '--object-path', '/org/freedesktop/secrets',
        '--method', 'org.freedesktop.Secret.Service.Lock', "['/org/freedesktop/secrets/collection/login']"]);
      return gdbus(['--dest', 'org.freedesktop.secrets', '--object-path', '/org/freedesktop/secrets/collection/login',
        '--method', 'org.freedesktop.DBus.Properties.Get', 'org.freedesktop.Secret.Collection', 'Locked']);
    },
    /** SIGSTOP (true) or SIGCONT (false) the keyring daemon: it keeps its name and answers nothing. */
    freezeKeyring(frozen) {
      process.kill(keyring.pid, frozen ? 'SIGSTOP' : 'SIGCONT');
    },
    async stopKeyring() {
      if (!keyring) return;
      const k = keyring;
      keyring = null;
      try {
        process.kill(k.pid, 'SIGCONT');
      } catch { /* gone */ }
      const gone = new Promise((r) => { k.on('exit', r); });
      k.kill('SIGTERM');
      await Promise.race([gone, sleep(3000)]);
      for (let i = 0; i < 30 && hasSecrets(); i += 1) await sleep(100);
    },
    async stop() {
      await bus.stopKeyring();
      daemon.kill('SIGTERM');
    },
  };
  return bus;
}

// ---------------------------------------------------------------------------------------------
// Certificates (openssl): a CA the hub's ca_file trusts, and leaves that fail in one way each.

/**
 * In `dir`: ca.pem (trusted through ca_file); expired.pem (by that CA, valid in 2020 only),
 * wronghost.pem (by that CA, for wrong.example only), unknown.pem (127.0.0.1, by a CA nobody
 * trusts); each with its .key. Returns the file paths.
 */
export function makeCerts(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const sh = (script) => execFileSync('sh', ['-ec', script], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ca = (name) => `openssl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout ${name}.key -out ${name}.pem `
    + `-subj "/CN=Hublink fault ${name}" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign`;
  const leafExt = (san) => `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`;
  fs.writeFileSync(path.join(dir, 'ok.ext'), leafExt('IP:127.0.0.1'));
  fs.writeFileSync(path.join(dir, 'wrong.ext'), leafExt('DNS:wrong.example'));
  fs.writeFileSync(path.join(dir, 'ca.cnf'), [
    '[ca]', 'default_ca = d', '[d]', `dir = ${dir}`, 'database = $dir/index.txt', 'new_certs_dir = $dir',
    'serial = $dir/serial', 'default_md = sha256', 'policy = any', '[any]', 'commonName = supplied', '',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'serial'), '1000\n');
  const csr = (name, cn) => `openssl req -newkey rsa:2048 -nodes -keyout ${name}.key -out ${name}.csr -subj "/CN=${cn}"`;
  sh([
    ca('ca'), ca('stranger'),
    csr('expired', '127.0.0.1'),
    'openssl ca -batch -notext -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem '
      + '-startdate 20200101000000Z -enddate 20200201000000Z -extfile ok.ext',
    csr('wronghost', 'wrong.example'),
    'openssl x509 -req -in wronghost.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -sha256 -extfile wrong.ext -out wronghost.pem',
    csr('unknown', '127.0.0.1'),
    'openssl x509 -req -in unknown.csr -CA stranger.pem -CAkey stranger.key -CAcreateserial -days 30 -sha256 -extfile ok.ext -out unknown.pem',
  ].join('\n'));
  const f = (n) => path.join(dir, n);
  return {
    ca: f('ca.pem'),
    expired: { cert: f('expired.pem'), key: f('expired.key') },
    wronghost: { cert: f('wronghost.pem'), key: f('wronghost.key') },
    unknown: { cert: f('unknown.pem'), key: f('unknown.key') },
  };
}

/** Milliseconds → "1.2 s", for messages. */
export const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
export { sleep };
