// The IdP quirks ring: the real `hublink` binary against a small OpenID provider that behaves
// the way real identity providers do when they bend the standards (string `updated_at`, lone
// string `amr`, extra audiences, bare-origin issuers, skewed clocks, missing `expires_in`, …),
// plus the storage, file-system and network situations users actually meet.
// Each test asserts the outcome PRODUCT.md promises. Run from the repository root:
//   tests/with-keyring.sh node --test --test-concurrency=1 --test-timeout=120000 tests/quirks/*.test.mjs

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, beforeEach, describe, test } from 'node:test';

import { BIN, newUser, show, sleep } from '../cli/harness.mjs';
import { closedPort, startPublishingHub, startQuirkIdp } from './idp.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const FOLLOW = path.resolve(here, 'follow.mjs');
const HUB = 'Quirk Hub';

let idp;
before(async () => {
  idp = await startQuirkIdp();
});
after(async () => {
  await idp?.stop();
});
beforeEach(() => {
  idp.resetQuirks();
});

/** A fresh user whose "system browser" is follow.mjs (auto-approving IdP, no Chromium). */
function quirkUser(name) {
  const user = newUser(`quirks-${name}`);
  user.env.HUBLINK_BROWSER = FOLLOW;
  return user;
}

function linkTo(params = {}) {
  const p = new URLSearchParams({
    url: idp.issuer,
    name: HUB,
    issuer: idp.issuer,
    session_check: idp.url('/userinfo'),
    ...params,
  });
  for (const [k, v] of [...p]) if (v === '') p.delete(k);
  return `hublink://add?${p}`;
}

async function add(user, link) {
  const r = await user.run(['add', link, '--yes']);
  assert.equal(r.code, 0, `add ${link}\n${show(r)}`);
  return r;
}

function login(user, hub = HUB, extra = [], opts = {}) {
  return user.run(['login', hub, '--timeout', '30', ...extra], opts);
}

async function addAndLogin(name, params = {}) {
  const user = quirkUser(name);
  await add(user, linkTo(params));
  const r = await login(user);
  return { user, r };
}

async function statusHub(user, env) {
  const r = await user.run(['status', '--json'], { env });
  let json;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    assert.fail(`status --json is not JSON\n${show(r)}`);
  }
  return { r, hub: json.hubs[0] };
}

const both = (r) => `${r.stdout}\n${r.stderr}`;
const withBrowser = (user, r) => `${show(r)}\n--- browser log\n${user.browserLog()}`;
const withinSeconds = (iso, expectedMs, seconds, what) => {
  const at = Date.parse(iso);
  assert.ok(Number.isFinite(at), `${what}: expires_at ${iso} is not a date`);
  assert.ok(Math.abs(at - expectedMs) <= seconds * 1000,
    `${what}: expires_at ${iso} is not within ±${seconds} s of ${new Date(expectedMs).toISOString()}`);
};

// ---------------------------------------------------------------------------------------------
describe('1. updated_at as an ISO string (Auth0, some Okta orgs)', () => {
  test('login succeeds', async () => {
    idp.quirks.idTokenExtraClaims = { updated_at: '2024-05-02T10:59:07.841Z' };
    const { user, r } = await addAndLogin('updated-at');
    assert.equal(r.code, 0, withBrowser(user, r));
    assert.match(r.stdout, /Signed in to .* as quinn/);
  });
});

describe('2. amr as a lone string (ADFS, some Ping and Keycloak mappers)', () => {
  test('amr:"pwd" without mfa=required → signed in', async () => {
    idp.quirks.amr = 'pwd';
    const { user, r } = await addAndLogin('amr-string');
    assert.equal(r.code, 0, withBrowser(user, r));
    assert.match(r.stdout, /Signed in to .* as quinn/);
  });

  test('amr:"mfa" with mfa=required → signed in', async () => {
    idp.quirks.amr = 'mfa';
    const { user, r } = await addAndLogin('amr-string-mfa', { mfa: 'required' });
    assert.equal(r.code, 0, withBrowser(user, r));
    assert.match(r.stdout, /Signed in to .* as quinn/);
  });
});

