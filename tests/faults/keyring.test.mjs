// Fault injection: the keyring. A real gnome-keyring-daemon on a private D-Bus session bus
// (no activation, so "absent" is really absent) that is hung (SIGSTOP: it keeps its bus name
// and answers nothing), locked, or absent; and a "bus" that accepts connections and never
// speaks. Each: exit 6 in bounded time with the reason and its fix, no browser opened for a new
// sign-in, no fall-back to plain files (except, when there is no keyring at all, with the
// explicit HUBLINK_INSECURE_STORAGE=1), and the saved session works again afterwards.
//   node --test --test-concurrency=1 tests/faults/keyring.test.mjs

import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe } from 'node:test';

import { startQuirkIdp } from '../quirks/idp.mjs';
import {
  assertFailure, faultSuite, faultUser, privateBus, scratch, show, timed,
} from './harness.mjs';

const fault = faultSuite('keyring');
const HUB = 'Keyring Hub';

let idp;
before(async () => {
  idp = await startQuirkIdp();
});
after(async () => {
  await idp?.stop();
});

/** A user on `bus` (its env), with the hub added. */
async function userOn(name, busEnv) {
  const user = faultUser(name);
  delete user.env.GNOME_KEYRING_CONTROL;
  Object.assign(user.env, busEnv);
  const link = `hublink://add?${new URLSearchParams({
    url: idp.issuer, name: HUB, issuer: idp.issuer, session_check: idp.url('/userinfo'),
  })}`;
  const r = await user.run(['add', link, '--yes']);
  assert.equal(r.code, 0, show(r));
  return user;
}

async function signIn(user) {
  const r = await user.run(['login', HUB, '--timeout', '30']);
  assert.equal(r.code, 0, `${show(r)}\n--- browser\n${user.browserLog()}`);
}

async function tokenWorks(user) {
  const t = await user.run(['token', HUB]);
  assert.equal(t.code, 0, `the session is gone\n${show(t)}`);
  assert.equal(await idp.userinfoStatus(t.stdout.trim()), 200);
}

const noPlainFiles = (user) => assert.ok(!fs.existsSync(path.join(user.home, 'insecure-secrets')), 'no plain-file fall-back');

describe('a hung Secret Service (gnome-keyring-daemon stopped with SIGSTOP)', () => {
  let bus;
  let user;
  before(async () => {
    bus = await privateBus();
    await bus.startKeyring();
    user = await userOn('hung-keyring', bus.env);
    await signIn(user);
  });
  after(async () => {
    await bus?.stop();
  });

  fault('keyring hung: login exits 6 "did not answer" within 10 s + slack, no browser, no plain files', async () => {
    bus.freezeKeyring(true);
    try {
      const authorizeBefore = idp.counters.authorize;
      const { r, took } = await timed(user, ['login', HUB, '--timeout', '60'], { env: { HUBLINK_INSECURE_STORAGE: '1' }, timeoutMs: 40_000 });
      assertFailure(r, { code: 6, took, ms: 25_000, says: [/did not answer within/], next: /Unlock|restart/ });
      assert.equal(idp.counters.authorize, authorizeBefore, 'no sign-in started');
      noPlainFiles(user);
    } finally {
      bus.freezeKeyring(false);
    }
  });

  fault('keyring hung: token exits 6 within 10 s + slack; the session works once it answers again', async () => {
    bus.freezeKeyring(true);
    try {
      const { r, took } = await timed(user, ['token', HUB], { timeoutMs: 40_000 });
      assertFailure(r, { code: 6, took, ms: 25_000, says: [/did not answer within/] });
      assert.equal(r.stdout, '', 'no token printed');
    } finally {
      bus.freezeKeyring(false);
    }
    await tokenWorks(user);
  });
});

