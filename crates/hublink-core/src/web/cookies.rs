//! Cookies as a web sign-in leaves them in Hublink's web context, and the choice of which to
//! keep: the hub's session cookie, and (with `remember_idp_session`) the identity provider's
//! sign-in cookies.
//!
//! Matching follows RFC 6265 §5.1.3 (domain-match) and §5.1.4 (path-match). The shell reads
//! every cookie of the shared web context (`Webview::cookies`; WebKit returns HttpOnly ones too)
//! and filters here, because the context also holds other hubs' sessions: only cookies that
//! domain-match the hub's host, or a host this sign-in visited, are ever looked at.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use url::Url;

use crate::secret::CookieValue;
use crate::settings::HubSettings;

/// One cookie, as kept in the keyring with the hub's session. `value` is a secret: redacted in
/// `Debug`, never logged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebCookie {
    pub name: String,
    pub value: CookieValue,
    /// The `Domain` attribute without a leading dot, or the host that set a host-only cookie;
    /// lowercase.
    pub domain: String,
    /// `Path`; `/` when none was given.
    pub path: String,
    pub secure: bool,
    pub http_only: bool,
    /// `true`: a host-only cookie (no `Domain` attribute), sent to `domain` exactly.
    #[serde(default)]
    pub host_only: bool,
    /// `Expires`/`Max-Age` as a time; `None`: a session cookie (gone when the app exits).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
}

impl WebCookie {
    /// RFC 6265 §5.1.3: the cookie is sent to `host`.
    pub fn domain_matches(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let domain = self.domain.trim_start_matches('.').to_ascii_lowercase();
        if host == domain {
            return true;
        }
        !self.host_only && host.ends_with(&format!(".{domain}")) && host.parse::<std::net::IpAddr>().is_err()
    }

    /// RFC 6265 §5.1.4: the cookie is sent to `path`.
    pub fn path_matches(&self, path: &str) -> bool {
        let cookie_path = if self.path.is_empty() { "/" } else { self.path.as_str() };
        path == cookie_path
            || (path.starts_with(cookie_path)
                && (cookie_path.ends_with('/') || path[cookie_path.len()..].starts_with('/')))
    }

    /// The cookie would be sent with a request to `url`.
    pub fn sent_to(&self, url: &Url) -> bool {
        let host = url.host_str().unwrap_or("");
        self.domain_matches(host) && self.path_matches(url.path()) && (!self.secure || url.scheme() == "https")
    }

    /// `name=value`, the pair a `Cookie` header carries (RFC 6265 §4.2.1).
    pub fn header_pair(&self) -> String {
        format!("{}={}", self.name, self.value.expose())
    }

    /// Same name, domain and path: the same cookie (a newer value replaces the older one).
    pub fn same_slot(&self, other: &WebCookie) -> bool {
        self.name == other.name && self.domain.eq_ignore_ascii_case(&other.domain) && self.path == other.path
    }
}

/// The names of the cookies on the hub's origin before the sign-in window opened: the default
/// session cookie is the first *new* one.
#[derive(Debug, Clone, Default)]
pub struct CookiesBefore(Vec<(String, String, String, usize)>);

impl CookiesBefore {
    /// Remember every cookie of the web context (name, domain, path and a fingerprint of the
    /// value, never the value itself).
    pub fn of(cookies: &[WebCookie]) -> CookiesBefore {
        CookiesBefore(
            cookies.iter().map(|c| (c.name.clone(), c.domain.clone(), c.path.clone(), fingerprint(c))).collect(),
        )
    }

    fn contains(&self, c: &WebCookie) -> bool {
        self.0.iter().any(|(n, d, p, f)| *n == c.name && *d == c.domain && *p == c.path && *f == fingerprint(c))
    }
}

/// A cheap non-cryptographic fingerprint of a value, to tell a replaced cookie from an old one
/// without keeping the value.
fn fingerprint(c: &WebCookie) -> usize {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    c.value.expose().hash(&mut h);
    h.finish() as usize
}

