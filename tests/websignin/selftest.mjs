// End-to-end check of the SAML IdP and the Qlik-like hubs, without Hublink: Debian's
// Chromium (driven by playwright-core) plays the user's browser, plain fetch plays a client
// that holds the hub's cookie.
// Run: cd tests && node --test websignin/selftest.mjs

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as OTPAuth from 'otpauth';
import { chromium } from 'playwright-core';

import { ALICE, BOB, CAROL } from '../people.mjs';
import {
  CookieJar, postToAcs, request, signInOverHttp, signInToIdp,
} from './http-signin.mjs';
import { MESSAGES as HUB_MESSAGES, startQlikHub } from './qlik-hub.mjs';
import { AC_MFA, AC_PASSWORD } from './saml.mjs';
import { MESSAGES as IDP_MESSAGES, SSO_COOKIE, startSamlIdp } from './saml-idp.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVER = path.join(HERE, 'server.mjs');
const CHROMIUM = process.env.HUBLINK_TEST_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const LOGIN_TITLE = 'Sign in – Test SAML IdP';
const TOTP_TITLE = 'Verification code – Test SAML IdP';

const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });
const totp = (person) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(person.totp) }).generate();
const wrongCode = (person) => String((Number(totp(person)) + 500000) % 1000000).padStart(6, '0');

let idp;
let finance;
let sales;
let browser;
const contexts = [];

before(async () => {
  idp = await startSamlIdp();
  finance = await startQlikHub({ idp, prefix: 'finance' });
  // A second virtual proxy on the same server (port), like Qlik's /sales/ next to /finance/.
  sales = await startQlikHub({ idp, prefix: 'sales', host: finance.host });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await sales?.stop();
  await finance?.stop();
  await idp?.stop();
});

/** A fresh browser profile (its own cookies) with one page that records where it went. */
async function newBrowser() {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  page.visited = [];
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) page.visited.push(frame.url());
  });
  return { context, page };
}

const onHub = (hub) => (u) => u.origin === new URL(hub.url).origin && u.pathname.startsWith(`/${hub.prefix}/`);

/** Submit a form by clicking #submit; resolves with the response of the POST it sends. */
async function submit(page, endpoint) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === endpoint),
    page.click('#submit'),
  ]);
  await page.waitForLoadState('load');
  return response;
}

/** Walk the IdP's pages from `hub` until the browser is back on the hub. */
async function browserSignIn(page, hub, person, { expectLogin = true } = {}) {
  await page.goto(hub.url);
  if (expectLogin) {
    assert.equal(await page.title(), LOGIN_TITLE);
    await page.fill('#username', person.user);
    await page.fill('#password', person.password);
    if (person.totp) {
      const r = await submit(page, '/login');
      assert.equal(r.status(), 200);
      assert.equal(await page.title(), TOTP_TITLE);
      await page.fill('#code', totp(person));
    }
    await page.click('#submit');
  }
  await page.waitForURL(onHub(hub));
  await page.waitForLoadState('load');
}

async function cookie(context, name) {
  return (await context.cookies()).find((c) => c.name === name);
}

const withCookie = (hub, value) => ({ headers: { Cookie: `${hub.cookieName}=${value}` } });
async function getJson(url, init) {
  const res = await fetch(url, init);
  return { status: res.status, json: await res.json() };
}
async function control(hub, endpoint, method = 'POST') {
  const res = await fetch(`${hub.controlUrl}${endpoint}`, { method });
  const json = await res.json();
  assert.equal(res.status, 200, JSON.stringify(json));
  return json;
}

// Shared between tests that follow each other: alice's browser after her first sign-in.
let alice;

