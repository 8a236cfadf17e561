#!/usr/bin/env node
// Writes docs/RELIABILITY.md from what was measured (scripts/reliability.sh runs it). Nothing
// in the report is typed by hand: each figure comes from a run below or from a file another
// ring wrote; a missing file is "not measured in this run".
//
//   node scripts/reliability.mjs [OUT.md]      (HUBLINK_BIN: default target/debug/hublink)
//
// Measured here, with the real binary:
//   hostile links     a generated corpus of links that must be refused (dangerous schemes and
//                     hosts in every address key, secrets, files and programs in links,
//                     duplicates, control and bidi characters, lengths, broken encodings;
//                     not unknown parameters or a bad `sig`, which are shown and ignored by
//                     design unless the policy says otherwise) —
//                     `hublink add LINK --yes` must fail and add nothing; plus every link
//                     literal of link/tests.rs (fuzz/seeds/link) and the fuzz regressions,
//                     which must end without a crash
//   hostile hubs.ini  a generated corpus of hostile files plus fuzz/seeds/hubs_ini and
//                     regressions — `hublink hubs check FILE` must end within 10 s with 0 or 5,
//                     no crash, and a hostile hub must never be loaded
// Read from files:
//   target/fuzz-report.md               scripts/fuzz.sh
//   target/reliability/attacks.json     the attack ring (another suite)
//   target/reliability/desktop.json     the desktop figures (another suite)
//   target/reliability/faults.json      tests/faults/run.sh
//   target/reliability/kills.json       tests/faults/kill.test.mjs
//   target/reliability/secrets.json     scripts/secret-hygiene.sh

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = process.env.HUBLINK_BIN ?? path.join(ROOT, 'target/debug/hublink');
const OUT = process.argv[2] ?? path.join(ROOT, 'docs/RELIABILITY.md');
const REL = path.join(ROOT, 'target/reliability');
const NOT_MEASURED = 'not measured in this run';
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'hublink-reliability-'));

function hublink(args, home, extraEnv = {}) {
  const env = {
    ...process.env, HUBLINK_HOME: home, HUBLINK_HUBS_DIR: path.join(home, 'no-hubs'), HUBLINK_LOG: 'hublink=off',
    HUBLINK_BROWSER: '/bin/false', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/reliability-bus', ...extraEnv,
  };
  delete env.HUBLINK_INSECURE_STORAGE;
  const t0 = Date.now();
  const r = spawnSync(BIN, args, { env, encoding: 'utf8', timeout: 10_000, killSignal: 'SIGKILL' });
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms: Date.now() - t0 };
}

const crashed = (r) => r.signal !== null || /panicked|RUST_BACKTRACE/.test(r.stderr) || r.code === 101;

