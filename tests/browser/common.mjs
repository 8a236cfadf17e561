// Shared by signin.mjs and device.mjs: launch Debian's Chromium headless with
// a throwaway profile, walk the test IdP's pages, and log each step (never the
// password or a TOTP code).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import * as OTPAuth from 'otpauth';
import { chromium } from 'playwright-core';

export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const ACTIONS = ['approve', 'deny', 'wrong-password', 'wrong-totp', 'none'];

export function readEnv(env = process.env) {
  const action = env.HUBLINK_TEST_ACTION || 'approve';
  if (!ACTIONS.includes(action)) {
    throw new UsageError(`HUBLINK_TEST_ACTION must be one of ${ACTIONS.join(', ')}, not ${JSON.stringify(action)}`);
  }
  return {
    action,
    user: env.HUBLINK_TEST_USER || '',
    password: env.HUBLINK_TEST_PASSWORD || '',
    totpSecret: (env.HUBLINK_TEST_TOTP_SECRET || '').replace(/\s+/g, '').toUpperCase(),
    logFile: env.HUBLINK_TEST_BROWSER_LOG || '',
    screenshot: env.HUBLINK_TEST_SCREENSHOT || '',
    timeoutMs: Number(env.HUBLINK_TEST_TIMEOUT_SECONDS || 60) * 1000,
    holdMs: Number(env.HUBLINK_TEST_HOLD_SECONDS || 20) * 1000,
    executablePath: env.HUBLINK_TEST_CHROMIUM || '/usr/bin/chromium',
    // Like a machine whose trust store holds the corporate CA: Hublink's own TLS
    // checks are what the tests look at, not the browser's.
    ignoreHttpsErrors: env.HUBLINK_TEST_IGNORE_HTTPS_ERRORS !== '0',
    callbackPath: env.HUBLINK_TEST_CALLBACK_PATH || '/callback',
  };
}

export class UsageError extends Error {}

export function createLogger(file, tag) {
  return (line) => {
    if (!file) return;
    try {
      fs.appendFileSync(file, `${new Date().toISOString()} ${tag}[${process.pid}] ${line}\n`);
    } catch {
      // A log that cannot be written must not break the sign-in.
    }
  };
}

function totpFor(secret) {
  return new OTPAuth.TOTP({
    algorithm: 'SHA1', digits: 6, period: 30, secret: OTPAuth.Secret.fromBase32(secret),
  });
}

// A code that is wrong in every step the IdP accepts (current one ± 1).
function wrongCode(secret) {
  const valid = new Set();
  if (secret) {
    const totp = totpFor(secret);
    const now = Date.now();
    for (const step of [-1, 0, 1]) valid.add(totp.generate({ timestamp: now + step * 30_000 }));
  }
  for (let n = 0; ; n += 1) {
    const candidate = String((123456 + n * 111111) % 1_000_000).padStart(6, '0');
    if (!valid.has(candidate)) return candidate;
  }
}

// Loopback redirect (the app under test), e.g. http://127.0.0.1:PORT/callback.
function isCallback(url, callbackPath) {
  try {
    const u = new URL(url);
    return u.protocol === 'http:'
      && ['127.0.0.1', '[::1]', 'localhost'].includes(u.hostname)
      && u.pathname === callbackPath;
  } catch {
    return false;
  }
}

// What the callback carried, without secrets: parameter names, and error details.
function describeCallback(url) {
  const u = new URL(url);
  const names = [...u.searchParams.keys()].join(',');
  const error = u.searchParams.get('error');
  return `${u.origin}${u.pathname} (params: ${names || 'none'}${error ? `; error=${error}` : ''})`;
}

const where = (url) => {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
};

// Which page of the test IdP is shown.
async function pageState(page) {
  return page.evaluate(() => {
    const q = (s) => document.querySelector(s);
    const text = (s) => q(s)?.textContent.trim() || '';
    const error = text('#error') || text('p.error');
    let kind = 'unknown';
    if (document.readyState === 'loading') kind = 'loading';
    else if (q('input[name=username]') && q('input[name=password]')) kind = 'login';
    else if (q('input[name=otp]')) kind = 'otp';
    else if (q('#allow') && q('#deny')) kind = 'consent';
    else if (q('input[name=user_code]') && q('form[id="op.deviceInputForm"]')) kind = 'device-input';
    else if (q('form[id="op.deviceConfirmForm"]') && q('#confirm')) kind = 'device-confirm';
    else if (document.title === 'Device connected') kind = 'device-done';
    else if (document.title === 'Sign-in error') kind = 'error-page';
    return {
      kind, error, title: document.title, text: (document.body?.innerText || '').replace(/\s+/g, ' ').trim().slice(0, 300),
    };
  });
}

