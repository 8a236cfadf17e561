#!/usr/bin/env node
// The secret-hygiene scan (scripts/secret-hygiene.sh runs the rings, then this).
//
//   node tests/hygiene/scan.mjs WORKDIR OUT.json
//
// WORKDIR/issued/*.jsonl  every token, code, PKCE verifier and device code the test IdPs issued
//                         or received (tests/idp/idp.mjs and tests/quirks/idp.mjs journal them)
// WORKDIR/runs/*.json     every `hublink` run's arguments, exit, stdout and stderr
//                         (tests/cli/harness.mjs captures them)
// WORKDIR/tmp/**          every temp folder of the run: HUBLINK_HOMEs (hubs.json,
//                         preferences.json, outcomes, locks), hubs.ini folders, keyring data,
//                         private-keyring outputs
// plus the test people's passwords and TOTP secrets (tests/people.mjs).
//
// Every secret (and every 12+ character prefix of one, and a JWT's payload and signature on
// their own) is looked for in every one of those, except where it belongs by design (EXCLUDED
// below, each with its reason). Writes OUT.json; exits 1 when anything leaked, when too few
// secrets were collected for the scan to mean something, or when a planted canary is missed.

import fs from 'node:fs';
import path from 'node:path';

import { ALICE, BOB, CAROL } from '../people.mjs';

const [workdir, outFile] = process.argv.slice(2);
if (!workdir || !outFile) {
  console.error('usage: scan.mjs WORKDIR OUT.json');
  process.exit(64);
}

/** Where a secret may be by design, and why. Paths are matched relative to WORKDIR/tmp. */
const EXCLUDED = [
  [/(^|\/)hublink-browser-[^/]+(\/|$)/, 'the test browser (Chromium) profile: the system browser, not Hublink'],
  [/(^|\/)browser\.log$/, "the test browser's own step log (follow.mjs records the URLs it visits, callback included)"],
  [/(^|\/)idp-state\.json(\.\d+\.tmp)?$/, "the test IdP's own database (tests/idp stateFile)"],
  [/(^|\/)insecure-secrets\/[0-9a-f]{16}(_[ab]?\d+)?\.secret$/, 'the plain-file session store the user opted into (HUBLINK_INSECURE_STORAGE=1); its temp copies are NOT excluded'],
];
const BY_DESIGN_STDOUT = new Set(['token', 'header', 'exec']); // printing the credential is the job

// ------------------------------------------------------------------------------------ secrets
const secrets = new Map(); // needle -> { kind }
const byKind = {};
function addSecret(kind, value) {
  if (typeof value !== 'string' || value.length < 8) return;
  if (!secrets.has(value)) byKind[kind] = (byKind[kind] ?? 0) + 1;
  secrets.set(value, { kind });
}
const issuedDir = path.join(workdir, 'issued');
for (const f of fs.existsSync(issuedDir) ? fs.readdirSync(issuedDir) : []) {
  for (const line of fs.readFileSync(path.join(issuedDir, f), 'utf8').split('\n')) {
    if (!line) continue;
    const { kind, value } = JSON.parse(line);
    addSecret(kind, value);
  }
}
const plain = []; // short, fixed secrets: matched as substrings too
for (const p of [ALICE, BOB, CAROL]) {
  for (const [kind, v] of [['password', p.password], ['totp_secret', p.totp]]) {
    if (v) {
      addSecret(kind, v);
      plain.push([v, kind]);
    }
  }
}

// Needles: whole values; a JWT's payload and signature alone (its header is public and shared);
// and every prefix of 12+ characters (a secret cut short in a message is still a leak).
const needles = new Map(); // token-shaped string -> kind (of the secret it comes from)
for (const [value, { kind }] of secrets) {
  const parts = value.split('.');
  if (parts.length === 3) {
    // A JWT: its payload whole (every payload starts alike: {"iss":…), its signature and the
    // signature's prefixes.
    needles.set(parts[1], kind);
    for (let n = 12; n <= parts[2].length; n += 1) needles.set(parts[2].slice(0, n), kind);
  } else {
    for (let n = Math.min(12, value.length); n <= value.length; n += 1) needles.set(value.slice(0, n), kind);
  }
}

// --------------------------------------------------------------------------------------- scan
const leaks = [];
let filesScanned = 0;
let bytesScanned = 0;
const excludedHits = {};

function scanText(text, where) {
  bytesScanned += text.length;
  const found = new Map();
  for (const token of text.split(/[^A-Za-z0-9_~-]+/)) {
    if (token.length >= 12 && needles.has(token)) found.set(token, needles.get(token));
  }
  for (const [v, kind] of plain) if (text.includes(v)) found.set(v, kind);
  for (const [token, kind] of found) {
    leaks.push({ where, kind, excerpt: `${token.slice(0, 4)}…(${token.length} chars)` });
  }
  return found.size;
}

