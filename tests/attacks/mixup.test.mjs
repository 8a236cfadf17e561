// Identity-provider mix-up (RFC 9700 §4.4, RFC 9207): a link names an attacker's "issuer" whose
// authorization endpoint forwards the browser to the organisation's real IdP with Hublink's own
// client id, state and PKCE challenge. The real IdP (single sign-on: it approves at once) sends a
// code to the loopback; Hublink must never post that code — or its PKCE verifier — to the
// attacker's token endpoint. Two real IdPs: the quirks ring's provider switched to behave like
// Entra ID (no `iss`, exact redirect paths), and oidc-provider (tests/idp: `iss` in every answer)
// through headless Chromium with password and TOTP.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { startIdp } from '../idp/idp.mjs';
import { ALICE } from '../people.mjs';
import { closedPort } from '../quirks/idp.mjs';
import { SIGNIN } from '../cli/harness.mjs';
import {
  add, assertNothingStored, attack, attackUser, callbackPathFor, link, quirkIdpForThisFile, refusal, show,
  startMixUpAttacker,
} from './harness.mjs';

const HUB = 'Mix-up Hub';
const real = quirkIdpForThisFile();

/** The real IdP behaves like Entra ID: no `iss`, and only the redirect paths registered. */
function likeEntra(paths) {
  Object.assign(real.quirks, {
    sendIss: false,
    discoveryPatch: { authorization_response_iss_parameter_supported: null },
    redirectPaths: paths,
  });
}

/** Replace the path of a loopback redirect URI (the attacker aims at what the real IdP accepts). */
const withPath = (p) => (uri) => {
  const u = new URL(uri);
  u.pathname = p;
  return u.href;
};

async function mixUp(name, attacker, timeout = 20) {
  const user = attackUser(name);
  try {
    await add(user, link({ url: attacker.origin, name: HUB, issuer: attacker.issuer }));
    const r = await user.run(['login', HUB, '--timeout', String(timeout)]);
    assert.ok(attacker.seen.authorize >= 1, `the sign-in went through the attacker\n${show(r)}`);
    assert.deepEqual(attacker.seen.token, [], `Hublink posted to the attacker's token endpoint\n${show(r)}`);
    await assertNothingStored(user);
    return { r, user };
  } finally {
    await attacker.stop();
  }
}

attack('mix-up: the attacker sends the real IdP (no iss) the redirect URI registered there', async () => {
  const registered = callbackPathFor(real.issuer);
  likeEntra(['/callback', registered]);
  const attacker = await startMixUpAttacker({ realAuthorize: real.url('/authorize'), rewrite: withPath(registered) });
  const { r } = await mixUp('entra-registered', attacker);
  assert.equal(real.counters.authorize, 1, 'the real IdP issued the code');
  return refusal(r, 3, /another identity provider|mix-up/);
});

attack('mix-up: the attacker sends the real IdP (no iss) the old shared /callback', async () => {
  likeEntra(['/callback', callbackPathFor(real.issuer)]);
  const attacker = await startMixUpAttacker({ realAuthorize: real.url('/authorize'), rewrite: withPath('/callback') });
  const { r } = await mixUp('entra-legacy', attacker);
  return refusal(r, 3, /another identity provider|mix-up/);
});

attack("mix-up: the attacker forwards Hublink's own redirect URI to the real IdP (no iss)", async () => {
  likeEntra([callbackPathFor(real.issuer)]);
  const attacker = await startMixUpAttacker({ realAuthorize: real.url('/authorize') });
  const { r } = await mixUp('entra-unchanged', attacker, 4);
  assert.equal(real.counters.token.authorization_code, 0);
  // The real IdP refused the attacker's redirect URI on its own page; Hublink heard nothing.
  return `${refusal(r, 7, /timed out/)} (the real IdP refused the redirect URI it never registered)`;
});

attack('mix-up: the real IdP sends iss, the attacker does not announce RFC 9207', async () => {
  const attacker = await startMixUpAttacker({ realAuthorize: real.url('/authorize'), rewrite: withPath('/callback') });
  const { r } = await mixUp('iss-unannounced', attacker);
  return refusal(r, 3, /another identity provider|mix-up/);
});

attack('missing iss although the IdP announces RFC 9207', async () => {
  real.quirks.sendIss = false;
  const user = attackUser('missing-iss');
  await add(user, link({ url: real.issuer, name: HUB, issuer: real.issuer }));
  const r = await user.run(['login', HUB, '--timeout', '20']);
  assert.equal(real.counters.token.authorization_code, 0, 'the code was redeemed');
  await assertNothingStored(user);
  return refusal(r, 3, /iss/);
});

attack('iss mix-up through oidc-provider with password and TOTP (Chromium)', async () => {
  const oidc = await startIdp();
  try {
    // The attacker announces RFC 9207 and aims at the registered http://127.0.0.1/callback:
    // oidc-provider signs the user in and answers there with its own `iss`.
    const attacker = await startMixUpAttacker({
      realAuthorize: `${oidc.issuer}/auth`, rewrite: withPath('/callback'), announceIss: true,
    });
    const user = attackUser('oidc-provider').as(ALICE);
    user.env.HUBLINK_BROWSER = SIGNIN;
    await add(user, link({ url: attacker.origin, name: HUB, issuer: attacker.issuer }));
    const r = await user.run(['login', HUB, '--timeout', '60']);
    assert.ok(attacker.seen.authorize >= 1, show(r));
    assert.deepEqual(attacker.seen.token, [], `Hublink posted to the attacker's token endpoint\n${show(r)}`);
    assert.equal(oidc.counters.authorizationCodes, 0);
    await attacker.stop();
    await assertNothingStored(user);
    return refusal(r, 3, /another identity provider|mix-up/);
  } finally {
    await oidc.stop();
  }
}, { timeout: 120_000 });

test('doctor tells the administrator the redirect URI to register at an IdP without RFC 9207', async () => {
  likeEntra([callbackPathFor(real.issuer)]);
  const user = attackUser('doctor');
  const port = await closedPort();
  await add(user, link({ url: real.issuer, name: HUB, issuer: real.issuer, redirect_port: String(port) }));
  const r = await user.run(['doctor', HUB]);
  assert.equal(r.code, 0, show(r));
  assert.ok(r.stdout.includes(`register http://127.0.0.1:${port}${callbackPathFor(real.issuer)} for`), show(r));
  // …and that is where the sign-in comes back: it succeeds through the Entra-like IdP.
  const login = await user.run(['login', HUB, '--timeout', '20']);
  assert.equal(login.code, 0, show(login));
});