test('full sign-in with password and TOTP lands on the hub page with the user shown', async () => {
  alice = await newBrowser();
  const { context, page } = alice;
  await browserSignIn(page, finance, ALICE);
  assert.equal(await page.title(), 'Hub – Finance');
  assert.equal(await page.textContent('#signed-in'), 'Signed in as CORP\\alice (Alice Example)');
  assert.equal(new URL(page.url()).pathname, '/finance/');

  const hubCookie = await cookie(context, finance.cookieName);
  assert.ok(hubCookie, 'the hub set its session cookie');
  assert.match(hubCookie.value, /^[0-9a-f]{32}$/);
  assert.equal(hubCookie.httpOnly, true);
  assert.equal(hubCookie.secure, false);
  assert.equal(hubCookie.expires, -1, 'a session cookie');
  assert.equal(hubCookie.sameSite, 'Lax');
  assert.equal(hubCookie.path, '/');
  const sso = await cookie(context, SSO_COOKIE);
  assert.ok(sso, 'the IdP set its SSO cookie');
  assert.equal(sso.httpOnly, true);
  assert.equal(sso.secure, false);
  assert.equal(sso.expires, -1, 'a session cookie');

  assert.equal(idp.counters.logins, 1);
  assert.equal(idp.counters.silentSso, 0);
  assert.equal(finance.counters.acsSuccesses, 1);
  const sessions = await control(finance, 'sessions', 'GET');
  assert.deepEqual(sessions.users, ['alice']);
  assert.equal(sessions.sessions[0].authnContext, AC_MFA);
});

test('the hub cookie works without the browser: qps/user, api/v1/about, desktoplink', async () => {
  const value = (await cookie(alice.context, finance.cookieName)).value;
  assert.deepEqual(await getJson(finance.sessionCheckUrl, withCookie(finance, value)), {
    status: 200,
    json: {
      userDirectory: 'CORP', userId: 'alice', userName: 'Alice Example', logoutUri: finance.sessionCheckUrl,
    },
  });
  const about = await getJson(`${finance.url}api/v1/about`, withCookie(finance, value));
  assert.equal(about.status, 200);
  assert.equal(about.json.userId, 'alice');

  assert.deepEqual(await getJson(finance.sessionCheckUrl), { status: 200, json: { session: 'inactive' } });
  assert.deepEqual(await getJson(finance.sessionCheckUrl, withCookie(finance, '0'.repeat(32))),
    { status: 200, json: { session: 'inactive' } });
  assert.equal((await fetch(`${finance.url}api/v1/about`)).status, 401);
  // The finance cookie means nothing to the sales hub.
  assert.equal((await fetch(`${sales.url}api/v1/about`, withCookie(sales, value))).status, 401);
  const page = await fetch(finance.url, { redirect: 'manual' });
  assert.equal(page.status, 302);
  assert.ok(page.headers.get('location').startsWith(`${idp.ssoUrl}?SAMLRequest=`));

  assert.deepEqual(await getJson(`${finance.url}api/hub/v1/desktoplink`), {
    status: 200,
    json: { magicLinkHostUri: finance.url, magicLinkFriendlyName: 'Finance Hub' },
  });
  assert.equal(finance.counters.qpsUserGood, 1);
  assert.equal(finance.counters.qpsUserInactive, 2);
});

test('a second hub signs in silently by single sign-on', async () => {
  const { context, page } = alice;
  page.visited = [];
  await browserSignIn(page, sales, ALICE, { expectLogin: false });
  assert.equal(await page.title(), 'Hub – Sales');
  assert.equal(await page.textContent('#user'), 'CORP\\alice');
  const idpPages = page.visited.filter((u) => u.startsWith(idp.url)).map((u) => new URL(u).pathname);
  assert.deepEqual(idpPages, ['/sso'], 'only the SSO endpoint, no login page');
  assert.equal(idp.counters.silentSso, 1);
  assert.equal(idp.counters.logins, 1);
  const salesCookie = await cookie(context, sales.cookieName);
  const financeCookie = await cookie(context, finance.cookieName);
  assert.ok(salesCookie && financeCookie);
  assert.notEqual(salesCookie.value, financeCookie.value);
  assert.equal((await getJson(sales.sessionCheckUrl, withCookie(sales, salesCookie.value))).json.userId, 'alice');
});

