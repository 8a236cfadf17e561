#!/usr/bin/env node
// The stand-in "system browser" for the quirks ring (HUBLINK_BROWSER): the URL to open is the
// last argument. It GETs it, follows 3xx redirects by hand (at most 10) until it reaches the
// loopback callback (http://127.0.0.1:<port>/callback, or /callback/<id>), fetches that too, and stops. Every URL
// it visits is appended as one line to $HUBLINK_TEST_BROWSER_LOG (when set); problems are
// appended as lines starting with "# ".
//
// It detaches at once: Hublink does not wait for the browser, but it lends it its stderr, and
// a test harness waiting for that pipe to close must not wait for us. The parent re-launches
// this file detached with no stdio and exits immediately.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { fileURLToPath } from 'node:url';

const target = process.argv[process.argv.length - 1];
const log = process.env.HUBLINK_TEST_BROWSER_LOG;

if (!process.env.QUIRKS_FOLLOW_CHILD) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), target], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, QUIRKS_FOLLOW_CHILD: '1' },
  });
  child.unref();
  process.exit(0);
}

const note = (line) => {
  if (log) fs.appendFileSync(log, `${line}\n`);
};

// Never linger: a sign-in that goes nowhere ends here.
setTimeout(() => {
  note('# gave up after 20 s');
  process.exit(1);
}, 20_000).unref();

function get(url) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.get(u, { headers: { 'User-Agent': 'hublink-quirks-follow/1', Accept: 'text/html,*/*' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, location: res.headers.location }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

const isCallback = (url) => {
  const u = new URL(url);
  return u.protocol === 'http:' && u.hostname === '127.0.0.1' && /^\/callback(\/|$)/.test(u.pathname);
};

try {
  let url = target;
  for (let hop = 0; ; hop += 1) {
    note(url);
    const r = await get(url);
    if (isCallback(url)) break;
    if (r.status >= 300 && r.status < 400 && r.location) {
      if (hop >= 10) {
        note('# too many redirects');
        process.exit(1);
      }
      url = new URL(r.location, url).toString();
      continue;
    }
    note(`# stopped: HTTP ${r.status} without a redirect`);
    break;
  }
  process.exit(0);
} catch (e) {
  note(`# error: ${e.message}`);
  process.exit(1);
}