// ------------------------------------------------------------------------------ hostile links
function hostileLinks() {
  const base = 'hublink://add?url=https://hub.example.com/&name=Hub';
  const q = encodeURIComponent;
  const out = [];
  const dangerous = [
    'javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'file:///etc/passwd', 'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)', 'ftp://hub.example.com/', 'hublink://add?url=x', 'http://evil.example.com/',
    'http://10.0.0.1/', 'https://user:password@hub.example.com/', 'https://hub.example.com/#frag',
    'https://hub.example.com:99999/', 'https://hub.example.com/\r\nX-Injected: 1', 'https://hub.example.com/\u0000',
    '//evil.example.com/', 'https:evil.example.com', 'smb://fileserver/share', 'chrome://settings',
  ];
  for (const key of ['url', 'issuer']) {
    for (const v of dangerous) out.push([`${key}=${v}`, key === 'url' ? `hublink://add?url=${q(v)}` : `${base}&${key}=${q(v)}`]);
  }
  for (const v of ['https://evil.example.com/api/session', 'http://hub.example.com/api', 'javascript:alert(1)', 'https://hub.example.com:444/x']) {
    out.push([`session_check on another origin: ${v}`, `${base}&session_check=${q(v)}`]);
  }
  for (const key of ['client_secret', 'password', 'token', 'access_token', 'refresh_token', 'id_token', 'code',
    'api_key', 'Client-Secret', 'my_token', 'private_key', 'authorization']) {
    out.push([`secret-looking parameter ${key}`, `${base}&${key}=s3cr3t-value`]);
  }
  out.push(['ca_file in a link', `${base}&ca_file=/etc/ssl/evil.pem`]);
  out.push(['browser in a link', `${base}&browser=${q('/bin/sh -c evil')}`]);
  out.push(['url given twice', `${base}&url=https://evil.example.com/`]);
  out.push(['name given twice', `${base}&name=Other`]);
  out.push(['issuer given twice', `${base}&issuer=https://a.example.com/&issuer=https://b.example.com/`]);
  out.push(['no url', 'hublink://add?name=Hub']);
  out.push(['empty url', 'hublink://add?url=&name=Hub']);
  out.push(['another action', 'hublink://remove?url=https://hub.example.com/']);
  out.push(['another scheme', 'hublinkx://add?url=https://hub.example.com/']);
  out.push(['a control character in the name', `hublink://add?url=https://hub.example.com/&name=${q('Hub\u001b[2J')}`]);
  out.push(['a line break in the name', `hublink://add?url=https://hub.example.com/&name=${q('Hub\nAdmin: yes')}`]);
  out.push(['a bidi override in the name', `hublink://add?url=https://hub.example.com/&name=${q('Hub \u202Egnp.exe')}`]);
  out.push(['a bidi isolate in the name', `hublink://add?url=https://hub.example.com/&name=${q('\u2067Hub\u2069')}`]);
  out.push(['a name of 10,000 characters', `hublink://add?url=https://hub.example.com/&name=${'N'.repeat(10_000)}`]);
  out.push(['a link of 100,000 characters', `${base}&scope=${'openid%20'.repeat(12_000)}`]);
  out.push(['a url of 5,000 characters', `hublink://add?url=${q(`https://hub.example.com/${'a'.repeat(5000)}`)}`]);
  out.push(['invalid percent-encoding', 'hublink://add?url=https%3A%2F%2Fhub.example.com%2&name=%E0%A4%A']);
  out.push(['percent-encoded invalid UTF-8', 'hublink://add?url=https://hub.example.com/&name=%FF%FE']);
  out.push(['redirect_port 0', `${base}&redirect_port=0`]);
  out.push(['redirect_port 70000', `${base}&redirect_port=70000`]);
  out.push(['redirect_port not a number', `${base}&redirect_port=80;rm`]);
  out.push(['flow unknown', `${base}&flow=implicit`]);
  out.push(['auth unknown', `${base}&auth=basic`]);
  out.push(['mfa unknown', `${base}&mfa=optional`]);
  out.push(['a scope with a quote', `${base}&scope=${q('openid "x')}`]);
  out.push(['a client_id with a space', `${base}&client_id=${q('a b')}`]);
  out.push(['auth=web without session_check', `${base}&auth=web`]);
  out.push(['auth=web login_path on another origin', `${base}&auth=web&session_check=/s&login_path=${q('https://evil.example.com/login')}`]);
  out.push(['only the scheme', 'hublink:']);
  out.push(['garbage', 'hublink://%%%%']);
  return out;
}

function fuzzInputs(target) {
  const files = [];
  for (const dir of [`fuzz/seeds/${target}`, `fuzz/regressions/${target}`]) {
    const full = path.join(ROOT, dir);
    if (fs.existsSync(full)) for (const f of fs.readdirSync(full).sort()) files.push(path.join(full, f));
  }
  return files;
}

function measureLinks() {
  const cases = hostileLinks();
  const accepted = [];
  const crashes = [];
  let refused = 0;
  cases.forEach(([what, link], i) => {
    const home = path.join(scratch, `link-${i}`);
    const r = hublink(['add', link, '--yes'], home);
    const list = hublink(['list', '--json'], home);
    const added = list.code === 0 ? JSON.parse(list.stdout).hubs.length : -1;
    if (crashed(r)) crashes.push(what);
    else if (r.code !== 0 && added === 0) refused += 1;
    else accepted.push(`${what} (exit ${r.code}, ${added} hub(s) added)`);
  });
  // Every link of the core's tests and every fuzz regression: any verdict, but no crash.
  const replay = fuzzInputs('link');
  let replayCrashes = 0;
  replay.forEach((file, i) => {
    const link = fs.readFileSync(file).toString('utf8');
    if (link.includes('\0')) return; // not passable as an argument
    const r = hublink(['add', link, '--yes'], path.join(scratch, `replay-${i}`));
    if (crashed(r)) replayCrashes += 1;
  });
  return { tried: cases.length, refused, accepted, crashes, replayed: replay.length, replayCrashes };
}

// --------------------------------------------------------------------------- hostile hubs.ini
function hostileInis() {
  const good = '[Good Hub]\nurl = https://good.example.com/\n';
  const enc = (s) => Buffer.from(s);
  const out = [
    ['javascript: url', enc('[Evil]\nurl = javascript:alert(1)\n'), 'Evil'],
    ['file: url', enc('[Evil]\nurl = file:///etc/passwd\n'), 'Evil'],
    ['http to a remote host', enc('[Evil]\nurl = http://evil.example.com/\n'), 'Evil'],
    ['a client_secret', enc('[Evil]\nurl = https://evil.example.com/\nclient_secret = s3cr3t\n'), 'Evil'],
    ['a password', enc('[Evil]\nurl = https://evil.example.com/\npassword = hunter2\n'), 'Evil'],
    ['a hostile link =', enc('[Evil]\nlink = hublink://add?url=javascript:alert(1)\n'), 'Evil'],
    ['a link = with a secret', enc('[Evil]\nlink = hublink://add?url=https://evil.example.com/&token=x\n'), 'Evil'],
    ['url conflicting with its link', enc('[Evil]\nlink = hublink://add?url=https://a.example.com/\nurl = https://b.example.com/\n'), 'Evil'],
    ['session_check on another origin', enc('[Evil]\nurl = https://hub.example.com/\nsession_check = https://evil.example.com/s\n'), 'Evil'],
    ['a syntax error drops the section (mfa line broken)', enc('[Evil]\nurl = https://hub.example.com/\nmfa required\n'), 'Evil'],
    ['an unclosed section header', enc('[Evil\nurl = https://evil.example.com/\n'), 'Evil'],
    ['an escape sequence in the section name', enc('[Evil\u001b]0;owned\u0007]\nurl = https://evil.example.com/\n'), null],
    ['a bidi override in the section name', enc('[Hub \u202Egnp.exe]\nurl = https://evil.example.com/\n'), 'Hub \u202Egnp.exe'],
    ['max_session_days out of range', enc('[Evil]\nurl = https://hub.example.com/\nmax_session_days = 99999999999\n'), 'Evil'],
    ['redirect_port out of range', enc('[Evil]\nurl = https://hub.example.com/\nredirect_port = 70000\n'), 'Evil'],
    ['NUL bytes', Buffer.concat([enc(good), Buffer.from([0, 0, 0, 0]), enc('[Evil]\nurl = https://evil.example.com/\n')]), null],
    ['UTF-16 with an odd length', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('[Evil]\nurl = x\n', 'utf16le'), Buffer.from([0x41])]), 'Evil'],
    ['UTF-16 with an unpaired surrogate', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from([0x00, 0xd8, 0x41, 0x00])]), null],
    ['binary garbage', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), null],
    ['one line of 900 KiB', enc(`[Evil]\nurl = https://evil.example.com/${'a'.repeat(900 * 1024)}\n`), 'Evil'],
    ['10,000 sections', enc(Array.from({ length: 10_000 }, (_, i) => `[Hub ${i}]\nurl = https://h${i}.example.com/\n`).join('').slice(0, 1000 * 1024)), null],
    ['the same section 5,000 times', enc(`[Dup]\nurl = https://dup.example.com/\n`.repeat(5000)), null],
    ['only a BOM', Buffer.from([0xef, 0xbb, 0xbf]), null],
    ['a key outside any section', enc('url = https://evil.example.com/\n'), null],
    ['an empty section name', enc('[]\nurl = https://evil.example.com/\n'), null],
    ['a value with an unclosed quote', enc('[Evil]\nurl = "https://evil.example.com/\n'), 'Evil'],
    ['ca_file that is /dev/zero', enc('[Evil]\nurl = https://hub.example.com/\nca_file = /dev/zero\n'), null],
    ['ca_file that is a folder', enc('[Evil]\nurl = https://hub.example.com/\nca_file = /\n'), null],
  ];
  return out;
}

