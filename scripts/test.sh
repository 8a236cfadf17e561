#!/usr/bin/env bash
# Set everything up and run every test: unit tests of the core and CLI, the test IdP's own
# self-test, and the integration ring (the real `hublink` binary against a real OpenID Connect
# provider with TOTP, real headless Chromium as the browser, the real Secret Service).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "== unit tests (cargo test)"
cargo test --workspace --locked

echo "== test identity provider self-test"
(cd tests && node --test --test-reporter=spec idp/selftest.mjs)

echo "== integration: hublink CLI against the real IdP, browser and keyring"
export HUBLINK_BIN="$PWD/target/debug/hublink"
tests/with-keyring.sh node --test --test-concurrency=1 --test-reporter=spec tests/cli/*.test.mjs
