#!/usr/bin/env bash
# Check the administrator's guide snippets (docs/admin/snippets/) mechanically, one line per
# check, exit 1 if any fails:
#   policy.json            parses, and `hublink policy` accepts it
#   hubs.ini               `hublink hubs check` finds its hubs and no error or warning
#   hublink.mobileconfig   parses as a plist; the app.hublink.desktop payload's keys are policy
#                          rules; its values, as JSON, are accepted and equal policy.json's
#   hublink.reg            UTF-16LE with BOM or ASCII, "Windows Registry Editor Version 5.00",
#                          HKLM\SOFTWARE\Policies\Hublink only, REG_DWORD for booleans and
#                          MaxSessionDays, REG_MULTI_SZ (hex(7)) for lists; its values, as JSON,
#                          are accepted and equal policy.json's
#   ansible-playbook.yml   parses as YAML (PyYAML), is a list of plays that deploy the
#                          snippets to /etc/hublink (and passes `ansible-playbook
#                          --syntax-check` when Ansible is installed)
#   docs/admin/*.md        quote every snippet verbatim (a fenced block after `<!-- snippet: NAME -->`),
#                          so the guide and the files never drift
#
# `hublink policy` is pointed at a temporary copy through HUBLINK_MACHINE_DIR, which only
# debug builds read: HUBLINK_BIN defaults to target/debug/hublink (build it with `cargo build`).
# Needs python3 with PyYAML (Debian: apt-get install -y python3-yaml) and openssl (a throwaway
# certificate stands in for hubs.ini's ca_file).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SNIPPETS="$ROOT/docs/admin/snippets"
BIN=${HUBLINK_BIN:-$ROOT/target/debug/hublink}
WORK=$(mktemp -d)
trap '[[ -n "${KEEP_WORK:-}" ]] || rm -rf "$WORK"' EXIT
# Nothing of the caller's Hublink state, hubs or keyring is read or written.
export HUBLINK_HOME="$WORK/home" HUBLINK_HUBS_DIR="$WORK/user-hubs"
unset HUBLINK_INSECURE_STORAGE
mkdir -p "$HUBLINK_HOME" "$HUBLINK_HUBS_DIR"

