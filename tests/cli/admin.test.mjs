// The command line as administrators and first-time users meet it: generating links, checking
// hubs.ini, bad input with its exit code and reason, doctor, certificates and offline hubs.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { startIdp } from '../idp/idp.mjs';
import { ALICE } from '../people.mjs';
import { editPlainFileSession, linkFor, newUser, show } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

let idp;
before(async () => {
  idp = await startIdp();
});
after(async () => {
  await idp?.stop();
});

describe('authentication links', () => {
  test('hublink link prints a link that hublink add accepts', async () => {
    const user = newUser('link');
    const r = await user.run(['link', '--url', idp.hubUrl, '--name', 'Finance Hub', '--issuer', idp.issuer, '--mfa-required']);
    assert.equal(r.code, 0, show(r));
    const link = r.stdout.trim();
    assert.match(link, /^hublink:\/\/add\?url=/);
    assert.match(link, /name=Finance(%20|\+)Hub/);
    assert.match(link, /mfa=required/);
    const added = await user.run(['add', link, '--yes']);
    assert.equal(added.code, 0, show(added));
    assert.match(added.stdout, /Added Finance Hub/);
  });

  test('a malformed link is refused with exit 5, naming the part that is wrong', async () => {
    const user = newUser('badlink');
    const cases = [
      ['hublink://add?name=NoUrl', /url/],
      ['hublink://add?url=http://hub.example.com/', /http/],
      ['hublink://add?url=https://hub.example.com/&session_check=https://evil.example.com/check', /session_check/],
      ['hublink://add?url=https://hub.example.com/&client_secret=s3cr3t', /client_secret/],
      ['javascript:alert(1)', /javascript/],
    ];
    for (const [link, part] of cases) {
      const r = await user.run(['add', link, '--yes']);
      assert.equal(r.code, 5, `${link}\n${show(r)}`);
      assert.match(r.stderr, /^hublink: the authentication link is not valid: /m);
      assert.match(r.stderr.split('\n')[0], part, link);
      assert.match(r.stderr, /^next: /m);
      assert.doesNotMatch(r.stderr, /s3cr3t/, 'a secret in a link is never echoed');
    }
    assert.equal(JSON.parse((await user.run(['list', '--json'])).stdout).hubs.length, 0, 'nothing was added');
  });

  test('adding without a terminal needs --yes (exit 2) and adds nothing; unknown parameters are reported', async () => {
    const user = newUser('confirm');
    const r = await user.run(['add', `${linkFor(idp)}&colour=blue`]);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /--yes/);
    assert.match(r.stderr, /Ignored: +unknown parameters colour/);
    assert.equal(JSON.parse((await user.run(['list', '--json'])).stdout).hubs.length, 0);
  });

  test('an unknown hub is a usage error (2) that says how to list hubs', async () => {
    const user = newUser('unknown');
    const r = await user.run(['login', 'Nope Hub']);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /^hublink: hub not found: no hub is called `Nope Hub`/m);
    assert.match(r.stderr, /^next: Run `hublink list`/m);
  });
});

describe('hubs.ini', () => {
  test('hubs check: good sections pass, a broken one is reported with file and line (exit 5)', async () => {
    const user = newUser('ini');
    const file = path.join(user.hubsDir, 'corp.ini');
    fs.writeFileSync(file, [
      '; pushed by IT',
      '[Finance Hub]',
      `url = ${idp.hubUrl}`,
      `issuer = ${idp.issuer}`,
      'mfa = required',
      '',
      '[Broken Hub]',
      'url = http://not-loopback.example.com/',
      '',
      '[Sales Hub]',
      `link = hublink://add?url=${encodeURIComponent('https://sales.example.com/')}&name=Sales`,
      '',
    ].join('\r\n'));
    const r = await user.run(['hubs', 'check', user.hubsDir]);
    assert.equal(r.code, 5, show(r));
    assert.match(r.stdout, /corp\.ini:8: \[Broken Hub\] .*http/);
    assert.match(r.stdout, /2 hub\(s\), 1 error\(s\)/);
    const list = JSON.parse((await user.run(['list', '--json'])).stdout);
    assert.deepEqual(list.hubs.map((h) => [h.name, h.source]).sort(), [['Finance Hub', 'hubs.ini'], ['Sales Hub', 'hubs.ini']]);
    assert.equal(list.problems.length, 1);
    assert.match(list.problems[0], /corp\.ini:8/);
  });

  test('hubs check of a UTF-16 file written by Notepad ("Unicode") passes (exit 0)', async () => {
    const user = newUser('utf16');
    const text = `[Finance Hub]\r\nurl = ${idp.hubUrl}\r\nissuer = ${idp.issuer}\r\n`;
    const file = path.join(user.hubsDir, 'unicode.ini');
    fs.writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const r = await user.run(['hubs', 'check', file]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /unicode\.ini:1 \[Finance Hub\]/);
  });

  test('an admin hub cannot be removed (exit 2) and a link for the same hub does not duplicate it', async () => {
    const user = newUser('adminhub');
    fs.writeFileSync(path.join(user.hubsDir, 'a.ini'), `[Demo Hub]\nurl = ${idp.hubUrl}\nissuer = ${idp.issuer}\n`);
    const add = await user.run(['add', linkFor(idp), '--yes']);
    assert.equal(add.code, 0, show(add));
    assert.match(add.stdout, /already there \(hubs\.ini\)/);
    const rm = await user.run(['remove', 'Demo Hub']);
    assert.equal(rm.code, 2, show(rm));
    assert.match(rm.stderr, /administrator/);
  });
});

