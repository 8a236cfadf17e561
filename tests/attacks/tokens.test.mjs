// Attacks through what an identity provider publishes and answers: PKCE downgrade, forged or
// replayed ID tokens, plain-http endpoints off this computer, redirects off-origin, an answer
// far larger than any real one. The quirks ring's provider is switched per test; a sink on
// 127.0.0.2 stands for the other origin.

import assert from 'node:assert/strict';
import { after, before, beforeEach } from 'node:test';

import {
  add, assertNothingStored, attack, attackUser, link, quirkIdpForThisFile, refusal, show, startSink,
} from './harness.mjs';

const HUB = 'Token Hub';
const idp = quirkIdpForThisFile();
let sink;
before(async () => {
  sink = await startSink();
});
after(() => sink?.stop());
beforeEach(() => {
  sink.requests.length = 0;
});

async function login(name) {
  const user = attackUser(name);
  await add(user, link({ url: idp.issuer, name: HUB, issuer: idp.issuer }));
  const r = await user.run(['login', HUB, '--timeout', '20']);
  return { user, r };
}

/** Refused (exit, pattern) with nothing stored; the reason line for the tally. */
async function refusedLogin(name, exitCode, pattern) {
  const { user, r } = await login(name);
  const reason = refusal(r, exitCode, pattern);
  await assertNothingStored(user);
  return reason;
}

attack('PKCE downgrade: discovery offers only the plain method', async () => {
  idp.quirks.discoveryPatch = { code_challenge_methods_supported: ['plain'] };
  const reason = await refusedLogin('pkce-plain', 5, /S256/);
  assert.equal(idp.counters.authorize, 0, 'the browser was sent to the IdP anyway');
  return reason;
});

attack('nonce mismatch in the ID token', async () => {
  idp.quirks.idTokenNonce = 'a-nonce-of-another-sign-in';
  return refusedLogin('nonce', 3, /nonce/);
});

attack('an ID token replayed from an earlier sign-in', async () => {
  const first = await login('replay-first');
  assert.equal(first.r.code, 0, show(first.r));
  idp.quirks.replayIdToken = true;
  return refusedLogin('replay-second', 3, /nonce/);
});

attack('an ID token signed with alg none', async () => {
  idp.quirks.idTokenAlg = 'none';
  return refusedLogin('alg-none', 3, /signed with none|public-key signatures/);
});

attack('an ID token signed with HS256 keyed with the public key', async () => {
  idp.quirks.idTokenAlg = 'HS256-public-key';
  return refusedLogin('hs256', 3, /HS256/);
});

attack('an ID token signed with a key id the IdP does not publish', async () => {
  idp.quirks.idTokenKid = 'not-published';
  return refusedLogin('kid', 3, /no key .* matches it \(key id not-published\)/);
});

attack('discovery over plain http to a host off this computer', async () => {
  const user = attackUser('http-issuer');
  const r = await user.run(['add', link({ url: 'https://hub.example.com/', name: HUB, issuer: 'http://login.example.com/' }), '--yes']);
  const reason = refusal(r, 5, /http/);
  assert.deepEqual(JSON.parse((await user.run(['list', '--json'])).stdout).hubs, [], 'nothing was added');
  return reason;
});

attack('JWKS over plain http to a host off this computer', async () => {
  idp.quirks.discoveryPatch = { jwks_uri: 'http://login.example.com/jwks' };
  const reason = await refusedLogin('http-jwks', 5, /jwks_uri .*not https/);
  assert.equal(idp.counters.authorize, 0, 'the browser was sent to the IdP anyway');
  return reason;
});

for (const [endpoint, path, exitCode] of [
  ['discovery document', '/discovery', 5], ['token endpoint', '/token', 3], ['JWKS', '/jwks', 3],
]) {
  attack(`the ${endpoint} redirects off-origin`, async () => {
    idp.quirks.redirects = { [path]: sink.url(path) };
    const reason = await refusedLogin(`redirect-${path.slice(1)}`, exitCode, /redirect/);
    assert.ok(idp.counters.redirected >= 1, 'the redirect was answered');
    assert.deepEqual(sink.requests, [], 'the redirect was followed');
    return reason;
  });
}

attack('a token answer far larger than any real one', async () => {
  idp.quirks.tokenPaddingBytes = 8 * 1024 * 1024;
  return refusedLogin('oversized', 3, /more than 1024 KiB/);
});
