// End-to-end check of the test IdP, the hub and the browser drivers, without
// Hublink: a tiny relying party in this file plays the app's part.
// Run: cd tests && node --test idp/selftest.mjs

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { startIdp, totpFor, DEVICE_GRANT } from './idp.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SIGNIN = path.join(HERE, '../browser/signin.mjs');
const DEVICE = path.join(HERE, '../browser/device.mjs');
const SERVER = path.join(HERE, 'server.mjs');
const MAKE_CERT = path.join(HERE, 'make-cert.sh');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'hublink-idp-selftest-'));

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });

let idp;
let meta;

before(async () => {
  idp = await startIdp();
  meta = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
});

after(async () => {
  await idp?.stop();
  fs.rmSync(TMP, { recursive: true, force: true });
});

function userEnv(username, action = 'approve') {
  const user = idp.users.find((u) => u.username === username);
  return {
    HUBLINK_TEST_USER: user.username,
    HUBLINK_TEST_PASSWORD: user.password,
    HUBLINK_TEST_TOTP_SECRET: user.totpSecret ?? '',
    HUBLINK_TEST_ACTION: action,
  };
}

// Run a browser driver; resolves with its exit code, stderr and log lines.
let runs = 0;
function runDriver(script, args, env) {
  runs += 1;
  const logFile = path.join(TMP, `browser-${runs}.log`);
  return new Promise((resolve, reject) => {
    const child = spawn(script, args, {
      // Browser profiles go under TMP, so the leak check below sees only ours.
      env: {
        ...process.env, ...env, HUBLINK_TEST_BROWSER_LOG: logFile, TMPDIR: TMP,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('exit', (code) => {
      const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
      resolve({ code, stderr, log });
    });
  });
}

// The relying party's half of a browser sign-in: loopback listener, PKCE,
// state and nonce; signin.mjs plays the user.
async function browserSignIn(username, {
  action = 'approve', scope = 'openid profile email offline_access', issuerMeta = meta, env = {},
} = {}) {
  const verifier = b64url(crypto.randomBytes(32));
  const state = b64url(crypto.randomBytes(16));
  const nonce = b64url(crypto.randomBytes(16));
  let gotCallback;
  const callback = new Promise((resolve) => { gotCallback = resolve; });
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname !== '/callback') return res.writeHead(404).end();
    gotCallback(url.searchParams);
    const ok = url.searchParams.has('code');
    res.writeHead(200, { 'Content-Type': 'text/html' });
    return res.end(`<title>${ok ? 'Signed in' : 'Sign-in failed'}</title><p>${ok ? 'You are signed in.' : 'Sign-in failed.'}</p>`);
  });
  await new Promise((r) => { server.listen(0, '127.0.0.1', r); });
  const redirectUri = `http://127.0.0.1:${server.address().port}/callback`;
  const auth = new URL(issuerMeta.authorization_endpoint);
  auth.search = new URLSearchParams({
    client_id: 'hublink',
    response_type: 'code',
    scope,
    redirect_uri: redirectUri,
    state,
    nonce,
    code_challenge: b64url(crypto.createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
  }).toString();
  try {
    // Extra leading argument: the URL must be taken from the last position.
    const run = await runDriver(SIGNIN, ['--new-window', auth.href], { ...userEnv(username, action), ...env });
    const params = await Promise.race([callback, sleep(200).then(() => null)]);
    return {
      run, params, state, nonce, verifier, redirectUri,
    };
  } finally {
    server.close();
    server.closeAllConnections();
  }
}

async function tokenRequest(form, issuerMeta = meta, fetchImpl = fetch) {
  const res = await fetchImpl(issuerMeta.token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: 'hublink', ...form }),
  });
  return { status: res.status, body: await res.json() };
}

