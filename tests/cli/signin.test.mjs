// The integration ring: the real `hublink` binary, a real OpenID Connect provider with a TOTP
// second factor, real headless Chromium as the system browser, the real Secret Service.
// Run under tests/with-keyring.sh (scripts/test.sh does it).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startIdp } from '../idp/idp.mjs';
import { ALICE, BOB, CAROL } from '../people.mjs';
import {
  DEVICE, RECORD_URL, SIGNIN, linkFor, newUser, show, sleep, start,
} from './harness.mjs';

let idp;
before(async () => {
  idp = await startIdp();
});
after(async () => {
  await idp?.stop();
});

async function addAndLogin(user, person, { link = linkFor(idp), timeout = 45 } = {}) {
  user.as(person);
  const added = await user.run(['add', link, '--yes']);
  assert.equal(added.code, 0, show(added));
  return user.run(['login', 'Demo Hub', '--timeout', String(timeout)]);
}

async function statusJson(user, env) {
  const r = await user.run(['status', '--json'], { env });
  const parsed = JSON.parse(r.stdout);
  return { ...r, json: parsed, hub: parsed.hubs.find((h) => h.name === 'Demo Hub') };
}

describe('happy path: link → browser sign-in with TOTP → keyring session → restore → refresh → revoke → logout', () => {
  const user = newUser('happy');

  test('add from an authentication link, then list shows it as a link hub', async () => {
    const r = await user.run(['add', linkFor(idp), '--yes']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stderr, /Host: +127\.0\.0\.1:\d+/);
    assert.match(r.stderr, /second factor required/);
    const again = await user.run(['add', linkFor(idp), '--yes']);
    assert.match(again.stdout, /already there/);
    const list = JSON.parse((await user.run(['list', '--json'])).stdout);
    assert.equal(list.hubs.length, 1, 'the same link twice is one hub');
    assert.equal(list.hubs[0].source, 'link');
    assert.equal(list.hubs[0].state, 'sign_in_required');
  });

  test('login: password + TOTP in the browser, amr checked, session in the keyring', async () => {
    user.as(ALICE);
    const codesBefore = idp.counters.authorizationCodes;
    const r = await user.run(['login', 'demo hub', '--timeout', '45']);
    assert.equal(r.code, 0, `${show(r)}\n--- browser\n${user.browserLog()}`);
    assert.match(r.stdout, /Signed in to Demo Hub as alice/);
    assert.equal(idp.counters.authorizationCodes, codesBefore + 1);
    assert.ok(idp.counters.hubAccepted >= 1, 'the hub was asked and accepted the session');
    // Nothing secret on disk: the registry holds no token.
    const registry = fs.readFileSync(path.join(user.home, 'hubs.json'), 'utf8');
    assert.doesNotMatch(registry, /access_token|refresh_token/);
  });

  test('status: signed in as alice with an expiry; the token is accepted by the IdP', async () => {
    const s = await statusJson(user);
    assert.equal(s.code, 0, show(s));
    assert.equal(s.hub.state, 'signed_in');
    assert.equal(s.hub.user, 'alice');
    assert.ok(Date.parse(s.hub.expires_at) > Date.now(), s.hub.expires_at);
    const t = await user.run(['token', 'Demo Hub']);
    assert.equal(t.code, 0, show(t));
    const token = t.stdout.trim();
    const introspection = await idp.introspect(token);
    assert.equal(introspection.active, true);
    assert.equal(introspection.sub, 'alice');
  });

  test('scripts: `token --json`, `header` and `exec` hand the hub a token it accepts, and nothing else', async () => {
    const j = await user.run(['token', 'Demo Hub', '--json']);
    assert.equal(j.code, 0, show(j));
    const shape = JSON.parse(j.stdout);
    assert.deepEqual(Object.keys(shape).sort(), ['access_token', 'expires_at', 'token_type']);
    assert.equal(shape.token_type, 'Bearer');
    assert.ok(Date.parse(shape.expires_at) > Date.now(), shape.expires_at);
    const h = await user.run(['header', 'Demo Hub']);
    assert.equal(h.code, 0, show(h));
    assert.equal(h.stdout, `Authorization: Bearer ${shape.access_token}\n`);
    const hub = await fetch(idp.sessionCheckUrl, { headers: { Authorization: h.stdout.trim().replace(/^Authorization: /, '') } });
    assert.equal(hub.status, 200, 'the hub accepts the header');
    // exec: the child sees the credentials in its environment and its exit status is ours.
    const e = await user.run(['exec', 'Demo Hub', '--', 'sh', '-c', 'test "$HUBLINK_AUTH_HEADER" = "Authorization: Bearer $HUBLINK_ACCESS_TOKEN" && test -n "$HUBLINK_ACCESS_TOKEN" && echo "$HUBLINK_HUB"; exit 42']);
    assert.equal(e.code, 42, show(e));
    assert.equal(e.stdout, 'Demo Hub\n');
    assert.ok(!e.stderr.includes(shape.access_token) && !h.stderr.includes(shape.access_token), 'no token on stderr');
    const missing = await user.run(['exec', 'Demo Hub', '--', '/nonexistent/program']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /nonexistent/);
  });

  test('a new process restores the session without opening a browser', async () => {
    const marker = path.join(user.root, 'browser-opened');
    const s = await statusJson(user, { HUBLINK_BROWSER: RECORD_URL, HUBLINK_TEST_URL_FILE: marker });
    assert.equal(s.hub.state, 'signed_in', show(s));
    assert.equal(fs.existsSync(marker), false, 'no browser was opened');
  });

  test('an expired access token is refreshed silently', async () => {
    idp.setAccessTokenTtl(2);
    user.as(ALICE);
    const login = await user.run(['login', 'Demo Hub', '--timeout', '45']);
    assert.equal(login.code, 0, show(login));
    const first = (await user.run(['token', 'Demo Hub'])).stdout.trim();
    await sleep(2500);
    const refreshesBefore = idp.counters.refreshes;
    const s = await statusJson(user);
    assert.equal(s.hub.state, 'signed_in', show(s));
    assert.equal(idp.counters.refreshes, refreshesBefore + 1);
    const second = (await user.run(['token', 'Demo Hub'])).stdout.trim();
    assert.notEqual(second, first, 'a new access token');
    assert.equal((await idp.introspect(second)).active, true);
  });

  test('two processes restoring the same expired session make exactly one refresh', async () => {
    await sleep(2500);
    const refreshesBefore = idp.counters.refreshes;
    const [a, b] = await Promise.all([user.run(['status', '--json']), user.run(['status', '--json'])]);
    assert.equal(a.code, 0, show(a));
    assert.equal(b.code, 0, show(b));
    assert.equal(idp.counters.refreshes, refreshesBefore + 1, 'exactly one refresh at the IdP');
  });

  test('a refresh token revoked at the IdP means "sign in again" (exit 3), and nothing is deleted', async () => {
    await idp.revokeAllRefreshTokens();
    await sleep(2500);
    const s = await statusJson(user);
    assert.equal(s.code, 3, show(s));
    assert.equal(s.hub.state, 'sign_in_required');
    assert.match(s.hub.reason, /no longer accepts/);
    const list = JSON.parse((await user.run(['list', '--json'])).stdout).hubs[0];
    assert.equal(list.state, 'sign_in_required', 'list remembers what status found');
    assert.match(list.reason, /no longer accepts/);
    const t = await user.run(['token', 'Demo Hub']);
    assert.equal(t.code, 3, show(t));
    assert.match(t.stderr, /^hublink: sign in again: /m);
    assert.match(t.stderr, /^next: Sign in again/m);
    idp.setAccessTokenTtl(3600);
  });

  test('logout revokes at the IdP and forgets the session', async () => {
    user.as(ALICE);
    const login = await user.run(['login', 'Demo Hub', '--timeout', '45']);
    assert.equal(login.code, 0, show(login));
    const token = (await user.run(['token', 'Demo Hub'])).stdout.trim();
    const revocationsBefore = idp.counters.revocations;
    const r = await user.run(['logout', 'Demo Hub']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /revoked/);
    assert.ok(idp.counters.revocations > revocationsBefore);
    assert.equal((await idp.introspect(token)).active, false);
    const t = await user.run(['token', 'Demo Hub']);
    assert.equal(t.code, 3, show(t));
  });

  test('remove deletes the link hub', async () => {
    const r = await user.run(['remove', 'Demo Hub']);
    assert.equal(r.code, 0, show(r));
    const list = JSON.parse((await user.run(['list', '--json'])).stdout);
    assert.equal(list.hubs.length, 0);
  });
});

