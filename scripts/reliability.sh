#!/usr/bin/env bash
# Write docs/RELIABILITY.md — generated, never typed: date, commit, machine and the figures
# (hostile links and hubs.ini files run through the real CLI here; fuzzing, attacks, desktop,
# faults, kills and secrets read from what their rings wrote under target/). A figure whose
# input is missing says "not measured in this run".
#
#   scripts/reliability.sh             use what target/ holds now
#   scripts/reliability.sh --measure   first run the fault ring (tests/faults/run.sh) and the
#                                      secret-hygiene check (scripts/secret-hygiene.sh); their
#                                      failures are figures in the report, not a stop
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x "${HUBLINK_BIN:-target/debug/hublink}" ]] || cargo build --locked
if [[ "${1:-}" == "--measure" ]]; then
  tests/faults/run.sh || echo "reliability: some faults were not survived (see the report)" >&2
  scripts/secret-hygiene.sh || echo "reliability: the secret-hygiene check failed (see the report)" >&2
fi
node scripts/reliability.mjs docs/RELIABILITY.md
