// Shared by the attack suite (tests/attacks/*.test.mjs): the real `hublink` binary against real
// local identity providers, each attack asserted refused with its reason, and the tally written
// for docs/RELIABILITY.md.
//
// `attack(name, fn)` is a node:test test whose body returns the reason Hublink gave (what the
// test asserted). Each test file writes target/reliability/attacks.d/<file>.json; every file
// also rewrites target/reliability/attacks.json from all of them:
//   {"tried": N, "refused": M, "cases": [{"file", "name", "refused", "reason"}, …]}

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, beforeEach, test } from 'node:test';

import { RECORD_URL, newUser, show, sleep } from '../cli/harness.mjs';
import { closeServer, listen, startQuirkIdp } from '../quirks/idp.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const FOLLOW = path.resolve(here, '../quirks/follow.mjs');
const OUT = path.resolve(here, '../../target/reliability');

// ---- the tally --------------------------------------------------------------------------------

const cases = [];
let writerInstalled = false;

/** One attack: `fn` asserts the refusal and returns its reason (one line). */
export function attack(name, fn, options = {}) {
  installWriter();
  test(name, options, async (t) => {
    try {
      const reason = await fn(t);
      cases.push({ name, refused: true, reason: oneLine(reason ?? 'refused') });
    } catch (e) {
      cases.push({ name, refused: false, reason: oneLine(e?.message ?? String(e)) });
      throw e;
    }
  });
}

const oneLine = (s) => String(s).split('\n').find((l) => l.trim())?.trim().slice(0, 300) ?? '';

function installWriter() {
  if (writerInstalled) return;
  writerInstalled = true;
  after(() => {
    const file = path.basename(process.argv[1] ?? 'attacks', '.test.mjs');
    const dir = path.join(OUT, 'attacks.d');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${file}.json`), `${JSON.stringify({ file, cases }, null, 2)}\n`);
    const suites = fs.readdirSync(here).filter((f) => f.endsWith('.test.mjs')).map((f) => f.replace('.test.mjs', ''));
    const all = suites.flatMap((s) => {
      try {
        return JSON.parse(fs.readFileSync(path.join(dir, `${s}.json`), 'utf8')).cases.map((c) => ({ file: s, ...c }));
      } catch {
        return [];
      }
    });
    const tally = { tried: all.length, refused: all.filter((c) => c.refused).length, cases: all };
    fs.writeFileSync(path.join(OUT, 'attacks.json'), `${JSON.stringify(tally, null, 2)}\n`);
    process.stdout.write(`ATTACKS ${JSON.stringify({ file, tried: cases.length, refused: cases.filter((c) => c.refused).length })}\n`);
  });
}

// ---- the real IdP ------------------------------------------------------------------------------

/**
 * The quirks ring's IdP for one test file: started before its tests, back to standard
 * behaviour with fresh counters before each, stopped after. Use it like the IdP itself.
 */
export function quirkIdpForThisFile() {
  let idp;
  before(async () => {
    idp = await startQuirkIdp();
  });
  after(() => idp?.stop());
  beforeEach(() => {
    idp.resetQuirks();
    idp.resetCounters();
  });
  return new Proxy({}, { get: (_, key) => idp[key] });
}

// ---- users and sign-ins -----------------------------------------------------------------------

/** A fresh user whose "system browser" follows redirects to the loopback (tests/quirks/follow.mjs). */
export function attackUser(name) {
  const user = newUser(`attack-${name}`);
  user.env.HUBLINK_BROWSER = FOLLOW;
  return user;
}

export function link(params) {
  return `hublink://add?${new URLSearchParams(params)}`;
}

export async function add(user, hubLink) {
  const r = await user.run(['add', hubLink, '--yes']);
  assert.equal(r.code, 0, `add ${hubLink}\n${show(r)}`);
  return r;
}

/**
 * Start `hublink login` with a "browser" that only writes the sign-in address down, so the
 * test plays the browser (and the attacker). Resolves once the address is known.
 */
export async function startLogin(user, hub, timeoutSeconds) {
  const urlFile = path.join(user.root, `urls-${crypto.randomBytes(4).toString('hex')}`);
  const login = user.spawn(['login', hub, '--timeout', String(timeoutSeconds)], {
    env: { HUBLINK_BROWSER: RECORD_URL, HUBLINK_TEST_URL_FILE: urlFile },
  });
  const written = () => fs.existsSync(urlFile) && fs.readFileSync(urlFile, 'utf8').endsWith('\n');
  for (let i = 0; i < 200 && !written(); i += 1) await sleep(50);
  assert.ok(written(), 'the sign-in address was never opened');
  const authUrl = new URL(fs.readFileSync(urlFile, 'utf8').trim());
  const redirectUri = new URL(authUrl.searchParams.get('redirect_uri'));
  return { login, authUrl, redirectUri, port: Number(redirectUri.port) };
}

/** What the IdP sends the browser to after the sign-in page: the callback address (not visited). */
export async function callbackFrom(authUrl) {
  const r = await fetch(authUrl, { redirect: 'manual' });
  await r.arrayBuffer();
  assert.equal(r.status, 302, `the IdP approved at once (HTTP ${r.status})`);
  return new URL(r.headers.get('location'));
}

/** GET an address on the loopback listener: {status, text}, or {error} when nothing answers. */
export async function deliver(url, timeoutMs = 15_000) {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: r.status, text: await r.text() };
  } catch (e) {
    return { error: e.cause?.code ?? e.name };
  }
}

