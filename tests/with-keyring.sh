#!/usr/bin/env bash
# Run a command with its own, real, unlocked Secret Service: a private D-Bus session bus and a
# gnome-keyring-daemon whose data lives in a temp folder. Usage: tests/with-keyring.sh CMD...
# Runs itself again on a private session bus (tests/dbus-session.conf) when none is set up yet.
set -euo pipefail
if [[ -z "${HUBLINK_KEYRING_BUS:-}" ]]; then
  export HUBLINK_KEYRING_BUS=1
  # Our own session bus (tests/dbus-session.conf: no service activation), its daemon's messages
  # in a file instead of the console.
  BUS_DIR=$(mktemp -d)
  dbus-daemon --config-file="$(dirname "$0")/dbus-session.conf" --nofork --print-address=1 \
    >"$BUS_DIR/address" 2>"$BUS_DIR/daemon.log" &
  BUS_PID=$!
  for _ in $(seq 100); do [[ -s "$BUS_DIR/address" ]] && break; sleep 0.05; done
  DBUS_SESSION_BUS_ADDRESS=$(head -n1 "$BUS_DIR/address")
  export DBUS_SESSION_BUS_ADDRESS
  trap 'kill "$BUS_PID" 2>/dev/null; rm -rf "$BUS_DIR"' EXIT
  "$0" "$@"
  exit $?
fi
KEYRING_TMP=$(mktemp -d)
cleanup() {
  # The daemon also leaves when the session bus closes; stop it early when we know its pid.
  [[ -n "${GNOME_KEYRING_PID:-}" ]] && kill "$GNOME_KEYRING_PID" 2>/dev/null
  rm -rf "$KEYRING_TMP"
}
trap cleanup EXIT
export XDG_DATA_HOME="$KEYRING_TMP/data" XDG_RUNTIME_DIR="$KEYRING_TMP/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
eval "$(printf 'test-keyring-password' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
"$@"