// Every captured run.
const runsDir = path.join(workdir, 'runs');
let runs = 0;
for (const f of fs.existsSync(runsDir) ? fs.readdirSync(runsDir) : []) {
  const run = JSON.parse(fs.readFileSync(path.join(runsDir, f), 'utf8'));
  runs += 1;
  filesScanned += 1;
  const cmd = run.args[0];
  const label = `hublink ${run.args.slice(0, 2).join(' ')} (${f})`;
  if (!BY_DESIGN_STDOUT.has(cmd)) scanText(run.stdout ?? '', `${label} stdout`);
  scanText(run.stderr ?? '', `${label} stderr`);
  scanText(run.args.join(' '), `${label} arguments`);
}

// Every file the run left in its temp folders.
const tmp = path.join(workdir, 'tmp');
function walk(dir) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    const rel = path.relative(tmp, full);
    const rule = EXCLUDED.find(([re]) => re.test(rel));
    if (rule) {
      excludedHits[rule[1]] = (excludedHits[rule[1]] ?? 0) + 1;
      if (rule === STORE_RULE && e.isFile()) storeFiles.push(full);
      continue;
    }
    if (e.isDirectory()) walk(full);
    else if (e.isFile()) {
      let buf;
      try {
        buf = fs.readFileSync(full);
      } catch {
        continue;
      }
      filesScanned += 1;
      scanText(buf.toString('latin1'), rel);
    }
  }
}
const STORE_RULE = EXCLUDED[3];
const storeFiles = [];
walk(tmp);

// A control on real data: the opted-in plain-file store (excluded above) must hold secrets the
// scan recognises — else the scan could be blind to the shapes Hublink really stores.
let storeHits = 0;
{
  const before = leaks.length;
  for (const f of storeFiles) storeHits += scanText(fs.readFileSync(f).toString('latin1'), '(control)');
  leaks.splice(before);
}

// A canary: the scan must find a secret planted where it looks.
const sample = [...secrets.entries()].find(([, s]) => s.kind === 'refresh_token' || s.kind === 'access_token');
let canary = false;
if (sample) {
  const before = leaks.length;
  canary = scanText(`log line: Bearer ${sample[0].slice(0, 20)}… cut`, '(canary)') > 0;
  leaks.splice(before);
}

const required = ['access_token', 'refresh_token', 'id_token', 'code', 'code_verifier'];
const missingKinds = required.filter((k) => !byKind[k]);
const report = {
  leaks: leaks.length,
  leaked: leaks.slice(0, 50),
  secrets_collected: secrets.size,
  secrets_by_kind: byKind,
  needles: needles.size,
  runs_captured: runs,
  files_scanned: filesScanned,
  bytes_scanned: bytesScanned,
  excluded_by_design: Object.entries(excludedHits).map(([why, files]) => ({ why, files })),
  stdout_not_scanned_for: [...BY_DESIGN_STDOUT].map((c) => `hublink ${c} (prints the credential by design; its stderr is scanned)`),
  canary_found: canary,
  control_store_files: storeFiles.length,
  control_secrets_found_in_store: storeHits,
  missing_kinds: missingKinds,
  written_at: new Date().toISOString(),
};
fs.mkdirSync(path.dirname(outFile), { recursive: true });
fs.writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
console.log(`secret hygiene: ${secrets.size} secrets (${Object.entries(byKind).map(([k, n]) => `${n} ${k}`).join(', ')}), `
  + `${runs} runs, ${filesScanned} files, ${(bytesScanned / 1e6).toFixed(1)} MB scanned: ${leaks.length} leaked`);
for (const l of leaks.slice(0, 20)) console.log(`  LEAK ${l.kind} in ${l.where}: ${l.excerpt}`);
if (!canary) console.log('  the planted canary was not found: the scan is broken');
if (missingKinds.length) console.log(`  no ${missingKinds.join(', ')} collected: the rings did not exercise enough to judge`);
const controlOk = storeFiles.length === 0 || storeHits > 0;
if (!controlOk) console.log(`  ${storeFiles.length} plain-file session files hold no secret the scan knows: the scan is blind`);
else if (storeFiles.length) console.log(`  control: ${storeHits} secrets recognised in ${storeFiles.length} files of the opted-in plain-file store (excluded from the figure)`);
process.exit(leaks.length === 0 && canary && controlOk && missingKinds.length === 0 ? 0 : 1);