async function exchange(flow) {
  assert.equal(flow.run.code, 0, `signin.mjs failed: ${flow.run.stderr}\n${flow.run.log}`);
  assert.ok(flow.params, `no callback received\n${flow.run.log}`);
  assert.equal(flow.params.get('state'), flow.state);
  assert.equal(flow.params.get('iss'), idp.issuer);
  const { status, body } = await tokenRequest({
    grant_type: 'authorization_code',
    code: flow.params.get('code'),
    redirect_uri: flow.redirectUri,
    code_verifier: flow.verifier,
  });
  assert.equal(status, 200, JSON.stringify(body));
  return body;
}

const refresh = (refreshToken) => tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken });

async function verifyIdToken(idToken, nonce) {
  const [h, p, s] = idToken.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const { keys } = await (await fetch(meta.jwks_uri)).json();
  const jwk = keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, 'signing key not in jwks');
  const ok = crypto.verify('RSA-SHA256', Buffer.from(`${h}.${p}`), crypto.createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(s, 'base64url'));
  assert.ok(ok, 'bad ID token signature');
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  assert.equal(claims.iss, idp.issuer);
  assert.equal(claims.aud, 'hublink');
  assert.ok(claims.exp > Date.now() / 1000);
  if (nonce !== undefined) assert.equal(claims.nonce, nonce);
  return claims;
}

async function hub(accessToken) {
  const res = await fetch(idp.sessionCheckUrl, {
    headers: accessToken ? { Authorization: `Bearer ${accessToken}` } : {},
  });
  return { status: res.status, www: res.headers.get('www-authenticate'), body: await res.text() };
}

let alice; // tokens from alice's sign-in, reused by the refresh tests

test('discovery advertises what Hublink uses', () => {
  assert.equal(meta.issuer, idp.issuer);
  assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
  assert.equal(meta.authorization_response_iss_parameter_supported, true);
  for (const key of ['device_authorization_endpoint', 'revocation_endpoint', 'introspection_endpoint', 'end_session_endpoint', 'userinfo_endpoint']) {
    assert.ok(meta[key], `missing ${key}`);
  }
  assert.ok(meta.grant_types_supported.includes(DEVICE_GRANT));
});

test('hub publishes its settings', async () => {
  const settings = await (await fetch(new URL('/.well-known/hublink.json', idp.hubUrl))).json();
  assert.deepEqual(settings, {
    name: 'Demo Hub', issuer: idp.issuer, client_id: 'hublink', mfa: 'required', session_check: idp.sessionCheckUrl,
  });
  assert.match(idp.link, /^hublink:\/\/add\?url=http%3A%2F%2F127\.0\.0\.1%3A\d+%2F&name=Demo%20Hub&issuer=/);
});

