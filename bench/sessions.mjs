// Sessions through the `hublink` command, against the real test IdP (tests/idp), real headless
// Chromium signing in (tests/browser/signin.mjs) and the real Secret Service
// (tests/with-keyring.sh). Run by scripts/bench.sh:
//   HUBLINK_BIN=target/release/hublink tests/with-keyring.sh node bench/sessions.mjs
// Measures:
//   - `hublink status` restoring 50 signed-in hubs whose access tokens expired (50 refreshes)
//     against the same command restoring one such hub (one refresh);
//   - `hublink token` with a valid session against `true` plus one `secret-tool lookup`;
//   - `hublink token` reading a ~42,000-character session (a user in 600 groups).

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { startIdp } from '../tests/idp/idp.mjs';
import { ALICE, GRACE, GRACE_ACCOUNT, MANY_GROUPS, browserEnv } from '../tests/people.mjs';
import { ROOT, emit, load, median, row, sleep, tempDir, timed } from './common.mjs';

const BIN = process.env.HUBLINK_BIN ?? path.join(ROOT, 'target/release/hublink');
const SIGNIN = path.join(ROOT, 'tests/browser/signin.mjs');
const HUBS = Number(process.env.BENCH_HUBS ?? 50);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** Access tokens live this long while restores are measured: every run finds them expired. */
const SHORT_TTL = 5;

const homes = [];

function newHome(name, person) {
  const dir = tempDir(name);
  const env = {
    ...process.env,
    HUBLINK_HOME: path.join(dir, 'home'),
    HUBLINK_HUBS_DIR: path.join(dir, 'hubs'),
    HUBLINK_BROWSER: SIGNIN,
    HUBLINK_TEST_BROWSER_LOG: path.join(dir, 'browser.log'),
    HUBLINK_LOG: 'hublink=warn',
    ...browserEnv(person),
  };
  delete env.HUBLINK_INSECURE_STORAGE;
  homes.push(dir);
  return {
    env,
    home: env.HUBLINK_HOME,
    run: (args, bin = BIN) => timed(bin, args, { env }),
  };
}

async function must(what, promise) {
  const r = await promise;
  if (r.code !== 0) throw new Error(`${what}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/**
 * Add hubs of the IdP (hub N at <hub>/teamN/) and sign in to each in the browser, one after
 * the other: two sign-ins of one Hublink home at once can fail (both write and delete the same
 * keyring probe entry while checking that the keyring is writable).
 */
async function signedIn(user, idp, names, parallel = 1) {
  for (const [i, name] of names.entries()) {
    const link = `hublink://add?${new URLSearchParams({
      url: `${idp.hubUrl}team${i + 1}/`, name, issuer: idp.issuer, mfa: 'required', session_check: idp.sessionCheckUrl,
    })}`;
    await must(`add ${name}`, user.run(['add', link, '--yes']));
  }
  const queue = [...names];
  const worker = async () => {
    for (let name = queue.shift(); name; name = queue.shift()) {
      await must(`login ${name}`, user.run(['login', name, '--timeout', '90']));
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

/** `hublink status --json` once the access tokens have expired; checks every hub refreshed. */
async function restore(user, idp, hubs) {
  const refreshes = idp.counters.refreshes;
  const r = await must('status', user.run(['status', '--json']));
  const states = JSON.parse(r.stdout).hubs.map((h) => h.state);
  const signedInCount = states.filter((s) => s === 'signed_in').length;
  const refreshed = idp.counters.refreshes - refreshes;
  if (signedInCount !== hubs || refreshed !== hubs) {
    throw new Error(`status: ${signedInCount}/${hubs} signed in, ${refreshed} refreshes (expected ${hubs})`);
  }
  return r.ms;
}

async function measureRestore(idp, one, many) {
  const times = { one: [], many: [] };
  for (let i = 0; i < RUNS; i += 1) {
    await sleep(SHORT_TTL * 1000 + 500);
    times.one.push(await restore(one, idp, 1));
    await sleep(SHORT_TTL * 1000 + 500);
    times.many.push(await restore(many, idp, HUBS));
  }
  return row('sessions', `\`hublink status\`: ${HUBS} signed-in hubs, access tokens expired (${HUBS} refreshes); median of ${RUNS}`, {
    baseline: median(times.one),
    baselineNote: 'the same, 1 hub (1 refresh)',
    hublink: median(times.many),
    unit: 'ms',
    target: { ratio: 2 },
    note: `runs: 1 hub ${times.one.map((t) => t.toFixed(0)).join(', ')}; ${HUBS} hubs ${times.many.map((t) => t.toFixed(0)).join(', ')} ms`,
  });
}

/** The keyring service and entry name of a hub's session (store::service_name, the hub id). */
async function entryOf(user) {
  const id = JSON.parse((await must('list', user.run(['list', '--json']))).stdout).hubs[0].id;
  const service = `hublink:${crypto.createHash('sha256').update(user.home).digest('hex').slice(0, 12)}`;
  return { service, id };
}

