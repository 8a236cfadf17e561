#!/usr/bin/env bash
# Install everything Hublink's build, demo and tests need on a fresh Debian 12 machine, then
# build. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: TLS/D-Bus headers for the keyring crate, the Secret Service (gnome-keyring)
# and a D-Bus session bus for the real keyring, Chromium as the "system browser" of the tests,
# openssl for throwaway test certificates.
APT_PACKAGES=(build-essential pkg-config libssl-dev libdbus-1-dev dbus gnome-keyring
  libsecret-tools chromium openssl ca-certificates nodejs npm)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null || { echo "setup: cargo is missing; install Rust (https://rustup.rs) first" >&2; exit 1; }

# The test identity provider, hub and browser drivers (oidc-provider, otpauth, playwright-core
# driving Debian's chromium — nothing downloads a browser).
if [[ ! -d tests/node_modules ]] || [[ tests/package-lock.json -nt tests/node_modules/.package-lock.json ]]; then
  (cd tests && npm ci --no-audit --no-fund --loglevel=error)
fi

cargo build --workspace --locked
