//! The flow ring's parts, all in this process: a small OpenID provider on 127.0.0.1 that signs
//! real ID tokens (Ed25519), a browser that follows the sign-in page's redirect to the
//! engine's loopback callback, a clock the tests move, and the engine wired over them.
//!
//! The provider is deliberately small: HTTP/1.1, one request per connection
//! (`Connection: close`), the endpoints Hublink uses, counters for every grant, and controls
//! for what a test needs to happen (a revoked access token, an approved device code, a
//! broken token endpoint, an ID token with the wrong nonce…).

#![allow(dead_code)] // each test binary uses its own part of the ring

use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine;
use hublink_core::app::Parts;
use hublink_core::browser::{Browser, BrowserError};
use hublink_core::clock::Clock;
use hublink_core::paths::Paths;
use hublink_core::store::{Chunked, MemoryEntries, SecretStore};
use hublink_core::{Hub, Hublink};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::signature::KeyPair;
use serde_json::{Map, Value, json};
use sha2::Digest;
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

/// The client id the provider knows (Hublink's default).
pub const CLIENT_ID: &str = "hublink";
/// The device flow's polling interval, in seconds.
pub const DEVICE_INTERVAL: u64 = 1;
const KID: &str = "ring-key-1";
const MAX_REQUEST: usize = 64 * 1024;

/// What the provider was asked, by endpoint and grant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Every request, whatever it was.
    pub requests: u32,
    pub discovery: u32,
    pub jwks: u32,
    pub authorize: u32,
    /// Successful authorization-code grants.
    pub code_grants: u32,
    /// Refresh-token grant requests (successful or not).
    pub refresh_grants: u32,
    pub device_starts: u32,
    /// Device-code grant requests (every poll).
    pub device_polls: u32,
    /// Device-code grants that issued tokens.
    pub device_grants: u32,
    pub userinfo: u32,
    pub revocations: u32,
}

/// A broken token endpoint.
#[derive(Debug, Clone)]
pub enum Fault {
    /// This status with a `text/plain` body.
    Status(u16, String),
    /// This status with this JSON body.
    Json(u16, Value),
    /// A 200 JSON answer larger than `bytes`, with or without a `Content-Length`.
    Oversized { bytes: usize, content_length: bool },
}

/// One RFC 7009 request as the provider received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoked {
    pub token: String,
    pub hint: Option<String>,
}

struct CodeGrant {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    nonce: Option<String>,
}

struct AccessToken {
    expires: Instant,
    expired: bool,
    revoked: bool,
}

struct RefreshToken {
    /// Still usable: not rotated away, not revoked.
    active: bool,
    revoked: bool,
}

struct Device {
    user_code: String,
    approved: bool,
    used: bool,
    polls: Vec<Instant>,
}

struct State {
    counts: Counts,
    access_lifetime: i64,
    codes: HashMap<String, CodeGrant>,
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
    devices: HashMap<String, Device>,
    /// Access and refresh tokens in the order they were issued.
    issued_access: Vec<String>,
    issued_refresh: Vec<String>,
    revoked: Vec<Revoked>,
    refuse_all_access: bool,
    discovery_patch: Map<String, Value>,
    id_token_patch: Map<String, Value>,
    token_fault: Option<Fault>,
    token_delay: Duration,
    slow_downs: u32,
    seq: u64,
}

impl State {
    fn next(&mut self, prefix: &str) -> String {
        self.seq += 1;
        let mut random = [0u8; 12];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut random).expect("random bytes");
        format!("{prefix}-{}-{}", self.seq, b64(&random))
    }
}

struct Shared {
    issuer: String,
    der: Vec<u8>,
    jwks: Value,
    state: Mutex<State>,
}

