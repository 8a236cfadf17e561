// Fault injection: the identity provider misbehaves — slow (answers after Hublink's 30 s
// request timeout), hung (accepts, never answers), 5xx, malformed JSON — at discovery (a new
// sign-in) and at the token endpoint (a refresh by `hublink token`), and the hub's session
// check fails. Each: a clear error (exit code, message, next step) and the saved session is
// still there and works once the IdP is well again.
//   tests/with-keyring.sh node --test --test-concurrency=1 tests/faults/idp.test.mjs

import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';

import { startQuirkIdp } from '../quirks/idp.mjs';
import {
  assertFailure, faultSuite, faultUser, show, timed,
} from './harness.mjs';
import { editPlainFileSession } from '../cli/harness.mjs';

const fault = faultSuite('idp');
const HUB = 'Fault Hub';
const DISCOVERY = '/realm/.well-known/openid-configuration';

let idp;
before(async () => {
  idp = await startQuirkIdp();
});
after(async () => {
  await idp?.stop();
});

/**
 * A user signed in to `on` (default: the shared quirk IdP). Plain-file storage, so these tests
 * (some run at once) do not depend on the keyring; the keyring's faults are keyring.test.mjs.
 */
async function signedIn(name, { due = false, on = idp } = {}) {
  const user = faultUser(name);
  Object.assign(user.env, { HUBLINK_INSECURE_STORAGE: '1', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/faults-bus' });
  const link = `hublink://add?${new URLSearchParams({
    url: on.issuer, name: HUB, issuer: on.issuer, session_check: on.url('/userinfo'),
  })}`;
  const added = await user.run(['add', link, '--yes']);
  assert.equal(added.code, 0, show(added));
  const login = await user.run(['login', HUB, '--timeout', '30']);
  assert.equal(login.code, 0, `${show(login)}\n--- browser\n${user.browserLog()}`);
  user.idp = on;
  // `due`: the kept access token reads as expired, so the next `token` refreshes.
  if (due) {
    editPlainFileSession(user, (stored) => {
      stored.expires_at = new Date(Date.now() - 60_000).toISOString();
    });
  }
  return user;
}

/** The session is still there and works: `token` prints a token the IdP calls live. */
async function sessionWorks(user) {
  const t = await user.run(['token', HUB]);
  assert.equal(t.code, 0, `the saved session was lost\n${show(t)}`);
  assert.equal(await user.idp.userinfoStatus(t.stdout.trim()), 200, 'the printed token is live');
}

/** Run `fn` with `faults` set on `on`, then clear them. */
async function during(faults, fn, on = idp) {
  Object.assign(on.quirks.faults, faults);
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(faults)) delete on.quirks.faults[k];
  }
}

// Each slow or hung case waits out Hublink's 30 s request timeout: they run at once, each
// against its own IdP so that one's fault cannot disturb another's steps.
describe('slow and hung (bounded by the 30 s request timeout)', { concurrency: true }, () => {
  const own = [];
  const ownIdp = async () => {
    const i = await startQuirkIdp();
    own.push(i);
    return i;
  };
  after(async () => {
    await Promise.all(own.map((i) => i.stop()));
  });

  const LIMIT = { timeoutMs: 60_000 };
  fault('discovery slower than the timeout: login exits 4 "did not answer in time", session kept', async () => {
    const user = await signedIn('slow-discovery', { on: await ownIdp() });
    await during({ [DISCOVERY]: { kind: 'slow', delayMs: 35_000 } }, async () => {
      const { r, took } = await timed(user, ['login', HUB, '--timeout', '120'], LIMIT);
      assertFailure(r, {
        code: 4, took, ms: 45_000, says: [/discovery document/, /did not answer in time/], next: /network|doctor/i,
      });
    }, user.idp);
    await sessionWorks(user);
  });

  fault('discovery hung: login exits 4 within the timeout, no browser opened, session kept', async () => {
    const user = await signedIn('hung-discovery', { on: await ownIdp() });
    const authorizeBefore = user.idp.counters.authorize;
    await during({ [DISCOVERY]: { kind: 'hang' } }, async () => {
      const { r, took } = await timed(user, ['login', HUB, '--timeout', '120'], LIMIT);
      assertFailure(r, { code: 4, took, ms: 45_000, says: [/did not answer in time/] });
    }, user.idp);
    assert.equal(user.idp.counters.authorize, authorizeBefore, 'no sign-in was started');
    await sessionWorks(user);
  });

  fault('token endpoint slower than the timeout at refresh: token exits 4, session kept', async () => {
    const user = await signedIn('slow-token', { due: true, on: await ownIdp() });
    await during({ '/token': { kind: 'slow', delayMs: 35_000 } }, async () => {
      const { r, took } = await timed(user, ['token', HUB], LIMIT);
      assertFailure(r, { code: 4, took, ms: 45_000, says: [/did not answer in time/] });
    }, user.idp);
    await sessionWorks(user);
  });

  fault('token endpoint hung at refresh: token exits 4, session kept', async () => {
    const user = await signedIn('hung-token', { due: true, on: await ownIdp() });
    await during({ '/token': { kind: 'hang' } }, async () => {
      const { r, took } = await timed(user, ['token', HUB], LIMIT);
      assertFailure(r, { code: 4, took, ms: 45_000, says: [/did not answer in time/] });
    }, user.idp);
    await sessionWorks(user);
  });
});