/** Does anything accept a TCP connection at host:port? */
export function connectable(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(2000);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
  });
}

/** `hublink status --json` shows every hub not signed in: no session was kept. */
export async function assertNothingStored(user) {
  const r = await user.run(['status', '--json']);
  const hubs = JSON.parse(r.stdout).hubs;
  for (const h of hubs) {
    assert.equal(h.state, 'sign_in_required', `a session was kept for ${h.name}\n${show(r)}`);
    assert.match(h.reason ?? '', /no session/, show(r));
  }
  return hubs;
}

/**
 * The refusal a finished command printed — its exit code and the `hublink: …` error line, which
 * must match `pattern` (progress lines such as the sign-in address do not count).
 */
export function refusal(r, exitCode, pattern) {
  assert.equal(r.code, exitCode, show(r));
  const line = r.stderr.split('\n').find((l) => l.startsWith('hublink: ')) ?? '';
  assert.match(line, pattern, show(r));
  return `exit ${r.code}: ${line.replace(/^hublink: /, '')}`;
}

/** The loopback path Hublink uses for an issuer that does not announce RFC 9207 `iss`. */
export function callbackPathFor(issuer) {
  const id = crypto.createHash('sha256').update(new URL(issuer).href).digest('hex').slice(0, 24);
  return `/callback/${id}`;
}

// ---- servers the attacker runs ----------------------------------------------------------------

/**
 * A web server that records every request (method, path, whether it carried a bearer token)
 * and answers 200 `{"ok":true}`: the attacker's "hub" and token collector.
 */
export async function startSink(host = '127.0.0.2') {
  const requests = [];
  const server = http.createServer((req, res) => {
    const bearer = /^Bearer\s+\S+/i.test(req.headers.authorization ?? '');
    requests.push({ method: req.method, path: req.url, bearer });
    req.resume();
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"ok":true}\n');
  });
  const port = await listen(server, 0, host);
  const origin = `http://${host}:${port}`;
  return { origin, url: (p = '/') => `${origin}${p}`, requests, bearers: () => requests.filter((r) => r.bearer), stop: () => closeServer(server) };
}

/**
 * The IdP mix-up attacker (RFC 9700 §4.4): an "identity provider" whose authorization endpoint
 * sends the browser on to the real IdP with Hublink's own client id, state, nonce and PKCE
 * challenge — the redirect URI rewritten by `rewrite` — and whose token endpoint collects what
 * Hublink posts (a code and its PKCE verifier would let it redeem the code at the real IdP).
 * `announceIss`: its discovery claims RFC 9207 support.
 */
export async function startMixUpAttacker({ realAuthorize, rewrite = (u) => u, announceIss = false }) {
  const seen = { authorize: 0, token: [] };
  let origin = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, origin);
    if (url.pathname === '/.well-known/openid-configuration') {
      const doc = {
        issuer: origin,
        authorization_endpoint: `${origin}/authorize`,
        token_endpoint: `${origin}/token`,
        userinfo_endpoint: `${origin}/userinfo`,
        jwks_uri: `${origin}/jwks`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        ...(announceIss ? { authorization_response_iss_parameter_supported: true } : {}),
      };
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify(doc));
    }
    if (url.pathname === '/authorize') {
      seen.authorize += 1;
      const onward = new URL(realAuthorize);
      for (const [k, v] of url.searchParams) onward.searchParams.set(k, v);
      onward.searchParams.set('redirect_uri', rewrite(url.searchParams.get('redirect_uri')));
      res.writeHead(302, { Location: onward.href });
      return res.end();
    }
    if (url.pathname === '/token') {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        const form = Object.fromEntries(new URLSearchParams(body));
        seen.token.push({ code: Boolean(form.code), verifier: Boolean(form.code_verifier) });
        res.writeHead(400, { 'Content-Type': 'application/json' });
        res.end('{"error":"invalid_grant"}');
      });
      return undefined;
    }
    if (url.pathname === '/jwks') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end('{"keys":[]}');
    }
    res.writeHead(404);
    return res.end();
  });
  const port = await listen(server);
  origin = `http://127.0.0.1:${port}`;
  return { origin, issuer: origin, seen, stop: () => closeServer(server) };
}

export { show, sleep };