describe('doctor and certificates', () => {
  test('doctor walks DNS, TCP, discovery and clock for a healthy hub (exit 0)', async () => {
    const user = newUser('doctor');
    assert.equal((await user.run(['add', linkFor(idp), '--yes'])).code, 0);
    const r = await user.run(['doctor', 'Demo Hub']);
    assert.equal(r.code, 0, show(r));
    for (const step of [/ok +DNS/, /ok +TCP/, /ok +OpenID Connect discovery/, /ok +clock/]) assert.match(r.stdout, step);
    // oidc-provider names itself in every answer (RFC 9207): the plain /callback, any port.
    assert.match(r.stdout, /ok +redirect URI.*register http:\/\/127\.0\.0\.1\/callback for/, show(r));
  });

  test('doctor names the failing step and the next one for a dead address (exit 4)', async () => {
    const user = newUser('doctordown');
    const r = await user.run(['doctor', 'http://127.0.0.1:9/']);
    assert.equal(r.code, 4, show(r));
    assert.match(r.stdout, /FAIL TCP 127\.0\.0\.1:9: .*connection refused/);
    assert.match(r.stdout, /next: /);
  });

  test('an https identity provider with an untrusted certificate → TLS error (4) in words; ca_file in hubs.ini fixes it', async () => {
    const user = newUser('tls');
    const certs = path.join(user.root, 'certs');
    execFileSync(path.resolve(here, '../idp/make-cert.sh'), [certs]);
    const tlsIdp = await startIdp({
      https: { key: fs.readFileSync(path.join(certs, 'leaf.key')), cert: fs.readFileSync(path.join(certs, 'leaf.pem')) },
    });
    try {
      user.as(ALICE);
      const link = linkFor(tlsIdp, { name: 'Secure Hub' });
      assert.equal((await user.run(['add', link, '--yes'])).code, 0);
      const r = await user.run(['login', 'Secure Hub', '--timeout', '30']);
      assert.equal(r.code, 4, show(r));
      assert.match(r.stderr, /^hublink: the secure connection failed: 127\.0\.0\.1: the certificate was issued by an authority this computer does not trust/m);
      assert.match(r.stderr, /^next: .*ca_file/m);
      const doc = await user.run(['doctor', 'Secure Hub']);
      assert.equal(doc.code, 4, show(doc));
      assert.match(doc.stdout, /FAIL TLS 127\.0\.0\.1/);

      // The administrator adds the corporate CA for this hub in hubs.ini: it takes over the
      // link hub (same identity) and signing in works.
      fs.writeFileSync(path.join(user.hubsDir, 'secure.ini'), [
        '[Secure Hub]',
        `url = ${tlsIdp.hubUrl}`,
        `issuer = ${tlsIdp.issuer}`,
        `session_check = ${tlsIdp.sessionCheckUrl}`,
        'mfa = required',
        `ca_file = ${path.join(certs, 'ca.pem')}`,
        '',
      ].join('\n'));
      const ok = await user.run(['login', 'Secure Hub', '--timeout', '45']);
      assert.equal(ok.code, 0, `${show(ok)}\n${user.browserLog()}`);
      assert.match(ok.stdout, /Signed in to Secure Hub as alice/);
    } finally {
      await tlsIdp.stop();
    }
  });
});

