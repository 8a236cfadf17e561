#!/usr/bin/env bash
# The fault-injection ring: the real `hublink` (HUBLINK_BIN, default target/debug/hublink)
# against a misbehaving IdP, keyring, HUBLINK_HOME and hubs.ini folder, and 200+ kill -9s in the
# middle of saves. Writes target/reliability/faults.json (every fault tried and whether Hublink
# survived it) and target/reliability/kills.json. Exits non-zero when any fault was not
# survived. Some faults (read-only bind mount, tmpfs, device nodes) use root when available.
#   tests/faults/run.sh [FILE.test.mjs ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=target/reliability
rm -rf "$out/faults" "$out/faults.json" "$out/kills.json"
mkdir -p "$out/faults"
files=("$@")
((${#files[@]})) || files=(tests/faults/*.test.mjs)
status=0
tests/with-keyring.sh node --test --test-concurrency=1 --test-timeout=240000 --test-reporter=spec "${files[@]}" || status=$?
node --input-type=module - "$out" <<'JS'
import fs from 'node:fs';
import path from 'node:path';
const out = process.argv[2];
const suites = fs.readdirSync(path.join(out, 'faults')).filter((f) => f.endsWith('.json')).sort()
  .map((f) => JSON.parse(fs.readFileSync(path.join(out, 'faults', f), 'utf8')));
const faults = suites.flatMap((s) => s.faults.map((f) => ({ suite: s.suite, ...f })));
const survived = faults.filter((f) => f.survived).length;
const summary = { tried: faults.length, survived, written_at: new Date().toISOString(), faults };
fs.writeFileSync(path.join(out, 'faults.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.log(`faults: ${survived} of ${faults.length} survived (${path.join(out, 'faults.json')})`);
for (const f of faults.filter((x) => !x.survived)) console.log(`  NOT SURVIVED [${f.suite}] ${f.name}: ${f.error}`);
JS
exit "$status"
