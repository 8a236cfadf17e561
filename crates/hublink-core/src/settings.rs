//! The validated description of one hub: what an authentication link, a hubs.ini section or a
//! hub's published `/.well-known/hublink.json` turns into.
//!
//! Every value is checked here, once, whatever it came from; [`HubSettings::from_pairs`] is
//! the only way in. The rules are PRODUCT.md's ("The authentication link", "hubs.ini"):
//!
//! * `url`, `issuer`, `session_check`: absolute `https://` addresses (`http://` only for
//!   loopback hosts), no user name or password, no fragment, nothing invisible. Control
//!   characters and white space are refused on the decoded value *before* the `url` crate
//!   sees it, because that crate silently drops tabs and line breaks.
//! * Secrets are never accepted from anywhere: a key that looks like one refuses the whole
//!   hub, and its value is never printed.
//! * Error messages name the part that is wrong and what to do, and never echo a value that
//!   could be a secret.

use std::collections::HashSet;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::{Host, Url};

/// `client_id` when none is given.
pub const DEFAULT_CLIENT_ID: &str = "hublink";
/// `scope` when none is given.
pub const DEFAULT_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];
/// `max_session_days` when none is given.
pub const DEFAULT_MAX_SESSION_DAYS: u32 = 30;
/// Longest accepted `url`, `issuer` or `session_check`, in characters.
pub const MAX_URL_CHARS: usize = 2048;
/// Longest accepted friendly name, in characters (after trimming).
pub const MAX_NAME_CHARS: usize = 100;
/// Longest accepted `client_id`, in characters.
pub const MAX_CLIENT_ID_CHARS: usize = 200;
/// Longest accepted `scope` value, in characters.
pub const MAX_SCOPE_CHARS: usize = 2048;
/// Longest accepted `ca_file` path, in characters.
pub const MAX_PATH_CHARS: usize = 4096;
/// Largest accepted `max_session_days` (ten years).
pub const MAX_SESSION_DAYS_LIMIT: u32 = 3650;

/// How the user signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flow {
    /// Authorization code + PKCE through the system browser and a loopback redirect.
    #[default]
    Browser,
    /// Device authorization grant (RFC 8628): a code typed on another device.
    Device,
}

impl Flow {
    pub fn as_str(self) -> &'static str {
        match self {
            Flow::Browser => "browser",
            Flow::Device => "device",
        }
    }
}

/// How the user signs in to the hub (`auth`, PRODUCT.md "The authentication link").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Auth {
    /// Hublink runs OpenID Connect with the hub's issuer and keeps the IdP's tokens.
    #[default]
    Oidc,
    /// The hub runs its own sign-in (SAML or OIDC at its proxy, as a Qlik Sense Enterprise
    /// virtual proxy does) in a Hublink window; the session is the hub's own cookie.
    Web,
}

impl Auth {
    pub fn as_str(self) -> &'static str {
        match self {
            Auth::Oidc => "oidc",
            Auth::Web => "web",
        }
    }
}

impl fmt::Display for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a set of key/value pairs came from; it decides which keys are allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Context {
    /// A `hublink://add?…` link: keys are case-sensitive lowercase; `ca_file` is refused;
    /// `max_session_days` is an unknown key (reported, ignored).
    Link,
    /// A hubs.ini section: keys in any case; the friendly name defaults to the section name.
    HubsIni { section_name: String },
    /// A hub's `/.well-known/hublink.json`: the same keys as a link.
    WellKnown,
}

/// A validated hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubSettings {
    /// Normalized hub URL: lowercase host, no default port, path ending in `/`.
    pub url: Url,
    /// Friendly name: trimmed, 1..=100 characters, nothing invisible. Default:
    /// [`Self::display_host`] (cut to 100 characters, ending in `…`, when longer).
    pub name: String,
    /// OIDC issuer exactly as given (trimmed): `iss` is compared byte for byte, so this is
    /// never re-serialized through `Url`. Default: the `url` value as given.
    pub issuer: String,
    /// OAuth client id: 1..=200 characters of `%x21-7E`. Default `hublink`.
    pub client_id: String,
    /// Scopes, `openid` first, no duplicates. Default `openid profile email offline_access`.
    pub scopes: Vec<String>,
    /// `mfa=required`: the ID token must show a second factor.
    pub mfa_required: bool,
    pub flow: Flow,
    /// Fixed loopback redirect port, 1..=65535; `None` = ephemeral.
    pub redirect_port: Option<u16>,
    /// Session check endpoint on the hub's own origin; `None` = the issuer's userinfo endpoint.
    pub session_check: Option<Url>,
    /// Days after which the user must sign in interactively again (hubs.ini only). Default 30.
    pub max_session_days: u32,
    /// Extra trusted CA certificate file (hubs.ini only).
    pub ca_file: Option<PathBuf>,
    /// Audiences besides `client_id` the ID token may carry (`extra_audiences`; `azp` must
    /// then be the client id). Some providers always add their own project id (OIDC Core
    /// §3.1.3.7 items 3–5).
    pub extra_audiences: Vec<String>,
    /// `auth`: OpenID Connect by Hublink (default) or the hub's own web sign-in.
    pub auth: Auth,
    /// `auth=web`: the session cookie's name, or a name prefix (`X-Qlik-Session`); `None`: the
    /// first new cookie on the hub's origin after sign-in. An RFC 6265 token, 1..=200 characters.
    pub session_cookie: Option<String>,
    /// `auth=web`: where the sign-in window starts, on the hub's origin. `None`: `url`.
    pub login_path: Option<Url>,
    /// `auth=web`, hubs.ini only: keep the IdP's sign-in cookies in the keyring with the hub's
    /// session, so a dead hub cookie can be renewed without the user. Default true.
    pub remember_idp_session: bool,
    /// The command (or browser and profile, e.g. `firefox -P work`) that opens this hub's
    /// sign-in page; hubs.ini only. `None`: `HUBLINK_BROWSER`, else the system browser.
    pub browser: Option<String>,
}