test('a wrong password and a wrong TOTP code show the error and set no cookie; retrying works', async () => {
  const { context, page } = await newBrowser();
  await page.goto(finance.url);
  await page.fill('#username', ALICE.user);
  await page.fill('#password', 'not-her-password');
  let r = await submit(page, '/login');
  assert.equal(r.status(), 401);
  assert.equal(await page.title(), LOGIN_TITLE);
  assert.equal(await page.textContent('#error'), IDP_MESSAGES.wrongPassword);
  assert.equal(await page.inputValue('#username'), 'alice');

  await page.fill('#password', ALICE.password);
  r = await submit(page, '/login');
  assert.equal(r.status(), 200);
  await page.fill('#code', wrongCode(ALICE));
  r = await submit(page, '/totp');
  assert.equal(r.status(), 401);
  assert.equal(await page.title(), TOTP_TITLE);
  assert.equal(await page.textContent('#error'), 'Wrong code. Enter the current code from your authenticator app.');
  assert.equal(await cookie(context, finance.cookieName), undefined);
  assert.equal(await cookie(context, SSO_COOKIE), undefined);
  assert.equal(idp.counters.passwordFailures, 1);
  assert.equal(idp.counters.totpFailures, 1);
  assert.equal(idp.counters.logins, 1);

  await page.fill('#code', totp(ALICE));
  await page.click('#submit');
  await page.waitForURL(onHub(finance));
  assert.equal(await page.title(), 'Hub – Finance');
  assert.ok(await cookie(context, finance.cookieName));
});

test('bob has no access pass: 403 and no cookie, until access is granted', async () => {
  const { context, page } = await newBrowser();
  const acs = page.waitForResponse((r) => r.url() === finance.acsUrl);
  await browserSignIn(page, finance, BOB);
  assert.equal((await acs).status(), 403);
  assert.equal(await page.title(), 'Access denied');
  assert.equal(await page.textContent('#error'), HUB_MESSAGES.noAccess);
  assert.equal(await cookie(context, finance.cookieName), undefined);
  assert.equal(finance.counters.refusals.noAccess, 1);

  assert.deepEqual(await control(finance, 'access?user=bob&allow=true'), { user: 'bob', access: true });
  try {
    await browserSignIn(page, finance, BOB, { expectLogin: false });
    assert.equal(await page.textContent('#user'), 'CORP\\bob');
  } finally {
    await control(finance, 'access?user=bob&allow=false');
    await control(finance, 'expire-sessions?user=bob');
  }
});

test('the session limit refuses one session too many', async () => {
  assert.deepEqual(await control(finance, 'max-sessions?n=1'), { maxSessions: 1 });
  try {
    const first = await newBrowser();
    await browserSignIn(first.page, finance, CAROL);
    assert.equal(await first.page.textContent('#user'), 'CORP\\carol');
    const sessions = await control(finance, 'sessions', 'GET');
    assert.equal(sessions.sessions.find((s) => s.user === 'carol').authnContext, AC_PASSWORD);

    const second = await newBrowser();
    const acs = second.page.waitForResponse((r) => r.url() === finance.acsUrl);
    await browserSignIn(second.page, finance, CAROL);
    assert.equal((await acs).status(), 403);
    assert.equal(await second.page.title(), 'Too many sessions');
    assert.equal(await second.page.textContent('#error'),
      'You cannot access Qlik Sense because you have reached the maximum number of parallel sessions (1). Sign out elsewhere or wait for a session to time out.');
    assert.equal(await cookie(second.context, finance.cookieName), undefined);
    assert.equal(finance.counters.refusals.tooManySessions, 1);
    // alice is not carol: her own count is what matters.
    assert.equal((await control(finance, 'sessions', 'GET')).sessions.filter((s) => s.user === 'carol').length, 1);
  } finally {
    await control(finance, 'max-sessions?n=5');
    await control(finance, 'expire-sessions?user=carol');
  }
});

