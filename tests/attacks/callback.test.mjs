// Attacks on the loopback redirect (RFC 8252 §7.3, RFC 9700 §4.5–4.7): forged, replayed,
// injected and crossed callbacks, and the listener itself (where it listens, and for how long).
// The real `hublink` binary and keyring against the quirks ring's OpenID provider, which
// approves at once (a user with a single sign-on session). Run from the repository root:
//   tests/with-keyring.sh node --test --test-concurrency=1 tests/attacks/*.test.mjs

import assert from 'node:assert/strict';
import fs from 'node:fs';

import {
  add, assertNothingStored, attack, attackUser, callbackFrom, connectable, deliver, link, refusal, show,
  quirkIdpForThisFile, sleep, startLogin,
} from './harness.mjs';

const HUB = 'Callback Hub';
const idp = quirkIdpForThisFile();

async function userWithHub(name) {
  const user = attackUser(name);
  await add(user, link({ url: idp.issuer, name: HUB, issuer: idp.issuer }));
  return user;
}

const codeGrants = () => idp.counters.token.authorization_code;

/** The login still waits after the forgery and ends by its own timeout: nothing was redeemed. */
async function stillWaitingThenTimedOut(login, grantsBefore) {
  const r = await login.done;
  assert.equal(r.code, 7, `the forged answer ended the sign-in\n${show(r)}`);
  assert.match(r.stderr, /timed out/, show(r));
  assert.equal(codeGrants(), grantsBefore, 'a code was redeemed at the IdP');
}

attack('a callback with the wrong state', async () => {
  const user = await userWithHub('wrong-state');
  const grants = codeGrants();
  const { login, authUrl } = await startLogin(user, HUB, 3);
  const genuine = await callbackFrom(authUrl);
  genuine.searchParams.set('state', 'forged-state');
  const page = await deliver(genuine);
  assert.equal(page.status, 400, JSON.stringify(page));
  assert.match(page.text, /does not belong to the sign-in Hublink started/);
  await stillWaitingThenTimedOut(login, grants);
  await assertNothingStored(user);
  return 'HTTP 400 "does not belong to the sign-in Hublink started"; the sign-in kept waiting; no code redeemed';
});

attack('a state replayed from an earlier sign-in', async () => {
  const user = await userWithHub('replay');
  user.env.HUBLINK_TEST_BROWSER_LOG = `${user.root}/follow.log`;
  const first = await user.run(['login', HUB, '--timeout', '20']);
  assert.equal(first.code, 0, show(first));
  const old = new URL(fs.readFileSync(user.env.HUBLINK_TEST_BROWSER_LOG, 'utf8').trim().split('\n').at(-1));
  assert.ok(old.searchParams.get('state'), `the browser log ends with the callback: ${old}`);
  const toOldListener = await deliver(old, 3000);
  assert.equal(toOldListener.error, 'ECONNREFUSED', `the first sign-in's listener still answers: ${JSON.stringify(toOldListener)}`);
  assert.equal((await user.run(['logout', HUB])).code, 0);
  const grants = codeGrants();
  const { login, redirectUri } = await startLogin(user, HUB, 3);
  const replayed = new URL(`${redirectUri.origin}${redirectUri.pathname}${old.search}`);
  const page = await deliver(replayed);
  assert.equal(page.status, 400, JSON.stringify(page));
  assert.match(page.text, /does not belong/);
  await stillWaitingThenTimedOut(login, grants);
  await assertNothingStored(user);
  return 'old listener closed (ECONNREFUSED); old state at the new listener: HTTP 400 "does not belong"';
});