/// A hub's identity: the first 16 hex characters of SHA-256(normalized url + "\n" + client_id).
/// The same hub added twice (however its address was written) has one identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HubId(String);

/// Why a string is not a [`HubId`]. The string itself is not kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HubIdError {
    #[error("a hub identity has 16 characters, this has {len}: copy it again from `hublink list`")]
    WrongLength { len: usize },
    #[error("a hub identity is made of lowercase hexadecimal digits (0-9, a-f): copy it again from `hublink list`")]
    NotLowercaseHex,
}

impl HubId {
    /// Length of an identity, in hex characters.
    pub const LEN: usize = 16;

    /// The identity of the hub at `url` (already normalized) used with `client_id`.
    pub fn compute(url: &Url, client_id: &str) -> HubId {
        let mut hasher = Sha256::new();
        hasher.update(url.as_str().as_bytes());
        hasher.update(b"\n");
        hasher.update(client_id.as_bytes());
        let digest = hasher.finalize();
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut hex = String::with_capacity(Self::LEN);
        for byte in digest.iter().take(Self::LEN / 2) {
            hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
            hex.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
        }
        HubId(hex)
    }

    /// Parses 16 lowercase hex characters.
    pub fn parse(s: &str) -> Result<HubId, HubIdError> {
        let len = s.chars().count();
        if len != Self::LEN {
            return Err(HubIdError::WrongLength { len });
        }
        if !s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(HubIdError::NotLowercaseHex);
        }
        Ok(HubId(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HubId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for HubId {
    type Err = HubIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HubId::parse(s)
    }
}

impl TryFrom<String> for HubId {
    type Error = HubIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        HubId::parse(&s)
    }
}

impl From<HubId> for String {
    fn from(id: HubId) -> String {
        id.0
    }
}

/// What is wrong with a friendly name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameProblem {
    #[error("is empty: give a name, or leave `name` out to use the host name")]
    Empty,
    #[error("is longer than {max} characters: shorten it")]
    TooLong { max: usize },
    #[error("contains a line break: write it on one line")]
    LineBreak,
    #[error("contains control characters: remove them")]
    ControlCharacter,
    #[error("contains invisible direction-changing characters, which can make it look like another name: remove them")]
    DirectionOverride,
}

/// Why a set of values does not describe a usable hub. Each variant names the part (the key)
/// that is wrong; the message says what to do. No variant holds a value that could be a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    #[error("`url` is missing: give the hub's address, e.g. url=https://hub.example.com/")]
    MissingUrl,

    #[error("`{key}` is empty: give a value, or leave `{key}` out to use the default")]
    EmptyValue { key: String },

    #[error("`{key}` is not a full address: it must start with https:// followed by the host name")]
    NotAbsolute { key: String },

    #[error("`{key}` uses the `{scheme}:` scheme, which is not allowed: only https:// addresses are accepted")]
    SchemeNotAllowed { key: String, scheme: String },

    #[error(
        "`{key}` uses unencrypted http:// to {host}: use https:// (http:// is allowed only for this computer: 127.0.0.1, [::1], localhost)"
    )]
    InsecureHttp { key: String, host: String },

    #[error(
        "`{key}` contains a user name or password before `@`, which could hide the real host: remove everything between `//` and `@`"
    )]
    UserInfo { key: String },

    #[error(
        "`{key}` contains control characters, line breaks or invisible direction-changing characters: remove them (copy the value again, on one line)"
    )]
    ControlCharacter { key: String },

    #[error("`{key}` contains spaces: remove them (an address never contains spaces; encode one inside a path as %20)")]
    Whitespace { key: String },

    #[error(
        "`{key}` contains a backslash `\\`, which browsers read as `/` and which could hide the real host: write the address with `/` only"
    )]
    Backslash { key: String },

    #[error(
        "`{key}` is percent-encoded twice (it still contains an encoded `:` or `//` after decoding): encode the address only once"
    )]
    DoubleEncoded { key: String },

    #[error("`{key}` is longer than {max} characters: shorten it")]
    TooLong { key: String, max: usize },

    #[error("`{key}` ends with a fragment (`#…`): remove the `#` and what follows it")]
    Fragment { key: String },

    #[error("`{key}` has a query (`?…`): remove the `?` and what follows it")]
    Query { key: String },

    #[error("`{key}` has no host name: write it as https://host.example.com/")]
    NoHost { key: String },

    #[error("`{key}` is not a valid address ({reason}): check it for typing mistakes")]
    InvalidUrl { key: String, reason: url::ParseError },

    #[error(
        "`session_check` is on {session_check}, not on the hub's own origin {hub}: it must use the same scheme, host and port as `url` (the token never leaves the hub and its issuer); fix it or leave it out"
    )]
    OtherOrigin { session_check: String, hub: String },

    #[error(
        "`login_path` is on {login_path}, not on the hub's own origin {hub}: the sign-in window starts on the hub; fix it or leave it out"
    )]
    LoginElsewhere { login_path: String, hub: String },

    #[error(
        "`auth=web` needs `session_check`: the address on the hub that tells whether its session cookie is still good (for Qlik Sense: /<virtual proxy prefix>/qps/user)"
    )]
    WebNeedsSessionCheck,

    #[error("`{key}` {}: expected {expected}", describe_hint(.value_hint.as_deref()))]
    BadValue { key: String, value_hint: Option<String>, expected: &'static str },

    #[error("`{key}` is refused: links and hubs.ini never carry secrets; remove `{key}`")]
    SecretParameter { key: String },

    #[error("`{key}` is not allowed here: a link never carries file paths or CA certificates; put {key} in hubs.ini")]
    NotInLink { key: String },

    #[error("`{key}` is given twice: keep only one")]
    Duplicate { key: String },

    #[error("the friendly name (`name`) {reason}")]
    BadName { reason: NameProblem },

    #[error(
        "the hub published settings for another address ({published} instead of {asked}): use the authentication link from the hub's administrator"
    )]
    OtherHubAddress { asked: String, published: String },

    #[error(
        "the hub's published settings are not a JSON object of key/value pairs: use the authentication link from the hub's administrator"
    )]
    NotAnObject,

    #[error(
        "the values are too long together: written as a link they would take more than {max} characters; shorten the longest (url, issuer, scope, session_check)"
    )]
    TooLongForALink { max: usize },
}