describe('sign-in failures: each with its exit code and its cause', () => {
  test('wrong password: the sign-in never completes → timed out (7)', async () => {
    const user = newUser('wrongpw');
    assert.equal((await user.run(['add', linkFor(idp), '--yes'])).code, 0);
    user.as(ALICE, 'wrong-password');
    const r = await user.run(['login', 'Demo Hub', '--timeout', '8']);
    assert.equal(r.code, 7, show(r));
    assert.match(r.stderr, /^hublink: sign-in timed out: /m);
    assert.match(user.browserLog(), /Wrong username or password/i);
    assert.equal((await user.run(['token', 'Demo Hub'])).code, 3, 'no session was stored');
  });

  test('wrong TOTP code: timed out (7), nothing stored', async () => {
    const user = newUser('wrongtotp');
    user.as(ALICE);
    assert.equal((await user.run(['add', linkFor(idp), '--yes'])).code, 0);
    user.as(ALICE, 'wrong-totp');
    const r = await user.run(['login', 'Demo Hub', '--timeout', '8']);
    assert.equal(r.code, 7, show(r));
    assert.match(user.browserLog(), /Wrong code/i);
    const t = await user.run(['token', 'Demo Hub']);
    assert.equal(t.code, 3, 'no session was stored');
  });

  test('the user denies consent → refused (3) with access_denied', async () => {
    const user = newUser('deny');
    user.as(ALICE);
    assert.equal((await user.run(['add', linkFor(idp), '--yes'])).code, 0);
    user.as(ALICE, 'deny');
    const r = await user.run(['login', 'Demo Hub', '--timeout', '45']);
    assert.equal(r.code, 3, show(r));
    assert.match(r.stderr, /access_denied/);
    assert.match(r.stderr, /^next: If you declined by mistake/m);
  });

  test('mfa=required but a password-only sign-in → refused (3), second factor named', async () => {
    const user = newUser('nomfa');
    const r = await addAndLogin(user, CAROL);
    assert.equal(r.code, 3, show(r));
    assert.match(r.stderr, /second factor/);
    assert.match(r.stderr, /methods used: pwd/);
    assert.equal((await user.run(['token', 'Demo Hub'])).code, 3, 'nothing stored');
  });

  test('the hub refuses a user without access → server authentication failed (3) with the hub\'s reason', async () => {
    const user = newUser('bob');
    const r = await addAndLogin(user, BOB);
    assert.equal(r.code, 3, show(r));
    assert.match(r.stderr, /^hublink: server authentication failed: .*HTTP 403.*bob.*has no access/m);
    assert.match(r.stderr, /^next: Ask the hub's administrator to grant you access/m);
    assert.equal((await user.run(['token', 'Demo Hub'])).code, 3, 'nothing stored');
  });

  test('a forged callback with a wrong state is refused and does not complete the sign-in', async () => {
    const user = newUser('forged');
    user.as(ALICE);
    assert.equal((await user.run(['add', linkFor(idp), '--yes'])).code, 0);
    const urlFile = path.join(user.root, 'urls');
    const login = user.spawn(['login', 'Demo Hub', '--timeout', '45'], {
      env: { HUBLINK_BROWSER: RECORD_URL, HUBLINK_TEST_URL_FILE: urlFile },
    });
    await login.waitForStderr(/If no browser opened, visit: (\S+)/);
    // The file exists before the "browser" has written its line: wait for the whole line.
    const written = () => fs.existsSync(urlFile) && fs.readFileSync(urlFile, 'utf8').endsWith('\n');
    for (let i = 0; i < 100 && !written(); i += 1) await sleep(50);
    const signInUrl = new URL(fs.readFileSync(urlFile, 'utf8').trim());
    const redirect = new URL(signInUrl.searchParams.get('redirect_uri'));
    const forged = await fetch(`${redirect.origin}/callback?code=forged&state=not-the-state`);
    assert.equal(forged.status, 400);
    assert.match(await forged.text(), /does not belong/);
    // The real sign-in still completes afterwards.
    const browser = spawn(process.execPath, [SIGNIN, signInUrl.href], {
      env: user.env, stdio: 'ignore',
    });
    const r = await login.done;
    browser.kill();
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /Signed in to Demo Hub as alice/);
  });

  test('the identity provider is down → network error (4) naming the issuer', async () => {
    const user = newUser('down');
    const link = linkFor(idp, { issuer: 'http://127.0.0.1:9', name: 'Demo Hub' });
    const r = await addAndLogin(user, ALICE, { link });
    assert.equal(r.code, 4, show(r));
    assert.match(r.stderr, /127\.0\.0\.1:9/);
    assert.match(r.stderr, /connection refused/);
  });

  test('no keyring → secure storage unavailable (6) before any browser opens; the explicit opt-in works and warns', async () => {
    const user = newUser('nokeyring');
    user.as(ALICE);
    assert.equal((await user.run(['add', linkFor(idp), '--yes'])).code, 0);
    const urlFile = path.join(user.root, 'urls');
    const noBus = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus', HUBLINK_BROWSER: RECORD_URL, HUBLINK_TEST_URL_FILE: urlFile };
    const r = await user.run(['login', 'Demo Hub', '--timeout', '20'], { env: noBus });
    assert.equal(r.code, 6, show(r));
    assert.match(r.stderr, /^hublink: secure storage is not available: /m);
    assert.match(r.stderr, /HUBLINK_INSECURE_STORAGE=1/);
    assert.equal(fs.existsSync(urlFile), false, 'no browser was opened');

    const insecure = { ...noBus, HUBLINK_BROWSER: user.env.HUBLINK_BROWSER, HUBLINK_INSECURE_STORAGE: '1' };
    const ok = await user.run(['login', 'Demo Hub', '--timeout', '45'], { env: insecure });
    assert.equal(ok.code, 0, show(ok));
    assert.match(ok.stderr, /^warning: HUBLINK_INSECURE_STORAGE=1/m);
    const s = await user.run(['status'], { env: insecure });
    assert.equal(s.code, 0, show(s));
    assert.match(s.stderr, /^warning: HUBLINK_INSECURE_STORAGE=1/m);
  });
});

