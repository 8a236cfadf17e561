#!/usr/bin/env bash
# Set everything up and launch Hublink against two local demo hubs, already provided as hubs.ini
# buttons: "Demo Hub" (a real OpenID Connect provider with a TOTP second factor on
# 127.0.0.1:9400, the hub on 127.0.0.1:9401) and "Finance (SAML)" (a Qlik Sense-like hub on
# 127.0.0.1:9403 whose session is its own cookie, behind a SAML IdP with TOTP on
# 127.0.0.2:9402, signed in inside a Hublink window). The demo user's password and TOTP secret
# are printed below.
# Uses its own state folder (target/demo), so your real Hublink setup is not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --desktop

DEMO="$PWD/target/demo"
mkdir -p "$DEMO/home" "$DEMO/hubs"
export IDP_PORT=${IDP_PORT:-9400} HUB_PORT=${HUB_PORT:-9401} WEB_IDP_PORT=${WEB_IDP_PORT:-9402} WEB_HUB_PORT=${WEB_HUB_PORT:-9403}
node tests/idp/demo.mjs &
IDP_PID=$!
node tests/websignin/demo.mjs &
WEB_PID=$!
trap 'kill $IDP_PID $WEB_PID 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
for port in "$HUB_PORT" "$WEB_HUB_PORT"; do
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.2
  done
done

cat > "$DEMO/hubs/demo.ini" <<INI
; Written by scripts/run.sh: the local demo hub, as an administrator would provide it.
[Demo Hub]
url = http://127.0.0.1:$HUB_PORT/
issuer = http://127.0.0.1:$IDP_PORT
mfa = required
session_check = http://127.0.0.1:$HUB_PORT/api/session

[Finance (SAML)]
url = http://127.0.0.1:$WEB_HUB_PORT/finance/
auth = web
session_check = /finance/qps/user
session_cookie = X-Qlik-Session-finance
INI
export HUBLINK_HOME="$DEMO/home" HUBLINK_HUBS_DIR="$DEMO/hubs"

launch() {
  if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
    echo "Starting the Hublink window. Click \"Demo Hub\" (your browser) or \"Finance (SAML)\" (a Hublink window)"
    echo "and sign in as alice (password and TOTP above)."
    target/debug/hublink-desktop
  else
    echo
    echo "No display here, so the window cannot open. The same engine from the command line:"
    echo "  export HUBLINK_HOME=$HUBLINK_HOME HUBLINK_HUBS_DIR=$HUBLINK_HUBS_DIR"
    echo "  target/debug/hublink list"
    echo "  target/debug/hublink login 'Demo Hub'     # prints the sign-in address to open"
    echo "  target/debug/hublink status"
    target/debug/hublink list
    echo "The demo hub keeps running until you press Ctrl-C."
    wait "$IDP_PID"
  fi
}

if [[ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]]; then
  echo "No desktop session bus: using a throwaway keyring for this demo."
  export -f launch
  export IDP_PID
  tests/with-keyring.sh bash -c launch
else
  launch
fi
