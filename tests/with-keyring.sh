#!/usr/bin/env bash
# Run a command with its own, real, unlocked Secret Service: a private D-Bus session bus and a
# gnome-keyring-daemon whose data lives in a temp folder. Usage: tests/with-keyring.sh CMD...
# Re-executes itself under dbus-run-session when no session bus is set up yet.
set -euo pipefail
if [[ -z "${HUBLINK_KEYRING_BUS:-}" ]]; then
  export HUBLINK_KEYRING_BUS=1
  exec dbus-run-session -- "$0" "$@"
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
