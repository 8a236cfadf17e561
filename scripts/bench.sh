#!/usr/bin/env bash
# Benchmarks, all measured in one run on this machine, as tables of
#   measure | baseline | Hublink | ratio | target | met?
# (docs/BENCHMARKS.md holds one run and how to read it):
#   1. the desktop app vs a bare Tauri 2 window (bench/bare-tauri: the same Tauri, single-instance
#      and deep-link, one static page of 100 items), both release builds, under Xvfb: time to a
#      visible window and to an interactive page (Hublink: 100 hubs.ini hubs), PSS of the
#      process tree, threads (bench/desktop.mjs);
#   2. a link handed over by a second process until its confirmation shows, p50/p95 of 20;
#   3. `hublink status` restoring 50 signed-in hubs with expired access tokens vs one, against
#      the real test IdP with a real keyring; 4. `hublink token` vs `true` + `secret-tool
#      lookup`; 5. `hublink token` on a ~42,000-character session (bench/sessions.mjs);
#   6. the engine's parsers and stores (examples/bench.rs), hubs.ini with 1,000 sections
#      among them, and the `hublink` command's start-up with 250 hubs.
# Installs what it needs (scripts/setup.sh --desktop --no-build) and builds the release
# binaries (~10 minutes the first time). Not part of scripts/test.sh. About 10 minutes a run.
#   BENCH_RUNS=N        starts / restores per measure (5)
#   BENCH_WAIT_LOAD=L   before each part, wait (up to 10 minutes) for a 1-minute load below L
#   BENCH_BEFORE_BIN=F  also time `hublink token` on the large session with the CLI F (an older
#                       build, for before/after; BENCH_BEFORE_LABEL names it in the table)
set -euo pipefail
cd "$(dirname "$0")/.."
START=$SECONDS
scripts/setup.sh --desktop --no-build
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }

echo "== bench: release builds (the CLI; the desktop app and the bare window share one Tauri build)"
cargo build -q --release --locked -p hublink-cli
cargo build -q --release --locked -p hublink-desktop -p hublink-bare-tauri
cargo build -q --release --locked -p hublink-core --example bench

BIN=target/release/hublink
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export BENCH_RESULTS="$T/results.jsonl"
: >"$BENCH_RESULTS"

settle() {
  local limit=${BENCH_WAIT_LOAD:-}
  if [[ -n "$limit" ]]; then
    for _ in $(seq 120); do
      awk -v l="$limit" '{ exit !($1 < l) }' /proc/loadavg && break
      sleep 5
    done
  fi
  echo "(1-minute load now: $(cut -d' ' -f1 /proc/loadavg))"
}

# Show the end of a part's log when it fails.
run_logged() {
  local log=$1
  shift
  if ! "$@" 2>"$log"; then
    echo "bench: $* failed; the end of its log:" >&2
    tail -40 "$log" >&2
    exit 1
  fi
}

echo
echo "## Machine"
echo "- $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "- memory: $(free -m | awk '/^Mem:/ { printf "%.1f GB", $2 / 1024 }'); kernel $(uname -r)"
echo "- WebKitGTK $(dpkg-query -W -f '${Version}' libwebkit2gtk-4.1-0 2>/dev/null || echo '?'); Tauri $(grep -A1 '^name = "tauri"$' Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p')"
echo "- commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' (with local changes)'), $(date -u '+%Y-%m-%d %H:%M UTC')"

echo
echo "## Engine (examples/bench.rs)"
settle
target/release/examples/bench | tee "$T/engine.txt"
node -e '
  const [line] = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter((l) => l.includes("1,000 sections (UTF-8)"));
  const [, n, u] = line.match(/\|\s*([\d.]+)\s*(ns|µs|ms|s)\s*\|/);
  const ms = Number(n) * { ns: 1e-6, "µs": 1e-3, ms: 1, s: 1e3 }[u];
  const row = { table: "engine", measure: "parse hubs.ini with 1,000 sections (UTF-8), per parse", baseline: null,
    baselineNote: "", hublink: ms, unit: "ms", target: { max: 3 }, note: "issue 11 measured 12.8 ms" };
  require("fs").appendFileSync(process.env.BENCH_RESULTS, JSON.stringify(row) + "\n");
' "$T/engine.txt"

echo
echo "## The hublink command (250 hubs; 20 runs each; release build)"
settle
export HUBLINK_HOME="$T/home" HUBLINK_HUBS_DIR="$T/hubs"
mkdir -p "$HUBLINK_HUBS_DIR"
for i in $(seq 200); do
  printf '[Hub %s]\nurl = https://hub%s.example.com/\nissuer = https://login.example.com/r%s\n\n' "$i" "$i" "$i"
done > "$HUBLINK_HUBS_DIR/many.ini"
for i in $(seq 50); do
  "$BIN" add "hublink://add?url=https://link$i.example.com/&name=Link%20$i" --yes >/dev/null 2>&1
done
echo "| command                  | median wall time | peak memory (max RSS) |"
echo "|--------------------------|------------------|-----------------------|"
for cmd in "list" "list --json" "hubs check"; do
  times=(); rss=0
  for _ in $(seq 20); do
    start=$EPOCHREALTIME
    /usr/bin/time -o "$T/time" -f '%M' "$BIN" $cmd >/dev/null 2>&1 || true
    end=$EPOCHREALTIME
    times+=("$(echo "($end - $start) * 1000" | bc -l)")
    r=$(tail -1 "$T/time"); (( r > rss )) && rss=$r
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n '10p')
  printf '| hublink %-16s | %13.1f ms | %18s kB |\n' "$cmd" "$median" "$rss"
done
unset HUBLINK_HOME HUBLINK_HUBS_DIR

echo
echo "## Sessions (bench/sessions.mjs: 52 browser sign-ins first, ~2 minutes)"
settle
HUBLINK_BIN="$PWD/$BIN" run_logged "$T/sessions.log" tests/with-keyring.sh node bench/sessions.mjs

echo
echo "## Desktop (bench/desktop.mjs)"
settle
run_logged "$T/desktop.log" tests/with-keyring.sh xvfb-run -a -s "-screen 0 1280x900x24" node bench/desktop.mjs

echo
echo "## Side by side"
node bench/report.mjs "$BENCH_RESULTS"
echo
echo "bench: done in $((SECONDS - START)) s"
