//! Authentication links: `hublink://add?url=<hub URL>&name=<friendly name>[&…]`.
//!
//! Parsing is in two steps: [`decode_link`] checks the link as a whole (length, hidden
//! characters, scheme, action) and percent-decodes its parameters exactly once; then
//! [`HubSettings::from_pairs`] checks the values. [`AuthLink::generate`] writes the canonical
//! link back, so that `parse(generate(s)) == s`.
//!
//! Accepted spellings of the link's head (decided here; PRODUCT.md only shows the first):
//! the scheme `hublink` in any case; the action `add` in any case, preceded by zero to three
//! slashes and optionally followed by one slash. So `hublink://add?`, `hublink:add?` (some
//! mail clients drop the slashes), `hublink:///add?` and `hublink://add/?` (some OS launchers
//! add a slash) are the same link. Anything else in place of `add` is an unknown action.
//!
//! Parameters are decoded as in HTML forms (what `url`'s `query_pairs` does): `+` is a space
//! in every value and `%XX` is decoded once. Unlike `query_pairs`, a `%` not followed by two
//! hex digits and bytes that are not UTF-8 after decoding are refused instead of replaced.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use url::Url;

use crate::settings::{
    Auth, Context, DEFAULT_CLIENT_ID, DEFAULT_SCOPES, Flow, HubSettings, LINK_KEYS, SettingsError, is_hidden_char,
    is_secret_key, parse_hub_url, printable, split_scheme,
};

/// Longest accepted link, in characters (after trimming).
pub const MAX_LINK_CHARS: usize = 8192;

/// Longest canonical link ([`AuthLink::generate`]) a hub's settings may have: room is kept for
/// a signature (`&sig=` and 86 base64url characters, [`crate::link_signing::sign`]), so every
/// hub Hublink accepts can also be handed out as a signed link that is accepted again.
pub const MAX_CANONICAL_LINK_CHARS: usize = MAX_LINK_CHARS - crate::link_signing::SIGNATURE_CHARS;

/// What is wrong with a link as a whole, or (in `Settings`) with one of its values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    #[error("the link is empty: paste the whole link, starting with hublink://")]
    Empty,

    #[error("the link is over-long (more than {max} characters): it was probably damaged or is not a Hublink link")]
    TooLong { max: usize },

    #[error(
        "the link contains control characters, line breaks or invisible direction-changing characters, which could hide part of it: copy it again as one line"
    )]
    ControlCharacter,

    #[error("{}: paste a link that starts with hublink:// or a hub address that starts with https://", describe_scheme(.scheme.as_deref()))]
    NotAHublinkLink { scheme: Option<String> },

    #[error(
        "the link asks for an unknown action `{action}` (Hublink only knows `add`): ask for a new link, or update Hublink"
    )]
    UnknownAction { action: String },

    #[error("the link has no parameters after `?`: it needs at least url=https://…; copy the whole link")]
    NoParameters,

    #[error(
        "`{key}` is not valid UTF-8 text after percent-decoding: the link was encoded in another character set; ask for a new link"
    )]
    BadEncoding { key: String },

    #[error("`{key}` contains a `%` that is not followed by two hexadecimal digits: write `%` as %25")]
    BadPercentEscape { key: String },

    #[error(transparent)]
    Settings(#[from] SettingsError),
}

fn describe_scheme(scheme: Option<&str>) -> String {
    match scheme {
        Some(s) => {
            format!("this is not a Hublink link (it starts with `{s}:` instead of `hublink:`)")
        }
        None => "this is neither a Hublink link nor a web address (it has no `scheme:` at the start)".to_owned(),
    }
}

