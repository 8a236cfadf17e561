#!/usr/bin/env bash
# Benchmarks as tables: the engine's parsers and stores (release build), then the `hublink`
# command's start-up time and peak memory with 200 hubs.ini hubs and 50 link hubs.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }

echo "## Engine (cargo run --release --example bench)"
cargo run -q --release -p hublink-core --example bench

cargo build -q --release -p hublink-cli
BIN=target/release/hublink
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export HUBLINK_HOME="$T/home" HUBLINK_HUBS_DIR="$T/hubs"
mkdir -p "$HUBLINK_HUBS_DIR"
for i in $(seq 200); do
  printf '[Hub %s]\nurl = https://hub%s.example.com/\nissuer = https://login.example.com/r%s\n\n' "$i" "$i" "$i"
done > "$HUBLINK_HUBS_DIR/many.ini"
for i in $(seq 50); do
  "$BIN" add "hublink://add?url=https://link$i.example.com/&name=Link%20$i" --yes >/dev/null 2>&1
done

echo
echo "## The hublink command (250 hubs; 20 runs each; release build)"
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
