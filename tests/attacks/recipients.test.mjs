// Where the identity provider's access token goes. A link pairs the organisation's real IdP
// with an attacker's hub and a `session_check` on the attacker's host: one single-sign-on click
// must not hand the IdP's token to that host, at sign-in or at any restore. A hub an
// administrator paired with its IdP (hubs.ini, a signed link, `AllowedHosts`) keeps its own
// session check — the controls below prove the collector would have seen the token.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';

import { BIN } from '../cli/harness.mjs';
import { add, attack, attackUser, link, quirkIdpForThisFile, show, startSink } from './harness.mjs';

const HUB = 'Lookalike Hub';
const idp = quirkIdpForThisFile();
let sink;
before(async () => {
  sink = await startSink('127.0.0.2');
});
after(() => sink?.stop());
beforeEach(() => {
  sink.requests.length = 0;
});

const params = () => ({ url: sink.url('/'), name: HUB, issuer: idp.issuer, session_check: sink.url('/check') });

/** Sign in, then restore (`status`) twice; the bearer tokens the attacker's host received. */
async function signInAndRestore(user) {
  const r = await user.run(['login', HUB, '--timeout', '20']);
  assert.equal(r.code, 0, show(r));
  for (let i = 0; i < 2; i += 1) {
    const s = await user.run(['status', '--json']);
    assert.equal(JSON.parse(s.stdout).hubs[0].state, 'signed_in', show(s));
  }
  return sink.bearers();
}

attack("a link pairs the real IdP with the attacker's hub and session_check", async () => {
  const user = attackUser('recipient');
  const added = await add(user, link(params()));
  const userinfoBefore = idp.counters.userinfo;
  const bearers = await signInAndRestore(user);
  assert.deepEqual(bearers, [], 'the IdP token reached the link\'s host');
  assert.ok(idp.counters.userinfo >= userinfoBefore + 3, 'the session was checked at the IdP\'s userinfo instead');
  // The confirmation said so before anything was added.
  const host = new URL(sink.origin).host;
  assert.match(added.stderr, new RegExp(`only to the identity provider`), show(added));
  assert.match(added.stderr, new RegExp(`${host.replace(/\./g, '\\.')}.*not used`), show(added));
  return `no request with a token reached ${host} (sign-in and 2 restores used the IdP's userinfo); the confirmation said so`;
});

describe('controls: a hub an administrator paired with its IdP keeps its session check', () => {
  const paired = async (user) => {
    const bearers = await signInAndRestore(user);
    assert.equal(bearers.length, 3, `the paired hub's session check got the token at sign-in and 2 restores: ${JSON.stringify(sink.requests)}`);
    assert.ok(bearers.every((b) => b.path === '/check'));
  };

  test('hubs.ini', async () => {
    const user = attackUser('paired-ini');
    fs.writeFileSync(path.join(user.hubsDir, 'hubs.ini'),
      `[${HUB}]\nurl = ${sink.url('/')}\nissuer = ${idp.issuer}\nsession_check = ${sink.url('/check')}\n`);
    await paired(user);
  });

  test('a link signed with a key the policy trusts, and the confirmation names the hub as recipient', async () => {
    const user = attackUser('paired-signed');
    const keys = path.join(user.root, 'keys');
    execFileSync(BIN, ['link', 'keygen', keys]);
    const pub = fs.readFileSync(path.join(keys, 'hublink-link-signing.pub'), 'utf8').trim();
    const machine = path.join(user.root, 'machine');
    fs.mkdirSync(machine);
    fs.writeFileSync(path.join(machine, 'policy.json'), JSON.stringify({ LinkSigningKeys: [pub] }));
    user.env.HUBLINK_MACHINE_DIR = machine;
    const p = params();
    const signed = execFileSync(BIN, ['link', '--url', p.url, '--name', HUB, '--issuer', p.issuer,
      '--session-check', p.session_check, '--sign', path.join(keys, 'hublink-link-signing.key')], { encoding: 'utf8' }).trim();
    const added = await add(user, signed);
    assert.match(added.stderr, new RegExp(`${new URL(sink.origin).host.replace(/\./g, '\\.')}.*session check`), show(added));
    await paired(user);
  });

  test('AllowedHosts names both hosts', async () => {
    const user = attackUser('paired-allowed');
    const machine = path.join(user.root, 'machine');
    fs.mkdirSync(machine);
    fs.writeFileSync(path.join(machine, 'policy.json'), JSON.stringify({ AllowedHosts: ['127.0.0.1', '127.0.0.2'] }));
    user.env.HUBLINK_MACHINE_DIR = machine;
    await add(user, link(params()));
    await paired(user);
  });
});