FAILED=0
pass() { printf 'ok    %s\n' "$1"; }
fail() {
  printf 'FAIL  %s\n' "$1"
  [[ $# -gt 1 && -n "$2" ]] && printf '%s\n' "$2" | sed 's/^/      /'
  FAILED=1
}
skip() { printf 'skip  %s\n' "$1"; }

if [[ ! -x "$BIN" ]]; then
  fail "hublink binary at $BIN" "not found: run \`cargo build\` or set HUBLINK_BIN to a debug build"
  exit 1
fi

# policy_of NAME JSON_FILE: `hublink policy --json` with JSON_FILE as the machine-wide policy.
# Prints the report; fails (returns 1) when hublink refuses the policy or did not read this file.
policy_of() {
  local dir="$WORK/machine-$1" out
  mkdir -p "$dir"
  cp "$2" "$dir/policy.json"
  if ! out=$(HUBLINK_MACHINE_DIR="$dir" "$BIN" policy --json 2>&1); then
    printf '%s\n' "$out"
    return 1
  fi
  if ! grep -qF "\"origin\": \"$dir/policy.json\"" <<<"$out"; then
    printf '%s\n%s\n' "hublink did not read $dir/policy.json (a release build ignores HUBLINK_MACHINE_DIR)" "$out"
    return 1
  fi
  printf '%s\n' "$out"
}

# rules_of REPORT_FILE: the rules and values of a `hublink policy --json` report, sources left out.
rules_of() {
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps([[x["rule"], x["value"]] for x in r["rules"]]))' "$1"
}

# same_rules WHAT REPORT_FILE: pass when REPORT_FILE's rules equal policy.json's.
same_rules() {
  if [[ $JSON_OK -ne 1 ]]; then
    fail "$1 equal policy.json's" "policy.json was refused, so there is nothing to compare with"
  elif [[ "$(rules_of "$2")" == "$(rules_of "$WORK/report-json.txt")" ]]; then
    pass "$1 are accepted by \`hublink policy\` and equal policy.json's"
  else
    fail "$1 equal policy.json's" "$(diff <(rules_of "$WORK/report-json.txt") <(rules_of "$2"))"
  fi
}

# --- policy.json ----------------------------------------------------------------------------
if out=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert isinstance(d, dict), "not an object"' "$SNIPPETS/policy.json" 2>&1); then
  pass "policy.json parses as a JSON object"
else
  fail "policy.json parses as a JSON object" "$out"
fi
JSON_OK=0
if policy_of json "$SNIPPETS/policy.json" >"$WORK/report-json.txt"; then
  JSON_OK=1
  pass "policy.json is accepted by \`hublink policy\` (every rule set by the file)"
  if grep -q '"source": "default"' "$WORK/report-json.txt"; then
    fail "policy.json sets every rule" "$(grep -B2 '"source": "default"' "$WORK/report-json.txt")"
  fi
else
  fail "policy.json is accepted by \`hublink policy\`" "$(cat "$WORK/report-json.txt")"
fi

# --- hubs.ini -------------------------------------------------------------------------------
mkdir -p "$WORK/ini"
cp "$SNIPPETS/hubs.ini" "$WORK/ini/hubs.ini"
if openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=Example Corp Root CA" \
  -keyout "$WORK/ini-ca.key" -out "$WORK/ini/corp-root.pem" >/dev/null 2>&1; then
  out=$("$BIN" hubs check "$WORK/ini/hubs.ini" 2>&1)
  code=$?
  summary=$(tail -n 1 <<<"$out")
  if [[ $code -eq 0 && "$summary" =~ ^[1-9][0-9]*\ hub\(s\),\ 0\ error\(s\),\ 0\ warning\(s\)$ ]]; then
    pass "hubs.ini passes \`hublink hubs check\` ($summary)"
  else
    fail "hubs.ini passes \`hublink hubs check\` (exit $code)" "$out"
  fi
else
  fail "hubs.ini passes \`hublink hubs check\`" "openssl could not make the stand-in certificate for ca_file"
fi

# --- hublink.mobileconfig -------------------------------------------------------------------
if out=$(python3 - "$SNIPPETS/hublink.mobileconfig" "$WORK/mobileconfig.json" 2>&1 <<'PY'
import sys; sys.excepthook = lambda kind, e, tb: print(e if kind in (AssertionError, SystemExit) else f"{kind.__name__}: {e}", file=sys.stderr)  # one line, no traceback
import json, plistlib, sys

RULES = {"AllowUserHubs", "AllowedHosts", "RequireMFA", "AllowInsecureStorage", "MaxSessionDays",
         "LinkSigningKeys", "RequireSignedLinks"}
DOMAIN = "app.hublink.desktop"
with open(sys.argv[1], "rb") as f:
    profile = plistlib.load(f)
assert profile.get("PayloadType") == "Configuration", "the top-level PayloadType is not Configuration"
for key in ("PayloadIdentifier", "PayloadUUID", "PayloadVersion"):
    assert key in profile, f"the profile has no {key}"
settings = []
for payload in profile.get("PayloadContent", []):
    kind = payload.get("PayloadType")
    if kind == "com.apple.ManagedClient.preferences":  # MCX form: forced settings of the domain
        domain = payload.get("PayloadContent", {}).get(DOMAIN)
        if domain is not None:
            settings += [s["mcx_preference_settings"] for s in domain.get("Forced", [])]
    elif kind == DOMAIN:  # the domain as the payload type: the rules sit beside the Payload keys
        settings.append({k: v for k, v in payload.items() if not k.startswith("Payload")})
assert len(settings) == 1, f"expected one payload of settings for {DOMAIN}, found {len(settings)}"
rules = settings[0]
unknown = sorted(set(rules) - RULES)
assert not unknown, f"keys that are not policy rules: {unknown}"
assert rules, "the payload sets no rule"
with open(sys.argv[2], "w") as f:
    json.dump(rules, f)
print(", ".join(rules))
PY
); then
  pass "hublink.mobileconfig parses as a plist; its app.hublink.desktop keys are policy rules ($out)"
  if policy_of mobileconfig "$WORK/mobileconfig.json" >"$WORK/report-mobileconfig.txt"; then
    same_rules "hublink.mobileconfig's rules" "$WORK/report-mobileconfig.txt"
  else
    fail "hublink.mobileconfig's rules are accepted by \`hublink policy\`" "$(cat "$WORK/report-mobileconfig.txt")"
  fi
else
  fail "hublink.mobileconfig parses as a plist with policy rules for app.hublink.desktop" "$out"
fi

# --- hublink.reg ----------------------------------------------------------------------------
if out=$(python3 - "$SNIPPETS/hublink.reg" "$WORK/reg.json" 2>&1 <<'PY'
import sys; sys.excepthook = lambda kind, e, tb: print(e if kind in (AssertionError, SystemExit) else f"{kind.__name__}: {e}", file=sys.stderr)  # one line, no traceback
import json, re, sys

KEY = r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Hublink"
DWORD = {"AllowUserHubs", "RequireMFA", "AllowInsecureStorage", "MaxSessionDays", "RequireSignedLinks"}
MULTI_SZ = {"AllowedHosts", "LinkSigningKeys"}
raw = open(sys.argv[1], "rb").read()
if raw.startswith(b"\xff\xfe"):
    text, encoding = raw[2:].decode("utf-16-le"), "UTF-16LE with BOM"
else:
    assert all(b < 0x80 for b in raw), "neither UTF-16LE with a BOM nor ASCII"
    text, encoding = raw.decode("ascii"), "ASCII"
lines = text.replace("\r\n", "\n").split("\n")
assert lines[0] == "Windows Registry Editor Version 5.00", f"first line is {lines[0]!r}"
# Join continuation lines (a trailing backslash), as regedit writes long hex values.
logical, buf = [], ""
for line in lines[1:]:
    if buf:
        line = line.lstrip()
    if line.endswith("\\"):
        buf += line[:-1]
        continue
    logical.append(buf + line)
    buf = ""
assert not buf, "the file ends inside a continued line"
values, current = {}, None
for n, line in enumerate(logical, 2):
    s = line.strip()
    if not s or s.startswith(";"):
        continue
    if s.startswith("["):
        path = s.strip("[]")
        deleting = path.startswith("-")
        assert path.lstrip("-") == KEY, f"key {path!r} is not {KEY}"
        current = None if deleting else path
        continue
    assert current, f"value outside the [{KEY}] key: {s!r}"
    m = re.fullmatch(r'"([^"]+)"=(.*)', s)
    assert m, f"not a \"name\"=value line: {s!r}"
    name, data = m.groups()
    assert name not in values, f"{name} is given twice"
    if name in DWORD:
        d = re.fullmatch(r"dword:([0-9a-fA-F]{8})", data)
        assert d, f"{name} must be a REG_DWORD (dword:xxxxxxxx), not {data[:20]!r}"
        values[name] = int(d.group(1), 16)
    elif name in MULTI_SZ:
        h = re.fullmatch(r"hex\(7\):((?:[0-9a-fA-F]{2},)*[0-9a-fA-F]{2})", data.replace(" ", ""))
        assert h, f"{name} must be a REG_MULTI_SZ (hex(7):…), not {data[:20]!r}"
        decoded = bytes(int(b, 16) for b in h.group(1).split(",")).decode("utf-16-le")
        assert decoded.endswith("\0\0"), f"{name}: a REG_MULTI_SZ ends with two NUL characters"
        values[name] = decoded[:-2].split("\0")
    else:
        raise AssertionError(f"{name} is not a policy rule")
assert values, "the file sets no value"
json.dump(values, open(sys.argv[2], "w"))
print(f"{encoding}; {len(values)} values")
PY
); then
  pass "hublink.reg is a regedit file for HKLM\\SOFTWARE\\Policies\\Hublink with the right value types ($out)"
  if policy_of reg "$WORK/reg.json" >"$WORK/report-reg.txt"; then
    same_rules "hublink.reg's values" "$WORK/report-reg.txt"
  else
    fail "hublink.reg's values are accepted by \`hublink policy\`" "$(cat "$WORK/report-reg.txt")"
  fi
else
  fail "hublink.reg is a regedit file for HKLM\\SOFTWARE\\Policies\\Hublink with the right value types" "$out"
fi

# --- ansible-playbook.yml -------------------------------------------------------------------
if out=$(python3 - "$SNIPPETS/ansible-playbook.yml" "$SNIPPETS" 2>&1 <<'PY'
import sys; sys.excepthook = lambda kind, e, tb: print(e if kind in (AssertionError, SystemExit) else f"{kind.__name__}: {e}", file=sys.stderr)  # one line, no traceback
import os, sys
try:
    import yaml
except ImportError:
    raise SystemExit("PyYAML is missing (Debian: apt-get install -y python3-yaml)")
plays = yaml.safe_load(open(sys.argv[1]))
assert isinstance(plays, list) and plays, "not a list of plays"
copies = {}
for play in plays:
    assert isinstance(play, dict) and "hosts" in play and "tasks" in play, "a play without hosts or tasks"
    variables = play.get("vars", {})
    for task in play["tasks"]:
        copy = task.get("ansible.builtin.copy") or task.get("copy")
        if copy:
            dest = str(copy["dest"]).replace("{{ hublink_etc }}", str(variables.get("hublink_etc", "")))
            copies[str(copy["src"])] = dest
for name in ("policy.json", "hubs.ini"):
    assert os.path.exists(os.path.join(sys.argv[2], name)), f"{name} is not in the snippets folder"
    assert copies.get(name) == f"/etc/hublink/{name}", f"no task copies {name} to /etc/hublink/{name}"
print(f"{len(plays)} play(s), {sum(len(p['tasks']) for p in plays)} tasks")
PY
); then
  pass "ansible-playbook.yml parses as YAML and copies policy.json and hubs.ini to /etc/hublink ($out)"
else
  fail "ansible-playbook.yml parses as YAML and copies policy.json and hubs.ini to /etc/hublink" "$out"
fi
if command -v ansible-playbook >/dev/null 2>&1; then
  if out=$(cd "$SNIPPETS" && ansible-playbook --syntax-check -i localhost, ansible-playbook.yml 2>&1); then
    pass "ansible-playbook.yml passes ansible-playbook --syntax-check"
  else
    fail "ansible-playbook.yml passes ansible-playbook --syntax-check" "$out"
  fi
else
  skip "ansible-playbook --syntax-check (Ansible is not installed)"
fi

# --- the guide quotes each snippet verbatim ---------------------------------------------------
# A quote is a fenced code block right after a line `<!-- snippet: NAME -->`; every quote must be
# the file exactly (line ends aside), and every snippet must be quoted at least once.
if out=$(python3 - "$SNIPPETS" "$ROOT/docs/admin" 2>&1 <<'PY'
import sys; sys.excepthook = lambda kind, e, tb: print(e if kind in (AssertionError, SystemExit) else f"{kind.__name__}: {e}", file=sys.stderr)  # one line, no traceback
import glob, os, re, sys

snippets, docs = sys.argv[1], sys.argv[2]
def text_of(path):
    raw = open(path, "rb").read()
    text = raw[2:].decode("utf-16-le") if raw.startswith(b"\xff\xfe") else raw.decode("utf-8")
    return text.replace("\r\n", "\n").strip("\n")
names = sorted(n for n in os.listdir(snippets) if not n.startswith("."))
quoted, problems, marked = {n: [] for n in names}, [], set()
marker = re.compile(r"^<!-- snippet: (\S+) -->\n(`{3,})[^\n]*\n(.*?)\n\2$", re.S | re.M)
for md in sorted(glob.glob(os.path.join(docs, "*.md"))):
    for m in marker.finditer(open(md, encoding="utf-8").read()):
        name, body = m.group(1), m.group(3)
        where = f"{os.path.basename(md)} (snippet {name})"
        marked.add(name)
        if name not in quoted:
            problems.append(f"{where}: there is no docs/admin/snippets/{name}")
        elif body.strip("\n") != text_of(os.path.join(snippets, name)):
            problems.append(f"{where}: differs from docs/admin/snippets/{name}")
        else:
            quoted[name].append(os.path.basename(md))
problems += [f"snippets/{n} is quoted nowhere in docs/admin/*.md" for n in names if n not in marked]
if problems:
    raise SystemExit("\n".join(problems))
print("; ".join(f"{n} in {', '.join(w)}" for n, w in quoted.items()))
PY
); then
  pass "the guide quotes every snippet verbatim ($out)"
else
  fail "the guide quotes every snippet verbatim" "$out"
fi

exit $FAILED