export async function withBrowser(opts, log, fn) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'hublink-browser-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: opts.executablePath,
      headless: true,
      args: CHROMIUM_FLAGS,
      ignoreHTTPSErrors: opts.ignoreHttpsErrors,
      viewport: { width: 900, height: 700 },
    });
    const page = context.pages()[0] ?? await context.newPage();
    try {
      return await fn(page);
    } finally {
      if (opts.screenshot) {
        await page.screenshot({ path: opts.screenshot, timeout: 5000 })
          .then(() => log(`screenshot saved to ${opts.screenshot}`))
          .catch((err) => log(`screenshot failed: ${err.message}`));
      }
    }
  } finally {
    await context?.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

/**
 * Drive the IdP pages from `startUrl` to the end of `opts.action`.
 * Resolves with a short outcome string; rejects when the pages do not behave as expected.
 */
export async function runFlow(page, startUrl, opts, log, { userCode } = {}) {
  // Leave time, within the hard timeout of main(), to close the browser.
  const deadline = Date.now() + Math.max(5000, opts.timeoutMs - 8000);

  // The callback is recorded from the network, so a callback whose listener is
  // already gone (connection refused) is still seen.
  let callback = null;
  page.on('request', (req) => {
    if (!callback && req.isNavigationRequest() && isCallback(req.url(), opts.callbackPath)) {
      callback = req;
    }
  });

  const settle = async () => {
    await page.waitForLoadState('load', { timeout: Math.max(1000, deadline - Date.now()) }).catch(() => {});
  };

  const submit = async (selector) => {
    const nav = page.waitForNavigation({ timeout: 20_000 }).catch(() => {});
    await page.click(selector);
    await nav;
  };

  async function finishAtCallback() {
    const response = await callback.response().catch(() => null);
    if (!response) {
      const failure = callback.failure()?.errorText ?? 'no response';
      log(`redirected to ${describeCallback(callback.url())} but it failed to load: ${failure}`);
      return 'callback-unreachable';
    }
    await settle();
    log(`redirected to ${describeCallback(callback.url())}; status ${response.status()}`);
    const state = await pageState(page).catch(() => null);
    if (state) log(`callback page: title=${JSON.stringify(state.title)} text=${JSON.stringify(state.text)}`);
    return new URL(callback.url()).searchParams.has('error') ? 'callback-error' : 'callback';
  }

  // Polls until a known page shows; a page that stays unknown for 10 s (say, an
  // auto-submitting form that never submits, or not the test IdP) is an error.
  async function currentState() {
    let unknownSince = null;
    for (;;) {
      if (callback) return { kind: 'callback' };
      if (Date.now() > deadline) throw new Error(`timed out on ${where(page.url())}`);
      try {
        const state = await pageState(page);
        if (state.kind !== 'loading' && state.kind !== 'unknown') return state;
        if (state.kind === 'unknown') {
          unknownSince ??= Date.now();
          if (Date.now() - unknownSince > 10_000) {
            throw new Error(`unexpected page ${where(page.url())}: title=${JSON.stringify(state.title)} text=${JSON.stringify(state.text)}`);
          }
        }
      } catch (err) {
        if (err.message.startsWith('unexpected page')) throw err;
        // The page navigated while we looked at it: look again.
      }
      await new Promise((r) => { setTimeout(r, 100); });
    }
  }

  log(`opening ${where(startUrl)} (action ${opts.action})`);
  await page.goto(startUrl, { timeout: 30_000 }).catch((err) => {
    if (!callback) throw new Error(`could not open the sign-in page: ${err.message.split('\n')[0]}`);
  });

  if (opts.action === 'none') {
    log(`holding the page open for ${opts.holdMs / 1000} s without signing in`);
    const end = Math.min(deadline - 2000, Date.now() + opts.holdMs);
    while (Date.now() < end && !callback) await new Promise((r) => { setTimeout(r, 200); });
    if (callback) return finishAtCallback();
    return 'held';
  }

  let last = null; // what we submitted last
  for (let step = 0; step < 20; step += 1) {
    await settle();
    const state = await currentState();
    switch (state.kind) {
      case 'callback':
        return finishAtCallback();

      case 'device-input': {
        if (last === 'consent') {
          log(`device flow ended on the code page: ${state.text}`);
          return 'device-ended';
        }
        if (state.error && last === 'user-code') throw new Error(`user code rejected: ${state.error}`);
        if (!userCode) throw new Error('the IdP asks for a user code, but none was given');
        await page.fill('input[name=user_code]', userCode);
        log('entered the user code');
        last = 'user-code';
        await submit('#submit');
        break;
      }

      case 'device-confirm':
        log('confirming the device');
        last = 'device-confirm';
        await submit('#confirm');
        break;

      case 'login': {
        if (state.error) {
          if (opts.action === 'wrong-password' && last === 'password') {
            log(`login rejected as expected: ${state.error}`);
            return 'rejected';
          }
          throw new Error(`login rejected: ${state.error}`);
        }
        if (!opts.user) throw new Error('HUBLINK_TEST_USER is not set');
        const wrong = opts.action === 'wrong-password';
        await page.fill('input[name=username]', opts.user);
        await page.fill('input[name=password]', wrong ? `${opts.password}-wrong` : opts.password);
        log(`submitting username ${opts.user} and ${wrong ? 'a wrong' : 'the'} password`);
        last = 'password';
        await submit('button[type=submit]');
        break;
      }

      case 'otp': {
        if (state.error) {
          if (opts.action === 'wrong-totp' && last === 'otp') {
            log(`TOTP code rejected as expected: ${state.error}`);
            return 'rejected';
          }
          throw new Error(`TOTP code rejected: ${state.error}`);
        }
        const wrong = opts.action === 'wrong-totp';
        if (!wrong && !opts.totpSecret) throw new Error('the IdP asks for a TOTP code, but HUBLINK_TEST_TOTP_SECRET is not set');
        await page.fill('input[name=otp]', wrong ? wrongCode(opts.totpSecret) : totpFor(opts.totpSecret).generate());
        log(`submitting ${wrong ? 'a wrong' : 'the current'} TOTP code`);
        last = 'otp';
        await submit('button[type=submit]');
        break;
      }

      case 'consent': {
        if (opts.action === 'wrong-password' || opts.action === 'wrong-totp') {
          throw new Error(`reached the consent page although action is ${opts.action}`);
        }
        const deny = opts.action === 'deny';
        log(`consent page: clicking ${deny ? 'Deny' : 'Allow'}`);
        last = 'consent';
        await submit(deny ? '#deny' : '#allow');
        break;
      }

      case 'device-done':
        log(`device flow finished: ${state.text}`);
        return 'device-done';

      case 'error-page':
        if (last === 'consent' && opts.action === 'deny') {
          log(`denied; IdP shows: ${state.text}`);
          return 'denied';
        }
        throw new Error(`the IdP shows an error: ${state.text}`);

      default:
        throw new Error(`unexpected page state ${state.kind} at ${where(page.url())}`);
    }
  }
  throw new Error('too many steps without reaching the end of the sign-in');
}

/**
 * Entry point of a driver: `parse(argv)` checks the arguments (throw UsageError)
 * before any browser starts; `body(page, opts, log, args)` does the work.
 * Exit codes: 0 done as asked, 1 the pages did not behave, 2 hard timeout, 64 usage.
 */
export async function main(tag, parse, body) {
  // The app under test may have closed our stdio; never die of EPIPE.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});

  let opts;
  let args;
  try {
    opts = readEnv();
    args = parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${tag}: ${err.message}\n`);
    createLogger(process.env.HUBLINK_TEST_BROWSER_LOG, tag)(`failed: ${err.message}`);
    process.exit(64);
  }
  const log = createLogger(opts.logFile, tag);

  // Last resort: process.exit() makes playwright kill the browser it launched.
  const timer = setTimeout(() => {
    log(`giving up after ${opts.timeoutMs / 1000} s`);
    process.stderr.write(`${tag}: timed out\n`);
    process.exit(2);
  }, opts.timeoutMs);

  let code = 0;
  try {
    const outcome = await withBrowser(opts, log, (page) => body(page, opts, log, args));
    log(`done: ${outcome}`);
  } catch (err) {
    code = 1;
    log(`failed: ${err.message.split('\n')[0]}`);
    process.stderr.write(`${tag}: ${err.message}\n`);
  }
  clearTimeout(timer);
  process.exit(code);
}
