// Machine-wide policy and signed links, through the real `hublink` binary. Debug builds read the
// machine-wide folder (policy.json, hubs.ini) from HUBLINK_MACHINE_DIR, so each test gets its
// own; release builds ignore that variable. Sign-ins use the quirks ring's small IdP (no
// Chromium needed). Run under tests/with-keyring.sh (scripts/test.sh does it).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, beforeEach, describe, test } from 'node:test';

import { startQuirkIdp } from '../quirks/idp.mjs';
import { BIN, editPlainFileSession, newUser, show } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const FOLLOW = path.resolve(here, '../quirks/follow.mjs');
const NO_BUS = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus', HUBLINK_INSECURE_STORAGE: '1' };

let idp;
before(async () => {
  idp = await startQuirkIdp();
});
after(async () => {
  await idp?.stop();
});
beforeEach(() => idp.resetQuirks());

/** A user whose computer has `policy` (an object, a raw string, or null for none). */
function managedUser(name, policy) {
  const user = newUser(`policy-${name}`);
  const machine = path.join(user.root, 'machine');
  fs.mkdirSync(machine);
  if (policy !== null) {
    const text = typeof policy === 'string' ? policy : JSON.stringify(policy);
    fs.writeFileSync(path.join(machine, 'policy.json'), text);
  }
  user.env.HUBLINK_MACHINE_DIR = machine;
  user.env.HUBLINK_BROWSER = FOLLOW;
  user.machine = machine;
  return user;
}

function idpLink(extra = {}) {
  const p = new URLSearchParams({ url: idp.issuer, name: 'Quirk Hub', issuer: idp.issuer, session_check: idp.url('/userinfo'), ...extra });
  return `hublink://add?${p}`;
}

function keygen(dir) {
  execFileSync(BIN, ['link', 'keygen', dir]);
  return fs.readFileSync(path.join(dir, 'hublink-link-signing.pub'), 'utf8').trim();
}

function signLink(keyDir, args) {
  return execFileSync(BIN, ['link', ...args, '--sign', path.join(keyDir, 'hublink-link-signing.key')], { encoding: 'utf8' }).trim();
}

const refused = (r, rule) => {
  assert.equal(r.code, 3, show(r));
  assert.match(r.stderr, new RegExp(`\`${rule}\``), show(r));
  assert.match(r.stderr, /your organization/, show(r));
};

describe('each rule refuses or restricts, naming the rule', () => {
  test('AllowUserHubs=false: neither a link nor a typed address adds a hub, and no request is made', async () => {
    const user = managedUser('no-user-hubs', { AllowUserHubs: false });
    refused(await user.run(['add', idpLink(), '--yes']), 'AllowUserHubs');
    const discoveries = idp.counters.discovery;
    refused(await user.run(['add', idp.origin, '--yes']), 'AllowUserHubs');
    assert.equal(idp.counters.discovery, discoveries, 'refused before any network call');
    assert.equal(JSON.parse((await user.run(['list', '--json'])).stdout).hubs.length, 0);
  });

  test('AllowedHosts: the hub and its issuer must both be allowed; an existing hub is refused at sign-in', async () => {
    const user = managedUser('hosts', { AllowedHosts: ['*.example.com'] });
    refused(await user.run(['add', idpLink(), '--yes']), 'AllowedHosts');
    const other = 'hublink://add?url=https://hub.example.com/&issuer=https://login.evil.net/';
    const r = await user.run(['add', other, '--yes']);
    refused(r, 'AllowedHosts');
    assert.match(r.stderr, /login\.evil\.net/);
    assert.equal((await user.run(['add', 'hublink://add?url=https://hub.example.com/', '--yes'])).code, 0);
    // A hub added before the rule: signing in is refused before the browser opens.
    const before = managedUser('hosts-later', null);
    assert.equal((await before.run(['add', idpLink(), '--yes'])).code, 0);
    fs.writeFileSync(path.join(before.machine, 'policy.json'), JSON.stringify({ AllowedHosts: ['*.example.com'] }));
    const authorize = idp.counters.authorize;
    refused(await before.run(['login', 'Quirk Hub', '--timeout', '20']), 'AllowedHosts');
    assert.equal(idp.counters.authorize, authorize);
  });

  test('RequireMFA: a hub without mfa=required still needs a second factor', async () => {
    idp.quirks.amr = ['pwd'];
    const free = managedUser('mfa-free', null);
    assert.equal((await free.run(['add', idpLink(), '--yes'])).code, 0);
    assert.equal((await free.run(['login', 'Quirk Hub', '--timeout', '20'])).code, 0, 'without the rule it signs in');
    const user = managedUser('mfa', { RequireMFA: true });
    assert.equal((await user.run(['add', idpLink(), '--yes'])).code, 0);
    const r = await user.run(['login', 'Quirk Hub', '--timeout', '20']);
    assert.equal(r.code, 3, show(r));
    assert.match(r.stderr, /second factor/);
  });

  test('MaxSessionDays: a ceiling on every hub (a session 2 days old with a 1-day ceiling needs a sign-in)', async () => {
    const user = managedUser('days', { MaxSessionDays: 1 });
    assert.equal((await user.run(['add', idpLink(), '--yes'], { env: NO_BUS })).code, 0);
    assert.equal((await user.run(['login', 'Quirk Hub', '--timeout', '20'], { env: NO_BUS })).code, 0);
    assert.equal((await user.run(['token', 'Quirk Hub'], { env: NO_BUS })).code, 0, 'a fresh session is fine');
    // Plain-file storage lets the test age the session by two days.
    editPlainFileSession(user, (stored) => {
      stored.signed_in_at = new Date(Date.now() - 2 * 86_400_000).toISOString();
    });
    const r = await user.run(['token', 'Quirk Hub'], { env: NO_BUS });
    assert.equal(r.code, 3, show(r));
    assert.match(r.stderr, /every 1 days/);
  });

  test('AllowInsecureStorage=false: HUBLINK_INSECURE_STORAGE=1 is ignored and said so; nothing goes to plain files', async () => {
    const user = managedUser('storage', { AllowInsecureStorage: false });
    assert.equal((await user.run(['add', idpLink(), '--yes'], { env: NO_BUS })).code, 0);
    const r = await user.run(['login', 'Quirk Hub', '--timeout', '20'], { env: NO_BUS });
    assert.equal(r.code, 6, show(r));
    assert.match(r.stderr, /`AllowInsecureStorage`/);
    assert.ok(!fs.existsSync(path.join(user.home, 'insecure-secrets')), 'no plain-file secrets');
  });

  test('hublink policy prints every rule, its value and where it came from', async () => {
    const user = managedUser('report', { RequireMFA: true, AllowedHosts: ['*.example.com'] });
    const r = await user.run(['policy', '--json']);
    assert.equal(r.code, 0, show(r));
    const report = JSON.parse(r.stdout);
    assert.equal(report.managed, true);
    const rule = (name) => report.rules.find((x) => x.rule === name);
    assert.deepEqual([rule('RequireMFA').value, rule('RequireMFA').source], [true, path.join(user.machine, 'policy.json')]);
    assert.deepEqual([rule('AllowUserHubs').value, rule('AllowUserHubs').source], [true, 'default']);
    assert.equal(report.rules.length, 7);
    const text = await user.run(['policy']);
    assert.match(text.stdout, /Managed by your organization/);
  });
});