attack('an authorization code injected at the loopback by another local process', async () => {
  const user = await userWithHub('inject');
  const { login, authUrl, redirectUri } = await startLogin(user, HUB, 3);
  // The attacker's own code from the same IdP, sent to the port it found (ss, netstat): it
  // does not know the state, so it tries none, a guess, and other paths.
  const attackersCode = (await callbackFrom(authUrl)).searchParams.get('code');
  const grants = codeGrants();
  const base = `${redirectUri.origin}${redirectUri.pathname}`;
  for (const target of [`${base}?code=${attackersCode}`, `${base}?code=${attackersCode}&state=guess`,
    `${redirectUri.origin}/callback/x?code=${attackersCode}`, `${redirectUri.origin}/?code=${attackersCode}`]) {
    const page = await deliver(target);
    assert.ok([400, 404].includes(page.status), `${target}: ${JSON.stringify(page)}`);
  }
  await stillWaitingThenTimedOut(login, grants);
  await assertNothingStored(user);
  return 'HTTP 400/404 for every injected code (no state or a wrong one); none redeemed';
});

attack('a callback that belongs to another sign-in', async () => {
  const alice = await userWithHub('cross-a');
  const bob = await userWithHub('cross-b');
  const a = await startLogin(alice, HUB, 20);
  const b = await startLogin(bob, HUB, 3);
  const aliceCallback = await callbackFrom(a.authUrl);
  const grants = codeGrants();
  const crossed = new URL(`${b.redirectUri.origin}${b.redirectUri.pathname}${aliceCallback.search}`);
  const page = await deliver(crossed);
  assert.equal(page.status, 400, JSON.stringify(page));
  assert.match(page.text, /does not belong/);
  await stillWaitingThenTimedOut(b.login, grants);
  await assertNothingStored(bob);
  // The answer still works where it belongs: it was refused for being elsewhere, nothing else.
  const own = await deliver(aliceCallback);
  assert.equal(own.status, 200, JSON.stringify(own));
  assert.equal((await a.login.done).code, 0);
  return 'HTTP 400 at the other listener; the callback completed only its own sign-in';
});

/** The listening TCP sockets on `port`, as "address:port" from /proc/net/tcp{,6}. */
function listeners(port) {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const found = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === '0A' && local?.endsWith(`:${hexPort}`)) found.push(local);
    }
  }
  return found;
}

attack('the loopback listener reachable on another address than 127.0.0.1', async () => {
  const user = await userWithHub('bind');
  const { login, port, redirectUri } = await startLogin(user, HUB, 3);
  assert.equal(redirectUri.hostname, '127.0.0.1', `redirect_uri ${redirectUri}`);
  assert.deepEqual(listeners(port), ['0100007F:' + port.toString(16).toUpperCase().padStart(4, '0')],
    'one listening socket, on 127.0.0.1 only');
  assert.equal(await connectable('127.0.0.1', port), true, 'it listens on 127.0.0.1');
  assert.equal(await connectable('127.0.0.2', port), false, 'reachable on 127.0.0.2');
  assert.equal(await connectable('::1', port), false, 'reachable on ::1');
  await login.done;
  return 'one socket, 127.0.0.1 only; 127.0.0.2 and ::1 refuse the connection';
});

attack('the loopback listener still open after the one callback', async () => {
  const user = await userWithHub('one-shot');
  idp.quirks.tokenDelayMs = 2500; // the sign-in is still redeeming the code…
  const { login, authUrl, port } = await startLogin(user, HUB, 20);
  const callback = await callbackFrom(authUrl);
  const page = deliver(callback);
  await sleep(700);
  // …and the listener is already gone: no second answer can reach it.
  const open = await connectable('127.0.0.1', port);
  const r = await login.done;
  assert.equal((await page).status, 200);
  assert.equal(r.code, 0, show(r));
  assert.equal(open, false, 'a second connection was accepted while the first answer was being redeemed');
  return 'the port refuses connections as soon as the callback is taken (while the code is redeemed)';
});

attack('the loopback listener still open after the timeout', async () => {
  const user = await userWithHub('timeout');
  const { login, port } = await startLogin(user, HUB, 2);
  assert.equal(await connectable('127.0.0.1', port), true, 'it listened while waiting');
  const r = await login.done;
  const reason = refusal(r, 7, /sign-in timed out/);
  assert.equal(await connectable('127.0.0.1', port), false, 'still listening after the timeout');
  await assertNothingStored(user);
  return `${reason}; the port refuses connections afterwards`;
});
