#!/usr/bin/env bash
# Secret hygiene: run the CLI rings once with HUBLINK_LOG=trace (every crate, every level),
# keeping everything they produce — every hublink run's stdout, stderr and --json output,
# every HUBLINK_HOME (hubs.json, preferences.json, outcomes, locks), hubs.ini folders, keyring
# outputs, all temp folders — and every token, code, PKCE verifier and device code the test
# IdPs issued or received, plus the test people's passwords and TOTP secrets; then look for
# each of those (whole, cut short, a JWT's payload or signature alone) everywhere. The figure
# must be 0. Writes target/reliability/secrets.json; exits 1 on any leak.
#
#   scripts/secret-hygiene.sh           the representative subset (about 2 minutes):
#                                       tests/cli/signin (real IdP + TOTP + Chromium + keyring:
#                                       browser and device sign-in, refresh, token/header/exec,
#                                       logout, revocation), all of tests/quirks, and the
#                                       faults that move secrets (IdP, keyring, kill -9 loops)
#   scripts/secret-hygiene.sh --all     every file of tests/cli, tests/quirks and tests/faults
# HUBLINK_HYGIENE_DIR (default target/hygiene) is where the run's files are kept and scanned.
set -euo pipefail
cd "$(dirname "$0")/.."
W="${HUBLINK_HYGIENE_DIR:-$PWD/target/hygiene}"  # everything the run leaves, scanned, then kept for a look
rm -rf "$W"
mkdir -p "$W/issued" "$W/runs" "$W/tmp" "$W/reliability"
export HUBLINK_BIN="${HUBLINK_BIN:-$PWD/target/debug/hublink}"
[[ -x "$HUBLINK_BIN" ]] || { echo "secret-hygiene: $HUBLINK_BIN is missing; run cargo build first" >&2; exit 1; }
export TMPDIR="$W/tmp" HUBLINK_TEST_ISSUED_DIR="$W/issued" HUBLINK_TEST_CAPTURE_DIR="$W/runs"
export HUBLINK_RELIABILITY_DIR="$W/reliability" HUBLINK_LOG=trace

if [[ "${1:-}" == "--all" ]]; then
  rings=(tests/cli/*.test.mjs tests/quirks/*.test.mjs tests/faults/*.test.mjs)
else
  rings=(tests/cli/signin.test.mjs tests/quirks/quirks.test.mjs
         tests/faults/keyring.test.mjs tests/faults/kill.test.mjs)
fi
started=$SECONDS
# Some tests count stderr lines and fail under trace logging: that is not what is judged here
# (their runs and files are still scanned). Their count is reported.
tests/with-keyring.sh node --test --test-concurrency=1 --test-timeout=240000 --test-reporter=tap "${rings[@]}" >"$W/rings.tap" 2>&1 || true
tests=$(awk '/^# tests /{print $3}' "$W/rings.tap" | tail -1)
failed=$(awk '/^# fail /{print $3}' "$W/rings.tap" | tail -1)
echo "rings under trace: ${rings[*]} — ${tests:-0} tests, ${failed:-0} failed under trace, $((SECONDS - started)) s"
node tests/hygiene/scan.mjs "$W" "$W/secrets.json" && status=0 || status=$?
# A ring that did not run (a missing npm package, say) would make a 0 mean nothing.
if [[ " ${rings[*]} " == *" tests/cli/"* ]] && ! compgen -G "$W/issued/idp-*.jsonl" >/dev/null; then
  echo "secret-hygiene: the real IdP (tests/idp) issued nothing: tests/cli did not run (see $W/rings.tap)" >&2
  status=1
fi
if ! compgen -G "$W/issued/quirks-*.jsonl" >/dev/null; then
  echo "secret-hygiene: the quirk IdP issued nothing: the rings did not run (see $W/rings.tap)" >&2
  status=1
fi
node --input-type=module - "$W/secrets.json" "$PWD/target/reliability/secrets.json" "${tests:-0}" "${failed:-0}" "$((SECONDS - started))" "${rings[*]}" <<'JS'
import fs from 'node:fs';
import path from 'node:path';
const [from, to, tests, failed, seconds, rings] = process.argv.slice(2);
const report = JSON.parse(fs.readFileSync(from, 'utf8'));
Object.assign(report, { rings: rings.split(' '), tests: Number(tests), tests_failed_under_trace: Number(failed), seconds: Number(seconds), log: 'HUBLINK_LOG=trace' });
fs.mkdirSync(path.dirname(to), { recursive: true });
fs.writeFileSync(to, `${JSON.stringify(report, null, 2)}\n`);
JS
exit "$status"