impl LinkError {
    /// What the user can do about it.
    pub fn next_step(&self) -> &'static str {
        match self {
            LinkError::Empty | LinkError::ControlCharacter | LinkError::NoParameters => {
                "Copy the whole link again (as one line) and paste it."
            }
            LinkError::NotAHublinkLink { .. } => {
                "Paste the hublink:// link from your administrator, or the hub's https:// address."
            }
            LinkError::UnknownAction { .. } => {
                "Ask your administrator for a new link, or update Hublink if the link is meant for a newer version."
            }
            LinkError::Settings(e) => e.next_step(),
            _ => "Ask your administrator for a new link.",
        }
    }
}

/// A parsed, validated authentication link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthLink {
    pub settings: HubSettings,
    /// Unknown parameters (made printable): reported, never acted on.
    pub ignored: Vec<String>,
    /// The organisation's signature (`sig`), as given; checked by [`crate::link_signing`].
    pub signature: Option<String>,
}

/// What the user typed or pasted in "Add authentication link" or `hublink add`.
#[derive(Debug, Clone, PartialEq, Eq)]
// Built once per user action, so the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
pub enum UserInput {
    /// A `hublink://add?…` link.
    Link(AuthLink),
    /// A plain hub address (validated and normalized with the `url` rules): its settings are
    /// fetched from `/.well-known/hublink.json`.
    HubAddress(Url),
}

/// Characters kept as they are in generated parameter values: RFC 3986 unreserved plus `:` and
/// `/`, so that addresses stay readable (`url=https://hub.example.com/`).
const VALUE_SET: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b':').remove(b'/');

fn check_whole(input: &str) -> Result<&str, LinkError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(LinkError::Empty);
    }
    if input.chars().count() > MAX_LINK_CHARS {
        return Err(LinkError::TooLong { max: MAX_LINK_CHARS });
    }
    if input.chars().any(is_hidden_char) {
        return Err(LinkError::ControlCharacter);
    }
    Ok(input)
}

enum DecodeProblem {
    Escape,
    Utf8,
}

fn decode_component(s: &str) -> Result<String, DecodeProblem> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes.get(i) == Some(&b'%') {
            let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return Err(DecodeProblem::Escape);
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    let spaced = s.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8().map(|c| c.into_owned()).map_err(|_| DecodeProblem::Utf8)
}

/// Checks a link as a whole and returns its parameters, percent-decoded once, in order.
/// Empty parameters (`&&`) are skipped; a parameter without `=` has an empty value.
pub(crate) fn decode_link(input: &str) -> Result<Vec<(String, String)>, LinkError> {
    let input = check_whole(input)?;
    let scheme = split_scheme(input);
    match scheme {
        Some(s) if s.eq_ignore_ascii_case("hublink") => {}
        Some(s) => {
            return Err(LinkError::NotAHublinkLink { scheme: Some(printable(&s.to_ascii_lowercase(), 32)) });
        }
        None => return Err(LinkError::NotAHublinkLink { scheme: None }),
    }
    let rest = input.get("hublink:".len()..).unwrap_or("");
    let (target, query) = match rest.split_once('?') {
        Some((target, query)) => (target, Some(query)),
        None => (rest, None),
    };
    let without_slashes = target.trim_start_matches('/');
    let slashes = target.len() - without_slashes.len();
    let action = without_slashes.strip_suffix('/').unwrap_or(without_slashes);
    if slashes > 3 || !action.eq_ignore_ascii_case("add") {
        let shown = if action.is_empty() { "(none)" } else { action };
        return Err(LinkError::UnknownAction { action: printable(shown, 40) });
    }
    let query = query.filter(|q| !q.is_empty()).ok_or(LinkError::NoParameters)?;

    let mut pairs = Vec::new();
    for piece in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = piece.split_once('=').unwrap_or((piece, ""));
        let key = decode_component(raw_key).map_err(|p| {
            let key = printable(raw_key, 64);
            match p {
                DecodeProblem::Escape => LinkError::BadPercentEscape { key },
                DecodeProblem::Utf8 => LinkError::BadEncoding { key },
            }
        })?;
        let value = decode_component(raw_value).map_err(|p| {
            // A secret's name is reported as a secret, not as an encoding problem.
            if is_secret_key(&key) {
                return LinkError::Settings(SettingsError::SecretParameter { key: printable(&key, 64) });
            }
            let key = printable(&key, 64);
            match p {
                DecodeProblem::Escape => LinkError::BadPercentEscape { key },
                DecodeProblem::Utf8 => LinkError::BadEncoding { key },
            }
        })?;
        pairs.push((key, value));
    }
    if pairs.is_empty() {
        return Err(LinkError::NoParameters);
    }
    Ok(pairs)
}