describe('3. expires_in as a string (Salesforce, older Azure AD v1)', () => {
  test('login succeeds and the expiry is now + 3599 s', async () => {
    idp.quirks.expiresInAsString = true;
    idp.quirks.accessTokenTtl = 3599;
    const { user, r } = await addAndLogin('expires-string');
    const expected = Date.now() + 3599_000;
    assert.equal(r.code, 0, withBrowser(user, r));
    const s = await statusHub(user);
    assert.equal(s.hub?.state, 'signed_in', show(s.r));
    withinSeconds(s.hub.expires_at, expected, 120, 'expires_in "3599"');
  });
});

describe('4. extra audiences with azp (Google/Firebase project numbers)', () => {
  const EXTRA = '300000000000000042';

  test('without extra_audiences → refused (3), the audience and the setting are named', async () => {
    Object.assign(idp.quirks, { aud: ['hublink', EXTRA], azp: 'hublink' });
    const { user, r } = await addAndLogin('aud-refused');
    assert.equal(r.code, 3, withBrowser(user, r));
    assert.ok(r.stderr.includes(EXTRA), `names the audience\n${show(r)}`);
    assert.ok(r.stderr.includes('extra_audiences'), `names the setting\n${show(r)}`);
    assert.doesNotMatch(r.stderr, /Try again/, 'trying again cannot help');
  });

  test('with extra_audiences in the link → signed in', async () => {
    Object.assign(idp.quirks, { aud: ['hublink', EXTRA], azp: 'hublink' });
    const { user, r } = await addAndLogin('aud-allowed', { extra_audiences: EXTRA });
    assert.equal(r.code, 0, withBrowser(user, r));
    assert.match(r.stdout, /Signed in to .* as quinn/);
  });

  test('extra audience allowed but no azp → refused (3)', async () => {
    Object.assign(idp.quirks, { aud: ['hublink', EXTRA], azp: undefined });
    const { user, r } = await addAndLogin('aud-no-azp', { extra_audiences: EXTRA });
    assert.equal(r.code, 3, withBrowser(user, r));
  });

  test('extra audience allowed but azp is another client → refused (3)', async () => {
    Object.assign(idp.quirks, { aud: ['hublink', EXTRA], azp: 'someone-else' });
    const { user, r } = await addAndLogin('aud-other-azp', { extra_audiences: EXTRA });
    assert.equal(r.code, 3, withBrowser(user, r));
  });
});

describe('5. issuer published as the bare origin (Okta org servers, Google)', () => {
  test('a link with only url=http://127.0.0.1:P → signed in', async () => {
    idp.quirks.issuerWithoutSlash = true;
    assert.equal(idp.issuer, idp.origin);
    const user = quirkUser('bare-link');
    const link = `hublink://add?${new URLSearchParams({ url: idp.origin, name: HUB })}`;
    await add(user, link);
    const r = await login(user);
    assert.equal(r.code, 0, withBrowser(user, r));
    assert.match(r.stdout, /Signed in to .* as quinn/);
  });

  test('a typed address (no hublink.json) → added and signed in', async () => {
    idp.quirks.issuerWithoutSlash = true;
    const user = quirkUser('bare-typed');
    const added = await user.run(['add', idp.origin, '--yes']);
    assert.equal(added.code, 0, show(added));
    const list = JSON.parse((await user.run(['list', '--json'])).stdout);
    assert.equal(list.hubs.length, 1, JSON.stringify(list));
    const r = await login(user, list.hubs[0].name);
    assert.equal(r.code, 0, withBrowser(user, r));
    assert.match(r.stdout, /Signed in to .* as quinn/);
  });
});

describe('6. the IdP clock is off (VMs without NTP, on-prem ADFS)', () => {
  test('6 minutes behind with 5-minute ID tokens → refused (3) naming the clock and the amount', async () => {
    Object.assign(idp.quirks, { clockOffsetSeconds: -360, idTokenTtl: 300 });
    const { user, r } = await addAndLogin('clock-far');
    assert.equal(r.code, 3, withBrowser(user, r));
    assert.match(r.stderr, /clock/i);
    assert.match(r.stderr, /6 minutes/);
    assert.doesNotMatch(r.stderr, /Try again/);
  });

  test('30 s behind → within leeway, signed in', async () => {
    Object.assign(idp.quirks, { clockOffsetSeconds: -30 });
    const { user, r } = await addAndLogin('clock-near');
    assert.equal(r.code, 0, withBrowser(user, r));
  });
});

