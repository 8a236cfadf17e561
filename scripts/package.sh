#!/usr/bin/env bash
# Build Hublink's Linux packages on this machine: a release .deb and .rpm of the desktop app
# (hublink-desktop) with the `hublink` CLI, into target/packages/. Uses Tauri's bundler
# through tauri-cli (installed here if missing). AppImage is not built: its bundler downloads
# linuxdeploy. Windows (.msi, NSIS .exe) and macOS (.app, .dmg) are built on those systems
# with `cargo tauri build` — see installer/README.md.
#
#   scripts/package.sh            build both packages
#   HUBLINK_PACKAGE_TIMES=FILE    also append "step seconds" lines to FILE
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=target/packages
START=$SECONDS
step_start=$SECONDS
step() {
  local now=$SECONDS
  if [[ -n "${STEP:-}" ]]; then
    echo "package: ${STEP} took $((now - step_start)) s"
    [[ -n "${HUBLINK_PACKAGE_TIMES:-}" ]] && echo "$STEP $((now - step_start))" >>"$HUBLINK_PACKAGE_TIMES"
  fi
  STEP=${1:-}
  step_start=$now
  [[ -n "$STEP" ]] && echo "== package: $STEP"
  return 0
}

# tauri.conf.json names ../target/release/hublink (the CLI) as a file of both packages.
if [[ -n "${CARGO_TARGET_DIR:-}" && "$(realpath -m "$CARGO_TARGET_DIR")" != "$ROOT/target" ]]; then
  echo "package: CARGO_TARGET_DIR must be unset (or $ROOT/target): the packages take the CLI from target/release" >&2
  exit 2
fi

step "build dependencies (Debian packages)"
# WebKitGTK & co. for the app; D-Bus headers for the keyring; dpkg-deb is part of dpkg. The
# .rpm is written by the bundler itself (the rpm crate): no rpmbuild needed.
APT_PACKAGES=(build-essential pkg-config libssl-dev libdbus-1-dev libwebkit2gtk-4.1-dev
  libayatana-appindicator3-dev librsvg2-dev file)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "package: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v cargo >/dev/null || { echo "package: cargo is missing; install Rust (https://rustup.rs) first" >&2; exit 1; }
command -v npm >/dev/null || { echo "package: Node.js 20+ with npm is missing; install it first" >&2; exit 1; }

step "tauri-cli"
# Tauri's bundler. ~6 min to install once; cached in ~/.cargo/bin afterwards.
if ! cargo tauri --version 2>/dev/null | grep -q '^tauri-cli 2\.'; then
  cargo install tauri-cli --version '^2' --locked
fi
cargo tauri --version

step "welcome page (ui/dist)"
# generate_context! embeds ui/dist: build it first, as scripts/setup.sh does.
# Rebuilt only when a source is newer than ui/dist/index.html: a fresh ui/dist makes cargo
# recompile the app (tauri-build watches it), ~40 s for nothing.
(cd ui && { [[ -d node_modules && ! package-lock.json -nt node_modules/.package-lock.json ]] || npm ci --no-audit --no-fund --loglevel=error; } &&
  if [[ ! -f dist/index.html ]] || [[ -n "$(find src public index.html package.json package-lock.json vite.config.ts tsconfig.json -newer dist/index.html 2>/dev/null | head -1)" ]]; then
    npm run build --silent
  else
    echo "ui/dist is up to date"
  fi)

# Stripped release binaries (both crates; no Cargo.toml change): about half the size.
export CARGO_PROFILE_RELEASE_STRIP=symbols

step "hublink CLI (release)"
cargo build --release --locked -p hublink-cli --bin hublink

step "desktop app and bundles (cargo tauri build --bundles deb,rpm)"
rm -rf target/release/bundle/deb target/release/bundle/rpm
cargo tauri build --ci --bundles deb,rpm -- --locked

step "collect into $OUT"
mkdir -p "$OUT"
rm -f "$OUT"/hublink_*.deb "$OUT"/hublink-*.rpm
# Debian's and RPM's own naming (the bundler names them after the product: Hublink_…).
shopt -s nullglob
debs=(target/release/bundle/deb/*.deb)
rpms=(target/release/bundle/rpm/*.rpm)
((${#debs[@]} == 1 && ${#rpms[@]} == 1)) || { echo "package: expected one .deb and one .rpm, got: ${debs[*]} ${rpms[*]}" >&2; exit 1; }
deb_name=$(dpkg-deb -f "${debs[0]}" Package)_$(dpkg-deb -f "${debs[0]}" Version)_$(dpkg-deb -f "${debs[0]}" Architecture).deb
cp "${debs[0]}" "$OUT/$deb_name"
cp "${rpms[0]}" "$OUT/$(basename "${rpms[0]}" | sed 's/^Hublink-/hublink-/')"
step
ls -l "$OUT"/*.deb "$OUT"/*.rpm
echo "package: done in $((SECONDS - START)) s"