test('alice signs in with password + TOTP; MFA in the ID token; hub accepts her', async () => {
  const codesBefore = idp.counters.authorizationCodes;
  const flow = await browserSignIn('alice');
  const tokens = await exchange(flow);
  assert.equal(idp.counters.authorizationCodes, codesBefore + 1);
  const claims = await verifyIdToken(tokens.id_token, flow.nonce);
  assert.ok(claims.amr.includes('otp') && claims.amr.includes('mfa'), `amr ${claims.amr}`);
  assert.equal(claims.acr, 'urn:hublink:mfa');
  assert.equal(typeof claims.auth_time, 'number');
  assert.equal(claims.preferred_username, 'alice');
  assert.equal(claims.email, 'alice@example.test');
  assert.ok(tokens.refresh_token, 'no refresh token');
  assert.equal(tokens.expires_in, 3600);

  const session = await hub(tokens.access_token);
  assert.equal(session.status, 200, session.body);
  assert.equal(JSON.parse(session.body).user, 'alice');

  const userinfo = await fetch(meta.userinfo_endpoint, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(userinfo.status, 200);
  assert.equal((await userinfo.json()).preferred_username, 'alice');

  // The log tells what happened, but holds no secret.
  assert.match(flow.run.log, /consent page: clicking Allow/);
  assert.match(flow.run.log, /callback \(params: code,state,iss\)|callback \(params: [a-z,]*code/);
  assert.ok(!flow.run.log.includes('alice-pass'));
  assert.ok(!flow.run.log.includes(flow.params.get('code')));
  alice = tokens;
});

test('alice can sign in again within the same TOTP period', async () => {
  const tokens = await exchange(await browserSignIn('alice'));
  assert.ok(tokens.access_token);
});

test('bob signs in but the hub refuses him, with the reason', async () => {
  const tokens = await exchange(await browserSignIn('bob'));
  const session = await hub(tokens.access_token);
  assert.equal(session.status, 403);
  assert.match(session.body, /User "bob" has no access to this hub\. Ask the hub administrator to grant you the Analyst role\./);
});

test('carol signs in with a password only: amr is [pwd]', async () => {
  const flow = await browserSignIn('carol');
  const claims = await verifyIdToken((await exchange(flow)).id_token, flow.nonce);
  assert.deepEqual(claims.amr, ['pwd']);
  assert.equal(claims.acr, 'urn:hublink:pwd');
  assert.doesNotMatch(flow.run.log, /TOTP/);
});

test('Deny at consent sends access_denied to the callback', async () => {
  const screenshot = path.join(TMP, 'deny.png');
  const flow = await browserSignIn('alice', { action: 'deny', env: { HUBLINK_TEST_SCREENSHOT: screenshot } });
  assert.deepEqual([...fs.readFileSync(screenshot).subarray(1, 4)], [...Buffer.from('PNG')]);
  assert.equal(flow.run.code, 0, flow.run.log);
  assert.equal(flow.params.get('error'), 'access_denied');
  assert.ok(flow.params.get('error_description'));
  assert.equal(flow.params.get('state'), flow.state);
  assert.equal(flow.params.get('code'), null);
  assert.match(flow.run.log, /error=access_denied/);
});

test('a wrong password is shown and the driver stops without a callback', async () => {
  const failed = idp.counters.failedLogins;
  const flow = await browserSignIn('alice', { action: 'wrong-password' });
  assert.equal(flow.run.code, 0, flow.run.log);
  assert.equal(flow.params, null);
  assert.match(flow.run.log, /login rejected as expected: Wrong username or password/);
  assert.equal(idp.counters.failedLogins, failed + 1);
});

test('a wrong TOTP code is shown and the driver stops without a callback', async () => {
  const flow = await browserSignIn('alice', { action: 'wrong-totp' });
  assert.equal(flow.run.code, 0, flow.run.log);
  assert.equal(flow.params, null);
  assert.match(flow.run.log, /TOTP code rejected as expected: Wrong code/);
});

test('refresh: one grant per call, rotated tokens keep working', async () => {
  const before = idp.counters.refreshes;
  const first = await refresh(alice.refresh_token);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(idp.counters.refreshes, before + 1);
  assert.ok(first.body.id_token && first.body.refresh_token);
  const claims = await verifyIdToken(first.body.id_token);
  assert.ok(claims.amr.includes('mfa'), 'amr survives a refresh');

  const second = await refresh(first.body.refresh_token);
  assert.equal(second.status, 200, JSON.stringify(second.body));
  assert.equal(idp.counters.refreshes, before + 2);
  alice = second.body;
});

test('a 2-second access token expires at the hub and a refresh renews it', async () => {
  idp.setAccessTokenTtl(2);
  try {
    const short = await refresh(alice.refresh_token);
    assert.equal(short.status, 200);
    assert.equal(short.body.expires_in, 2);
    assert.equal((await hub(short.body.access_token)).status, 200);
    await sleep(2500);
    const expired = await hub(short.body.access_token);
    assert.equal(expired.status, 401);
    assert.match(expired.www, /^Bearer .*error="invalid_token"/);
    assert.match(expired.body, /expired or was revoked/);
    assert.equal((await hub()).status, 401);
    alice = short.body;
  } finally {
    idp.setAccessTokenTtl(3600);
  }
  const renewed = await refresh(alice.refresh_token);
  assert.equal(renewed.body.expires_in, 3600);
  assert.equal((await hub(renewed.body.access_token)).status, 200);
  alice = renewed.body;
});

test('the revocation endpoint revokes an access token and is counted', async () => {
  const { access_token: token } = (await refresh(alice.refresh_token)).body;
  const before = { ...idp.counters };
  const res = await fetch(meta.revocation_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: 'hublink', token, token_type_hint: 'access_token' }),
  });
  assert.equal(res.status, 200);
  assert.equal(idp.counters.revocations, before.revocations + 1);
  assert.equal(idp.counters.revokedTokens, before.revokedTokens + 1);
  assert.equal((await idp.introspect(token)).active, false);
  assert.equal((await hub(token)).status, 401);
});

