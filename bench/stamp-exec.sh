#!/bin/sh
# The application bench/desktop.mjs gives tauri-driver: notes when it was started (ns since
# the epoch, in $BENCH_STAMP_FILE), then becomes $BENCH_APP (same process, same arguments).
date +%s%N > "$BENCH_STAMP_FILE"
exec "$BENCH_APP" "$@"