describe('answers that are not answers', () => {
  fault('discovery 503 (HTML error page): login exits 4 "the server failed (HTTP 503)"', async () => {
    const user = await signedIn('discovery-503');
    await during({ [DISCOVERY]: { kind: 'status', status: 503 } }, async () => {
      const { r, took } = await timed(user, ['login', HUB, '--timeout', '30']);
      assertFailure(r, { code: 4, took, ms: 15_000, says: [/HTTP 503/] });
    });
    await sessionWorks(user);
  });

  fault('discovery malformed JSON: login exits 5 naming the discovery document', async () => {
    const user = await signedIn('discovery-malformed');
    await during({ [DISCOVERY]: { kind: 'malformed' } }, async () => {
      const { r, took } = await timed(user, ['login', HUB, '--timeout', '30']);
      assertFailure(r, { code: 5, took, ms: 15_000, says: [/discovery document/], next: /issuer|administrator/i });
    });
    await sessionWorks(user);
  });

  fault('token endpoint 500 (HTML) at refresh: token exits 4, the session is kept', async () => {
    const user = await signedIn('token-500', { due: true });
    await during({ '/token': { kind: 'status', status: 500 } }, async () => {
      const { r, took } = await timed(user, ['token', HUB]);
      assertFailure(r, { code: 4, took, ms: 15_000, says: [/HTTP 500/] });
      const s = await user.run(['status', '--json']);
      const hub = JSON.parse(s.stdout).hubs[0];
      assert.notEqual(hub.state, 'sign_in_required', `a failing IdP is not "sign in again"\n${show(s)}`);
    });
    await sessionWorks(user);
  });

  fault('token endpoint 503 with an OAuth error body at refresh: token exits 4, not "sign in again"', async () => {
    const user = await signedIn('token-503-json', { due: true });
    const body = JSON.stringify({ error: 'temporarily_unavailable', error_description: 'maintenance' });
    await during({ '/token': { kind: 'status', status: 503, type: 'application/json', body } }, async () => {
      const { r, took } = await timed(user, ['token', HUB]);
      assertFailure(r, { code: 4, took, ms: 15_000, says: [/503|temporarily_unavailable/] });
    });
    await sessionWorks(user);
  });

  fault('token endpoint malformed JSON at refresh: token exits 3 naming the unreadable answer', async () => {
    const user = await signedIn('token-malformed', { due: true });
    await during({ '/token': { kind: 'malformed' } }, async () => {
      const { r, took } = await timed(user, ['token', HUB]);
      assertFailure(r, { code: 3, took, ms: 15_000, says: [/cannot read|not valid JSON/], next: /administrator/ });
    });
    await sessionWorks(user);
  });

  fault('session check (userinfo) 502 on status: the hub is reported, nothing is deleted', async () => {
    const user = await signedIn('userinfo-502');
    await during({ '/userinfo': { kind: 'status', status: 502 } }, async () => {
      const r = await user.run(['status', '--json']);
      assert.notEqual(r.code, 0, show(r));
      const hub = JSON.parse(r.stdout).hubs[0];
      assert.ok(['error', 'offline'].includes(hub.state), `state ${hub.state}\n${show(r)}`);
      assert.match(JSON.stringify(hub.error ?? {}), /502/, show(r));
    });
    await sessionWorks(user);
  });

  fault('IdP slow but within the timeout (3 s): the refresh succeeds', async () => {
    const user = await signedIn('slow-ok', { due: true });
    await during({ '/token': { kind: 'slow', delayMs: 3_000 } }, async () => {
      const { r, took } = await timed(user, ['token', HUB]);
      assert.equal(r.code, 0, show(r));
      assert.ok(took >= 3_000, `the delay was real (${took} ms)`);
    });
  });
});
