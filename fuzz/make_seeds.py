#!/usr/bin/env python3
"""Writes fuzz/seeds/<target>/ from the core's tests.

Links and hubs.ini texts are the string literals of crates/hublink-core/src/link/tests.rs and
src/hubs_ini/tests.rs (plus the hubs.ini sample in every encoding the reader knows); the JSON
seeds are transcribed from the tests named beside them. Run it again after adding tests:
    python3 fuzz/make_seeds.py
"""

import hashlib
import json
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "crates" / "hublink-core" / "src"
SEEDS = ROOT / "fuzz" / "seeds"

LITERAL = re.compile(r'(b?)(?:r(#*)"(.*?)"\2|"((?:[^"\\]|\\.)*)")', re.S)


def unescape(body: str) -> bytes:
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        n = body[i + 1]
        i += 2
        if n == "\n":  # line continuation: skip the next line's indentation
            while i < len(body) and body[i] in " \t\n\r":
                i += 1
        elif n == "x":
            out.append(int(body[i : i + 2], 16))
            i += 2
        elif n == "u":
            end = body.index("}", i)
            out += chr(int(body[i + 1 : end], 16)).encode()
            i = end + 1
        else:
            out += {"n": b"\n", "r": b"\r", "t": b"\t", "0": b"\0", "\\": b"\\", '"': b'"', "'": b"'"}[n]
    return bytes(out)


def literals(path: Path) -> list[bytes]:
    text = path.read_text()
    found = []
    for m in LITERAL.finditer(text):
        raw = m.group(3) if m.group(3) is not None else None
        found.append(raw.encode() if raw is not None else unescape(m.group(4)))
    return found


def write(target: str, seeds: list[bytes]) -> None:
    folder = SEEDS / target
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for seed in dict.fromkeys(seeds):  # unique, in order
        name = hashlib.sha1(seed).hexdigest()[:16]
        (folder / name).write_bytes(seed)
    print(f"{target}: {len(list(folder.iterdir()))} seeds")


def link_seeds() -> list[bytes]:
    hub = b"hublink://add?url=https://hub.example.com/"
    out = []
    for lit in literals(CORE / "link" / "tests.rs"):
        lit = lit.replace(b"{HUB}", hub)
        if b"{" in lit.replace(b"%7B", b""):
            continue  # a format string with other arguments
        if lit.lower().startswith((b"hublink:", b"https:", b"http:")) or b"hublink:" in lit.lower():
            out.append(lit)
    return out


def utf16(text: str, little: bool) -> bytes:
    return (b"\xff\xfe" if little else b"\xfe\xff") + text.encode("utf-16-le" if little else "utf-16-be")


def ini_seeds() -> list[bytes]:
    out = []
    for lit in literals(CORE / "hubs_ini" / "tests.rs"):
        if b"=" in lit and (b"\n" in lit or b"[" in lit):
            out.append(lit)
    sample = next(s for s in out if s.startswith(b"; One section per hub"))
    text = sample.decode()
    out += [
        b"\xef\xbb\xbf" + sample,
        utf16(text, True),
        utf16(text, False),
        utf16(text.replace("\n", "\r\n"), True),
        text.replace("\u00df", "ss").encode("cp1252"),  # "ANSI": Café in Windows-1252
        b"\xff\xfe\x00\xd8\x41\x00",  # broken UTF-16
        "[Hub]\nurl = x\n".encode("utf-16-le"),  # UTF-16 without BOM
    ]
    return out


def json_seeds(values: list) -> list[bytes]:
    return [json.dumps(v, ensure_ascii=False).encode() for v in values]


# src/link/tests.rs, "/.well-known/hublink.json"; the first byte picks the address asked.
WELL_KNOWN = [
    {"url": "https://HUB.example.com", "name": "Finance", "issuer": "https://login.example.com/realms/corp",
     "redirect_port": 8400, "mfa": "required", "logo": {"png": "x"}},
    {},
    {"url": "https://evil.example.com/"},
    {"client_secret": 42},
    {"mfa": True},
    {"redirect_port": -1},
    {"redirect_port": 80.5},
    {"ca_file": "/x.pem"},
    ["url"],
    {"url": "https://hub.example.com/qlik/", "client_id": "hublink-desktop", "scope": "openid profile groups",
     "flow": "device", "session_check": "https://hub.example.com/qlik/api/v1/users/me",
     "extra_audiences": "300000000000000042"},
]

