#!/usr/bin/env bash
# Build the Linux packages (scripts/package.sh) and prove them:
#   1. the packaging configuration of every platform (tauri.conf.json, the desktop-file
#      template, maintainer scripts, NSIS hooks compiled with makensis, the WiX fragment, the
#      macOS Info.plist fragment) — tests/package/config.test.mjs
#   2. the run-time registration of the hublink: scheme by a debug build, then Debian's plain
#      xdg-open starting it — tests/package/scheme.test.mjs (Xvfb, own keyring and D-Bus)
#   3. the .deb installed, used, removed and purged (root), the .rpm's contents —
#      tests/package/deb.test.mjs (Xvfb, own keyring and D-Bus)
# Leaves the machine as it found it: the package is purged at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/package.sh

SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
# What the tests use: rpm (rpm -qlp, rpm2cpio), nsis (makensis), xmllint, Xvfb, xdg-utils,
# desktop-file-utils, WebKitWebDriver, imagemagick (screenshots), the keyring.
APT_PACKAGES=(rpm nsis libxml2-utils xvfb xdg-utils desktop-file-utils webkit2gtk-driver
  imagemagick dbus gnome-keyring)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "package-test: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v tauri-driver >/dev/null || ! tauri-driver --help 2>&1 | grep -q -- '--native-port'; then
  cargo install tauri-driver --version 2.1.0 --locked
fi
if [[ ! -d tests/node_modules ]] || [[ tests/package-lock.json -nt tests/node_modules/.package-lock.json ]]; then
  (cd tests && npm ci --no-audit --no-fund --loglevel=error)
fi
# The debug build the run-time registration test starts (seconds when it is up to date).
cargo build -p hublink-desktop --locked

NODE_TEST=(node --test --test-concurrency=1 --test-timeout=300000 --test-reporter=spec)
XVFB=(xvfb-run -a -s "-screen 0 1280x900x24")

echo "== package 1. configuration of every platform's package"
"${NODE_TEST[@]}" tests/package/config.test.mjs

echo "== package 2. run-time registration of hublink: (debug build, plain xdg-open)"
HUBLINK_DESKTOP_BIN="$PWD/target/debug/hublink-desktop" tests/with-keyring.sh "${XVFB[@]}" "${NODE_TEST[@]}" tests/package/scheme.test.mjs

echo "== package 3. the .deb installed, used and removed; the .rpm's contents"
$SUDO tests/with-keyring.sh "${XVFB[@]}" "${NODE_TEST[@]}" tests/package/deb.test.mjs
echo "packages: $(ls target/packages/*.deb target/packages/*.rpm | tr '\n' ' ')"