/// The local OpenID provider. Dropping it stops nothing: its task ends with the test's runtime.
#[derive(Clone)]
pub struct LocalIdp {
    shared: Arc<Shared>,
    port: u16,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl LocalIdp {
    /// Listen on 127.0.0.1 (an ephemeral port) and serve until the runtime ends.
    pub async fn start() -> LocalIdp {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).expect("an Ed25519 key");
        let pair = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("the Ed25519 key");
        let jwks = json!({"keys": [{
            "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": KID,
            "x": b64(pair.public_key().as_ref()),
        }]});
        let shared = Arc::new(Shared {
            issuer: format!("http://127.0.0.1:{port}"),
            der: pkcs8.as_ref().to_vec(),
            jwks,
            state: Mutex::new(State {
                counts: Counts::default(),
                access_lifetime: 300,
                codes: HashMap::new(),
                access: HashMap::new(),
                refresh: HashMap::new(),
                devices: HashMap::new(),
                issued_access: Vec::new(),
                issued_refresh: Vec::new(),
                revoked: Vec::new(),
                refuse_all_access: false,
                discovery_patch: Map::new(),
                id_token_patch: Map::new(),
                token_fault: None,
                token_delay: Duration::ZERO,
                slow_downs: 0,
                seq: 0,
            }),
        });
        let server = shared.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(server.clone(), stream));
            }
        });
        LocalIdp { shared, port }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().expect("the IdP state")
    }

    /// `http://127.0.0.1:PORT`, exactly as discovery and ID tokens name it.
    pub fn issuer(&self) -> &str {
        &self.shared.issuer
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The link that adds a hub on this provider.
    pub fn link(&self) -> String {
        format!("hublink://add?url={0}/&name=Flow&issuer={0}", self.issuer())
    }

    pub fn counts(&self) -> Counts {
        self.state().counts
    }

    /// Lifetime (`expires_in`) of access tokens issued from now on.
    pub fn set_access_lifetime(&self, seconds: i64) {
        self.state().access_lifetime = seconds;
    }

    /// The access tokens issued so far, oldest first.
    pub fn issued_access_tokens(&self) -> Vec<String> {
        self.state().issued_access.clone()
    }

    /// The newest refresh token still usable.
    pub fn active_refresh_token(&self) -> Option<String> {
        let s = self.state();
        s.issued_refresh.iter().rev().find(|t| s.refresh.get(*t).is_some_and(|r| r.active)).cloned()
    }

    /// Revoke an access token (only it: its refresh token keeps working).
    pub fn revoke_access_token(&self, token: &str) {
        if let Some(t) = self.state().access.get_mut(token) {
            t.revoked = true;
        }
    }

    /// Let an access token expire now.
    pub fn expire_access_token(&self, token: &str) {
        if let Some(t) = self.state().access.get_mut(token) {
            t.expired = true;
        }
    }

    /// The userinfo endpoint refuses every access token, also ones issued later.
    pub fn refuse_all_access_tokens(&self, refuse: bool) {
        self.state().refuse_all_access = refuse;
    }

    /// The user entered `user_code` and approved; false when no device authorization has it.
    pub fn approve_device(&self, user_code: &str) -> bool {
        let mut s = self.state();
        match s.devices.values_mut().find(|d| d.user_code == user_code) {
            Some(d) => {
                d.approved = true;
                true
            }
            None => false,
        }
    }

    /// When the device-code grant was polled, for every device authorization, in order.
    pub fn device_polls(&self) -> Vec<Instant> {
        let mut polls: Vec<Instant> = self.state().devices.values().flat_map(|d| d.polls.clone()).collect();
        polls.sort();
        polls
    }

    /// How often the provider had to say `slow_down`.
    pub fn slow_downs(&self) -> u32 {
        self.state().slow_downs
    }

    pub fn revoked(&self) -> Vec<Revoked> {
        self.state().revoked.clone()
    }

    /// Change (or, with `Value::Null`, remove) a field of the discovery document.
    pub fn patch_discovery(&self, key: &str, value: Value) {
        self.state().discovery_patch.insert(key.to_owned(), value);
    }

    /// Change (or, with `Value::Null`, remove) a claim of the ID tokens issued from now on.
    pub fn patch_id_token(&self, key: &str, value: Value) {
        self.state().id_token_patch.insert(key.to_owned(), value);
    }

    /// Break (or, with `None`, repair) the token endpoint.
    pub fn set_token_fault(&self, fault: Option<Fault>) {
        self.state().token_fault = fault;
    }

    /// Answer token requests only after `delay` (widens a race).
    pub fn set_token_delay(&self, delay: Duration) {
        self.state().token_delay = delay;
    }
}