fn describe_hint(hint: Option<&str>) -> String {
    match hint {
        Some(v) => format!("has the value \"{v}\", which is not accepted"),
        None => "has a value that is not accepted".to_owned(),
    }
}

impl SettingsError {
    /// The key the problem is about, when there is one (used to point at a hubs.ini line).
    pub fn key(&self) -> Option<&str> {
        use SettingsError::*;
        match self {
            MissingUrl | OtherHubAddress { .. } => Some("url"),
            OtherOrigin { .. } | WebNeedsSessionCheck => Some("session_check"),
            LoginElsewhere { .. } => Some("login_path"),
            BadName { .. } => Some("name"),
            NotAnObject | TooLongForALink { .. } => None,
            EmptyValue { key }
            | NotAbsolute { key }
            | SchemeNotAllowed { key, .. }
            | InsecureHttp { key, .. }
            | UserInfo { key }
            | ControlCharacter { key }
            | Whitespace { key }
            | Backslash { key }
            | DoubleEncoded { key }
            | TooLong { key, .. }
            | Fragment { key }
            | Query { key }
            | NoHost { key }
            | InvalidUrl { key, .. }
            | BadValue { key, .. }
            | SecretParameter { key }
            | NotInLink { key }
            | Duplicate { key } => Some(key),
        }
    }

    /// What the user can do about it.
    pub fn next_step(&self) -> &'static str {
        use SettingsError::*;
        match self {
            InsecureHttp { .. } => {
                "Use the hub's https:// address; ask your administrator for it if you do not know it."
            }
            SecretParameter { .. } => {
                "Remove the secret and tell your administrator, who should replace it: a secret sent in a link or file is no longer secret, and Hublink never needs one."
            }
            NotInLink { .. } => "Ask your administrator to put ca_file in hubs.ini; a link cannot carry it.",
            OtherOrigin { .. } => {
                "Ask your administrator for a link whose session_check is on the hub's own address, or leave session_check out."
            }
            OtherHubAddress { .. } | NotAnObject => {
                "Ask the hub's administrator for an authentication link, or to fix /.well-known/hublink.json."
            }
            _ => "Ask your administrator for a corrected authentication link or hubs.ini entry.",
        }
    }
}

/// The keys a link (and a hub's published settings) may carry.
pub(crate) const LINK_KEYS: [&str; 13] = [
    "url",
    "name",
    "issuer",
    "client_id",
    "scope",
    "mfa",
    "flow",
    "redirect_port",
    "session_check",
    "extra_audiences",
    "auth",
    "session_cookie",
    "login_path",
];

/// The keys that only OpenID Connect uses: with `auth=web` they are reported as ignored.
const OIDC_ONLY_KEYS: [&str; 7] = ["issuer", "client_id", "scope", "mfa", "flow", "redirect_port", "extra_audiences"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
enum Field {
    Url,
    Name,
    Issuer,
    ClientId,
    Scope,
    Mfa,
    Flow,
    RedirectPort,
    SessionCheck,
    ExtraAudiences,
    Auth,
    SessionCookie,
    LoginPath,
    MaxSessionDays,
    CaFile,
    RememberIdpSession,
    Browser,
}

impl Field {
    const COUNT: usize = Field::Browser as usize + 1;
}

/// Where a key may be given.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Allowed {
    /// Links, hubs.ini and published settings.
    Everywhere,
    /// hubs.ini only; a link carrying it is refused.
    FilesRefusedInLinks,
    /// hubs.ini only; elsewhere an unknown key (ignored).
    FilesOnly,
}

/// Every key Hublink knows, the field it fills and where it may be given.
const KEYS: [(&str, Field, Allowed); Field::COUNT] = [
    ("url", Field::Url, Allowed::Everywhere),
    ("name", Field::Name, Allowed::Everywhere),
    ("issuer", Field::Issuer, Allowed::Everywhere),
    ("client_id", Field::ClientId, Allowed::Everywhere),
    ("scope", Field::Scope, Allowed::Everywhere),
    ("mfa", Field::Mfa, Allowed::Everywhere),
    ("flow", Field::Flow, Allowed::Everywhere),
    ("redirect_port", Field::RedirectPort, Allowed::Everywhere),
    ("session_check", Field::SessionCheck, Allowed::Everywhere),
    ("extra_audiences", Field::ExtraAudiences, Allowed::Everywhere),
    ("auth", Field::Auth, Allowed::Everywhere),
    ("session_cookie", Field::SessionCookie, Allowed::Everywhere),
    ("login_path", Field::LoginPath, Allowed::Everywhere),
    ("max_session_days", Field::MaxSessionDays, Allowed::FilesOnly),
    ("ca_file", Field::CaFile, Allowed::FilesRefusedInLinks),
    ("remember_idp_session", Field::RememberIdpSession, Allowed::FilesOnly),
    ("browser", Field::Browser, Allowed::FilesRefusedInLinks),
];

