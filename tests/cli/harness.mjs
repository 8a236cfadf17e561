// Shared by the integration suites: run the real `hublink` binary in an isolated environment
// (temp HUBLINK_HOME and hubs.ini folder; the real keyring of tests/with-keyring.sh; headless
// Chromium as HUBLINK_BROWSER) against the real test IdP started in-process.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { browserEnv } from '../people.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const BIN = process.env.HUBLINK_BIN ?? path.resolve(here, '../../target/debug/hublink');
export const SIGNIN = path.resolve(here, '../browser/signin.mjs');
export const DEVICE = path.resolve(here, '../browser/device.mjs');
export const RECORD_URL = path.resolve(here, 'record-url.sh');


/** A fresh, isolated user: its own Hublink home, hubs.ini folder and browser identity. */
export function newUser(name = 'user') {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `hublink-${name}-`));
  const home = path.join(root, 'home');
  const hubsDir = path.join(root, 'hubs');
  fs.mkdirSync(hubsDir, { recursive: true });
  const env = {
    ...process.env,
    HUBLINK_HOME: home,
    HUBLINK_HUBS_DIR: hubsDir,
    HUBLINK_BROWSER: SIGNIN,
    HUBLINK_TEST_BROWSER_LOG: path.join(root, 'browser.log'),
    HUBLINK_LOG: process.env.HUBLINK_LOG ?? 'hublink=warn',
  };
  delete env.HUBLINK_INSECURE_STORAGE;
  const user = {
    root,
    home,
    hubsDir,
    env,
    as(person, action = 'approve') {
      Object.assign(env, browserEnv(person, action));
      return user;
    },
    run(args, opts = {}) {
      return run(args, { ...opts, env: { ...env, ...(opts.env ?? {}) } });
    },
    spawn(args, opts = {}) {
      return start(args, { ...opts, env: { ...env, ...(opts.env ?? {}) } });
    },
    browserLog() {
      try {
        return fs.readFileSync(env.HUBLINK_TEST_BROWSER_LOG, 'utf8');
      } catch {
        return '';
      }
    },
  };
  return user;
}

let captured = 0;
/**
 * With HUBLINK_TEST_CAPTURE_DIR set (scripts/secret-hygiene.sh), every finished run's
 * arguments, exit and output are kept there as one JSON file, to be scanned for secrets.
 */
export function capture(args, result) {
  const dir = process.env.HUBLINK_TEST_CAPTURE_DIR;
  if (!dir) return;
  captured += 1;
  const file = path.join(dir, `run-${process.pid}-${captured}.json`);
  fs.writeFileSync(file, JSON.stringify({ args: args.map(String), ...result }));
}

/** Start `hublink args…`; resolves with {code, stdout, stderr} when it exits. */
export function start(args, { env, input, timeoutMs = 90_000 } = {}) {
  const child = spawn(BIN, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const listeners = [];
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => {
    stderr += d;
    for (const l of listeners) l(stderr);
  });
  if (input !== undefined) child.stdin.end(input);
  else child.stdin.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      capture(args, { code, signal, stdout, stderr });
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    done,
    /** Wait until stderr matches `re`; resolves with the match. */
    waitForStderr(re, ms = 30_000) {
      return new Promise((resolve, reject) => {
        const check = (text) => {
          const m = text.match(re);
          if (m) {
            clearTimeout(t);
            resolve(m);
            return true;
          }
          return false;
        };
        const t = setTimeout(() => reject(new Error(`stderr never matched ${re}:\n${stderr}`)), ms);
        if (!check(stderr)) listeners.push(check);
      });
    },
  };
}

export function run(args, opts) {
  return start(args, opts).done;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function linkFor(idp, extra = {}) {
  const params = new URLSearchParams({
    url: idp.hubUrl,
    name: 'Demo Hub',
    issuer: idp.issuer,
    mfa: 'required',
    session_check: idp.sessionCheckUrl,
    ...extra,
  });
  return `hublink://add?${params}`;
}

/**
 * Change the session a user keeps in plain-file storage (HUBLINK_INSECURE_STORAGE=1 without a
 * keyring): `change` gets the parsed session and edits it. The session is split over
 * 1,000-character entries — a header file `hublink-chunks:v2:<slot>:<n>`, then <id>_<slot>1,
 * <id>_<slot>2, … (v1 headers `hublink-chunks:v1:<n>` have no slot) — and is written back as
 * one small header entry.
 */
export function editPlainFileSession(user, change) {
  const dir = path.join(user.home, 'insecure-secrets');
  const head = fs.readdirSync(dir).find((f) => /^[0-9a-f]{16}\.secret$/.test(f));
  const id = head.replace('.secret', '');
  const header = fs.readFileSync(path.join(dir, head), 'utf8').split(':');
  const count = Number(header.at(-1));
  const slot = header[1] === 'v2' ? header[2] : '';
  let whole = '';
  for (let i = 1; i <= count; i += 1) whole += fs.readFileSync(path.join(dir, `${id}_${slot}${i}.secret`), 'utf8');
  const stored = JSON.parse(whole);
  change(stored);
  fs.writeFileSync(path.join(dir, head), JSON.stringify(stored));
}

/** Assert-friendly summary of a finished command, for failure messages. */
export function show(r) {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}