// ---- the HTTP side ----

struct Request {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    form: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

struct Response {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    /// Send `Content-Length` (else the body ends with the connection).
    content_length: bool,
}

impl Response {
    fn json(status: u16, body: &Value) -> Response {
        Response {
            status,
            headers: vec![("Content-Type", "application/json".into()), ("Cache-Control", "no-store".into())],
            body: body.to_string().into_bytes(),
            content_length: true,
        }
    }

    fn text(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: vec![("Content-Type", "text/plain; charset=utf-8".into())],
            body: body.as_bytes().to_vec(),
            content_length: true,
        }
    }

    fn oauth_error(status: u16, error: &str, description: &str) -> Response {
        Response::json(status, &json!({"error": error, "error_description": description}))
    }
}

async fn serve(shared: Arc<Shared>, mut stream: TcpStream) {
    let response = match tokio::time::timeout(Duration::from_secs(5), read_request(&mut stream)).await {
        Ok(Some(request)) => route(&shared, request).await,
        _ => Response::text(400, "unreadable request"),
    };
    let _ = write_response(&mut stream, response).await;
}

async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() + n > MAX_REQUEST {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buf[..head_end]).ok()?.to_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let (method, target) = (request_line.next()?.to_owned(), request_line.next()?.to_owned());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize =
        headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    if length > MAX_REQUEST {
        return None;
    }
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let parse = |s: &[u8]| url::form_urlencoded::parse(s).into_owned().collect::<Vec<_>>();
    Some(Request { method, path: path.to_owned(), query: parse(query.as_bytes()), headers, form: parse(&body) })
}

