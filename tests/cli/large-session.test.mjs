// A large session in the real Secret Service: a user in 600 groups gets an ID token of ~42,000
// characters, which Hublink keeps in 1,000-character keyring entries. It must be kept, read
// back whole (all chunks on one Secret Service connection) and forgotten whole.
// Run under tests/with-keyring.sh (scripts/test.sh does it).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { startIdp } from '../idp/idp.mjs';
import { GRACE, GRACE_ACCOUNT } from '../people.mjs';
import { linkFor, newUser, show } from './harness.mjs';

let idp;
before(async () => {
  idp = await startIdp({ users: [GRACE_ACCOUNT] });
});
after(async () => {
  await idp?.stop();
});

/** The keyring service of a Hublink home (store::service_name). */
function serviceOf(home) {
  return `hublink:${crypto.createHash('sha256').update(home).digest('hex').slice(0, 12)}`;
}

/** An entry as the keyring crate stores it, through libsecret's own secret-tool. */
function lookup(service, username) {
  try {
    return execFileSync('secret-tool', ['lookup', 'target', 'default', 'service', service, 'username', username], { encoding: 'utf8' });
  } catch {
    return null;
  }
}

describe('a 42,000-character session (600 groups in the ID token)', () => {
  const user = newUser('large');
  let id;

  test('sign-in keeps it in 1,000-character chunks', async () => {
    user.as(GRACE);
    assert.equal((await user.run(['add', linkFor(idp), '--yes'])).code, 0);
    const r = await user.run(['login', 'Demo Hub', '--timeout', '60']);
    assert.equal(r.code, 0, `${show(r)}\n--- browser\n${user.browserLog()}`);
    id = JSON.parse((await user.run(['list', '--json'])).stdout).hubs[0].id;
    const head = lookup(serviceOf(user.home), id);
    // The header names the slot the parts are in (`a` or `b`, see store.rs) and their count.
    const [, slot, count] = head?.match(/^hublink-chunks:v2:([ab]):(\d+)$/) ?? [];
    const chunks = Number(count);
    assert.ok(chunks >= 40, `expected ≥ 40 chunks, the header is ${JSON.stringify(head?.slice(0, 40))}`);
    let whole = '';
    for (let i = 1; i <= chunks; i += 1) whole += lookup(serviceOf(user.home), `${id}#${slot}${i}`);
    assert.ok(whole.length >= 40_000, `${whole.length} characters`);
    assert.match(JSON.parse(whole).id_token.split('.')[1], /^[\w-]+$/);
  });

  test('token reads it back whole, quickly, and prints an access token the IdP accepts', async () => {
    const started = Date.now();
    const t = await user.run(['token', 'Demo Hub']);
    const took = Date.now() - started;
    assert.equal(t.code, 0, show(t));
    assert.equal((await idp.introspect(t.stdout.trim())).active, true);
    // One Secret Service connection, not 43: seconds before, well under one now (debug build).
    assert.ok(took < 3000, `hublink token took ${took} ms`);
  });

  test('status restores it; logout forgets every chunk', async () => {
    const s = await user.run(['status']);
    assert.equal(s.code, 0, show(s));
    assert.equal((await user.run(['logout', 'Demo Hub'])).code, 0);
    assert.equal(lookup(serviceOf(user.home), id), null);
    assert.equal(lookup(serviceOf(user.home), `${id}#a1`), null);
    assert.equal(lookup(serviceOf(user.home), `${id}#b1`), null);
  });
});