/// The hub's session cookie among `cookies`: sent to the hub's session check, and named
/// `session_cookie` exactly, or starting with it; without `session_cookie`, the first cookie
/// that was not there (with this value) before sign-in. `None` when there is none.
pub fn session_cookie<'a>(
    settings: &HubSettings,
    cookies: &'a [WebCookie],
    before: &CookiesBefore,
) -> Option<&'a WebCookie> {
    let check = settings.session_check.as_ref().unwrap_or(&settings.url);
    let on_hub = cookies.iter().filter(|c| c.sent_to(check) && !c.value.is_empty());
    match &settings.session_cookie {
        Some(name) => {
            let candidates: Vec<&WebCookie> = on_hub.filter(|c| c.name.starts_with(name.as_str())).collect();
            // An exact name beats a prefix; among prefix matches, a new one beats an old one.
            candidates
                .iter()
                .find(|c| c.name == *name)
                .or_else(|| candidates.iter().find(|c| !before.contains(c)))
                .or_else(|| candidates.first())
                .copied()
        }
        None => on_hub.into_iter().find(|c| !before.contains(c)),
    }
}

/// The identity provider's sign-in cookies to keep: every cookie sent to one of the hosts this
/// sign-in visited other than the hub's own (the IdP, and an IdP's federated IdP). Never a
/// cookie of the hub's host, so no other hub's session on another host is ever copied.
pub fn idp_cookies(settings: &HubSettings, cookies: &[WebCookie], visited_hosts: &[String]) -> Vec<WebCookie> {
    let hub_host = settings.url.host_str().unwrap_or("");
    cookies
        .iter()
        .filter(|c| !c.domain_matches(hub_host))
        .filter(|c| visited_hosts.iter().any(|h| !h.eq_ignore_ascii_case(hub_host) && c.domain_matches(h)))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::AuthLink;

    fn cookie(name: &str, value: &str, domain: &str, path: &str) -> WebCookie {
        WebCookie {
            name: name.into(),
            value: CookieValue::new(value),
            domain: domain.into(),
            path: path.into(),
            secure: false,
            http_only: true,
            host_only: true,
            expires_at: None,
        }
    }

    fn qlik() -> HubSettings {
        AuthLink::parse(
            "hublink://add?url=https://qlik.example.com/finance/&auth=web&session_check=/finance/qps/user&session_cookie=X-Qlik-Session",
        )
        .unwrap()
        .settings
    }

    #[test]
    fn domain_and_path_match_as_rfc_6265_says() {
        let mut c = cookie("a", "1", "example.com", "/finance");
        assert!(c.domain_matches("example.com"));
        assert!(!c.domain_matches("qlik.example.com"), "host-only");
        c.host_only = false;
        assert!(c.domain_matches("qlik.example.com"));
        assert!(!c.domain_matches("badexample.com"));
        assert!(c.path_matches("/finance") && c.path_matches("/finance/qps/user"));
        assert!(!c.path_matches("/financeX") && !c.path_matches("/"));
        c.secure = true;
        assert!(!c.sent_to(&Url::parse("http://qlik.example.com/finance/").unwrap()));
        assert!(c.sent_to(&Url::parse("https://qlik.example.com/finance/").unwrap()));
    }

    #[test]
    fn the_session_cookie_is_the_named_one_on_the_hub() {
        let hub = qlik();
        let cookies = vec![
            cookie("X-Qlik-Session-sales", "other", "qlik.example.com", "/sales"),
            cookie("X-Qlik-Session-finance", "mine", "qlik.example.com", "/"),
            cookie("X-Qlik-Session-finance", "idp", "login.example.net", "/"),
        ];
        let chosen = session_cookie(&hub, &cookies, &CookiesBefore::default()).unwrap();
        assert_eq!(chosen.value.expose(), "mine", "path /sales is not sent to /finance, another host never");
    }

    #[test]
    fn without_a_name_the_first_new_cookie_wins() {
        let mut hub = qlik();
        hub.session_cookie = None;
        let old = cookie("lang", "en", "qlik.example.com", "/");
        let before = CookiesBefore::of(std::slice::from_ref(&old));
        let cookies = vec![old.clone(), cookie("sid", "new", "qlik.example.com", "/")];
        assert_eq!(session_cookie(&hub, &cookies, &before).unwrap().name, "sid");
        assert!(session_cookie(&hub, &[old], &before).is_none(), "nothing new: no session");
    }

    #[test]
    fn only_the_visited_identity_providers_cookies_are_kept() {
        let hub = qlik();
        let cookies = vec![
            cookie("sso", "sso-secret-value", "login.example.net", "/"),
            cookie("X-Qlik-Session-finance", "hub", "qlik.example.com", "/"),
            cookie("other", "elsewhere", "sales.example.org", "/"),
        ];
        let kept = idp_cookies(&hub, &cookies, &["qlik.example.com".into(), "login.example.net".into()]);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].name, "sso");
        assert!(!format!("{kept:?}").contains("sso-secret-value"), "values are redacted in Debug");
    }
}