enum KeyClass {
    Known(Field),
    NotHere,
    Unknown,
}

fn classify(key: &str, ctx: &Context) -> KeyClass {
    let in_ini = matches!(ctx, Context::HubsIni { .. });
    match KEYS.iter().find(|(name, _, _)| *name == key) {
        Some((_, field, Allowed::Everywhere)) => KeyClass::Known(*field),
        Some((_, field, _)) if in_ini => KeyClass::Known(*field),
        Some((_, _, Allowed::FilesRefusedInLinks)) => KeyClass::NotHere,
        Some((_, _, Allowed::FilesOnly)) | None => KeyClass::Unknown,
    }
}

/// True for a key that looks like it carries a secret, in any case and with `-` or `_`.
/// Exact names (PRODUCT.md's list plus a few spellings of the same things) and any key that
/// ends in `_secret`, `_password`, `_token` or `_api_key`.
pub(crate) fn is_secret_key(key: &str) -> bool {
    const EXACT: [&str; 17] = [
        "client_secret",
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "code",
        "api_key",
        "apikey",
        "private_key",
        "client_assertion",
        "auth_token",
        "bearer",
        "authorization",
    ];
    let k: String = key.trim().chars().map(|c| if c == '-' { '_' } else { c.to_ascii_lowercase() }).collect();
    EXACT.contains(&k.as_str())
        || ["_secret", "_password", "_token", "_api_key", "_apikey"].iter().any(|s| k.ends_with(s))
}

/// U+200E/200F, U+061C and the embedding/override/isolate controls U+202A-202E, U+2066-2069.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

pub(crate) fn is_line_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{0085}' | '\u{2028}' | '\u{2029}')
}

/// Control characters, line breaks and invisible direction-changing characters.
pub(crate) fn is_hidden_char(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || is_line_break(c)
}

/// A user-supplied string made safe to show in a message: hidden characters become U+FFFD
/// and it is cut after `max_chars` characters.
pub(crate) fn printable(s: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == max_chars {
            out.push('…');
            break;
        }
        out.push(if is_hidden_char(c) { '\u{FFFD}' } else { c });
    }
    out
}

/// A short, harmless value that may be shown in a message (`mfa`, `flow`, port numbers);
/// anything longer or with other characters is not echoed.
fn hint(value: &str) -> Option<String> {
    let v = value.trim_matches(' ');
    let safe = !v.is_empty()
        && v.len() <= 16
        && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+'));
    safe.then(|| v.to_owned())
}

/// The scheme of `value` (as written), or `None` when it has none. `host:port` and
/// `host:port/path` are not read as a scheme.
pub(crate) fn split_scheme(value: &str) -> Option<&str> {
    let (scheme, rest) = value.split_once(':')?;
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let port_like = rest.chars().next().is_some_and(|c| c.is_ascii_digit());
    (first_ok && rest_ok && !port_like).then_some(scheme)
}

