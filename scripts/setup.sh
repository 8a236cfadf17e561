#!/usr/bin/env bash
# Install everything Hublink's build, demo and tests need on a fresh Debian 12 machine, then
# build. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
# --desktop: also what the desktop app and its end-to-end tests need (WebKitGTK, Xvfb,
# WebKitWebDriver, tauri-driver, the welcome page's npm packages; dbus-tests' black-hole for a
# desktop portal that never answers).
# --no-build: install and build the welcome page, but no cargo build (scripts/bench.sh builds
# release binaries itself).
DESKTOP=0
BUILD=1
for arg in "$@"; do
  case "$arg" in
    --desktop) DESKTOP=1 ;;
    --no-build) BUILD=0 ;;
    *) echo "setup: unknown option $arg (use --desktop, --no-build)" >&2; exit 64 ;;
  esac
done

# Debian packages: TLS/D-Bus headers for the keyring crate, the Secret Service (gnome-keyring)
# and a D-Bus session bus for the real keyring, Chromium as the "system browser" of the tests,
# openssl for throwaway test certificates.
APT_PACKAGES=(build-essential pkg-config libssl-dev libdbus-1-dev dbus gnome-keyring
  libsecret-tools chromium openssl ca-certificates)
if ((DESKTOP)); then
  APT_PACKAGES+=(libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev xvfb
    webkit2gtk-driver xdg-utils desktop-file-utils libglib2.0-bin imagemagick xdotool dbus-tests
    openbox)  # a window manager under Xvfb: the tests read (and screenshot) window titles
fi
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null || { echo "setup: cargo is missing; install Rust (https://rustup.rs) first" >&2; exit 1; }
command -v npm >/dev/null || { echo "setup: Node.js 20+ with npm is missing; install it first" >&2; exit 1; }

# The test identity provider, hub and browser drivers (oidc-provider, otpauth, playwright-core
# driving Debian's chromium — nothing downloads a browser).
if [[ ! -d tests/node_modules ]] || [[ tests/package-lock.json -nt tests/node_modules/.package-lock.json ]]; then
  (cd tests && npm ci --no-audit --no-fund --loglevel=error)
fi

if ((BUILD)); then cargo build --locked; fi   # the core and the CLI (default members)

if ((DESKTOP)); then
  (cd ui && { [[ -d node_modules && ! package-lock.json -nt node_modules/.package-lock.json ]] || npm ci --no-audit --no-fund --loglevel=error; } && npm run build --silent)
  if ((BUILD)); then cargo build -p hublink-desktop --locked; fi
  # tauri-driver 2.1.0: the WebDriver bridge for the end-to-end tests (newer releases target Tauri 3).
  if ! command -v tauri-driver >/dev/null || ! tauri-driver --help 2>&1 | grep -q -- '--native-port'; then
    cargo install tauri-driver --version 2.1.0 --locked
  fi
fi
