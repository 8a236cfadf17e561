//! The HTTP client every request to a hub or its identity provider goes through, and the
//! translation of transport failures into words (which certificate problem, which host).

use std::time::Duration;

use url::Url;

use crate::error::{Cause, Error, Result, TlsProblem};
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
        // Our own choice of proxy (the same variables reqwest reads), so that an error can
        // name the proxy that was used and the variable it came from.
        .proxy(reqwest::Proxy::custom(|url| proxy_for(url).map(|p| p.url)))
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .use_rustls_tls()
}

/// Largest `ca_file` read, in bytes (a bundle of every public root is about 250 KiB).
pub const MAX_CA_FILE_BYTES: usize = 1024 * 1024;

/// The certificates of a `ca_file`: a regular file of at most [`MAX_CA_FILE_BYTES`] with at
/// least one PEM certificate. [`Error::CaFile`] says what is wrong.
pub fn load_ca_file(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>> {
    let bytes = crate::fsutil::read_regular_file(path, MAX_CA_FILE_BYTES)
        .map_err(|e| Error::CaFile { path: path.to_owned(), reason: e.to_string() })?;
    if !bytes.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
        return Err(Error::CaFile {
            path: path.to_owned(),
            reason: "the file holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
        });
    }
    let certs = reqwest::Certificate::from_pem_bundle(&bytes)
        .map_err(|e| Error::CaFile { path: path.to_owned(), reason: format!("not a PEM certificate bundle ({e})") })?;
    if certs.is_empty() {
        return Err(Error::CaFile { path: path.to_owned(), reason: "the file holds no PEM certificate".into() });
    }
    Ok(certs)
}