test('an idle session dies; use keeps it alive; then the browser signs in again silently', async () => {
  const value = (await cookie(alice.context, finance.cookieName)).value;
  // Use the session first: it has been idle for longer than the short timeout set next.
  assert.equal((await getJson(finance.sessionCheckUrl, withCookie(finance, value))).json.userId, 'alice');
  assert.deepEqual(await control(finance, 'idle-timeout?seconds=1.5'), { idleTimeoutSeconds: 1.5 });
  try {
    for (let i = 0; i < 3; i += 1) {
      assert.equal((await getJson(finance.sessionCheckUrl, withCookie(finance, value))).json.userId, 'alice', `probe ${i}`);
      await sleep(900);
    }
    await sleep(900); // 1.8 s since the last use
    assert.deepEqual((await getJson(finance.sessionCheckUrl, withCookie(finance, value))).json, { session: 'inactive' });
    assert.equal((await fetch(`${finance.url}api/v1/about`, withCookie(finance, value))).status, 401);
  } finally {
    await control(finance, 'idle-timeout?seconds=1800');
  }
  const silent = idp.counters.silentSso;
  await browserSignIn(alice.page, finance, ALICE, { expectLogin: false });
  assert.equal(await alice.page.title(), 'Hub – Finance');
  assert.equal(idp.counters.silentSso, silent + 1);
  assert.notEqual((await cookie(alice.context, finance.cookieName)).value, value);
});

test('ending the IdP sessions makes the next sign-in ask for the password again', async () => {
  const ended = await control(idp, 'end-sessions?user=alice');
  assert.ok(ended.ended >= 1, JSON.stringify(ended));
  assert.ok((await control(finance, 'expire-sessions?user=alice')).expired >= 1);
  const logins = idp.counters.logins;
  await alice.page.goto(finance.url);
  assert.equal(await alice.page.title(), LOGIN_TITLE);
  await browserSignIn(alice.page, finance, ALICE);
  assert.equal(await alice.page.title(), 'Hub – Finance');
  assert.equal(idp.counters.logins, logins + 1);
});

test('DELETE qps/user signs out, from a client and from the hub page', async () => {
  const value = (await cookie(alice.context, finance.cookieName)).value;
  const res = await fetch(finance.sessionCheckUrl, { method: 'DELETE', ...withCookie(finance, value) });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { session: 'ended', userDirectory: 'CORP', userId: 'alice' });
  assert.match(res.headers.get('set-cookie'), new RegExp(`^${finance.cookieName}=; .*Max-Age=0`));
  assert.deepEqual((await getJson(finance.sessionCheckUrl, withCookie(finance, value))).json, { session: 'inactive' });
  assert.equal(finance.counters.logouts, 1);
  // The sign-out button on the sales hub page (alice signed in there before).
  const page = await alice.context.newPage();
  await page.goto(sales.url);
  assert.equal(await page.title(), 'Hub – Sales');
  await page.click('#signout');
  await page.waitForSelector('#signed-out');
  assert.equal(sales.counters.logouts, 1);
  assert.equal(await cookie(alice.context, sales.cookieName), undefined);
  await page.close();
});

