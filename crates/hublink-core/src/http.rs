//! The HTTP client every request to a hub or its identity provider goes through, and the
//! translation of transport failures into words (which certificate problem, which host).

use std::time::Duration;

use openidconnect::reqwest;
use url::Url;

use crate::error::{Error, Result, TlsProblem};
use crate::settings::HubSettings;

const USER_AGENT: &str = concat!("hublink/", env!("CARGO_PKG_VERSION"));

/// A client for one hub: the operating system's trusted roots (so a corporate CA installed on
/// the machine works for link hubs too), the public web roots, plus the hub's `ca_file`; no redirects
/// (OAuth endpoints must not be redirected to other hosts), bounded timeouts.
pub fn client_for(settings: &HubSettings) -> Result<reqwest::Client> {
    let mut builder = base_builder();
    if let Some(path) = &settings.ca_file {
        for cert in load_ca_file(path)? {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder.build().map_err(|e| Error::Internal(format!("cannot build the HTTP client: {e}")))
}

/// A client for an address that is not (yet) a hub, e.g. `hublink add https://…`.
pub fn plain_client() -> Result<reqwest::Client> {
    base_builder().build().map_err(|e| Error::Internal(format!("cannot build the HTTP client: {e}")))
}

fn base_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .use_rustls_tls()
}

pub fn load_ca_file(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>> {
    let bytes = std::fs::read(path).map_err(|e| Error::CaFile {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let certs = reqwest::Certificate::from_pem_bundle(&bytes).map_err(|e| Error::CaFile {
        path: path.to_owned(),
        reason: format!("not a PEM certificate bundle ({e})"),
    })?;
    if certs.is_empty() {
        return Err(Error::CaFile { path: path.to_owned(), reason: "the file holds no PEM certificate".into() });
    }
    Ok(certs)
}

/// Turn a transport error into [`Error::Tls`] (with the certificate problem in words) or
/// [`Error::Network`]. `what` names the step ("the identity provider's discovery document").
pub fn classify(err: &(dyn std::error::Error + 'static), what: &str, url: Option<&Url>) -> Error {
    let host = url.and_then(|u| u.host_str()).unwrap_or("the server").to_owned();
    if let Some(problem) = tls_problem(err) {
        return Error::Tls { host, problem };
    }
    let detail = if let Some(r) = find::<reqwest::Error>(err) {
        if r.is_timeout() {
            "the server did not answer in time".to_owned()
        } else if r.is_connect() {
            connect_detail(err)
        } else {
            chain(err)
        }
    } else {
        chain(err)
    };
    let where_ = url.map(|u| format!(" ({})", origin(u))).unwrap_or_default();
    Error::Network { what: format!("{what}{where_}"), detail }
}

fn connect_detail(err: &(dyn std::error::Error + 'static)) -> String {
    if let Some(io) = find::<std::io::Error>(err) {
        match io.kind() {
            std::io::ErrorKind::ConnectionRefused => return "connection refused (is the server running?)".into(),
            std::io::ErrorKind::TimedOut => return "the connection timed out".into(),
            _ => {}
        }
    }
    let text = chain(err);
    if text.contains("dns error") || text.contains("failed to lookup address") {
        return "the host name could not be resolved (DNS)".into();
    }
    text
}

fn origin(u: &Url) -> String {
    u.origin().ascii_serialization()
}

/// The error and its causes, joined; URLs in reqwest's messages are reduced to their origin so
/// a query string (which could hold a code) never reaches a message.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        let text = match e.downcast_ref::<reqwest::Error>() {
            Some(r) => r.to_string().replace(&r.url().map(|u| u.to_string()).unwrap_or_default(), &r.url().map(origin).unwrap_or_default()),
            None => e.to_string(),
        };
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    parts.join(": ")
}

/// Find an error of type `T` in the chain, looking inside `io::Error`s too (their `source()`
/// skips the wrapped error itself).
fn find<'a, T: std::error::Error + 'static>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a T> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(t) = e.downcast_ref::<T>() {
            return Some(t);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
        {
            if let Some(t) = inner.downcast_ref::<T>() {
                return Some(t);
            }
            if let Some(t) = find::<T>(inner) {
                return Some(t);
            }
        }
        cur = e.source();
    }
    None
}

fn tls_problem(err: &(dyn std::error::Error + 'static)) -> Option<TlsProblem> {
    use rustls::CertificateError as C;
    let e = find::<rustls::Error>(err)?;
    Some(match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::Expired | C::ExpiredContext { .. } => TlsProblem::Expired,
            C::NotValidYet | C::NotValidYetContext { .. } => TlsProblem::NotYetValid,
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsProblem::WrongHost,
            C::UnknownIssuer => TlsProblem::UnknownIssuer,
            C::Revoked => TlsProblem::Revoked,
            other => TlsProblem::Other(format!("the certificate is not valid ({other:?})")),
        },
        other => TlsProblem::Other(other.to_string()),
    })
}

/// The text of an HTTP error body, shortened and stripped of markup, for showing a server's
/// own reason. JSON bodies give their `error_description`, `message`, `reason` or `error`.
pub fn reason_from_body(body: &str) -> Option<String> {
    let body = body.trim();
    if body.is_empty() {
        return None;
    }
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        for key in ["error_description", "message", "reason", "detail", "error"] {
            if let Some(s) = v.get(key).and_then(|s| s.as_str()) {
                return Some(shorten(s));
            }
        }
    }
    let mut text = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then(|| shorten(&text))
}

/// At most 300 printable characters: for any text a server sends that we show.
pub fn shorten(s: &str) -> String {
    const MAX: usize = 300;
    let clean: String = s.chars().filter(|c| !c.is_control()).collect();
    if clean.chars().count() > MAX {
        format!("{}…", clean.chars().take(MAX).collect::<String>())
    } else {
        clean
    }
}

/// `error_description` (or `error`) from a `WWW-Authenticate: Bearer …` header.
pub fn reason_from_www_authenticate(header: &str) -> Option<String> {
    for key in ["error_description", "error"] {
        let needle = format!("{key}=\"");
        if let Some(start) = header.find(&needle) {
            let rest = &header[start + needle.len()..];
            if let Some(end) = rest.find('"') {
                return Some(shorten(&rest[..end]));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_from_bodies() {
        assert_eq!(reason_from_body("  ").as_deref(), None);
        assert_eq!(reason_from_body("{\"error\":\"x\",\"error_description\":\"no role\"}").as_deref(), Some("no role"));
        assert_eq!(reason_from_body("<html><b>User bob</b> has no access</html>").as_deref(), Some("User bob has no access"));
        assert_eq!(reason_from_body(&"a".repeat(1000)).map(|s| s.chars().count()), Some(301));
        assert_eq!(
            reason_from_www_authenticate("Bearer error=\"invalid_token\", error_description=\"expired\"").as_deref(),
            Some("expired")
        );
    }
}