# src/oidc/tokens.rs tests and tests/support/mod.rs (the mock identity provider).
OIDC = [
    {"access_token": "a", "expires_in": "3599"},
    {"access_token": "a", "expires_in": 3600.0},
    {"access_token": "a", "expires_in": "soon"},
    {"expires_in": 1},
    {"access_token": "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjE3MDAwMDAwMDB9.c2ln", "token_type": "Bearer",
     "refresh_token": "rt-1", "id_token": "eyJhbGciOiJFZERTQSJ9.e30.c2ln", "refresh_expires_in": 1800},
    {"device_code": "d", "user_code": "ABCD-EFGH", "verification_url": "https://www.google.com/device",
     "expires_in": "1800", "interval": 5},
    {"device_code": "dc-1", "user_code": "WDJB-MJHT", "verification_uri": "https://login.example.com/device",
     "verification_uri_complete": "https://login.example.com/device?user_code=WDJB-MJHT", "expires_in": 600,
     "interval": 1},
    {"error": "invalid_grant", "error_description": "Token is not active"},
    {"error": "authorization_pending"},
    {"issuer": "https://login.example.com/", "authorization_endpoint": "https://login.example.com/auth",
     "token_endpoint": "https://login.example.com/token", "userinfo_endpoint": "https://login.example.com/userinfo",
     "jwks_uri": "https://login.example.com/jwks", "device_authorization_endpoint": "https://login.example.com/device",
     "revocation_endpoint": "https://login.example.com/revoke",
     "grant_types_supported": ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"]},
]

# src/oidc/id_token_tests.rs: `claims(extra)` with each test's changes; the first byte picks
# the expectations (bit 0 set: no nonce expected; bit 1 set: no `Date` header).
NOW = 1_800_000_000
CLAIMS = {"iss": "https://login.example.com", "sub": "248289761001", "aud": "hublink", "exp": NOW + 300,
          "iat": NOW, "nonce": "n-0S6_WzA2Mj", "preferred_username": "quinn", "amr": ["pwd", "otp"]}
ID_TOKEN_CHANGES = [
    {},
    {"updated_at": "2024-05-02T10:59:07.841Z", "amr": "mfa", "exp": str(NOW + 300)},
    {"amr": None},
    {"preferred_username": None, "email": "q@example.com"},
    {"iss": "accounts.google.com"},
    {"aud": ["hublink", "300000000000000042"], "azp": "hublink"},
    {"aud": ["hublink", "300000000000000042"]},
    {"azp": "other-client"},
    {"iat": NOW - 330, "exp": NOW - 20},
    {"iat": NOW + 600, "exp": NOW + 900},
    {"nonce": "replayed"},
    {"exp": None},
]


def id_token_seeds() -> list[bytes]:
    out = []
    for i, change in enumerate(ID_TOKEN_CHANGES):
        claims = {k: v for k, v in {**CLAIMS, **change}.items() if v is not None}
        out.append(bytes([0x30 + i % 4]) + json.dumps(claims).encode())
    return out


# src/session.rs tests: `session()` as `to_secret` writes it, and older shapes.
SESSION = [
    {"access_token": "at-123", "refresh_token": "rt-456", "id_token": None, "expires_at": "1970-01-01T01:00:00Z",
     "obtained_at": "1970-01-01T00:00:00Z", "signed_in_at": "1970-01-01T00:00:00Z", "user": "alice",
     "issuer": "https://login.example.com", "client_id": "hublink"},
    {"access_token": "at", "signed_in_at": "2026-05-01T10:00:00+02:00", "user": "bob",
     "issuer": "https://login.example.com/", "client_id": "hublink", "second_factor": True},
    {"access_token": "at", "expires_at": "9999-12-31T23:59:59.999999999Z", "obtained_at": "0000-01-01T00:00:00Z",
     "signed_in_at": "2026-05-01T10:00:00-23:59", "user": "c", "issuer": "i", "client_id": "c"},
]

# src/policy_tests.rs.
KEY = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
POLICY = [
    {"AllowUserHubs": False, "AllowedHosts": ["*.example.com", "login.corp.net"], "RequireMFA": 1,
     "AllowInsecureStorage": False, "MaxSessionDays": 14, "LinkSigningKeys": [KEY], "RequireSignedLinks": True},
    {"RequireMfa": True},
    {"RequireMFA": "yes"},
    {"MaxSessionDays": 0},
    {"AllowedHosts": ["https://x.example.com/"]},
    {"LinkSigningKeys": ["not a key"]},
    {"AllowedHosts": ["*.example.com"]},
    {"RequireMFA": True, "MaxSessionDays": 7},
    [],
]

# src/loopback.rs tests: requests as browsers send them.
LOOPBACK = [
    b"GET /callback?code=the-code&state=fuzz-state&iss=http%3A%2F%2F127.0.0.1%3A1 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /callback?code=evil&state=bad-state HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /favicon.ico HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /callback?error=access_denied&error_description=%3Cb%3Edenied%3C%2Fb%3E&state=fuzz-state HTTP/1.1\r\n"
    b"Host: 127.0.0.1:49152\r\nUser-Agent: Mozilla/5.0\r\nAccept: text/html\r\n\r\n",
    b"GET /callback?state=fuzz-state HTTP/1.1\r\n\r\n",
    b"POST /callback HTTP/1.1\r\nContent-Length: 4\r\n\r\ncode",
]


def main() -> None:
    write("link", link_seeds())
    write("hubs_ini", ini_seeds())
    write("well_known", [bytes([i % 4 + 0x30]) + s for i, s in enumerate(json_seeds(WELL_KNOWN))])
    write("oidc_answer", json_seeds(OIDC))
    write("id_token", id_token_seeds())
    write("session", json_seeds(SESSION) + [b"{garbage"])
    write("policy", json_seeds(POLICY) + [b"{not json"])
    write("loopback", LOOPBACK)


if __name__ == "__main__":
    main()