test('tampered, unsigned, wrongly signed, expired and replayed SAML responses are refused with 400', async () => {
  const jar = new CookieJar();
  await signInOverHttp(sales.url, CAROL, { jar }); // an IdP session for quick silent answers
  const before = sales.counters.refusals.invalidResponse;
  const fresh = async () => {
    jar.delete(sales.cookieName); // keep only the IdP session: the hub must ask the IdP again
    return (await signInToIdp(jar, sales.url, CAROL)).post;
  };
  const refused = async (post, why) => {
    const r = await postToAcs(new CookieJar(), post);
    assert.equal(r.status, 400, why);
    assert.equal(r.title, 'Sign-in failed', why);
    assert.equal(r.headers.get('set-cookie'), null, why);
    return r;
  };
  const rewrite = (post, fn) => ({
    ...post,
    SAMLResponse: Buffer.from(fn(Buffer.from(post.SAMLResponse, 'base64').toString('utf8'))).toString('base64'),
  });

  const genuine = await fresh();
  const xml = Buffer.from(genuine.SAMLResponse, 'base64').toString('utf8');
  assert.match(xml, /<ds:SignatureMethod Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmldsig-more#rsa-sha256"\/>/);
  assert.match(xml, />carol<\/saml:NameID>/);
  await refused(rewrite(genuine, (x) => x.replace('>carol</saml:NameID>', '>alice</saml:NameID>')), 'NameID changed');
  await refused(rewrite(await fresh(), (x) => x.replace(/<ds:Signature[\s\S]*?<\/ds:Signature>/g, '')), 'signatures removed');
  await refused({ ...(await fresh()), SAMLResponse: Buffer.from('<not-saml/>').toString('base64') }, 'not SAML');
  await refused({ ...(await fresh()), SAMLResponse: '' }, 'empty');
  for (const mode of ['unsigned', 'wrong-key', 'expired', 'wrong-audience']) {
    await control(idp, `response-mode?mode=${mode}`);
    try {
      const r = await refused(await fresh(), mode);
      assert.match(r.text, /id="detail"/, mode);
    } finally {
      await control(idp, 'response-mode?mode=signed');
    }
  }
  assert.equal(sales.counters.refusals.invalidResponse, before + 8);

  // The same steps with an untouched response succeed, once: a replay is refused.
  const good = await fresh();
  const ok = await postToAcs(new CookieJar(), good);
  assert.equal(ok.status, 302);
  assert.match(ok.headers.get('set-cookie'), /^X-Qlik-Session-sales=[0-9a-f]{32}; Path=\/; HttpOnly; SameSite=Lax$/);
  await refused(good, 'replayed');
  // Only the assertion signed (many IdPs do that) is enough, like at Qlik.
  await control(idp, 'response-mode?mode=assertion-signed');
  try {
    assert.equal((await postToAcs(new CookieJar(), await fresh())).status, 302);
  } finally {
    await control(idp, 'response-mode?mode=signed');
  }
});

test('the IdP refuses requests it cannot answer', async () => {
  const garbage = await request(new CookieJar(), `${idp.ssoUrl}?SAMLRequest=bm90LXNhbWw%3D`);
  assert.equal(garbage.status, 400);
  const unknownSp = await fetch(idp.ssoUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      SAMLRequest: Buffer.from('<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_x" Version="2.0"><saml:Issuer>urn:nobody</saml:Issuer></samlp:AuthnRequest>').toString('base64'),
    }),
  });
  assert.equal(unknownSp.status, 400);
  assert.match(await unknownSp.text(), /Unknown service provider &quot;urn:nobody&quot;/);
  const stale = await request(new CookieJar(), `${idp.url}/login`, { method: 'POST', form: { txn: 'nope', username: 'alice', password: 'alice-pass' } });
  assert.equal(stale.status, 400);
  assert.match(stale.text, /This sign-in has expired/);
  assert.equal((await getJson(`${idp.controlUrl}totp?user=carol`)).status, 400);
  assert.equal((await getJson(`${idp.controlUrl}totp?user=alice`)).json.code, totp(ALICE));
});

test('server.mjs prints one JSON line with the links and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [SERVER, '--idle', '4'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise((resolve, reject) => {
      readline.createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`server.mjs exited with ${code}`)));
    });
    const info = JSON.parse(line);
    assert.deepEqual(info.hubs.map((h) => h.name), ['Finance Hub', 'Sales Hub']);
    const [fin] = info.hubs;
    const port = new URL(fin.url).port;
    assert.equal(fin.link, `hublink://add?url=http%3A%2F%2F127.0.0.1%3A${port}%2Ffinance%2F&name=Finance%20Hub&auth=web`
      + '&session_check=%2Ffinance%2Fqps%2Fuser&session_cookie=X-Qlik-Session-finance');
    const link = new URL(fin.link);
    assert.equal(link.searchParams.get('url'), fin.url);
    assert.equal(link.searchParams.get('session_check'), '/finance/qps/user');
    assert.equal(fin.idleTimeoutSeconds, 4);
    assert.equal((await getJson(`${info.controlUrls.finance}info`)).json.cookieName, 'X-Qlik-Session-finance');
    assert.equal((await getJson(`${info.controlUrls.idp}counters`)).json.logins, 0);
    // A sign-in over plain HTTP against the standalone servers.
    const r = await signInOverHttp(info.hubs[1].url, CAROL, { cookieName: 'X-Qlik-Session-sales' });
    assert.equal(r.status, 302);
    assert.equal((await getJson(info.hubs[1].sessionCheckUrl, { headers: { Cookie: `X-Qlik-Session-sales=${r.cookie}` } })).json.userId, 'carol');
  } finally {
    const exited = new Promise((resolve) => { child.once('exit', resolve); });
    child.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(5000).then(() => 'timeout')]);
    assert.equal(code, 0);
  }
});