describe('a D-Bus session bus that accepts and never speaks', () => {
  let server;
  let address;
  before(async () => {
    const sock = path.join(scratch('mute'), 'bus');
    server = net.createServer(() => {}); // accept, read nothing, answer nothing
    await new Promise((r) => { server.listen(sock, r); });
    address = `unix:path=${sock}`;
  });
  after(() => {
    server.close();
  });

  fault('mute bus: login exits 6 in bounded time even with HUBLINK_INSECURE_STORAGE=1 (slow is not absent)', async () => {
    const user = faultUser('mute-bus');
    delete user.env.GNOME_KEYRING_CONTROL;
    Object.assign(user.env, { DBUS_SESSION_BUS_ADDRESS: address, HUBLINK_INSECURE_STORAGE: '1' });
    const link = `hublink://add?${new URLSearchParams({ url: idp.issuer, name: HUB, issuer: idp.issuer })}`;
    assert.equal((await user.run(['add', link, '--yes'])).code, 0);
    const { r, took } = await timed(user, ['login', HUB, '--timeout', '60'], { timeoutMs: 40_000 });
    assertFailure(r, { code: 6, took, ms: 25_000, says: [/keyring/] });
    assert.equal(user.browserLog(), '', 'no browser');
    noPlainFiles(user);
  });
});

describe('a locked keyring (the session was saved, then the login keyring locked)', () => {
  let bus;
  let user;
  before(async () => {
    bus = await privateBus();
    await bus.startKeyring();
    user = await userOn('locked-keyring', bus.env);
    await signIn(user);
  });
  after(async () => {
    await bus?.stop();
  });

  fault('keyring locked: login exits 6 "locked" before any browser; logout keeps the session; it works unlocked', async () => {
    assert.equal(bus.lockLogin(), '(<true>,)', 'the login collection really is locked');
    const authorizeBefore = idp.counters.authorize;
    const { r, took } = await timed(user, ['login', HUB, '--timeout', '60'], { timeoutMs: 40_000 });
    assertFailure(r, { code: 6, took, ms: 25_000, says: [/locked/], next: /Unlock/ });
    assert.equal(idp.counters.authorize, authorizeBefore, 'no sign-in started');
    const out = await user.run(['logout', HUB], { timeoutMs: 40_000 });
    assert.notEqual(out.code, 0, `logout cannot have forgotten a session it cannot reach\n${show(out)}`);
    noPlainFiles(user);
    // Unlocked again (a restart of the daemon with the password, as a new desktop session does).
    await bus.stopKeyring();
    await bus.startKeyring();
    await tokenWorks(user);
  });
});

describe('no keyring at all', () => {
  let bus;
  before(async () => {
    bus = await privateBus();
  });
  after(async () => {
    await bus?.stop();
  });

  fault('bus without a Secret Service: login exits 6 "no system keyring", no browser, no plain files', async () => {
    const user = await userOn('no-keyring', bus.env);
    const { r, took } = await timed(user, ['login', HUB, '--timeout', '60'], { timeoutMs: 40_000 });
    assertFailure(r, { code: 6, took, ms: 15_000, says: [/no system keyring/], next: /HUBLINK_INSECURE_STORAGE/ });
    assert.equal(user.browserLog(), '', 'no browser');
    noPlainFiles(user);
  });

  fault('no D-Bus at all: login exits 6; with HUBLINK_INSECURE_STORAGE=1 it signs in to plain files and says so', async () => {
    const user = await userOn('no-bus', { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/faults-bus' });
    const { r, took } = await timed(user, ['login', HUB, '--timeout', '60']);
    assertFailure(r, { code: 6, took, ms: 15_000, says: [/no system keyring/] });
    noPlainFiles(user);
    const ok = await user.run(['login', HUB, '--timeout', '60'], { env: { HUBLINK_INSECURE_STORAGE: '1' } });
    assert.equal(ok.code, 0, show(ok));
    assert.match(ok.stderr, /plain files/);
    await tokenWorks({ run: (a) => user.run(a, { env: { HUBLINK_INSECURE_STORAGE: '1' } }) });
  });
});
