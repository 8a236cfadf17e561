#!/usr/bin/env bash
# Set everything up and run every test:
#   1. unit tests of the core, the CLI and the desktop shell (cargo test)
#   2. the welcome page's view logic and types (Vitest, tsc)
#   3. the test identity provider's own self-test
#   4. the CLI against a real OpenID Connect provider with TOTP, real headless Chromium as the
#      browser and the real Secret Service
#   5. the real desktop app under Xvfb, driven by tauri-driver + WebKitWebDriver
# Screenshots of the app land in target/screenshots.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --desktop

echo "== 0. the engine stays GUI-free"
if cargo tree -p hublink-core -e normal --locked | grep -q tauri; then
  echo "hublink-core depends on tauri; keep the core free of the desktop shell" >&2
  exit 1
fi
echo "ok: cargo tree -p hublink-core shows no tauri"

echo "== 1. unit tests (cargo test)"
cargo test --workspace --locked

echo "== 2. welcome page (vitest, tsc)"
(cd ui && npm test --silent && npm run check --silent)

echo "== 3. test identity provider self-test"
(cd tests && node --test --test-timeout=180000 --test-reporter=spec idp/selftest.mjs)

export HUBLINK_BIN="$PWD/target/debug/hublink"
export HUBLINK_DESKTOP_BIN="$PWD/target/debug/hublink-desktop"

echo "== 4. integration: the hublink CLI against the real IdP, browser and keyring"
tests/with-keyring.sh node --test --test-concurrency=1 --test-timeout=180000 --test-reporter=spec tests/cli/*.test.mjs

echo "== 5. end to end: the desktop app under Xvfb"
rm -rf target/screenshots
tests/with-keyring.sh xvfb-run -a -s "-screen 0 1280x900x24" \
  node --test --test-concurrency=1 --test-timeout=180000 --test-reporter=spec tests/desktop/*.test.mjs
echo "screenshots: $(ls target/screenshots/*.png 2>/dev/null | tr '\n' ' ')"