async fn write_response(stream: &mut TcpStream, r: Response) -> std::io::Result<()> {
    let reason = match r.status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut head = format!("HTTP/1.1 {} {reason}\r\nConnection: close\r\n", r.status);
    for (name, value) in &r.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if r.content_length {
        head.push_str(&format!("Content-Length: {}\r\n", r.body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&r.body).await?;
    stream.shutdown().await
}

async fn route(shared: &Shared, request: Request) -> Response {
    shared.state.lock().expect("the IdP state").counts.requests += 1;
    match (request.method.as_str(), request.path.as_str()) {
        ("GET", "/.well-known/openid-configuration") => discovery(shared),
        ("GET", "/jwks") => {
            shared.state.lock().expect("the IdP state").counts.jwks += 1;
            Response::json(200, &shared.jwks)
        }
        ("GET", "/authorize") => authorize(shared, &request),
        ("POST", "/token") => {
            let delay = shared.state.lock().expect("the IdP state").token_delay;
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            token(shared, &request)
        }
        ("GET", "/userinfo") => userinfo(shared, &request),
        ("POST", "/revoke") => revoke(shared, &request),
        ("POST", "/device") => device_authorization(shared, &request),
        _ => Response::text(404, "not found"),
    }
}

fn discovery(shared: &Shared) -> Response {
    let mut s = shared.state.lock().expect("the IdP state");
    s.counts.discovery += 1;
    let i = &shared.issuer;
    let mut doc = json!({
        "issuer": i,
        "authorization_endpoint": format!("{i}/authorize"),
        "token_endpoint": format!("{i}/token"),
        "userinfo_endpoint": format!("{i}/userinfo"),
        "jwks_uri": format!("{i}/jwks"),
        "revocation_endpoint": format!("{i}/revoke"),
        "device_authorization_endpoint": format!("{i}/device"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"],
        "code_challenge_methods_supported": ["S256"],
        "id_token_signing_alg_values_supported": ["EdDSA"],
        "subject_types_supported": ["public"],
        // It sends `iss` in every answer (below), so Hublink keeps the plain /callback for it.
        "authorization_response_iss_parameter_supported": true,
    });
    patch(&mut doc, &s.discovery_patch);
    Response::json(200, &doc)
}

fn patch(target: &mut Value, changes: &Map<String, Value>) {
    if let Some(object) = target.as_object_mut() {
        for (k, v) in changes {
            if v.is_null() {
                object.remove(k);
            } else {
                object.insert(k.clone(), v.clone());
            }
        }
    }
}

fn is_loopback_redirect(uri: &str) -> bool {
    Url::parse(uri).is_ok_and(|u| {
        u.scheme() == "http"
            && matches!(u.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
            && u.port().is_some()
            && u.path() == "/callback"
    })
}

fn authorize(shared: &Shared, r: &Request) -> Response {
    let mut s = shared.state.lock().expect("the IdP state");
    s.counts.authorize += 1;
    let q = |k| param(&r.query, k);
    if q("response_type") != Some("code") {
        return Response::text(400, "response_type must be code");
    }
    if q("client_id") != Some(CLIENT_ID) {
        return Response::text(400, "unknown client_id");
    }
    let Some(redirect_uri) = q("redirect_uri").filter(|u| is_loopback_redirect(u)) else {
        return Response::text(400, "redirect_uri must be http://127.0.0.1:<port>/callback");
    };
    let challenge = q("code_challenge").unwrap_or_default();
    if q("code_challenge_method") != Some("S256") || challenge.len() != 43 {
        return Response::text(400, "PKCE S256 is required");
    }
    let (Some(state), Some(scope)) = (q("state"), q("scope")) else {
        return Response::text(400, "state and scope are required");
    };
    if !scope.split(' ').any(|s| s == "openid") {
        return Response::text(400, "scope must include openid");
    }
    let code = s.next("code");
    let grant = CodeGrant {
        client_id: CLIENT_ID.into(),
        redirect_uri: redirect_uri.to_owned(),
        challenge: challenge.to_owned(),
        nonce: q("nonce").map(str::to_owned),
    };
    s.codes.insert(code.clone(), grant);
    let mut location = Url::parse(redirect_uri).expect("checked above");
    location
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", state)
        .append_pair("iss", &shared.issuer);
    Response { status: 302, headers: vec![("Location", location.into())], body: Vec::new(), content_length: true }
}

fn token(shared: &Shared, r: &Request) -> Response {
    let mut s = shared.state.lock().expect("the IdP state");
    let f = |k| param(&r.form, k);
    let grant_type = f("grant_type").unwrap_or_default();
    match grant_type {
        "refresh_token" => s.counts.refresh_grants += 1,
        "urn:ietf:params:oauth:grant-type:device_code" => s.counts.device_polls += 1,
        _ => {}
    }
    if let Some(fault) = s.token_fault.clone() {
        return match fault {
            Fault::Status(status, body) => Response::text(status, &body),
            Fault::Json(status, body) => Response::json(status, &body),
            Fault::Oversized { bytes, content_length } => {
                let padding = "x".repeat(bytes);
                let mut r =
                    Response::json(200, &json!({"access_token": "big", "token_type": "Bearer", "padding": padding}));
                r.content_length = content_length;
                r
            }
        };
    }
    if f("client_id") != Some(CLIENT_ID) {
        return Response::oauth_error(401, "invalid_client", "unknown client");
    }
    match grant_type {
        "authorization_code" => {
            let Some(grant) = f("code").and_then(|c| s.codes.remove(c)) else {
                return Response::oauth_error(400, "invalid_grant", "unknown or used code");
            };
            if grant.client_id != CLIENT_ID || f("redirect_uri") != Some(grant.redirect_uri.as_str()) {
                return Response::oauth_error(
                    400,
                    "invalid_grant",
                    "redirect_uri differs from the authorization request",
                );
            }
            let verifier = f("code_verifier").unwrap_or_default();
            if verifier.len() < 43 || b64(&sha2::Sha256::digest(verifier.as_bytes())) != grant.challenge {
                return Response::oauth_error(400, "invalid_grant", "PKCE verification failed");
            }
            s.counts.code_grants += 1;
            let answer = issue(shared, &mut s, grant.nonce.as_deref());
            Response::json(200, &answer)
        }
        "refresh_token" => {
            let token = f("refresh_token").unwrap_or_default().to_owned();
            match s.refresh.get_mut(&token) {
                Some(rt) if rt.active => rt.active = false, // rotated
                _ => return Response::oauth_error(400, "invalid_grant", "the refresh token is not valid"),
            }
            let answer = issue(shared, &mut s, None);
            Response::json(200, &answer)
        }
        "urn:ietf:params:oauth:grant-type:device_code" => {
            let now = Instant::now();
            let code = f("device_code").unwrap_or_default().to_owned();
            let outcome = match s.devices.get_mut(&code) {
                None => Err(("invalid_grant", "unknown device code")),
                Some(device) => {
                    let min_gap = Duration::from_millis(DEVICE_INTERVAL * 1000 - 50);
                    let too_soon = device.polls.last().is_some_and(|last| now.duration_since(*last) < min_gap);
                    device.polls.push(now);
                    if too_soon {
                        Err(("slow_down", "poll at the interval"))
                    } else if device.used {
                        Err(("invalid_grant", "the device code was used"))
                    } else if !device.approved {
                        Err(("authorization_pending", "the user has not finished yet"))
                    } else {
                        device.used = true;
                        Ok(())
                    }
                }
            };
            match outcome {
                Err((error, description)) => {
                    if error == "slow_down" {
                        s.slow_downs += 1;
                    }
                    Response::oauth_error(400, error, description)
                }
                Ok(()) => {
                    s.counts.device_grants += 1;
                    let answer = issue(shared, &mut s, None);
                    Response::json(200, &answer)
                }
            }
        }
        _ => Response::oauth_error(400, "unsupported_grant_type", "unknown grant_type"),
    }
}

/// New access and refresh tokens and a signed ID token.
fn issue(shared: &Shared, s: &mut State, nonce: Option<&str>) -> Value {
    let (access, refresh) = (s.next("at"), s.next("rt"));
    let lifetime = s.access_lifetime;
    let expires = Instant::now() + Duration::from_secs(lifetime.max(0).unsigned_abs());
    s.access.insert(access.clone(), AccessToken { expires, expired: false, revoked: false });
    s.refresh.insert(refresh.clone(), RefreshToken { active: true, revoked: false });
    s.issued_access.push(access.clone());
    s.issued_refresh.push(refresh.clone());
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let mut claims = json!({
        "iss": shared.issuer, "sub": "alice-0001", "aud": CLIENT_ID, "exp": now + 300, "iat": now,
        "preferred_username": "alice", "amr": ["pwd", "otp"],
    });
    if let Some(nonce) = nonce {
        claims["nonce"] = json!(nonce);
    }
    patch(&mut claims, &s.id_token_patch);
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(KID.to_owned());
    let id_token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(&shared.der)).expect("an ID token");
    json!({
        "access_token": access, "token_type": "Bearer", "expires_in": lifetime,
        "refresh_token": refresh, "id_token": id_token, "scope": "openid profile email offline_access",
    })
}

fn userinfo(shared: &Shared, r: &Request) -> Response {
    let mut s = shared.state.lock().expect("the IdP state");
    s.counts.userinfo += 1;
    let refuse = |description: &str| Response {
        status: 401,
        headers: vec![(
            "WWW-Authenticate",
            format!("Bearer error=\"invalid_token\", error_description=\"{description}\""),
        )],
        body: Vec::new(),
        content_length: true,
    };
    let Some(token) = r.header("authorization").and_then(|h| h.strip_prefix("Bearer ")) else {
        return refuse("no bearer token");
    };
    let refuse_all = s.refuse_all_access;
    match s.access.get(token) {
        None => refuse("unknown access token"),
        Some(t) if t.revoked => refuse("the access token was revoked"),
        Some(t) if t.expired || Instant::now() > t.expires => refuse("the access token expired"),
        Some(_) if refuse_all => refuse("the access token is not accepted"),
        Some(_) => Response::json(200, &json!({"sub": "alice-0001", "preferred_username": "alice"})),
    }
}

fn revoke(shared: &Shared, r: &Request) -> Response {
    let mut s = shared.state.lock().expect("the IdP state");
    s.counts.revocations += 1;
    let Some(token) = param(&r.form, "token").map(str::to_owned) else {
        return Response::oauth_error(400, "invalid_request", "no token");
    };
    if param(&r.form, "client_id") != Some(CLIENT_ID) {
        return Response::oauth_error(401, "invalid_client", "unknown client");
    }
    if let Some(t) = s.access.get_mut(&token) {
        t.revoked = true;
    }
    if let Some(t) = s.refresh.get_mut(&token) {
        t.revoked = true;
        t.active = false;
    }
    s.revoked.push(Revoked { token, hint: param(&r.form, "token_type_hint").map(str::to_owned) });
    // RFC 7009 §2.2: 200 also for tokens that are unknown or already invalid.
    Response::text(200, "")
}

fn device_authorization(shared: &Shared, r: &Request) -> Response {
    let mut s = shared.state.lock().expect("the IdP state");
    s.counts.device_starts += 1;
    if param(&r.form, "client_id") != Some(CLIENT_ID) {
        return Response::oauth_error(401, "invalid_client", "unknown client");
    }
    let device_code = s.next("dc");
    let user_code = format!("WDJB-{:04}", s.seq);
    s.devices.insert(
        device_code.clone(),
        Device { user_code: user_code.clone(), approved: false, used: false, polls: Vec::new() },
    );
    let verification_uri = format!("{}/activate", shared.issuer);
    Response::json(
        200,
        &json!({
            "device_code": device_code, "user_code": user_code,
            "verification_uri": verification_uri,
            "verification_uri_complete": format!("{verification_uri}?user_code={user_code}"),
            "expires_in": 60, "interval": DEVICE_INTERVAL,
        }),
    )
}

// ---- the browser ----

/// What the browser saw of one sign-in: the sign-in page's status, the final page.
#[derive(Debug, Clone)]
pub struct Visit {
    pub authorize_status: u16,
    pub callback_status: Option<u16>,
    pub callback_page: String,
}

/// Opens the authorization URL like a user who is already signed in at the provider: GET it
/// (no redirect following), then GET the `Location` — the engine's loopback callback — and
/// keep the page the engine answers there.
#[derive(Default)]
pub struct TestBrowser {
    visits: Arc<Mutex<Vec<Visit>>>,
    opened: Mutex<Vec<Url>>,
}

impl TestBrowser {
    pub fn opened(&self) -> Vec<Url> {
        self.opened.lock().expect("opened").clone()
    }

    /// Visits finished so far.
    pub fn visits(&self) -> Vec<Visit> {
        self.visits.lock().expect("visits").clone()
    }

    /// Wait until `n` visits finished (the tab gets its page after the engine decided).
    pub fn wait_for_visits(&self, n: usize) -> Vec<Visit> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.visits().len() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.visits()
    }
}

impl Browser for TestBrowser {
    fn open(&self, url: &Url) -> Result<(), BrowserError> {
        self.opened.lock().expect("opened").push(url.clone());
        let (url, visits) = (url.clone(), self.visits.clone());
        std::thread::spawn(move || {
            let visit = visit(&url).unwrap_or_else(|e| Visit {
                authorize_status: 0,
                callback_status: None,
                callback_page: format!("browser error: {e}"),
            });
            visits.lock().expect("visits").push(visit);
        });
        Ok(())
    }
}

fn visit(url: &Url) -> std::io::Result<Visit> {
    let page = http_get(url)?;
    let Some(location) = page.header("location").filter(|_| page.status == 302) else {
        return Ok(Visit { authorize_status: page.status, callback_status: None, callback_page: page.body });
    };
    let target = Url::parse(location).map_err(std::io::Error::other)?;
    let callback = http_get(&target)?;
    Ok(Visit { authorize_status: page.status, callback_status: Some(callback.status), callback_page: callback.body })
}

/// An HTTP answer as a browser got it.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: u16,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// One GET over a plain TCP connection.
pub fn http_get(url: &Url) -> std::io::Result<Page> {
    let host = url.host_str().unwrap_or("127.0.0.1");
    let port = url.port_or_known_default().unwrap_or(80);
    let mut stream = std::net::TcpStream::connect((host, port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    write!(stream, "GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n")?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok(Page { status, headers, body: body.to_owned() })
}

// ---- the clock ----

/// The real time plus an offset the test moves forward.
#[derive(Default)]
pub struct TestClock {
    offset: Mutex<time::Duration>,
}

impl TestClock {
    pub fn advance(&self, by: time::Duration) {
        *self.offset.lock().expect("clock") += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + *self.offset.lock().expect("clock")
    }
}

// ---- the engine over all of it ----

/// One user's machine: a Hublink home in a temp folder, a memory keyring, the test browser and
/// clock, and one hub on the local provider.
pub struct Ring {
    pub idp: LocalIdp,
    pub clock: Arc<TestClock>,
    pub browser: Arc<TestBrowser>,
    pub store: Arc<dyn SecretStore>,
    pub dir: tempfile::TempDir,
    pub app: Hublink,
    pub hub: Hub,
}

impl Ring {
    pub async fn start() -> Ring {
        Ring::with_idp(LocalIdp::start().await).await
    }

    pub async fn with_idp(idp: LocalIdp) -> Ring {
        let dir = tempfile::tempdir().expect("a temp folder");
        let store: Arc<dyn SecretStore> = Arc::new(Chunked::new(MemoryEntries::default()));
        let (clock, browser) = (Arc::new(TestClock::default()), Arc::new(TestBrowser::default()));
        let app = engine(&dir, &store, &browser, &clock);
        let proposal = app.prepare_add(&idp.link()).await.expect("the link is accepted");
        app.add(&proposal).expect("the hub is added");
        let catalog = app.catalog().expect("the catalog");
        assert_eq!(catalog.hubs.len(), 1);
        let hub = catalog.hubs[0].clone();
        Ring { idp, clock, browser, store, dir, app, hub }
    }

    /// Another process on the same machine: same home, same keyring, its own engine.
    pub fn another_process(&self) -> Hublink {
        engine(&self.dir, &self.store, &self.browser, &self.clock)
    }

    /// The session as stored in the keyring, if any.
    pub fn stored_session(&self) -> Option<hublink_core::session::StoredSession> {
        let secret = self.store.get(self.hub.id.as_str()).expect("the store answers")?;
        hublink_core::session::StoredSession::from_secret(&secret)
    }
}

fn engine(
    dir: &tempfile::TempDir,
    store: &Arc<dyn SecretStore>,
    browser: &Arc<TestBrowser>,
    clock: &Arc<TestClock>,
) -> Hublink {
    Hublink::new(Parts {
        paths: Paths::at(dir.path()),
        store: store.clone(),
        browser: browser.clone(),
        ini_dirs: vec![],
        insecure_storage_allowed: false,
        clock: clock.clone(),
        policy: Arc::default(),
        web: std::sync::OnceLock::new(),
        store_gate: Default::default(),
    })
}