impl AuthLink {
    /// Parses and validates a link. The input is trimmed first.
    pub fn parse(input: &str) -> Result<AuthLink, LinkError> {
        let mut pairs = decode_link(input)?;
        let signatures: Vec<String> =
            pairs.iter().filter(|(k, _)| k == crate::link_signing::PARAMETER).map(|(_, v)| v.clone()).collect();
        if signatures.len() > 1 {
            return Err(LinkError::Settings(crate::settings::SettingsError::Duplicate {
                key: crate::link_signing::PARAMETER.to_owned(),
            }));
        }
        pairs.retain(|(k, _)| k != crate::link_signing::PARAMETER);
        let (settings, ignored) =
            HubSettings::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), Context::Link)?;
        Ok(AuthLink { settings, ignored, signature: signatures.into_iter().next() })
    }

    /// The canonical link for `settings`: `url` and `name` always, then only the values that
    /// differ from the defaults, in the order of PRODUCT.md (for `auth=web`: `auth`,
    /// `session_check`, `session_cookie`, `login_path`). `max_session_days`, `ca_file` and
    /// `remember_idp_session` belong to hubs.ini and are never written into a link.
    pub fn generate(settings: &HubSettings) -> String {
        let mut out = String::from("hublink://add?");
        let mut push = |key: &str, value: &str| {
            if !out.ends_with('?') {
                out.push('&');
            }
            out.push_str(key);
            out.push('=');
            out.extend(utf8_percent_encode(value, VALUE_SET));
        };
        push("url", settings.url.as_str());
        push("name", &settings.name);
        if settings.auth == Auth::Web {
            push("auth", settings.auth.as_str());
            if let Some(check) = &settings.session_check {
                push("session_check", check.as_str());
            }
            if let Some(cookie) = &settings.session_cookie {
                push("session_cookie", cookie);
            }
            if let Some(login) = &settings.login_path {
                push("login_path", login.as_str());
            }
            return out;
        }
        if settings.issuer != settings.url.as_str() {
            push("issuer", &settings.issuer);
        }
        if settings.client_id != DEFAULT_CLIENT_ID {
            push("client_id", &settings.client_id);
        }
        if settings.scopes.iter().map(String::as_str).ne(DEFAULT_SCOPES) {
            push("scope", &settings.scopes.join(" "));
        }
        if settings.mfa_required {
            push("mfa", "required");
        }
        if settings.flow != Flow::Browser {
            push("flow", settings.flow.as_str());
        }
        if let Some(port) = settings.redirect_port {
            push("redirect_port", &port.to_string());
        }
        if let Some(check) = &settings.session_check {
            push("session_check", check.as_str());
        }
        if !settings.extra_audiences.is_empty() {
            push("extra_audiences", &settings.extra_audiences.join(","));
        }
        out
    }
}

/// Tells a pasted link from a typed hub address. Anything else is an error: a plain host
/// name without `https://` is refused too (we do not guess the scheme).
pub fn parse_user_input(input: &str) -> Result<UserInput, LinkError> {
    let input = check_whole(input)?;
    match split_scheme(input) {
        Some(s) if s.eq_ignore_ascii_case("hublink") => Ok(UserInput::Link(AuthLink::parse(input)?)),
        Some(s) if s.eq_ignore_ascii_case("https") || s.eq_ignore_ascii_case("http") => {
            Ok(UserInput::HubAddress(parse_hub_url(input)?))
        }
        Some(s) => Err(LinkError::NotAHublinkLink { scheme: Some(printable(&s.to_ascii_lowercase(), 32)) }),
        None => Err(LinkError::NotAHublinkLink { scheme: None }),
    }
}