describe('device flow', () => {
  test('code and address shown; signing in on "another device" completes the login', async () => {
    const user = newUser('device');
    user.as(ALICE);
    assert.equal((await user.run(['add', linkFor(idp), '--yes'])).code, 0);
    const login = user.spawn(['login', 'Demo Hub', '--device', '--timeout', '60']);
    const [, complete] = await login.waitForStderr(/\(or open: (\S+)\)/);
    const [, code] = await login.waitForStderr(/enter the code: (\S+)/);
    assert.match(code, /\S{4,}/);
    const device = spawn(process.execPath, [DEVICE, complete], { env: user.env, stdio: 'ignore' });
    const r = await login.done;
    device.kill();
    assert.equal(r.code, 0, `${show(r)}\n${user.browserLog()}`);
    assert.match(r.stdout, /Signed in to Demo Hub as alice/);
    const s = await statusJson(user);
    assert.equal(s.hub.state, 'signed_in');
  });
});

describe('hubs from the hub itself and from hubs.ini', () => {
  test('a plain hub address is resolved through /.well-known/hublink.json', async () => {
    const user = newUser('wellknown');
    const r = await user.run(['add', idp.hubUrl, '--yes']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stderr, /published settings/);
    const list = JSON.parse((await user.run(['list', '--json'])).stdout);
    assert.equal(list.hubs[0].name, 'Demo Hub');
    assert.equal(list.hubs[0].issuer, idp.issuer);
  });

  test('a hub’s own `browser` (hubs.ini) opens its sign-in page, not HUBLINK_BROWSER', async () => {
    const user = newUser('browser');
    const hubUrls = path.join(user.root, 'hub-browser');
    const defaultUrls = path.join(user.root, 'default-browser');
    const script = path.join(user.root, 'hub-browser.sh');
    fs.writeFileSync(script, `#!/bin/sh\nprintf '%s %s\\n' "$1" "$2" >> ${hubUrls}\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(user.hubsDir, 'corp.ini'),
      `[Finance Hub]\nurl = ${idp.hubUrl}\nissuer = ${idp.issuer}\nbrowser = ${script} --profile=work\n`);
    const r = await user.run(['login', 'Finance Hub', '--timeout', '3'], { env: { HUBLINK_BROWSER: RECORD_URL, HUBLINK_TEST_URL_FILE: defaultUrls } });
    assert.equal(r.code, 7, show(r));
    assert.match(fs.readFileSync(hubUrls, 'utf8'), /^--profile=work http:\/\/127\.0\.0\.1:\d+\/.*auth/);
    assert.equal(fs.existsSync(defaultUrls), false, 'HUBLINK_BROWSER was not used for this hub');
  });

  test('a corrupt registry is set aside, reported, kept; hubs.ini hubs are still listed', async () => {
    const user = newUser('corrupt');
    fs.mkdirSync(user.home, { recursive: true });
    fs.writeFileSync(path.join(user.home, 'hubs.json'), '{"version":1,"hubs":[{"id":');
    fs.writeFileSync(path.join(user.hubsDir, 'corp.ini'), `[Finance Hub]\nurl = ${idp.hubUrl}\nissuer = ${idp.issuer}\n`);
    const r = await user.run(['list', '--json']);
    assert.equal(r.code, 0, show(r));
    const list = JSON.parse(r.stdout);
    assert.deepEqual(list.hubs.map((h) => [h.name, h.source]), [['Finance Hub', 'hubs.ini']]);
    assert.match(r.stderr, /could not be read.*kept as .*hubs\.json\.corrupt-/);
    const kept = fs.readdirSync(user.home).filter((f) => f.startsWith('hubs.json.corrupt-'));
    assert.equal(kept.length, 1);
    assert.equal(fs.readFileSync(path.join(user.home, kept[0]), 'utf8'), '{"version":1,"hubs":[{"id":');
    const rm = await user.run(['remove', 'Finance Hub']);
    assert.equal(rm.code, 2, 'admin hubs cannot be removed');
  });
});