function measureInis() {
  const cases = hostileInis();
  let handled = 0;
  const notHandled = [];
  cases.forEach(([what, bytes, mustNotLoad], i) => {
    const file = path.join(scratch, `ini-${i}.ini`);
    fs.writeFileSync(file, bytes);
    const r = hublink(['hubs', 'check', file], path.join(scratch, `inihome-${i}`));
    const loaded = r.stdout.split('\n').filter((l) => /^\s+ok\s/.test(l));
    const bad = crashed(r) ? 'crashed' : ![0, 5].includes(r.code) ? `exit ${r.code}` : r.ms > 10_000 ? 'took too long'
      : mustNotLoad && loaded.some((l) => l.includes(`[${mustNotLoad}]`)) ? `loaded [${mustNotLoad}]` : null;
    if (bad) notHandled.push(`${what}: ${bad}`);
    else handled += 1;
  });
  // A FIFO and a 10 MB file, which cannot be written as corpus files.
  const fifo = path.join(scratch, 'fifo.ini');
  execFileSync('mkfifo', [fifo]);
  const huge = path.join(scratch, 'huge.ini');
  fs.writeFileSync(huge, '[Huge]\nurl = https://huge.example.com/\n');
  fs.truncateSync(huge, 10 * 1024 * 1024);
  for (const [what, file] of [['a FIFO', fifo], ['10 MB', huge]]) {
    const r = hublink(['hubs', 'check', file], path.join(scratch, 'special'));
    if (!crashed(r) && r.code === 5 && r.ms < 10_000) handled += 1;
    else notHandled.push(`${what}: exit ${r.code}, ${r.ms} ms`);
  }
  const replay = fuzzInputs('hubs_ini');
  let replayHandled = 0;
  replay.forEach((src, i) => {
    const file = path.join(scratch, `seed-${i}.ini`);
    fs.copyFileSync(src, file);
    const r = hublink(['hubs', 'check', file], path.join(scratch, 'seeds'));
    if (!crashed(r) && [0, 5].includes(r.code)) replayHandled += 1;
    else notHandled.push(`fuzz input ${path.basename(src)}: exit ${r.code} ${r.signal ?? ''}`);
  });
  return { tried: cases.length + 2 + replay.length, handled: handled + replayHandled, notHandled, generated: cases.length + 2, replayed: replay.length };
}

