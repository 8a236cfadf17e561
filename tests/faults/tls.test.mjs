// Fault injection: the identity provider's TLS certificate is expired, for another host, or
// from an authority nobody trusts (certificates made with openssl for this run). `login` exits
// 4 naming the certificate problem in words, with the next step for that problem; `doctor`
// says the same at its TLS step. Nothing is stored.
//   tests/with-keyring.sh node --test --test-concurrency=1 tests/faults/tls.test.mjs

import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { after, before } from 'node:test';

import {
  assertFailure, faultSuite, faultUser, makeCerts, show, timed,
} from './harness.mjs';

const fault = faultSuite('tls');
let certs;
const servers = [];

/** An HTTPS server on 127.0.0.1 presenting `leaf`; it never gets to answer anything. */
async function serve(leaf) {
  const server = https.createServer({ key: fs.readFileSync(leaf.key), cert: fs.readFileSync(leaf.cert) }, (req, res) => {
    res.writeHead(404).end();
  });
  server.on('tlsClientError', () => {});
  await new Promise((r) => { server.listen(0, '127.0.0.1', r); });
  servers.push(server);
  return `https://127.0.0.1:${server.address().port}/`;
}

before(() => {
  certs = makeCerts(fs.mkdtempSync(path.join(faultUser('certs').root, 'pki-')));
});
after(() => {
  for (const s of servers) s.close();
});

const CASES = [
  {
    name: 'expired', leaf: () => certs.expired, says: /the certificate has expired/, next: /date and time|renewed/,
  },
  {
    name: 'wronghost', leaf: () => certs.wronghost, says: /issued for another host name/, next: /administrator/,
  },
  {
    name: 'unknown', leaf: () => certs.unknown, says: /authority this computer does not trust/, next: /ca_file/,
  },
];

for (const c of CASES) {
  fault(`TLS ${c.name}: login exits 4 naming the certificate problem; doctor's TLS step fails`, async () => {
    const url = await serve(c.leaf());
    const user = faultUser(`tls-${c.name}`);
    fs.writeFileSync(path.join(user.hubsDir, 'tls.ini'),
      `[TLS Hub]\nurl = ${url}\nissuer = ${url}\nca_file = ${certs.ca}\n`);
    const { r, took } = await timed(user, ['login', 'TLS Hub', '--timeout', '30']);
    assertFailure(r, { code: 4, took, ms: 20_000, says: [/secure connection failed/, c.says], next: c.next });
    assert.equal(user.browserLog(), '', 'no browser was opened');
    const d = await user.run(['doctor', 'TLS Hub']);
    assert.notEqual(d.code, 0, show(d));
    const tlsLine = d.stdout.split('\n').find((l) => /FAIL\s+TLS/i.test(l)) ?? '';
    assert.match(tlsLine, c.says, show(d));
    const s = await user.run(['status', '--json']);
    const hub = JSON.parse(s.stdout).hubs[0];
    assert.notEqual(hub.state, 'signed_in', show(s));
  });
}
