#!/usr/bin/env bash
# Set everything up and run every test:
#   0. the fast gate: rustfmt, clippy -D warnings, the core free of Tauri
#   1. unit tests of the core, the CLI and the desktop shell (cargo test)
#   2. the welcome page's view logic and types (Vitest, tsc)
#   3. the test identity providers' own self-tests (OpenID Connect; SAML IdP + Qlik-like hubs)
#   4. the CLI against a real OpenID Connect provider with TOTP, real headless Chromium as the
#      browser and the real Secret Service
#   5. the IdP quirks ring: the CLI against an identity provider that behaves like the real
#      ones (string claims, extra audiences, skewed clocks, …), keyrings that are locked or
#      have no default keyring, proxies, odd files
#   5b. the attack suite: IdP mix-up, state and code injection, PKCE downgrade, forged ID
#      tokens, off-origin redirects, oversized answers — each refused with its reason
#   5c. the fault ring: the CLI while the IdP, TLS, the keyring, HUBLINK_HOME and the hubs.ini
#      folder fail, and 220 kill -9s inside saves (nothing lost, nothing blocks)
#   5d. secret hygiene: the CLI rings under HUBLINK_LOG=trace, every output and file scanned
#      for every secret the IdPs issued
#   6. the real desktop app under Xvfb, driven by tauri-driver + WebKitWebDriver (also the web
#      sign-in: a SAML hub with TOTP, signed in inside Hublink's own window)
#   6b. the welcome page's accessibility: axe-core (WCAG 2.1 AA) in light and dark, every state,
#      and the keyboard in dialogs
#   7. the administrator's guide: every deployment snippet checked mechanically
#   8. the Linux packages: .deb and .rpm built (release), the .deb installed, used through
#      plain xdg-open and removed; the Windows/macOS packaging configuration checked
#   9. fuzzing smoke: every cargo-fuzz target builds and runs 10 s (the long runs: scripts/fuzz.sh)
# Screenshots of the app land in target/screenshots.
#
# scripts/test.sh --fast   the gate and the unit ring of the core and the CLI only (your loop)
set -euo pipefail
cd "$(dirname "$0")/.."
FAST=0
[[ "${1:-}" == "--fast" ]] && FAST=1

if ((FAST)); then
  command -v cargo >/dev/null || { echo "test: cargo is missing; run scripts/setup.sh first" >&2; exit 1; }
else
  scripts/setup.sh
fi

echo "== 0. fast gate: rustfmt, clippy -D warnings, the engine stays GUI-free"
cargo fmt --all --check
cargo clippy --locked --all-targets -- -D warnings   # the core and the CLI (default members)
if cargo tree -p hublink-core -e normal --locked | grep -q tauri; then
  echo "hublink-core depends on tauri; keep the core free of the desktop shell" >&2
  exit 1
fi
echo "ok: formatted, no clippy warnings, cargo tree -p hublink-core shows no tauri"

if ((FAST)); then
  echo "== 1. unit tests of the core and the CLI (cargo test)"
  cargo test --locked
  exit 0
fi

scripts/setup.sh --desktop
cargo clippy --locked -p hublink-desktop --all-targets -- -D warnings

echo "== 1. unit tests (cargo test)"
cargo test --workspace --locked

echo "== 2. welcome page (vitest, tsc)"
(cd ui && npm test --silent && npm run check --silent)

echo "== 3. test identity providers' self-tests"
(cd tests && node --test --test-timeout=180000 --test-reporter=spec idp/selftest.mjs websignin/selftest.mjs)

export HUBLINK_BIN="$PWD/target/debug/hublink"
export HUBLINK_DESKTOP_BIN="$PWD/target/debug/hublink-desktop"

echo "== 4. integration: the hublink CLI against the real IdP, browser and keyring"
tests/with-keyring.sh node --test --test-concurrency=1 --test-timeout=180000 --test-reporter=spec tests/cli/*.test.mjs

echo "== 5. the IdP quirks ring: identity providers as they really behave"
tests/with-keyring.sh node --test --test-concurrency=1 --test-timeout=120000 --test-reporter=spec tests/quirks/*.test.mjs

echo "== 5b. the attack suite: OAuth/OIDC attacks against real local IdPs, each refused with its reason"
tests/with-keyring.sh node --test --test-concurrency=1 --test-timeout=120000 --test-reporter=spec tests/attacks/*.test.mjs

echo "== 5c. faults: the CLI while the IdP, TLS, keyring, HUBLINK_HOME and hubs.ini folder fail; 220 kill -9s inside saves"
tests/faults/run.sh

echo "== 5d. secret hygiene: the CLI rings under HUBLINK_LOG=trace, every output and file scanned for every issued secret"
scripts/secret-hygiene.sh

echo "== 6. end to end: the desktop app under Xvfb"
rm -rf target/screenshots
tests/with-keyring.sh xvfb-run -a -s "-screen 0 1280x900x24" \
  node --test --test-concurrency=1 --test-timeout=180000 --test-reporter=spec tests/desktop/*.test.mjs
echo "screenshots: $(ls target/screenshots/*.png 2>/dev/null | tr '\n' ' ')"

echo "== 6b. welcome page accessibility: axe-core (WCAG 2.1 AA) light and dark, keyboard in dialogs"
tests/a11y/run.sh

echo "== 7. the administrator's guide: deployment snippets"
scripts/check-admin-snippets.sh

echo "== 8. packages: build, install, use, remove (scripts/package-test.sh)"
scripts/package-test.sh

echo "== 9. fuzzing smoke: every target builds and runs briefly (long runs: scripts/fuzz.sh 600)"
FUZZ_JOBS=2 scripts/fuzz.sh 10