describe('nothing per-user loosens it, and a broken policy fails closed', () => {
  test('a policy.json in the user\'s folders is never read', async () => {
    const user = managedUser('loosen', { AllowUserHubs: false });
    for (const dir of [user.home, user.hubsDir]) {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'policy.json'), JSON.stringify({ AllowUserHubs: true }));
    }
    refused(await user.run(['add', idpLink(), '--yes']), 'AllowUserHubs');
  });

  for (const [name, text, pattern] of [
    ['not JSON', '{"AllowUserHubs": fals', /not a JSON object/],
    ['a misspelt rule', '{"RequireMfa": true}', /`RequireMfa` is not a policy rule/],
    ['a wrong type', '{"MaxSessionDays": "30"}', /`MaxSessionDays` must be/],
  ]) {
    test(`${name}: every command refuses (5) and names the file`, async () => {
      const user = managedUser(`broken-${name.replace(/\W/g, '')}`, text);
      for (const args of [['list'], ['add', idpLink(), '--yes'], ['policy']]) {
        const r = await user.run(args);
        assert.equal(r.code, 5, `${args.join(' ')}\n${show(r)}`);
        assert.match(r.stderr, pattern);
        assert.ok(r.stderr.includes(path.join(user.machine, 'policy.json')), show(r));
      }
    });
  }
});