/// Turn a transport error into [`Error::Tls`] (with the certificate problem in words) or
/// [`Error::Network`]. `what` names the step ("the identity provider's discovery document").
pub fn classify(source: reqwest::Error, what: &str, url: Option<&Url>) -> Error {
    let err: &(dyn std::error::Error + 'static) = &source;
    let host = url.and_then(|u| u.host_str()).unwrap_or("the server").to_owned();
    if let Some(problem) = tls_problem(err) {
        return Error::Tls { host, problem, source: Some(Cause::new(source)) };
    }
    if let Some(proxy) = url.and_then(proxy_for) {
        let detail = match find::<reqwest::Error>(err) {
            Some(r) if r.is_timeout() => "no answer in time".to_owned(),
            _ => connect_detail(err),
        };
        return Error::Proxy {
            what: format!("{what} ({})", url.map(origin).unwrap_or_default()),
            proxy: proxy.display(),
            variable: proxy.variable,
            detail,
            source: Some(Cause::new(source)),
        };
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
    Error::Network { what: format!("{what}{where_}"), detail, source: Some(Cause::new(source)) }
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
            Some(r) => r
                .to_string()
                .replace(&r.url().map(|u| u.to_string()).unwrap_or_default(), &r.url().map(origin).unwrap_or_default()),
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

/// Read a response body of at most `limit` bytes; a longer one is refused (no real answer from
/// a hub or an identity provider is anywhere near it, and reading on would only fill memory).
pub async fn read_bounded(mut response: reqwest::Response, limit: usize, what: &str, url: &Url) -> Result<Vec<u8>> {
    let too_large = || {
        Error::Protocol(format!(
            "{what} ({}) sent more than {} KiB, far more than any real answer",
            origin(url),
            limit / 1024
        ))
    };
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| classify(e, what, Some(url)))? {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A proxy in effect for an address, and the environment variable that set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyChoice {
    pub url: Url,
    pub variable: &'static str,
}

impl ProxyChoice {
    /// The proxy's address without any user name or password.
    pub fn display(&self) -> String {
        origin(&self.url)
    }
}

/// The proxy a request to `url` goes through, from the environment as curl and reqwest read it:
/// `HTTPS_PROXY`/`https_proxy` for https, `HTTP_PROXY`/`http_proxy` for http (the upper-case
/// one is ignored in a CGI request, "httpoxy"), then `ALL_PROXY`/`all_proxy`; none when
/// `NO_PROXY`/`no_proxy` names the host.
///
/// Written here rather than left to reqwest, whose proxy matcher cannot be asked which proxy it
/// used: an error must name the proxy and its variable, and `doctor` must test the same way.
pub fn proxy_for(url: &Url) -> Option<ProxyChoice> {
    proxy_from_env(url, &|name| std::env::var(name).ok())
}

fn proxy_from_env(url: &Url, env: &dyn Fn(&str) -> Option<String>) -> Option<ProxyChoice> {
    let names: [&'static str; 4] = match url.scheme() {
        "https" => ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"],
        "http" => ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"],
        _ => return None,
    };
    let cgi = env("REQUEST_METHOD").is_some();
    let (variable, value) = names
        .into_iter()
        .filter(|n| !(cgi && *n == "HTTP_PROXY"))
        .find_map(|n| env(n).map(|v| (n, v.trim().to_owned())).filter(|(_, v)| !v.is_empty()))?;
    let no_proxy = env("NO_PROXY").filter(|v| !v.trim().is_empty()).or_else(|| env("no_proxy")).unwrap_or_default();
    if bypasses(&no_proxy, url) {
        return None;
    }
    let value = if value.contains("://") { value } else { format!("http://{value}") };
    Url::parse(&value).ok().map(|url| ProxyChoice { url, variable })
}

/// `NO_PROXY` as curl reads it: `*`, or comma-separated host names (a leading `.` or `*.` is
/// optional; a name covers its subdomains), IP addresses and IPv4/IPv6 CIDR ranges.
fn bypasses(no_proxy: &str, url: &Url) -> bool {
    let Some(host) = url.host_str() else { return false };
    let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    let ip: Option<std::net::IpAddr> = host.parse().ok();
    no_proxy.split(',').map(|e| e.trim().to_ascii_lowercase()).filter(|e| !e.is_empty()).any(|entry| {
        if entry == "*" {
            return true;
        }
        if let (Some(ip), Some((net, bits))) = (ip, entry.split_once('/')) {
            return in_cidr(ip, net, bits);
        }
        let name = entry.trim_start_matches("*.").trim_start_matches('.');
        let name = name.trim_start_matches('[').trim_end_matches(']');
        host == name || host.ends_with(&format!(".{name}"))
    })
}

fn in_cidr(ip: std::net::IpAddr, net: &str, bits: &str) -> bool {
    use std::net::IpAddr;
    let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else { return false };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
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
    if clean.chars().count() > MAX { format!("{}…", clean.chars().take(MAX).collect::<String>()) } else { clean }
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

    fn proxy(url: &str, vars: &[(&str, &str)]) -> Option<(String, &'static str)> {
        let env = |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned());
        proxy_from_env(&Url::parse(url).unwrap(), &env).map(|p| (p.display(), p.variable))
    }

    #[test]
    fn proxies_from_the_environment_with_their_variable() {
        let p = |u: &str, v: &[(&str, &str)]| proxy(u, v);
        assert_eq!(
            p("https://hub.example.com/", &[("HTTPS_PROXY", "http://proxy:3128")]),
            Some(("http://proxy:3128".into(), "HTTPS_PROXY"))
        );
        assert_eq!(
            p("https://hub.example.com/", &[("https_proxy", "proxy:8080")]),
            Some(("http://proxy:8080".into(), "https_proxy"))
        );
        assert_eq!(p("http://127.0.0.1:9/", &[("HTTPS_PROXY", "http://proxy:1")]), None, "https proxy is not for http");
        assert_eq!(
            p("http://127.0.0.1:9/", &[("http_proxy", "http://u:pw@proxy:1")]),
            Some(("http://proxy:1".into(), "http_proxy")),
            "no credentials shown"
        );
        assert_eq!(
            p("http://127.0.0.1:9/", &[("HTTP_PROXY", "http://p:1"), ("REQUEST_METHOD", "GET")]),
            None,
            "httpoxy"
        );
        assert_eq!(p("https://hub.example.com/", &[("ALL_PROXY", "http://p:1")]).map(|x| x.1), Some("ALL_PROXY"));
        assert_eq!(p("https://hub.example.com/", &[("HTTPS_PROXY", " ")]), None);
    }

    #[test]
    fn no_proxy_names_hosts_domains_and_ranges() {
        let on = [("HTTPS_PROXY", "http://p:1")];
        let with = |np: &str, u: &str| proxy(u, &[on[0], ("NO_PROXY", np)]).is_none();
        assert!(with("*", "https://a.example.com/"));
        assert!(with("example.com", "https://a.example.com/"));
        assert!(with(".example.com", "https://example.com/"));
        assert!(with("*.example.com", "https://a.b.example.com/"));
        assert!(!with("example.com", "https://notexample.com/"));
        assert!(with("10.0.0.0/8", "https://10.1.2.3/"));
        assert!(!with("10.0.0.0/8", "https://11.1.2.3/"));
        assert!(with("localhost, 127.0.0.1", "https://127.0.0.1:8443/"));
        assert!(with("::1", "https://[::1]:8443/"));
        let both = [on[0], ("NO_PROXY", ""), ("no_proxy", "example.com")];
        assert!(proxy("https://a.example.com/", &both).is_none(), "an empty NO_PROXY does not hide no_proxy");
    }

    #[test]
    fn reasons_from_bodies() {
        assert_eq!(reason_from_body("  ").as_deref(), None);
        assert_eq!(reason_from_body("{\"error\":\"x\",\"error_description\":\"no role\"}").as_deref(), Some("no role"));
        assert_eq!(
            reason_from_body("<html><b>User bob</b> has no access</html>").as_deref(),
            Some("User bob has no access")
        );
        assert_eq!(reason_from_body(&"a".repeat(1000)).map(|s| s.chars().count()), Some(301));
        assert_eq!(
            reason_from_www_authenticate("Bearer error=\"invalid_token\", error_description=\"expired\"").as_deref(),
            Some("expired")
        );
    }
}