describe('identity provider checks', () => {
  test('a discovery document that sends tokens to a plain-http host is refused', async () => {
    const http = await import('node:http');
    const server = http.createServer((req, res) => {
      const issuer = `http://127.0.0.1:${server.address().port}`;
      res.setHeader('content-type', 'application/json');
      if (req.url === '/jwks') return res.end('{"keys":[]}');
      return res.end(JSON.stringify({
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: 'http://tokens.example.com/token',
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      }));
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    try {
      const user = newUser('httpendpoint');
      const issuer = `http://127.0.0.1:${server.address().port}`;
      const r = await user.run(['doctor', issuer]);
      assert.equal(r.code, 5, show(r));
      assert.match(r.stdout, /FAIL OpenID Connect discovery: .*token_endpoint \(http:\/\/tokens\.example\.com\) is not https/);
    } finally {
      server.close();
    }
  });

  test('an access token the hub no longer accepts (401) is refreshed once, and the hub is asked again', async () => {
    // Plain-file storage (no keyring bus) lets the test spoil the stored access token.
    const user = newUser('spoiled');
    user.as(ALICE);
    const env = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus', HUBLINK_INSECURE_STORAGE: '1' };
    assert.equal((await user.run(['add', linkFor(idp), '--yes'], { env })).code, 0);
    assert.equal((await user.run(['login', 'Demo Hub', '--timeout', '45'], { env })).code, 0);
    editPlainFileSession(user, (stored) => {
      stored.access_token = 'spoiled-token';
    });
    const refreshes = idp.counters.refreshes;
    const r = await user.run(['status', '--json'], { env });
    assert.equal(r.code, 0, show(r));
    assert.equal(JSON.parse(r.stdout).hubs[0].state, 'signed_in');
    assert.equal(idp.counters.refreshes, refreshes + 1, 'exactly one refresh after the 401');
    const fresh = (await user.run(['token', 'Demo Hub'], { env })).stdout.trim();
    assert.equal((await idp.introspect(fresh)).active, true);
  });
});

describe('offline', () => {
  test('an unreachable identity provider leaves the session in place and says offline (4); it comes back signed in', async () => {
    const user = newUser('offline');
    const stateFile = path.join(user.root, 'idp-state.json');
    let own = await startIdp({ stateFile });
    const { port } = new URL(own.issuer);
    const hubPort = new URL(own.hubUrl).port;
    user.as(ALICE);
    assert.equal((await user.run(['add', linkFor(own), '--yes'])).code, 0);
    const login = await user.run(['login', 'Demo Hub', '--timeout', '45']);
    assert.equal(login.code, 0, show(login));
    await own.stop();

    const r = await user.run(['status', '--json']);
    assert.equal(r.code, 4, show(r));
    const hub = JSON.parse(r.stdout).hubs[0];
    assert.equal(hub.state, 'offline');
    assert.equal(hub.user, 'alice');
    assert.ok(hub.last_signed_in, 'says when the user last signed in');
    assert.equal(hub.error.code, 'network');

    own = await startIdp({ stateFile, port: Number(port), hubPort: Number(hubPort) });
    try {
      const back = await user.run(['status', '--json']);
      assert.equal(back.code, 0, show(back));
      assert.equal(JSON.parse(back.stdout).hubs[0].state, 'signed_in');
    } finally {
      await own.stop();
    }
  });
});

describe('secrets stay secret', () => {
  test('with every log enabled, no token appears in any output except `hublink token`', async () => {
    const user = newUser('logs');
    user.as(ALICE);
    assert.equal((await user.run(['add', linkFor(idp), '--yes'])).code, 0);
    const env = { HUBLINK_LOG: 'trace' };
    const login = await user.run(['login', 'Demo Hub', '--timeout', '45'], { env });
    assert.equal(login.code, 0, show(login));
    const status = await user.run(['status', '--json'], { env });
    const token = (await user.run(['token', 'Demo Hub'])).stdout.trim();
    assert.ok(token.length > 20);
    for (const out of [login.stdout, login.stderr, status.stdout, status.stderr]) {
      assert.ok(!out.includes(token), 'the access token leaked into output');
    }
    assert.ok(!fs.readFileSync(path.join(user.home, 'hubs.json'), 'utf8').includes(token));
  });
});

describe('remove without a keyring', () => {
  test('the hub is removed, and the answer says its session could not be deleted', async () => {
    const user = newUser('remove-nokeyring');
    const env = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' };
    assert.equal((await user.run(['add', 'hublink://add?url=https://gone.example.com/&name=Gone', '--yes'], { env })).code, 0);
    const r = await user.run(['remove', 'Gone'], { env });
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /session could not be deleted/);
    assert.equal(JSON.parse((await user.run(['list', '--json'], { env })).stdout).hubs.length, 0);
  });
});

describe('terminal escapes', () => {
  test('a hubs.ini file name with escape sequences reaches the terminal shown, not run', async () => {
    const user = newUser('escapes');
    fs.writeFileSync(path.join(user.hubsDir, 'evil\x1b[2J\x1b]0;owned\x07.ini'), '[Broken\n');
    const r = await user.run(['hubs', 'check', user.hubsDir]);
    assert.equal(r.code, 5, show(r));
    assert.ok(!r.stdout.includes('\x1b') && !r.stdout.includes('\x07'), JSON.stringify(r.stdout));
    assert.match(r.stdout, /evil\uFFFD\[2J\uFFFD\]0;owned\uFFFD\.ini/);
    const list = await user.run(['list']);
    assert.ok(!list.stdout.includes('\x1b') && !list.stderr.includes('\x1b'), JSON.stringify(list));
  });
});