// --------------------------------------------------------------------------------- the inputs
function readJson(name) {
  const file = path.join(REL, name);
  if (!fs.existsSync(file)) return null;
  try {
    return { ...JSON.parse(fs.readFileSync(file, 'utf8')), _mtime: fs.statSync(file).mtime.toISOString() };
  } catch (e) {
    return { _broken: e.message };
  }
}

function fuzzReport() {
  const file = path.join(ROOT, 'target/fuzz-report.md');
  if (!fs.existsSync(file)) return null;
  const text = fs.readFileSync(file, 'utf8');
  const rows = [...text.matchAll(/^\| (\w+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|$/gm)]
    .map(([, target, seconds, execs, corpus, crashes]) => ({ target, seconds: +seconds, execs: +execs, corpus: +corpus, crashes: +crashes }));
  const heading = /^## Fuzzing \(([^)]*)\)/m.exec(text)?.[1] ?? '';
  return { rows, heading };
}

const sh = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
};

function machine() {
  const osRelease = fs.existsSync('/etc/os-release') ? /PRETTY_NAME="([^"]*)"/.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] : null;
  const cpu = os.cpus()[0]?.model?.trim() ?? 'unknown CPU';
  return `${osRelease ?? os.type()} (${os.release()}), ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${sh('rustc', ['--version']) || 'rustc ?'}, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)} when written`;
}

