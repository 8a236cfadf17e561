#!/usr/bin/env bash
# Fuzz every parser of the core that takes outside input (the cargo-fuzz targets in fuzz/):
# build them (nightly, AddressSanitizer, debug assertions), then run each for SECONDS
# (default 600) from its seeds and regressions, and print a markdown table
#   target | seconds | execs | corpus | crashes
# also written to target/fuzz-report.md. Exits non-zero when any target crashed (or timed
# out, or ran out of memory); the inputs are then in fuzz/artifacts/<target>/.
#
#   scripts/fuzz.sh          600 s per target (the long run)
#   scripts/fuzz.sh 30       smoke: 30 s per target, for CI
#   FUZZ_TARGETS="link hubs_ini" scripts/fuzz.sh 60    only these targets
#   FUZZ_JOBS=2 scripts/fuzz.sh 30                     two targets at a time (CI runners)
#
# The working corpus fuzz/corpus/<target>/ starts from fuzz/seeds/<target>/ and keeps what the
# runs find (it is not committed; delete it to start over). Logs: target/fuzz-logs/.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${1:-600}"
[[ "$SECONDS_PER_TARGET" =~ ^[1-9][0-9]*$ ]] || { echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2; }

# Longest input per target: a little over what the core itself accepts or reads.
declare -A MAX_LEN=(
  [link]=16384          # links: 8192 characters
  [hubs_ini]=65536      # hubs.ini: files are read up to 1 MiB; 64 KiB covers every shape
  [well_known]=65536    # /.well-known/hublink.json: read up to 64 KiB
  [loopback]=16384      # the listener reads a request head up to 16 KiB
  [oidc_answer]=65536   # provider answers: read up to 1 MiB; 64 KiB covers every shape
  [id_token]=16384      # ID token claims
  [session]=16384       # the keyring record: a few KiB of tokens
  [policy]=16384        # policy.json
)
ALL_TARGETS="link hubs_ini well_known loopback oidc_answer id_token session policy"
TARGETS="${FUZZ_TARGETS:-$ALL_TARGETS}"

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: the nightly toolchain is missing: rustup toolchain install nightly" >&2
  exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

echo "== building the fuzz targets (nightly, ASan, debug assertions)"
# Debug assertions also turn on overflow checks: an overflow is a finding, not a wrap.
cargo +nightly fuzz build --debug-assertions
triple="$(rustc +nightly -vV | sed -n 's/^host: //p')"
bin_dir="fuzz/target/$triple/release"

mkdir -p target/fuzz-logs
report="target/fuzz-report.md"

for target in $TARGETS; do
  [[ -n "${MAX_LEN[$target]:-}" ]] || { echo "fuzz: unknown target $target (known: $ALL_TARGETS)" >&2; exit 2; }
done

# One target's run: its log in target/fuzz-logs/<target>.log, and "<exit status> <seconds>
# <artifacts before>" in <target>.status.
run_target() {
  local target="$1" corpus="fuzz/corpus/$1" artifacts="fuzz/artifacts/$1"
  local log="target/fuzz-logs/$1.log" started status=0 before
  mkdir -p "$corpus" "$artifacts"
  cp -n "fuzz/seeds/$target"/* "$corpus"/ 2>/dev/null || true
  local inputs=("$corpus") dict=()
  [[ -d "fuzz/regressions/$target" ]] && inputs+=("fuzz/regressions/$target")
  [[ -f "fuzz/dicts/$target.dict" ]] && dict=("-dict=fuzz/dicts/$target.dict")
  before="$(find "$artifacts" -type f | wc -l)"
  started=$(date +%s)
  "$bin_dir/$target" \
    -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=10 \
    -max_len="${MAX_LEN[$target]}" -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "${dict[@]}" "${inputs[@]}" >"$log" 2>&1 || status=$?
  echo "$status $(( $(date +%s) - started )) $before" >"target/fuzz-logs/$target.status"
}

# FUZZ_JOBS targets at a time (default 1: the machine is shared; CI may use every core).
parallel="${FUZZ_JOBS:-1}"
for target in $TARGETS; do
  while (( $(jobs -rp | wc -l) >= parallel )); do wait -n || true; done
  echo "== $target: ${SECONDS_PER_TARGET}s"
  run_target "$target" &
done
wait

table="| target | seconds | execs | corpus | crashes |"$'\n'"|---|---:|---:|---:|---:|"
failed=()
for target in $TARGETS; do
  log="target/fuzz-logs/$target.log"
  artifacts="fuzz/artifacts/$target"
  read -r status elapsed before <"target/fuzz-logs/$target.status"
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  if [[ -z "$execs" ]]; then
    # No final stats after a crash: the last progress line says how far it got.
    execs="$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')"
  fi
  # The corpus as libFuzzer last counted it (files it superseded stay in the folder).
  corpus_size="$(grep -oE 'corp: [0-9]+' "$log" | tail -1 | tr -dc '0-9')"
  [[ -n "$corpus_size" ]] || corpus_size="$(find "fuzz/corpus/$target" -type f | wc -l)"
  crashes=$(( $(find "$artifacts" -type f | wc -l) - before ))
  if (( status != 0 )); then
    (( crashes > 0 )) || crashes=1
    failed+=("$target")
    echo "!! $target failed (exit $status); log: $log, inputs: $artifacts/"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|thread .* panicked|Test unit written)' "$log" | head -5 || true
  fi
  table+=$'\n'"| $target | $elapsed | ${execs:-0} | $corpus_size | $crashes |"
done

{
  echo "## Fuzzing ($(date -u +%Y-%m-%dT%H:%MZ), ${SECONDS_PER_TARGET} s per target)"
  echo
  echo "$table"
  if ((${#failed[@]})); then
    echo
    echo "Crashed: ${failed[*]} (inputs in fuzz/artifacts/<target>/)"
  fi
} >"$report"
echo
cat "$report"

((${#failed[@]} == 0))