/// Still percent-encoded after decoding: `https%3A…`, `…%2F%2F…`, `…%3A%2F…`.
fn looks_double_encoded(value: &str) -> bool {
    let v = value.to_ascii_lowercase();
    let encoded_scheme = v.split_once("%3a").is_some_and(|(s, _)| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    encoded_scheme || v.contains("%2f%2f") || v.contains("%3a%2f")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UrlRole {
    Hub,
    Issuer,
    SessionCheck,
}

/// True for an address Hublink may send secrets to: `https://`, or `http://` to this computer
/// (127.0.0.0/8, [::1], localhost) — the same rule as for the addresses in a link.
pub fn is_secure_endpoint(url: &Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => url.host().is_some_and(|h| is_loopback(&h)),
        _ => false,
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
    }
}

fn check_no_control(key: &str, raw: &str) -> Result<(), SettingsError> {
    if raw.chars().any(is_hidden_char) {
        return Err(SettingsError::ControlCharacter { key: key.to_owned() });
    }
    Ok(())
}

/// Checks one of the address values against PRODUCT.md's rules.
fn validate_url(key: &str, raw: &str, role: UrlRole) -> Result<Url, SettingsError> {
    let k = || key.to_owned();
    check_no_control(key, raw)?;
    let value = raw.trim_matches(' ');
    if value.is_empty() {
        return Err(SettingsError::EmptyValue { key: k() });
    }
    if value.chars().count() > MAX_URL_CHARS {
        return Err(SettingsError::TooLong { key: k(), max: MAX_URL_CHARS });
    }
    if value.chars().any(char::is_whitespace) {
        return Err(SettingsError::Whitespace { key: k() });
    }
    if looks_double_encoded(value) {
        return Err(SettingsError::DoubleEncoded { key: k() });
    }
    let Some(scheme) = split_scheme(value) else {
        return Err(SettingsError::NotAbsolute { key: k() });
    };
    let scheme_lc = scheme.to_ascii_lowercase();
    if scheme_lc != "https" && scheme_lc != "http" {
        return Err(SettingsError::SchemeNotAllowed { key: k(), scheme: printable(&scheme_lc, 32) });
    }
    // `scheme` is ASCII, so `scheme.len() + 1` is a character boundary.
    let after_scheme = value.get(scheme.len() + 1..).unwrap_or("");
    let Some(after_slashes) = after_scheme.strip_prefix("//") else {
        // `https:host` and `https:/host` are "fixed" by the url crate; we refuse them.
        return Err(SettingsError::NotAbsolute { key: k() });
    };
    if value.contains('\\') {
        return Err(SettingsError::Backslash { key: k() });
    }
    let authority = after_slashes.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() {
        // The url crate reads `https:///evil.com` as `https://evil.com/`; we do not.
        return Err(SettingsError::NoHost { key: k() });
    }
    if authority.contains('@') {
        return Err(SettingsError::UserInfo { key: k() });
    }
    let url = Url::parse(value).map_err(|e| match e {
        url::ParseError::EmptyHost => SettingsError::NoHost { key: k() },
        reason => SettingsError::InvalidUrl { key: k(), reason },
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(SettingsError::UserInfo { key: k() });
    }
    let Some(host) = url.host() else {
        return Err(SettingsError::NoHost { key: k() });
    };
    if url.scheme() == "http" && !is_loopback(&host) {
        return Err(SettingsError::InsecureHttp { key: k(), host: url.host_str().unwrap_or("").to_owned() });
    }
    if url.fragment().is_some() {
        return Err(SettingsError::Fragment { key: k() });
    }
    if role != UrlRole::SessionCheck && url.query().is_some() {
        return Err(SettingsError::Query { key: k() });
    }
    // `url` and `session_check` are written back normalized (into the link Hublink stores for
    // the hub), and percent-encoding or punycode can make an address longer than as given: the
    // limit holds for what is written too, or the stored link would be refused when read back.
    // (`issuer` is kept and written exactly as given.)
    let url = if role == UrlRole::Hub { normalize_hub_url(url) } else { url };
    if role != UrlRole::Issuer && url.as_str().chars().count() > MAX_URL_CHARS {
        return Err(SettingsError::TooLong { key: k(), max: MAX_URL_CHARS });
    }
    Ok(url)
}

fn normalize_hub_url(mut url: Url) -> Url {
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url
}

/// Validates and normalizes a hub address (the `url` rules: https, or http on loopback; no
/// user info, query or fragment; path ending in `/`). Used for addresses typed by the user.
pub fn parse_hub_url(raw: &str) -> Result<Url, SettingsError> {
    validate_url("url", raw, UrlRole::Hub)
}

fn validate_name(raw: &str) -> Result<String, SettingsError> {
    let bad = |reason| Err(SettingsError::BadName { reason });
    if raw.chars().any(is_line_break) {
        return bad(NameProblem::LineBreak);
    }
    if raw.chars().any(is_bidi_control) {
        return bad(NameProblem::DirectionOverride);
    }
    if raw.chars().any(char::is_control) {
        return bad(NameProblem::ControlCharacter);
    }
    let name = raw.trim();
    if name.is_empty() {
        return bad(NameProblem::Empty);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return bad(NameProblem::TooLong { max: MAX_NAME_CHARS });
    }
    Ok(name.to_owned())
}

fn validate_client_id(raw: &str) -> Result<String, SettingsError> {
    let key = "client_id";
    check_no_control(key, raw)?;
    let v = raw.trim_matches(' ');
    if v.is_empty() {
        return Err(SettingsError::EmptyValue { key: key.to_owned() });
    }
    if v.chars().count() > MAX_CLIENT_ID_CHARS {
        return Err(SettingsError::TooLong { key: key.to_owned(), max: MAX_CLIENT_ID_CHARS });
    }
    if !v.chars().all(|c| ('\x21'..='\x7e').contains(&c)) {
        return Err(SettingsError::BadValue {
            key: key.to_owned(),
            value_hint: None,
            expected: "1 to 200 printable ASCII characters without spaces",
        });
    }
    Ok(v.to_owned())
}

/// `extra_audiences`: audience values separated by commas or spaces, each like a client id;
/// the client id itself is implied and dropped, duplicates too.
fn validate_audiences(raw: &str, client_id: &str) -> Result<Vec<String>, SettingsError> {
    let mut out: Vec<String> = Vec::new();
    for part in raw.split([',', ' ']).filter(|p| !p.is_empty()) {
        let aud = validate_client_id(part).map_err(|_| SettingsError::BadValue {
            key: "extra_audiences".to_owned(),
            value_hint: hint(part),
            expected: "audience values (printable, no spaces) separated by commas",
        })?;
        if aud != client_id && !out.contains(&aud) {
            out.push(aud);
        }
    }
    Ok(out)
}

fn is_scope_char(c: char) -> bool {
    c == '\x21' || ('\x23'..='\x5b').contains(&c) || ('\x5d'..='\x7e').contains(&c)
}

fn validate_scopes(raw: &str) -> Result<Vec<String>, SettingsError> {
    let key = "scope";
    check_no_control(key, raw)?;
    if raw.chars().count() > MAX_SCOPE_CHARS {
        return Err(SettingsError::TooLong { key: key.to_owned(), max: MAX_SCOPE_CHARS });
    }
    let mut scopes: Vec<String> = Vec::new();
    for token in raw.split(' ').filter(|t| !t.is_empty()) {
        if !token.chars().all(is_scope_char) {
            return Err(SettingsError::BadValue {
                key: key.to_owned(),
                value_hint: None,
                expected: "scope names separated by spaces, made of printable ASCII characters other than \" and \\",
            });
        }
        if !scopes.iter().any(|s| s == token) {
            scopes.push(token.to_owned());
        }
    }
    if scopes.is_empty() {
        return Err(SettingsError::EmptyValue { key: key.to_owned() });
    }
    if !scopes.iter().any(|s| s == "openid") {
        scopes.insert(0, "openid".to_owned());
    }
    Ok(scopes)
}

fn parse_bounded(key: &str, raw: &str, min: u32, max: u32, expected: &'static str) -> Result<u32, SettingsError> {
    check_no_control(key, raw)?;
    let v = raw.trim_matches(' ');
    if v.is_empty() {
        return Err(SettingsError::EmptyValue { key: key.to_owned() });
    }
    let bad = || SettingsError::BadValue { key: key.to_owned(), value_hint: hint(v), expected };
    if v.len() > 10 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match v.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(bad()),
    }
}

fn parse_keyword<T: Copy>(
    key: &str,
    raw: &str,
    choices: &[(&str, T)],
    expected: &'static str,
) -> Result<T, SettingsError> {
    check_no_control(key, raw)?;
    let v = raw.trim_matches(' ');
    if v.is_empty() {
        return Err(SettingsError::EmptyValue { key: key.to_owned() });
    }
    choices
        .iter()
        .find(|(word, _)| word.eq_ignore_ascii_case(v))
        .map(|(_, t)| *t)
        .ok_or_else(|| SettingsError::BadValue { key: key.to_owned(), value_hint: hint(v), expected })
}

fn validate_path(key: &str, raw: &str) -> Result<PathBuf, SettingsError> {
    check_no_control(key, raw)?;
    let v = raw.trim();
    if v.is_empty() {
        return Err(SettingsError::EmptyValue { key: key.to_owned() });
    }
    if v.chars().count() > MAX_PATH_CHARS {
        return Err(SettingsError::TooLong { key: key.to_owned(), max: MAX_PATH_CHARS });
    }
    Ok(PathBuf::from(v))
}

pub(crate) fn host_with_port(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// The friendly name when none is given: the host (with its port), cut to
/// [`MAX_NAME_CHARS`] like a given name would have to be. A host name may be longer (DNS
/// allows 253 characters), and an uncut one would be written into the hub's canonical link
/// ([`crate::link::AuthLink::generate`]), which would then be refused when read back.
fn default_name(url: &Url) -> String {
    let host = host_with_port(url);
    if host.chars().count() <= MAX_NAME_CHARS {
        return host;
    }
    let mut cut: String = host.chars().take(MAX_NAME_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// The raw value of each known key, by [`Field`].
#[derive(Default)]
struct RawValues<'a> {
    values: [Option<&'a str>; Field::COUNT],
}

impl<'a> RawValues<'a> {
    fn get(&self, field: Field) -> Option<&'a str> {
        self.values[field as usize]
    }

    /// Sort the pairs into fields: keys given twice and keys not allowed in `ctx` are refused,
    /// in input order; unknown keys are returned (made printable) to be reported.
    fn collect(pairs: Vec<(&'a str, &'a str)>, ctx: &Context) -> Result<(RawValues<'a>, Vec<String>), SettingsError> {
        let mut seen: HashSet<String> = HashSet::new();
        let mut unknown: Vec<String> = Vec::new();
        let mut raw = RawValues::default();
        for (key, value) in pairs {
            let key = match ctx {
                Context::HubsIni { .. } => key.trim().to_lowercase(),
                Context::Link | Context::WellKnown => key.to_owned(),
            };
            if !seen.insert(key.clone()) {
                return Err(SettingsError::Duplicate { key: printable(&key, 64) });
            }
            match classify(&key, ctx) {
                KeyClass::Known(field) => raw.values[field as usize] = Some(value),
                KeyClass::NotHere => return Err(SettingsError::NotInLink { key }),
                KeyClass::Unknown => unknown.push(printable(&key, 64)),
            }
        }
        Ok((raw, unknown))
    }

    /// Each value through its own validator, in the order url, auth, issuer, client_id, name,
    /// scope, mfa, flow, redirect_port, session_check, extra_audiences, session_cookie,
    /// login_path, max_session_days, ca_file, remember_idp_session; the first problem found is
    /// returned. With `auth=web` the OpenID Connect keys are returned as ignored.
    fn validate(&self, ctx: &Context) -> Result<(HubSettings, Vec<String>), SettingsError> {
        let url_raw = self.get(Field::Url).ok_or(SettingsError::MissingUrl)?;
        let url = validate_url("url", url_raw, UrlRole::Hub)?;
        let auth = self.get(Field::Auth).map_or(Ok(Auth::Oidc), validate_auth)?;
        let mut settings = match auth {
            Auth::Oidc => self.validate_oidc(url, url_raw, ctx)?,
            Auth::Web => self.web_defaults(url, url_raw, ctx)?,
        };
        settings.session_check =
            self.get(Field::SessionCheck).map(|v| validate_session_check(v, &settings.url)).transpose()?;
        if auth == Auth::Web {
            self.validate_web(&mut settings)?;
        }
        settings.max_session_days = self.get(Field::MaxSessionDays).map_or(Ok(DEFAULT_MAX_SESSION_DAYS), |v| {
            parse_bounded("max_session_days", v, 1, MAX_SESSION_DAYS_LIMIT, "a whole number of days from 1 to 3650")
        })?;
        settings.ca_file = self.get(Field::CaFile).map(|v| validate_path("ca_file", v)).transpose()?;
        settings.browser = self.get(Field::Browser).map(validate_browser).transpose()?;
        let ignored = match auth {
            Auth::Oidc => [
                ("session_cookie", Field::SessionCookie),
                ("login_path", Field::LoginPath),
                ("remember_idp_session", Field::RememberIdpSession),
            ]
            .iter()
            .filter(|(_, f)| self.get(*f).is_some())
            .map(|(k, _)| format!("{k} (only for auth=web)"))
            .collect(),
            Auth::Web => OIDC_ONLY_KEYS
                .iter()
                .filter(|k| KEYS.iter().any(|(n, f, _)| n == *k && self.get(*f).is_some()))
                .map(|k| format!("{k} (not used with auth=web)"))
                .collect(),
        };
        Ok((settings, ignored))
    }

    fn name(&self, url: &Url, ctx: &Context) -> Result<String, SettingsError> {
        match (self.get(Field::Name), ctx) {
            (Some(v), _) => validate_name(v),
            (None, Context::HubsIni { section_name }) => validate_name(section_name),
            (None, _) => Ok(default_name(url)),
        }
    }

    /// The OpenID Connect keys.
    fn validate_oidc(&self, url: Url, url_raw: &str, ctx: &Context) -> Result<HubSettings, SettingsError> {
        let issuer = issuer_of(self.get(Field::Issuer), url_raw)?;
        let client_id = self.get(Field::ClientId).map_or(Ok(DEFAULT_CLIENT_ID.to_owned()), validate_client_id)?;
        let name = self.name(&url, ctx)?;
        let scopes = self
            .get(Field::Scope)
            .map_or_else(|| Ok(DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect()), validate_scopes)?;
        let mfa_required = self.get(Field::Mfa).map_or(Ok(false), validate_mfa)?;
        let flow = self.get(Field::Flow).map_or(Ok(Flow::Browser), validate_flow)?;
        let redirect_port = self.get(Field::RedirectPort).map(validate_port).transpose()?;
        let extra_audiences =
            self.get(Field::ExtraAudiences).map_or(Ok(Vec::new()), |v| validate_audiences(v, &client_id))?;
        Ok(HubSettings {
            issuer,
            client_id,
            scopes,
            mfa_required,
            flow,
            redirect_port,
            extra_audiences,
            ..HubSettings::base(url, name)
        })
    }

    /// A web hub: the OpenID Connect values stay at their defaults (and out of its identity).
    fn web_defaults(&self, url: Url, url_raw: &str, ctx: &Context) -> Result<HubSettings, SettingsError> {
        let name = self.name(&url, ctx)?;
        let mut settings = HubSettings::base(url, name);
        settings.issuer = url_raw.trim_matches(' ').to_owned();
        settings.auth = Auth::Web;
        Ok(settings)
    }

    /// The `auth=web` keys: `session_check` is required.
    fn validate_web(&self, settings: &mut HubSettings) -> Result<(), SettingsError> {
        if settings.session_check.is_none() {
            return Err(SettingsError::WebNeedsSessionCheck);
        }
        settings.session_cookie = self.get(Field::SessionCookie).map(validate_cookie_name).transpose()?;
        settings.login_path = self.get(Field::LoginPath).map(|v| validate_login_path(v, &settings.url)).transpose()?;
        settings.remember_idp_session = self.get(Field::RememberIdpSession).map_or(Ok(true), |v| {
            parse_keyword(
                "remember_idp_session",
                v,
                &[("true", true), ("false", false), ("yes", true), ("no", false)],
                "`true` or `false`",
            )
        })?;
        Ok(())
    }
}

impl HubSettings {
    /// Every value at its default.
    fn base(url: Url, name: String) -> HubSettings {
        HubSettings {
            issuer: url.as_str().to_owned(),
            url,
            name,
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            scopes: DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            mfa_required: false,
            flow: Flow::Browser,
            redirect_port: None,
            session_check: None,
            max_session_days: DEFAULT_MAX_SESSION_DAYS,
            ca_file: None,
            extra_audiences: Vec::new(),
            auth: Auth::Oidc,
            session_cookie: None,
            login_path: None,
            remember_idp_session: true,
            browser: None,
        }
    }
}

/// `browser`: a command line (no control characters, at most 1,024 characters); it is split
/// on white space and run without a shell, the sign-in URL appended.
pub fn validate_browser(raw: &str) -> Result<String, SettingsError> {
    let key = "browser";
    check_no_control(key, raw)?;
    let v = raw.trim();
    if v.is_empty() {
        return Err(SettingsError::EmptyValue { key: key.to_owned() });
    }
    if v.chars().count() > 1024 {
        return Err(SettingsError::TooLong { key: key.to_owned(), max: 1024 });
    }
    Ok(v.to_owned())
}

fn validate_auth(v: &str) -> Result<Auth, SettingsError> {
    parse_keyword("auth", v, &[("oidc", Auth::Oidc), ("web", Auth::Web)], "`oidc` or `web`")
}

/// Longest accepted `session_cookie`, in characters.
pub const MAX_COOKIE_NAME_CHARS: usize = 200;

/// `session_cookie`: a cookie name (an RFC 6265 §4.1.1 token) or the start of one.
fn validate_cookie_name(raw: &str) -> Result<String, SettingsError> {
    let key = "session_cookie";
    check_no_control(key, raw)?;
    let v = raw.trim_matches(' ');
    if v.is_empty() {
        return Err(SettingsError::EmptyValue { key: key.to_owned() });
    }
    if v.chars().count() > MAX_COOKIE_NAME_CHARS {
        return Err(SettingsError::TooLong { key: key.to_owned(), max: MAX_COOKIE_NAME_CHARS });
    }
    let separator = |c: char| "()<>@,;:\\\"/[]?={} \t".contains(c);
    if !v.chars().all(|c| c.is_ascii_graphic() && !separator(c)) {
        return Err(SettingsError::BadValue {
            key: key.to_owned(),
            value_hint: hint(v),
            expected: "a cookie name such as X-Qlik-Session (letters, digits and -_.!#$%&'*+^`|~)",
        });
    }
    Ok(v.to_owned())
}

/// A value that is a path on the hub (`/finance/qps/user`) becomes an address on its origin;
/// anything else must be a full address. `//host/…` is not a path.
fn on_hub_origin(v: &str, hub: &Url) -> String {
    let t = v.trim_matches(' ');
    if t.starts_with('/') && !t.starts_with("//") && !t.contains('\\') {
        let mut origin = hub.clone();
        origin.set_path("");
        format!("{}{t}", origin.as_str().trim_end_matches('/'))
    } else {
        v.to_owned()
    }
}

/// `login_path`: a path or an address on the hub's own origin.
fn validate_login_path(v: &str, hub: &Url) -> Result<Url, SettingsError> {
    let login = validate_url("login_path", &on_hub_origin(v, hub), UrlRole::SessionCheck)?;
    if login.origin() != hub.origin() {
        return Err(SettingsError::LoginElsewhere {
            login_path: login.origin().ascii_serialization(),
            hub: hub.origin().ascii_serialization(),
        });
    }
    Ok(login)
}

/// `issuer` exactly as given (trimmed), else the hub's `url` as given.
fn issuer_of(raw: Option<&str>, url_raw: &str) -> Result<String, SettingsError> {
    match raw {
        Some(v) => {
            validate_url("issuer", v, UrlRole::Issuer)?;
            Ok(v.trim_matches(' ').to_owned())
        }
        None => Ok(url_raw.trim_matches(' ').to_owned()),
    }
}

fn validate_mfa(v: &str) -> Result<bool, SettingsError> {
    parse_keyword("mfa", v, &[("required", true)], "`required` (or leave `mfa` out)")
}

fn validate_flow(v: &str) -> Result<Flow, SettingsError> {
    parse_keyword("flow", v, &[("browser", Flow::Browser), ("device", Flow::Device)], "`browser` or `device`")
}

fn validate_port(v: &str) -> Result<u16, SettingsError> {
    const EXPECTED: &str = "a port number from 1 to 65535";
    let port = parse_bounded("redirect_port", v, 1, 65535, EXPECTED)?;
    u16::try_from(port).map_err(|_| SettingsError::BadValue {
        key: "redirect_port".to_owned(),
        value_hint: None,
        expected: EXPECTED,
    })
}

/// `session_check`: an address on the hub's own origin (the token never leaves the hub and
/// its issuer).
fn validate_session_check(v: &str, hub: &Url) -> Result<Url, SettingsError> {
    let check = validate_url("session_check", &on_hub_origin(v, hub), UrlRole::SessionCheck)?;
    if check.origin() != hub.origin() {
        return Err(SettingsError::OtherOrigin {
            session_check: check.origin().ascii_serialization(),
            hub: hub.origin().ascii_serialization(),
        });
    }
    Ok(check)
}

impl HubSettings {
    /// This hub's identity (normalized `url` + `client_id`).
    pub fn id(&self) -> HubId {
        HubId::compute(&self.url, &self.client_id)
    }

    /// The host as ASCII (punycode for international names), with `:port` when not the default.
    pub fn display_host(&self) -> String {
        host_with_port(&self.url)
    }

    /// True when the host name has an internationalized (punycode, `xn--`) label: the UI
    /// then warns that the name uses international characters and shows the punycode.
    /// The issuer as shown to people: its host in punycode, like [`Self::display_host`], so a
    /// look-alike sign-in address cannot hide behind the real hub's name.
    pub fn display_issuer(&self) -> String {
        Url::parse(&self.issuer)
            .map(|u| u.to_string().trim_end_matches('/').to_owned())
            .unwrap_or_else(|_| self.issuer.clone())
    }

    /// True when the hub's or the issuer's host uses international characters (punycode).
    pub fn any_host_is_international(&self) -> bool {
        let issuer_idn = Url::parse(&self.issuer)
            .ok()
            .and_then(|u| u.host_str().map(|h| h.split('.').any(|l| l.starts_with("xn--"))))
            .unwrap_or(false);
        self.host_is_international() || issuer_idn
    }

    pub fn host_is_international(&self) -> bool {
        match self.url.host() {
            Some(Host::Domain(d)) => {
                d.split('.').any(|label| label.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("xn--")))
            }
            _ => false,
        }
    }

    /// Validates key/value pairs (already percent-decoded) into a hub.
    ///
    /// Returns the hub and the unknown keys (made printable), which are reported and never
    /// acted on. Checks, in this order: a key that looks like a secret (anywhere in the input);
    /// keys given twice and keys not allowed in `ctx`, in input order; then the values, in the
    /// order url, issuer, client_id, name, scope, mfa, flow, redirect_port, session_check,
    /// max_session_days, ca_file; then, for a link or published settings, that the hub's
    /// canonical link, signed, fits in a link ([`crate::link::MAX_CANONICAL_LINK_CHARS`]).
    /// The first problem found is
    /// returned.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        ctx: Context,
    ) -> Result<(HubSettings, Vec<String>), SettingsError> {
        let pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
        if let Some((key, _)) = pairs.iter().find(|(key, _)| is_secret_key(key)) {
            return Err(SettingsError::SecretParameter { key: printable(key.trim(), 64) });
        }
        let (raw, mut unknown) = RawValues::collect(pairs, &ctx)?;
        let (settings, ignored) = raw.validate(&ctx)?;
        unknown.extend(ignored);
        // A hub from a link or from its published settings is stored as its canonical link,
        // which must be readable again; encoding can make it longer than what was given (a
        // `!` is written `%21`), so its own length is what counts — with room for a signature.
        let max = crate::link::MAX_CANONICAL_LINK_CHARS;
        if matches!(ctx, Context::Link | Context::WellKnown)
            && crate::link::AuthLink::generate(&settings).chars().count() > max
        {
            return Err(SettingsError::TooLongForALink { max });
        }
        Ok((settings, unknown))
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod display_tests;

#[cfg(test)]
mod web_tests;