impl HubSettings {
    /// The settings a hub publishes at `/.well-known/hublink.json`: a JSON object with the
    /// link's keys. Values are strings; `redirect_port` may also be a number. Unknown keys are
    /// reported whatever their type. `url`, when present, must be the address that was asked
    /// (after normalization); when absent it is that address, which is then also the default
    /// issuer (as its normalized string, ending in `/`).
    pub fn from_well_known_json(
        hub_url: &Url,
        json: &serde_json::Value,
    ) -> Result<(HubSettings, Vec<String>), SettingsError> {
        let object = json.as_object().ok_or(SettingsError::NotAnObject)?;
        if let Some(key) = object.keys().find(|k| is_secret_key(k)) {
            return Err(SettingsError::SecretParameter { key: printable(key.trim(), 64) });
        }
        let asked = parse_hub_url(hub_url.as_str())?;
        let mut pairs: Vec<(String, String)> = Vec::new();
        if !object.contains_key("url") {
            pairs.push(("url".to_owned(), asked.as_str().to_owned()));
        }
        for (key, value) in object {
            let known = LINK_KEYS.contains(&key.as_str());
            let text = match value {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) if key == "redirect_port" => n.to_string(),
                _ if known => {
                    return Err(SettingsError::BadValue {
                        key: key.clone(),
                        value_hint: None,
                        expected: if key == "redirect_port" { "a port number from 1 to 65535" } else { "a string" },
                    });
                }
                _ => String::new(),
            };
            pairs.push((key.clone(), text));
        }
        let (settings, unknown) =
            HubSettings::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), Context::WellKnown)?;
        // The published URL may be a path on the same origin (a virtual-proxy prefix such as
        // `/qlik/`); another scheme, host or port is another site.
        if settings.url.origin() != asked.origin() {
            return Err(SettingsError::OtherHubAddress {
                asked: asked.as_str().to_owned(),
                published: settings.url.as_str().to_owned(),
            });
        }
        Ok((settings, unknown))
    }
}

impl HubSettings {
    /// A Qlik Sense Enterprise hub's desktop-link fields (`GET <hub>/api/hub/v1/desktoplink`:
    /// `magicLinkHostUri`, `magicLinkFriendlyName`), as the hub's web sign-in: `auth=web`,
    /// `session_check` = the virtual proxy's `qps/user`, session cookies named `X-Qlik-Session…`.
    /// The host URI must be on the asked address's origin.
    pub fn from_qlik_desktop_link(
        hub_url: &Url,
        json: &serde_json::Value,
    ) -> Result<(HubSettings, Vec<String>), SettingsError> {
        let object = json.as_object().ok_or(SettingsError::NotAnObject)?;
        let text = |k: &str| object.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        let asked = parse_hub_url(hub_url.as_str())?;
        let host_uri = match text("magicLinkHostUri") {
            Some(u) => parse_hub_url(&u)?,
            None => asked.clone(),
        };
        if host_uri.origin() != asked.origin() {
            return Err(SettingsError::OtherHubAddress {
                asked: asked.as_str().to_owned(),
                published: host_uri.as_str().to_owned(),
            });
        }
        let check = format!("{}qps/user", host_uri.path());
        let mut pairs = vec![
            ("url", host_uri.as_str().to_owned()),
            ("auth", "web".into()),
            ("session_check", check),
            ("session_cookie", "X-Qlik-Session".into()),
        ];
        if let Some(name) = text("magicLinkFriendlyName").filter(|n| !n.trim().is_empty()) {
            pairs.push(("name", name));
        }
        HubSettings::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())), Context::WellKnown)
    }
}

#[cfg(test)]
mod tests;
