#!/usr/bin/env bash
# Accessibility of the welcome page, without the Rust app: axe-core (WCAG 2.1 A/AA) in every
# state a user meets, light and dark, and the keyboard in the dialogs (Chromium, and WebKitGTK
# when WebKitWebDriver and a display are there). Builds ui/dist first when it is missing or older
# than the page's sources. Screenshots: target/screenshots/a11y-*.png.
#   tests/a11y/run.sh            (from anywhere)
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ ! -d ui/node_modules ]]; then (cd ui && npm ci --no-audit --no-fund); fi
if [[ ! -f ui/dist/index.html ]] || [[ -n "$(find ui/src ui/public ui/index.html ui/vite.config.ts ui/package-lock.json -newer ui/dist/index.html -print -quit)" ]]; then
  (cd ui && npm run build --silent)
fi
if [[ ! -d tests/node_modules/axe-core ]] || [[ ! -d tests/node_modules/playwright-core ]]; then (cd tests && npm ci --no-audit --no-fund); fi

cd tests
run=(node --test --test-concurrency=1 --test-timeout=180000 --test-reporter=spec a11y/*.test.mjs)
if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]] && command -v xvfb-run >/dev/null; then
  exec xvfb-run -a -s "-screen 0 1280x900x24" "${run[@]}"
fi
exec "${run[@]}"