// ---------------------------------------------------------------------------------------------
// A private Secret Service: its own dbus-run-session and gnome-keyring-daemon, so a test may
// lock it or leave it without a default keyring without touching the ring's own keyring.
// mode 'locked': a login keyring is created (unlocked), then locked over D-Bus.
// mode 'nodefault': the daemon starts without --unlock, so no login keyring and no `default`.
const KEYRING_SCRIPT = String.raw`
set -u
export XDG_DATA_HOME="$KR/data" XDG_RUNTIME_DIR="$KR/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
unset GNOME_KEYRING_CONTROL DISPLAY WAYLAND_DISPLAY
S="--session --dest org.freedesktop.secrets"
if [ "$MODE" = locked ]; then
  eval "$(printf 'quirks-pw' | gnome-keyring-daemon --unlock --components=secrets)"
  printf x | secret-tool store --label 'quirks probe' quirks probe >/dev/null 2>&1
  gdbus call $S --object-path /org/freedesktop/secrets --method org.freedesktop.Secret.Service.Lock "['/org/freedesktop/secrets/collection/login']" >/dev/null
  gdbus call $S --object-path /org/freedesktop/secrets/collection/login --method org.freedesktop.DBus.Properties.Get org.freedesktop.Secret.Collection Locked >"$KR/state" 2>&1
else
  gnome-keyring-daemon --daemonize --components=secrets >/dev/null
  for i in 1 2 3 4 5 6 7 8 9 10; do gdbus call $S --object-path /org/freedesktop/secrets --method org.freedesktop.Secret.Service.ReadAlias default >"$KR/state" 2>&1 && break; sleep 0.2; done
fi
"$BIN" "$@" >"$KR/stdout" 2>"$KR/stderr"
`;

