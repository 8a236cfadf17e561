#!/bin/sh
# Start $HUBLINK_TEST_APP (with this script's arguments) where every folder named in
# $HUBLINK_TEST_READ_ONLY (colon-separated) is a read-only mount: a private mount namespace
# (util-linux unshare; root, or a user namespace otherwise), so nothing outside changes.
# tauri-driver starts this script as "the application"; the app replaces it (exec).
set -eu
map=""
[ "$(id -u)" -eq 0 ] || map="--map-root-user"
exec unshare $map --mount -- sh -c '
  IFS=:
  for d in $HUBLINK_TEST_READ_ONLY; do
    mount --bind "$d" "$d" && mount -o remount,bind,ro "$d" || { echo "read-only.sh: cannot mount $d read-only" >&2; exit 97; }
  done
  unset IFS
  exec "$HUBLINK_TEST_APP" "$@"
' read-only.sh "$@"