async function lookup(service, username) {
  return timed('secret-tool', ['lookup', 'target', 'default', 'service', service, 'username', username]);
}

/** How many characters the stored session has, read back entry by entry with secret-tool. */
async function storedChars(user) {
  const { service, id } = await entryOf(user);
  const head = (await lookup(service, id)).stdout;
  // A long session: a header naming the slot (`a`/`b`) and count of its parts (store.rs).
  const [, slot, count] = head.match(/^hublink-chunks:v2:([ab]):(\d+)$/) ?? [];
  const chunks = Number(count ?? 0);
  let chars = chunks ? 0 : head.length;
  for (let i = 1; i <= chunks; i += 1) chars += (await lookup(service, `${id}#${slot}${i}`)).stdout.length;
  return { chars, entries: chunks + 1 };
}

async function tokenTimes(user, name, runs, bin = BIN) {
  const times = [];
  for (let i = 0; i < runs; i += 1) times.push((await must('token', user.run(['token', name], bin))).ms);
  return times;
}

async function measureToken(one) {
  const { service, id } = await entryOf(one);
  const pairs = [];
  for (let i = 0; i < 20; i += 1) {
    const t = await timed('true', []);
    const s = await lookup(service, id);
    if (s.code !== 0 || !s.stdout) throw new Error(`secret-tool lookup found nothing: ${s.stderr}`);
    pairs.push(t.ms + s.ms);
  }
  const times = await tokenTimes(one, 'Hub 1', 20);
  const size = await storedChars(one);
  return row('sessions', `\`hublink token\`, valid session (${size.chars.toLocaleString('en')} characters in ${size.entries} keyring entries); median of 20`, {
    baseline: median(pairs),
    baselineNote: '`true` + one `secret-tool lookup` of the same entry',
    hublink: median(times),
    unit: 'ms',
    target: { ratio: 2 },
  });
}

async function measureLargeToken(large, baseline) {
  const size = await storedChars(large);
  const rows = [];
  const before = process.env.BENCH_BEFORE_BIN;
  if (before) {
    const times = await tokenTimes(large, 'Hub 1', 5, before);
    rows.push(row('sessions', `\`hublink token\`, ${size.chars.toLocaleString('en')}-character session, with BENCH_BEFORE_BIN (${process.env.BENCH_BEFORE_LABEL ?? path.basename(before)}); median of 5`, {
      baseline, baselineNote: 'the small session above', hublink: median(times), unit: 'ms', target: { max: 500 },
    }));
  }
  const times = await tokenTimes(large, 'Hub 1', 10);
  rows.push(row('sessions', `\`hublink token\`, ${size.chars.toLocaleString('en')}-character session (${MANY_GROUPS.length} groups; ${size.entries} keyring entries); median of 10`, {
    baseline, baselineNote: 'the small session above', hublink: median(times), unit: 'ms', target: { max: 500 },
  }));
  return rows;
}

/** Run one measure; a failure becomes a row that says so instead of ending the run. */
async function attempt(measure, run) {
  try {
    emit([].concat(await run()));
  } catch (e) {
    console.log(`sessions: ${measure} failed: ${e.message.split('\n').slice(0, 3).join(' | ')}`);
    emit([row('sessions', measure, { hublink: null, unit: 'ms', target: null, error: e.message.split('\n')[0] })]);
  }
}

async function main() {
  const idp = await startIdp({ users: [GRACE_ACCOUNT] });
  try {
    let started = Date.now();
    const one = newHome('one', ALICE);
    const large = newHome('large', GRACE);
    await signedIn(one, idp, ['Hub 1']);
    await signedIn(large, idp, ['Hub 1']);
    console.log(`sessions: 2 sign-ins in the browser took ${((Date.now() - started) / 1000).toFixed(0)} s`);
    let small = null;
    await attempt('`hublink token`, valid session', async () => {
      small = await measureToken(one);
      return small;
    });
    await attempt('`hublink token`, large session', () => measureLargeToken(large, small?.hublink ?? null));

    // Tokens that expire within seconds from here on: every restore has to refresh them all.
    idp.setAccessTokenTtl(SHORT_TTL);
    started = Date.now();
    const single = newHome('single', ALICE);
    const many = newHome('many', ALICE);
    await signedIn(single, idp, ['Hub 1']);
    await signedIn(many, idp, Array.from({ length: HUBS }, (_, i) => `Team ${i + 1}`));
    console.log(`sessions: ${HUBS + 1} sign-ins in the browser took ${((Date.now() - started) / 1000).toFixed(0)} s (load ${load()})`);
    await attempt(`\`hublink status\`: ${HUBS} signed-in hubs, access tokens expired`, () => measureRestore(idp, single, many));
  } finally {
    await idp.stop();
    for (const dir of homes) fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