function runInPrivateKeyring(user, mode, args, timeoutMs = 40_000) {
  const kr = fs.mkdtempSync(path.join(user.root, 'keyring-'));
  const env = { ...user.env, KR: kr, MODE: mode, BIN };
  delete env.DBUS_SESSION_BUS_ADDRESS;
  delete env.GNOME_KEYRING_CONTROL;
  return new Promise((resolve) => {
    const child = spawn('dbus-run-session', ['--', 'bash', '-c', KEYRING_SCRIPT, 'keyring', ...args], {
      env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let noise = '';
    child.stdout.on('data', (d) => { noise += d; });
    child.stderr.on('data', (d) => { noise += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const read = (f) => {
        try {
          return fs.readFileSync(path.join(kr, f), 'utf8');
        } catch {
          return '';
        }
      };
      resolve({ code, stdout: read('stdout'), stderr: read('stderr'), state: read('state').trim(), noise });
    });
  });
}

describe('7. the keyring exists but is locked and no prompt can show', () => {
  test('login → exit 6 "locked", before any browser is opened', async () => {
    const user = quirkUser('locked');
    await add(user, linkTo());
    const authorizeBefore = idp.counters.authorize;
    const r = await runInPrivateKeyring(user, 'locked', ['login', HUB, '--timeout', '30']);
    assert.equal(r.state, '(<true>,)', `the login collection really is locked\n${r.noise}`);
    assert.equal(r.code, 6, `${show(r)}\n--- dbus\n${r.noise}`);
    assert.match(r.stderr, /the keyring is locked/);
    assert.equal(user.browserLog(), '', 'no browser was started');
    assert.equal(idp.counters.authorize, authorizeBefore, 'the IdP saw no sign-in');
  });
});

describe('16. a Secret Service without a default keyring (fresh account, no login keyring)', () => {
  test('login → exit 6 naming the missing default keyring and how to create one', async () => {
    const user = quirkUser('nodefault');
    await add(user, linkTo());
    const authorizeBefore = idp.counters.authorize;
    const r = await runInPrivateKeyring(user, 'nodefault', ['login', HUB, '--timeout', '30']);
    assert.equal(r.state, "(objectpath '/',)", `really no default keyring\n${r.noise}`);
    assert.equal(r.code, 6, `${show(r)}\n--- dbus\n${r.noise}`);
    assert.match(r.stderr, /default keyring/i);
    assert.match(r.stderr, /seahorse|secret-tool|create/i);
    assert.equal(user.browserLog(), '', 'no browser was started');
    assert.equal(idp.counters.authorize, authorizeBefore, 'the IdP saw no sign-in');
  });
});

// ---------------------------------------------------------------------------------------------
describe('8. a hubs.ini saved as Windows-1252 with CRLF (Notepad "ANSI")', () => {
  const user = quirkUser('cp1252');
  const file = path.join(user.hubsDir, 'legacy.ini');
  fs.writeFileSync(file, Buffer.concat([
    Buffer.from('; Hubs pushed by the old login script\r\n[Finance Hub]\r\nurl = https://finance.example.com/\r\n\r\n'
      + '[Sales Hub]\r\nurl = https://sales.example.com/\r\n\r\n', 'ascii'),
    Buffer.from([0x5b, 0x43, 0x61, 0x66, 0xe9, 0x20, 0x48, 0x75, 0x62, 0x5d]), // "[Caf\xE9 Hub]" on line 8
    Buffer.from('\r\nurl = https://cafe.example.com/\r\n', 'ascii'),
  ]));

  test('list shows all three hubs, one named exactly "Café Hub"', async () => {
    const lines = fs.readFileSync(file, 'latin1').split('\r\n');
    assert.equal(lines[7], '[Caf\u00e9 Hub]', 'the fixture has the 0xE9 byte on line 8');
    const r = await user.run(['list', '--json']);
    assert.equal(r.code, 0, show(r));
    const names = JSON.parse(r.stdout).hubs.map((h) => h.name).sort();
    assert.deepEqual(names, ['Café Hub', 'Finance Hub', 'Sales Hub'], show(r));
  });

  test('hubs check warns that the file is Windows-1252, not UTF-8, and exits 0', async () => {
    const r = await user.run(['hubs', 'check', file]);
    assert.equal(r.code, 0, show(r));
    assert.match(both(r), /Windows-1252/);
  });
});

describe('9. refresh tokens only with consent (OIDC Core §11), or never', () => {
  test('offline_access needs prompt=consent: Hublink asks for it and gets a working refresh', async () => {
    Object.assign(idp.quirks, { refreshOnlyWithConsent: true, accessTokenTtl: 3 });
    const { user, r } = await addAndLogin('consent');
    assert.equal(r.code, 0, withBrowser(user, r));
    assert.match(idp.requests.authorize?.prompt ?? '', /\bconsent\b/, `authorize had ${JSON.stringify(idp.requests.authorize)}`);
    await sleep(4000);
    const refreshesBefore = idp.counters.token.refresh_token;
    const t = await user.run(['token', HUB]);
    assert.equal(t.code, 0, show(t));
    assert.equal(idp.counters.token.refresh_token, refreshesBefore + 1, 'one refresh at the IdP');
    assert.equal(await idp.userinfoStatus(t.stdout.trim()), 200, 'the printed token is alive');
  });

  test('no refresh token → signed in, and told to sign in again every 2 minutes', async () => {
    Object.assign(idp.quirks, { noRefreshToken: true, accessTokenTtl: 120 });
    const { user, r } = await addAndLogin('no-refresh');
    assert.equal(r.code, 0, withBrowser(user, r));
    assert.match(both(r), /sign in again every 2/);
  });
});

describe('10. no expires_in in the token response (GitHub-style, some custom IdPs)', () => {
  test('opaque 3 s token, refresh available: `token` after 4 s refreshes and prints a live token', async () => {
    Object.assign(idp.quirks, { omitExpiresIn: true, accessTokenTtl: 3 });
    const { user, r } = await addAndLogin('no-expires');
    assert.equal(r.code, 0, withBrowser(user, r));
    await sleep(4000);
    const refreshesBefore = idp.counters.token.refresh_token;
    const t = await user.run(['token', HUB]);
    if (t.code === 0) {
      assert.equal(await idp.userinfoStatus(t.stdout.trim()), 200, `printed a dead token\n${show(t)}`);
    }
    assert.equal(t.code, 0, show(t));
    assert.equal(idp.counters.token.refresh_token, refreshesBefore + 1, 'one refresh at the IdP');
  });

  test('opaque 3 s token, no refresh token: `token` after 4 s never prints a dead token', async () => {
    Object.assign(idp.quirks, { omitExpiresIn: true, accessTokenTtl: 3, noRefreshToken: true });
    const { user, r } = await addAndLogin('no-expires-no-rt');
    assert.equal(r.code, 0, withBrowser(user, r));
    await sleep(4000);
    const t = await user.run(['token', HUB]);
    if (t.code === 0) {
      assert.equal(await idp.userinfoStatus(t.stdout.trim()), 200, `printed a dead token\n${show(t)}`);
    } else {
      assert.equal(t.code, 3, show(t));
    }
  });

  test('JWT access token: the expiry comes from its exp claim', async () => {
    Object.assign(idp.quirks, { omitExpiresIn: true, accessTokenIsJwt: true, accessTokenTtl: 3599 });
    const { user, r } = await addAndLogin('no-expires-jwt');
    const exp = Date.now() + 3599_000;
    assert.equal(r.code, 0, withBrowser(user, r));
    const s = await statusHub(user);
    assert.equal(s.hub?.state, 'signed_in', show(s.r));
    withinSeconds(s.hub.expires_at, exp, 120, 'JWT exp');
  });
});

describe('11. mfa=required and what amr says (Entra v2 sends no amr)', () => {
  test('no amr at all → refused (3): the IdP does not say, ask the administrator', async () => {
    idp.quirks.omitAmr = true;
    const { user, r } = await addAndLogin('no-amr', { mfa: 'required' });
    assert.equal(r.code, 3, withBrowser(user, r));
    assert.match(r.stderr, /does not (say|report)/i);
    assert.match(r.stderr, /administrator/i);
  });

  test('amr:["pwd"] → refused (3): no second factor', async () => {
    idp.quirks.amr = ['pwd'];
    const { user, r } = await addAndLogin('pwd-only', { mfa: 'required' });
    assert.equal(r.code, 3, withBrowser(user, r));
    assert.match(r.stderr, /second factor/);
    assert.doesNotMatch(r.stderr, /does not (say|report)/i);
  });
});

describe('12. a dead proxy in the environment (corporate images, stale shell profiles)', () => {
  const PROXY_VARS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy'];
  let port;
  let proxy;
  const user = quirkUser('proxy');
  before(async () => {
    port = await closedPort();
    proxy = `127.0.0.1:${port}`;
    await add(user, linkTo());
  });
  const envWith = (vars) => {
    const env = { ...user.env };
    for (const v of PROXY_VARS) delete env[v];
    return Object.assign(env, vars);
  };

  for (const [variable, vars] of [
    ['HTTP_PROXY', (u) => ({ HTTP_PROXY: u })],
    ['http_proxy', (u) => ({ http_proxy: u })],
    ['HTTP_PROXY', (u) => ({ HTTP_PROXY: u, HTTPS_PROXY: u })],
  ]) {
    const label = Object.keys(vars('x')).join(' + ');
    test(`${label} → login exit 4 naming the proxy, its address and ${variable}`, async () => {
      const env = envWith(vars(`http://${proxy}`));
      const r = await user.run(['login', HUB, '--timeout', '20'], { env });
      assert.equal(r.code, 4, withBrowser(user, r));
      assert.match(r.stderr, /proxy/i);
      assert.ok(r.stderr.includes(proxy), `names ${proxy}\n${show(r)}`);
      assert.ok(r.stderr.includes(variable), `names ${variable}\n${show(r)}`);
    });
  }

  for (const variable of ['HTTP_PROXY', 'http_proxy']) {
    test(`doctor with ${variable}: names the proxy and the variable, claims no direct TCP success`, async () => {
      const env = envWith({ [variable]: `http://${proxy}` });
      const r = await user.run(['doctor', HUB], { env });
      const out = both(r);
      assert.notEqual(r.code, 0, show(r));
      assert.ok(out.includes(proxy), `names ${proxy}\n${show(r)}`);
      assert.ok(out.includes(variable), `names ${variable}\n${show(r)}`);
      for (const line of out.split('\n').filter((l) => /TCP.*connected/i.test(l))) {
        assert.ok(line.includes(proxy) || /proxy/i.test(line), `claims a TCP connection without the proxy: ${line}\n${show(r)}`);
      }
    });
  }
});

describe('13. published settings at /.well-known/hublink.json (a Qlik virtual proxy prefix)', () => {
  test('same origin, sub-path url → added with that url', async () => {
    const hub = await startPublishingHub((port) => ({
      url: `http://127.0.0.1:${port}/qlik/`, name: 'Qlik Hub', issuer: idp.issuer,
    }));
    try {
      const user = quirkUser('published');
      const r = await user.run(['add', hub.origin, '--yes']);
      assert.equal(r.code, 0, show(r));
      assert.ok(hub.counters.hublinkJson >= 1, 'hublink.json was asked for');
      const list = JSON.parse((await user.run(['list', '--json'])).stdout);
      assert.deepEqual(list.hubs.map((h) => h.url), [`${hub.origin}/qlik/`], JSON.stringify(list));
    } finally {
      await hub.stop();
    }
  });

  test('another origin → refused (5)', async () => {
    const other = await closedPort();
    const hub = await startPublishingHub(() => ({
      url: `http://127.0.0.1:${other}/qlik/`, name: 'Qlik Hub', issuer: idp.issuer,
    }));
    try {
      const user = quirkUser('published-other');
      const r = await user.run(['add', hub.origin, '--yes']);
      assert.equal(r.code, 5, show(r));
      const list = JSON.parse((await user.run(['list', '--json'])).stdout);
      assert.equal(list.hubs.length, 0, 'nothing was added');
    } finally {
      await hub.stop();
    }
  });
});

describe('14. FIFOs where files belong (a sync client or a prank never hangs Hublink)', () => {
  test('a FIFO named stuck.ini next to good.ini: list finishes and lists the good hub', async () => {
    const user = quirkUser('fifo-list');
    fs.writeFileSync(path.join(user.hubsDir, 'good.ini'), '[Good Hub]\nurl = https://good.example.com/\n');
    execFileSync('mkfifo', [path.join(user.hubsDir, 'stuck.ini')]);
    const t0 = Date.now();
    const r = await user.run(['list', '--json'], { timeoutMs: 11_000 });
    assert.ok(Date.now() - t0 < 10_000, `list took ${Date.now() - t0} ms (killed: ${r.signal})`);
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(JSON.parse(r.stdout).hubs.map((h) => h.name), ['Good Hub']);
  });

  test('hubs check names stuck.ini as not a regular file (5)', async () => {
    const user = quirkUser('fifo-check');
    fs.writeFileSync(path.join(user.hubsDir, 'good.ini'), '[Good Hub]\nurl = https://good.example.com/\n');
    execFileSync('mkfifo', [path.join(user.hubsDir, 'stuck.ini')]);
    const t0 = Date.now();
    const r = await user.run(['hubs', 'check', user.hubsDir], { timeoutMs: 11_000 });
    assert.ok(Date.now() - t0 < 10_000, `hubs check took ${Date.now() - t0} ms (killed: ${r.signal})`);
    assert.equal(r.code, 5, show(r));
    const line = both(r).split('\n').find((l) => l.includes('stuck.ini')) ?? '';
    assert.match(line, /not a regular file/, show(r));
  });

  test('ca_file is a FIFO: login ends (5) naming ca_file instead of hanging', async () => {
    const user = quirkUser('fifo-ca');
    const fifo = path.join(user.root, 'ca.pem');
    execFileSync('mkfifo', [fifo]);
    fs.writeFileSync(path.join(user.hubsDir, 'fifo.ini'),
      `[${HUB}]\nurl = ${idp.issuer}\nissuer = ${idp.issuer}\nca_file = ${fifo}\n`);
    const t0 = Date.now();
    const r = await user.run(['login', HUB, '--timeout', '20'], { timeoutMs: 26_000 });
    assert.ok(Date.now() - t0 < 25_000, `login took ${Date.now() - t0} ms (killed: ${r.signal})`);
    assert.equal(r.code, 5, withBrowser(user, r));
    assert.match(r.stderr, /ca_file/);
  });
});

describe('15. hubs check validates ca_file', () => {
  const user = quirkUser('cafile');
  // A bounded address space: reading /dev/zero to the end must fail, not eat the machine.
  const runBounded = (args) => new Promise((resolve) => {
    const child = spawn('bash', ['-c', 'ulimit -v 4000000; exec "$0" "$@"', BIN, ...args], {
      env: user.env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });

  const check = (name, caFile) => {
    const file = path.join(user.root, `${name}.ini`);
    fs.writeFileSync(file, `[CA Hub]\nurl = https://ca.example.com/\nca_file = ${caFile}\n`);
    return runBounded(['hubs', 'check', file]);
  };

  test('a missing ca_file → 5 naming ca_file', async () => {
    const r = await check('missing', '/nonexistent/ca.pem');
    assert.equal(r.code, 5, show(r));
    assert.match(both(r), /ca_file/);
  });

  test('ca_file = /dev/zero → 5', async () => {
    const r = await check('devzero', '/dev/zero');
    assert.equal(r.code, 5, show(r));
    assert.match(both(r), /ca_file/);
  });

  test('a file without a PEM certificate → 5', async () => {
    const notPem = path.join(user.root, 'not-a-cert.pem');
    fs.writeFileSync(notPem, 'this is the intranet wiki page, not a certificate\n');
    const r = await check('notpem', notPem);
    assert.equal(r.code, 5, show(r));
    assert.match(both(r), /ca_file/);
  });

  test('a real PEM certificate → 0', async () => {
    const dir = fs.mkdtempSync(path.join(user.root, 'cert-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=t', '-days', '1',
      '-keyout', path.join(dir, 'k'), '-out', path.join(dir, 'c.pem')], { stdio: 'ignore' });
    const r = await check('good', path.join(dir, 'c.pem'));
    assert.equal(r.code, 0, show(r));
  });
});

// ---------------------------------------------------------------------------------------------
describe('smaller ones', () => {
  const NO_BUS = 'unix:path=/nonexistent/quirks-bus';

  test('HUBLINK_INSECURE_STORAGE=1: list warns exactly once, without terminal escapes', async () => {
    const user = quirkUser('insecure-list');
    await add(user, linkTo());
    const r = await user.run(['list'], { env: { HUBLINK_INSECURE_STORAGE: '1', DBUS_SESSION_BUS_ADDRESS: NO_BUS } });
    assert.equal(r.code, 0, show(r));
    const warnings = r.stderr.split('\n').filter((l) => /plain.files?/i.test(l));
    assert.equal(warnings.length, 1, `one warning\n${show(r)}`);
    assert.ok(!r.stderr.includes('\x1b'), `no ESC in stderr\n${JSON.stringify(r.stderr)}`);
  });

  test('HUBLINK_INSECURE_STORAGE=1 with no keyring: status warns exactly once, without terminal escapes', async () => {
    const user = quirkUser('insecure-status');
    await add(user, linkTo());
    const r = await user.run(['status'], { env: { HUBLINK_INSECURE_STORAGE: '1', DBUS_SESSION_BUS_ADDRESS: NO_BUS } });
    const warnings = r.stderr.split('\n').filter((l) => /plain.files?/i.test(l));
    assert.equal(warnings.length, 1, `one warning\n${show(r)}`);
    assert.ok(!r.stderr.includes('\x1b'), `no ESC in stderr\n${JSON.stringify(r.stderr)}`);
  });

  test('device flow: a code that lives 60 s is "valid for 1 minute"', async () => {
    idp.quirks.deviceCodeTtl = 60;
    const user = quirkUser('device');
    await add(user, linkTo());
    const login = user.spawn(['login', HUB, '--device', '--timeout', '90'], { timeoutMs: 40_000 });
    const [, code] = await login.waitForStderr(/enter the code: (\S+)/, 15_000);
    assert.ok(idp.approveDevice(code), `the IdP knows ${code}`);
    const r = await login.done;
    assert.equal(r.code, 0, show(r));
    assert.match(r.stderr, /valid for 1 minute\b/);
    assert.doesNotMatch(r.stderr, /1 minutes/);
  });
});