test('device flow with device.mjs (complete URI, then URI + user code)', async () => {
  for (const [username, complete] of [['alice', true], ['carol', false]]) {
    const res = await fetch(meta.device_authorization_endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'hublink', scope: 'openid profile email offline_access' }),
    });
    const device = await res.json();
    assert.equal(res.status, 200, JSON.stringify(device));
    const pending = await tokenRequest({ grant_type: DEVICE_GRANT, device_code: device.device_code });
    assert.equal(pending.body.error, 'authorization_pending');

    const args = complete ? [device.verification_uri_complete] : [device.verification_uri, device.user_code];
    const run = await runDriver(DEVICE, args, userEnv(username));
    assert.equal(run.code, 0, `${run.stderr}\n${run.log}`);
    assert.match(run.log, /device flow finished/);

    const done = await tokenRequest({ grant_type: DEVICE_GRANT, device_code: device.device_code });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const claims = await verifyIdToken(done.body.id_token);
    assert.equal(claims.preferred_username, username);
    assert.ok(done.body.refresh_token);
  }
});

test('revokeAllRefreshTokens makes refresh fail with invalid_grant', async () => {
  const failures = idp.counters.refreshFailures;
  assert.ok(idp.revokeAllRefreshTokens('alice') >= 1);
  const res = await refresh(alice.refresh_token);
  assert.equal(res.status, 400);
  assert.equal(res.body.error, 'invalid_grant');
  assert.equal(idp.counters.refreshFailures, failures + 1);
});

test('server.mjs prints its settings and serves the control API', async () => {
  const child = spawn(process.execPath, [SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise((resolve, reject) => {
      readline.createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`server.mjs exited with ${code}`)));
    });
    const info = JSON.parse(line);
    assert.match(info.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(info.sessionCheckUrl, new URL('/api/session', info.hubUrl).href);
    const aliceUser = info.users.find((u) => u.username === 'alice');
    assert.deepEqual(aliceUser, {
      username: 'alice', password: 'alice-pass', totpSecret: 'ALICEALICEALICEALICEALICEALICE23', hubAccess: true,
    });
    const control = (p, init) => fetch(`${info.issuer}/__test/${p}`, init).then(async (r) => ({ status: r.status, body: await r.json() }));
    const post = (p, form = {}) => control(p, { method: 'POST', body: new URLSearchParams(form) });

    const totp = await control('totp?user=alice');
    assert.equal(totp.status, 200);
    assert.equal(totp.body.code, totpFor(aliceUser.totpSecret).generate());
    assert.equal((await control('totp?user=nobody')).status, 404);
    assert.equal((await control('nope')).status, 404);

    assert.equal((await post('access-ttl?seconds=7')).body.access_token_ttl, 7);
    assert.equal((await post('access-ttl', { seconds: 'x' })).status, 400);
    assert.deepEqual((await post('introspect', { token: 'not-a-token' })).body, { active: false });

    // A real token from this server, to see the control API act on it.
    const serverMeta = await (await fetch(`${info.issuer}/.well-known/openid-configuration`)).json();
    const flow = await browserSignIn('alice', { issuerMeta: serverMeta });
    assert.equal(flow.run.code, 0, flow.run.log);
    const tokens = await tokenRequest({
      grant_type: 'authorization_code', code: flow.params.get('code'), redirect_uri: flow.redirectUri, code_verifier: flow.verifier,
    }, serverMeta);
    assert.equal(tokens.body.expires_in, 7);
    const active = await post('introspect', { token: tokens.body.access_token });
    assert.equal(active.body.active, true);
    assert.equal(active.body.sub, 'alice');

    const counters = await control('counters');
    assert.equal(counters.body.authorizationCodes, 1);
    assert.equal(counters.body.logins, 1);

    assert.deepEqual((await post('revoke-refresh', { user: 'alice' })).body, { revoked: 1 });
    const refused = await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token }, serverMeta);
    assert.equal(refused.body.error, 'invalid_grant');
    assert.equal((await control('counters')).body.refreshFailures, 1);

    assert.deepEqual((await post('hub-access', { user: 'bob', allow: 'true' })).body, { user: 'bob', hub_access: true });
    assert.equal((await post('reset-counters')).body.authorizationCodes, 0);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => { if (child.exitCode !== null) r(); else child.once('exit', r); });
  }
});