describe('signed links', () => {
  test('good, reordered, re-encoded: issued by your organization; tampered or another key: refused under RequireSignedLinks', async (t) => {
    const keys = fs.mkdtempSync(path.join(path.dirname(newUser('k').root), 'keys-'));
    const pub = keygen(keys);
    const args = ['--url', 'https://finance.example.com/', '--name', 'Finance Hub', '--issuer', 'https://login.example.com/realms/corp', '--mfa-required'];
    const signed = signLink(keys, args);
    assert.match(signed, /&sig=[A-Za-z0-9_-]{86}$/);
    const sig = signed.split('&sig=')[1];
    const variants = {
      good: signed,
      reordered: `hublink://add?sig=${sig}&mfa=required&name=Finance%20Hub&issuer=https://login.example.com/realms/corp&url=https://finance.example.com/`,
      reencoded: `hublink://add?url=https%3A%2F%2FFINANCE.example.com%3A443%2F&name=Finance+Hub&issuer=https%3A%2F%2Flogin.example.com%2Frealms%2Fcorp&mfa=required&sig=${sig}`,
    };
    for (const [name, link] of Object.entries(variants)) {
      await t.test(name, async () => {
        const user = managedUser(`signed-${name}`, { LinkSigningKeys: [pub], RequireSignedLinks: true });
        const r = await user.run(['add', link, '--yes']);
        assert.equal(r.code, 0, show(r));
        assert.match(r.stderr, /Issued by: your organization/);
      });
    }
    const tampered = {
      'one parameter changed': signed.replace('finance.example.com', 'finance.example.net'),
      'mfa dropped': signed.replace('&mfa=required', ''),
      'no signature': signed.split('&sig=')[0],
    };
    const otherKeys = fs.mkdtempSync(path.join(keys, 'other-'));
    keygen(otherKeys);
    tampered['another key'] = signLink(otherKeys, args);
    for (const [name, link] of Object.entries(tampered)) {
      await t.test(name, async () => {
        const user = managedUser(`tampered-${name.replace(/\W/g, '')}`, { LinkSigningKeys: [pub], RequireSignedLinks: true });
        refused(await user.run(['add', link, '--yes']), 'RequireSignedLinks');
      });
    }
    await t.test('without RequireSignedLinks a bad signature is shown, not hidden', async () => {
      const user = managedUser('lenient', { LinkSigningKeys: [pub] });
      const r = await user.run(['add', tampered['one parameter changed'], '--yes']);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stderr, /Signature: NOT VALID/);
    });
  });

  test('a signed hub stays usable when the policy changes its settings (RequireMFA)', async () => {
    const keys = fs.mkdtempSync(path.join(path.dirname(newUser('k4').root), 'keys-'));
    const pub = keygen(keys);
    const link = signLink(keys, ['--url', idp.issuer, '--name', 'Quirk Hub', '--issuer', idp.issuer, '--session-check', idp.url('/userinfo')]);
    const user = managedUser('signed-mfa', { LinkSigningKeys: [pub], RequireSignedLinks: true, RequireMFA: true });
    assert.equal((await user.run(['add', link, '--yes'])).code, 0);
    const r = await user.run(['login', 'Quirk Hub', '--timeout', '20']);
    assert.equal(r.code, 0, `the signature covers the link as confirmed, not the policy's changes\n${show(r)}`);
  });

  test('keygen never overwrites a key, and the private key is the user\'s alone', async () => {
    const dir = fs.mkdtempSync(path.join(path.dirname(newUser('k2').root), 'keys-'));
    const pub = keygen(dir);
    assert.equal(fs.statSync(path.join(dir, 'hublink-link-signing.key')).mode & 0o777, 0o600);
    // OpenSSL reads the key file and derives the same public key.
    const der = execFileSync('openssl', ['pkey', '-in', path.join(dir, 'hublink-link-signing.key'), '-pubout', '-outform', 'DER']);
    assert.equal(der.subarray(-32).toString('base64'), pub);
    const again = await newUser('k3').run(['link', 'keygen', dir]);
    assert.equal(again.code, 1, show(again));
    assert.match(again.stderr, /exists/);
  });
});

describe('the per-user hubs.ini folder is the user\'s, so the rules apply to it', () => {
  test('AllowUserHubs=false and AllowedHosts refuse its hubs at use; an administrator\'s name is shielded', async () => {
    const user = managedUser('userini', { AllowedHosts: ['*.example.com'] });
    fs.writeFileSync(path.join(user.hubsDir, 'mine.ini'), `[Quirk Hub]\nurl = ${idp.issuer}\nissuer = ${idp.issuer}\n`);
    const authorize = idp.counters.authorize;
    refused(await user.run(['login', 'Quirk Hub', '--timeout', '20']), 'AllowedHosts');
    assert.equal(idp.counters.authorize, authorize, 'nothing was sent');
    fs.writeFileSync(path.join(user.machine, 'policy.json'), JSON.stringify({ AllowUserHubs: false }));
    refused(await user.run(['login', 'Quirk Hub', '--timeout', '20']), 'AllowUserHubs');
    // The same name as a machine-wide hub, on another host: not listed, and said why.
    fs.writeFileSync(path.join(user.machine, 'policy.json'), '{}');
    fs.writeFileSync(path.join(user.machine, 'corp.ini'), '[Quirk Hub]\nurl = https://quirk.example.com/\n');
    const list = await user.run(['list', '--json']);
    const hubs = JSON.parse(list.stdout).hubs;
    assert.deepEqual(hubs.map((h) => h.url), ['https://quirk.example.com/'], show(list));
  });
});

describe('same-name protection', () => {
  test('a link may not take the name of an administrator\'s hub on another host', async () => {
    const user = managedUser('samename', null);
    fs.writeFileSync(path.join(user.machine, 'corp.ini'), '[Finance Hub]\nurl = https://finance.example.com/\n');
    const r = await user.run(['add', 'hublink://add?url=https://finance.example.net/&name=finance%20hub', '--yes']);
    assert.equal(r.code, 5, show(r));
    assert.match(r.stderr, /administrator provides, on finance\.example\.com; this link points to finance\.example\.net/);
    // The same host under the same name is the administrator's hub itself: nothing to add.
    const same = await user.run(['add', 'hublink://add?url=https://finance.example.com/&name=Finance%20Hub', '--yes']);
    assert.equal(same.code, 0, show(same));
    assert.match(same.stdout, /already there/);
  });
});