// ------------------------------------------------------------------------------------- report
function ratio(a, b) {
  return `${a} / ${b}`;
}

function main() {
  if (!fs.existsSync(BIN)) {
    console.error(`reliability: ${BIN} is missing; run cargo build first`);
    process.exit(1);
  }
  const links = measureLinks();
  const inis = measureInis();
  const fuzz = fuzzReport();
  const attacks = readJson('attacks.json');
  const desktop = readJson('desktop.json');
  const faults = readJson('faults.json');
  const kills = readJson('kills.json');
  const secrets = readJson('secrets.json');
  const commit = sh('git', ['rev-parse', '--short=12', 'HEAD']);
  const dirty = sh('git', ['status', '--porcelain', '--untracked-files=no']) ? ' (with uncommitted changes)' : '';

  const rows = [];
  const row = (what, figure, source) => rows.push(`| ${what} | ${figure} | ${source} |`);
  row('Hostile links refused', `${ratio(links.refused, links.tried)}${links.accepted.length ? ` — **accepted: ${links.accepted.length}**` : ''}${links.crashes.length ? ` — **crashed: ${links.crashes.length}**` : ''}`,
    `generated corpus (scripts/reliability.mjs), \`hublink add\` each; plus ${links.replayed} links of link/tests.rs and fuzz regressions replayed: ${links.replayCrashes} crashed`);
  row('Hostile hubs.ini handled', `${ratio(inis.handled, inis.tried)}`,
    `${inis.generated} generated (incl. a FIFO and a sparse 10 MB file) + ${inis.replayed} fuzz seeds/regressions, \`hublink hubs check\` each: ends < 10 s with 0 or 5, no crash, hostile hub never loaded`);
  if (fuzz) {
    const total = fuzz.rows.reduce((n, r) => n + r.execs, 0);
    const crashes = fuzz.rows.reduce((n, r) => n + r.crashes, 0);
    row('Fuzz executions / crashes', `${total.toLocaleString('en')} / ${crashes}`, `target/fuzz-report.md (${fuzz.heading}); per target below`);
  } else row('Fuzz executions / crashes', NOT_MEASURED, 'target/fuzz-report.md absent (scripts/fuzz.sh writes it)');
  if (attacks && !attacks._broken) {
    const tried = attacks.tried ?? attacks.total ?? attacks.attacks?.length;
    const refused = attacks.refused ?? attacks.attacks?.filter((a) => a.refused).length;
    row('Attacks refused', tried !== undefined && refused !== undefined ? ratio(refused, tried) : `see ${path.join('target/reliability', 'attacks.json')}`, `target/reliability/attacks.json (${attacks._mtime})`);
  } else row('Attacks refused', NOT_MEASURED, attacks?._broken ? `attacks.json unreadable: ${attacks._broken}` : 'target/reliability/attacks.json absent');
  if (desktop && !desktop._broken) {
    // One row per measurement tests/desktop wrote ({ links_burst: { lost: 0, … }, … }).
    const plain = (v) => ['number', 'string', 'boolean'].includes(typeof v);
    const figures = (o) => Object.entries(o).filter(([k, v]) => k !== 'measured_at' && plain(v))
      .map(([k, v]) => `${k.replaceAll('_', ' ')} ${v}`).join(', ');
    const sections = Object.entries(desktop).filter(([k, v]) => !k.startsWith('_') && v && typeof v === 'object');
    for (const [name, o] of sections) {
      row(`Desktop: ${name.replaceAll('_', ' ')}`, figures(o) || 'see desktop.json', `tests/desktop (target/reliability/desktop.json, ${o.measured_at ?? desktop._mtime})`);
    }
    if (!sections.length) row('Desktop figures', figures(desktop) || 'see desktop.json', `target/reliability/desktop.json (${desktop._mtime})`);
  } else row('Desktop figures', NOT_MEASURED, desktop?._broken ? `desktop.json unreadable: ${desktop._broken}` : 'target/reliability/desktop.json absent');
  if (faults && !faults._broken) row('Faults survived', ratio(faults.survived, faults.tried), `tests/faults (target/reliability/faults.json, ${faults.written_at})`);
  else row('Faults survived', NOT_MEASURED, 'target/reliability/faults.json absent (tests/faults/run.sh)');
  if (kills && !kills._broken) {
    const figure = kills.survived === null || kills.survived === undefined
      ? `**${kills.kills} kills, not all survived**: ${(kills.problems ?? []).join('; ')}` : ratio(kills.survived, kills.kills);
    row('kill -9 in the middle of a save survived', figure,
      `tests/faults/kill.test.mjs, at random moments after the work began: ${Object.entries(kills.by_operation ?? {})
        .map(([k, v]) => `${k.replace('_', ' ')} ${v.kills}${v.inside_a_file_write !== undefined ? ` (${v.inside_a_file_write} seen inside a file write)` : ''}`)
        .join(', ')}; ${kills.written_at}`);
  } else row('kill -9 in the middle of a save survived', NOT_MEASURED, 'target/reliability/kills.json absent');
  if (secrets && !secrets._broken) {
    row('Secrets leaked', `${secrets.leaks}`, `scripts/secret-hygiene.sh, HUBLINK_LOG=trace: ${secrets.secrets_collected} secrets looked for in ${secrets.runs_captured} runs and ${secrets.files_scanned} files (${(secrets.bytes_scanned / 1e6).toFixed(1)} MB); ${secrets.written_at}`);
  } else row('Secrets leaked', NOT_MEASURED, 'target/reliability/secrets.json absent (scripts/secret-hygiene.sh)');

  const lines = [
    '# Reliability figures',
    '',
    `Generated by \`scripts/reliability.sh\` — do not edit by hand. ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC,`,
    `commit \`${commit}\`${dirty}, on ${machine()}.`,
    '',
    '| what | figure | how it was measured |',
    '| --- | ---: | --- |',
    ...rows,
    '',
  ];
  if (fuzz?.rows.length) {
    lines.push('## Fuzzing per target', '', '| target | seconds | execs | corpus | crashes |', '|---|---:|---:|---:|---:|',
      ...fuzz.rows.map((r) => `| ${r.target} | ${r.seconds} | ${r.execs} | ${r.corpus} | ${r.crashes} |`), '');
  }
  if (faults?.faults?.length) {
    lines.push('## Faults', '', '| ring | fault | survived | ms |', '| --- | --- | :---: | ---: |',
      ...faults.faults.map((f) => `| ${f.suite} | ${f.name.replace(/\|/g, '\\|')} | ${f.survived ? 'yes' : '**no**'} | ${f.ms} |`), '');
  }
  if (secrets && !secrets._broken) {
    lines.push('## Secret hygiene', '',
      `Secrets looked for, by kind: ${Object.entries(secrets.secrets_by_kind ?? {}).map(([k, n]) => `${k} ${n}`).join(', ')}.`,
      `Rings run under \`HUBLINK_LOG=trace\`: ${(secrets.rings ?? []).join(', ')} (${secrets.tests ?? '?'} tests, ${secrets.tests_failed_under_trace ?? '?'} failing only because trace output changes the stderr they count).`,
      `Where secrets are by design and not counted: ${(secrets.excluded_by_design ?? []).map((e) => e.why).join('; ')}; the stdout of ${(secrets.stdout_not_scanned_for ?? []).join(', ')}.`,
      `Controls: a planted canary ${secrets.canary_found ? 'was' : 'was **not**'} found; ${secrets.control_secrets_found_in_store ?? 0} secrets were recognised in the excluded plain-file store.`, '');
  }
  const misses = [...links.accepted.map((a) => `link accepted: ${a}`), ...links.crashes.map((c) => `link crashed: ${c}`), ...inis.notHandled];
  if (misses.length) lines.push('## Not refused or not handled', '', ...misses.map((m) => `- ${m}`), '');
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, `${lines.join('\n')}`);
  fs.rmSync(scratch, { recursive: true, force: true });
  console.log(`wrote ${path.relative(ROOT, OUT)}`);
  console.log(rows.join('\n'));
  if (misses.length) console.log(misses.map((m) => `  ${m}`).join('\n'));
}

main();