test('https: untrusted without the CA, trusted with it; the browser signs in', async () => {
  execFileSync(MAKE_CERT, [path.join(TMP, 'certs')], { stdio: 'ignore' });
  const read = (f) => fs.readFileSync(path.join(TMP, 'certs', f));
  const secure = await startIdp({ https: { key: read('leaf.key'), cert: read('leaf.pem') } });
  try {
    assert.match(secure.issuer, /^https:\/\/127\.0\.0\.1:\d+$/);
    const get = (ca) => new Promise((resolve, reject) => {
      https.get(`${secure.issuer}/.well-known/openid-configuration`, { ca }, (res) => {
        let body = '';
        res.on('data', (d) => { body += d; });
        res.on('end', () => resolve(JSON.parse(body)));
      }).on('error', reject);
    });
    await assert.rejects(get(undefined), (err) => /certificate|self.signed/i.test(`${err.code} ${err.message}`));
    const secureMeta = await get(read('ca.pem'));
    assert.equal(secureMeta.issuer, secure.issuer);

    const flow = await browserSignIn('carol', { issuerMeta: secureMeta });
    assert.equal(flow.run.code, 0, flow.run.log);
    assert.equal(flow.params.get('iss'), secure.issuer);
  } finally {
    await secure.stop();
  }
});

test('a state file keeps keys and refresh tokens across a restart', async () => {
  const stateFile = path.join(TMP, 'state.json');
  let first = await startIdp({ stateFile, port: 0 });
  const port = Number(new URL(first.issuer).port);
  const firstMeta = await (await fetch(`${first.issuer}/.well-known/openid-configuration`)).json();
  const flow = await browserSignIn('carol', { issuerMeta: firstMeta });
  const tokens = await tokenRequest({
    grant_type: 'authorization_code', code: flow.params.get('code'), redirect_uri: flow.redirectUri, code_verifier: flow.verifier,
  }, firstMeta);
  const kids = await (await fetch(firstMeta.jwks_uri)).json();
  await first.stop();

  first = await startIdp({ stateFile, port });
  try {
    assert.deepEqual(await (await fetch(firstMeta.jwks_uri)).json(), kids);
    const res = await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token }, firstMeta);
    assert.equal(res.status, 200, JSON.stringify(res.body));
  } finally {
    await first.stop();
  }
});

test('no Chromium is left behind', async () => {
  await sleep(300);
  let out = '';
  try {
    out = execFileSync('pgrep', ['-af', path.join(TMP, 'hublink-browser-')], { encoding: 'utf8' });
  } catch {
    // pgrep exits 1 when nothing matches
  }
  assert.equal(out.trim(), '', `leftover processes:\n${out}`);
  assert.deepEqual(fs.readdirSync(TMP).filter((f) => f.startsWith('hublink-browser-')), [], 'leftover profiles');
});
