//! "Why can't I sign in?" — each step between this computer and the hub's identity provider,
//! checked in order, each ok or failed with what to do: DNS, TCP, TLS, OIDC discovery, clock.

use std::time::Duration;

use reqwest;
use serde::Serialize;
use time::OffsetDateTime;
use url::Url;

use crate::error::{Error, ExitCode};
use crate::http;
use crate::oidc::Idp;
use crate::settings::HubSettings;

/// Clock differences above this make tokens look expired or not yet valid.
const MAX_SKEW: i64 = 60;

#[derive(Debug, Serialize)]
pub struct Step {
    pub name: String,
    pub ok: bool,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_step: Option<String>,
    #[serde(skip)]
    pub exit: ExitCode,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub hub: String,
    pub steps: Vec<Step>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.steps.iter().all(|s| s.ok)
    }

    /// The exit code of the first failed step.
    pub fn exit_code(&self) -> ExitCode {
        self.steps.iter().find(|s| !s.ok).map(|s| s.exit).unwrap_or(ExitCode::Ok)
    }

    fn pass(&mut self, name: impl Into<String>, detail: impl Into<String>) {
        self.steps.push(Step {
            name: name.into(),
            ok: true,
            detail: detail.into(),
            next_step: None,
            exit: ExitCode::Ok,
        });
    }

    fn fail(&mut self, name: impl Into<String>, e: &Error) {
        self.steps.push(Step {
            name: name.into(),
            ok: false,
            detail: e.cause(),
            next_step: Some(e.next_step()),
            exit: e.exit_code(),
        });
    }
}

/// Check the way to the hub and its issuer. Stops at the first step that makes the rest
/// meaningless (no address → no connection → no TLS).
pub async fn diagnose(settings: &HubSettings) -> Report {
    let mut report = Report { hub: settings.name.clone(), steps: Vec::new() };
    let issuer = Url::parse(&settings.issuer).ok();
    let mut origins = vec![settings.url.clone()];
    if let Some(i) = &issuer
        && i.origin() != settings.url.origin()
    {
        origins.push(i.clone());
    }
    let client = match http::client_for(settings) {
        Ok(c) => c,
        Err(e) => {
            report.fail("trusted certificates", &e);
            return report;
        }
    };
    for url in &origins {
        if !check_connection(&mut report, &client, url).await {
            return report;
        }
    }
    let started = OffsetDateTime::now_utc();
    match Idp::discover(settings, client.clone()).await {
        Ok(idp) => {
            let mut features = vec!["authorization code + PKCE"];
            if idp.has_device_flow() {
                features.push("device flow");
            }
            if idp.has_revocation() {
                features.push("revocation");
            }
            if idp.userinfo_endpoint.is_some() {
                features.push("userinfo");
            }
            report.pass("OpenID Connect discovery", format!("{} offers {}", idp.issuer, features.join(", ")));
            report.pass("redirect URI", redirect_uri_to_register(settings, &idp));
        }
        Err(e) => {
            report.fail("OpenID Connect discovery", &e);
            return report;
        }
    }
    if let Some(issuer) = &issuer {
        check_clock(&mut report, &client, issuer, started).await;
    }
    report
}

/// What the administrator registers at the identity provider for Hublink's client.
fn redirect_uri_to_register(settings: &HubSettings, idp: &Idp) -> String {
    let port = settings.redirect_port.map(|p| format!(":{p}")).unwrap_or_default();
    let why = if idp.announces_iss() {
        "it names itself in every answer (RFC 9207), and Hublink checks that name"
    } else {
        "its own path, because it does not name itself in its answers (RFC 9207); a code that comes back elsewhere is refused"
    };
    format!(
        "register http://127.0.0.1{port}{} for Hublink's client at the identity provider: {why}",
        idp.redirect_path()
    )
}

/// DNS and TCP to the host — or to the proxy in effect for it, which is where the requests go —
/// then TLS through the same client the sign-in uses.
async fn check_connection(report: &mut Report, client: &reqwest::Client, url: &Url) -> bool {
    let proxy = http::proxy_for(url);
    let target = proxy.as_ref().map_or(url, |p| &p.url);
    if let Some(p) = &proxy {
        report.pass(
            format!("proxy for {}", url.origin().ascii_serialization()),
            format!("requests go through {} (set by {}; NO_PROXY does not exclude this host)", p.display(), p.variable),
        );
    }
    let Some(host) = target.host_str() else { return false };
    let port = target.port_or_known_default().unwrap_or(443);
    let what = match &proxy {
        Some(p) => format!("the proxy {host}:{port} (from {})", p.variable),
        None => format!("{host}:{port}"),
    };
    let Some(first) = check_dns(report, host, port).await else { return false };
    if !check_tcp(report, first, &what).await {
        return false;
    }
    if url.scheme() == "https" {
        let name = url.host_str().unwrap_or(host);
        match client.head(url.clone()).send().await {
            Ok(_) => report.pass(format!("TLS {name}"), "certificate trusted and valid for this name"),
            Err(e) => {
                report.fail(format!("TLS {name}"), &http::classify(e, "the secure connection", Some(url)));
                return false;
            }
        }
    }
    true
}

/// Resolve `host`; the first address, or `None` with the failure reported.
async fn check_dns(report: &mut Report, host: &str, port: u16) -> Option<std::net::SocketAddr> {
    let failure = |detail: String| Error::Network { what: format!("the name {host}"), detail, source: None };
    let addrs: Vec<std::net::SocketAddr> =
        match tokio::time::timeout(Duration::from_secs(10), tokio::net::lookup_host((host, port))).await {
            Ok(Ok(a)) => a.collect(),
            Ok(Err(e)) => {
                report.fail(format!("DNS {host}"), &failure(format!("it could not be resolved ({e})")));
                return None;
            }
            Err(_) => {
                report.fail(format!("DNS {host}"), &failure("no answer from DNS within 10 s".into()));
                return None;
            }
        };
    let Some(first) = addrs.first().copied() else {
        report.fail(format!("DNS {host}"), &failure("DNS returned no address".into()));
        return None;
    };
    report.pass(format!("DNS {host}"), addrs.iter().map(|a| a.ip().to_string()).collect::<Vec<_>>().join(", "));
    Some(first)
}

/// Connect to `addr` (`what` names it: the host, or the proxy and its variable).
async fn check_tcp(report: &mut Report, addr: std::net::SocketAddr, what: &str) -> bool {
    let detail = match tokio::time::timeout(Duration::from_secs(10), tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(_)) => {
            report.pass(format!("TCP {addr}"), format!("connected to {what}"));
            return true;
        }
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused: nothing listens there (is the server running? is a firewall in the way?)".to_owned()
        }
        Ok(Err(e)) => e.to_string(),
        Err(_) => "no answer within 10 s (a firewall or VPN may be in the way)".into(),
    };
    report.fail(format!("TCP {addr}"), &Error::Network { what: what.to_owned(), detail, source: None });
    false
}

async fn check_clock(report: &mut Report, client: &reqwest::Client, issuer: &Url, started: OffsetDateTime) {
    let Ok(discovery) = issuer.join(".well-known/openid-configuration") else { return };
    let Ok(response) = client.get(discovery).send().await else { return };
    let Some(date) = response.headers().get("date").and_then(|d| d.to_str().ok()).and_then(parse_http_date) else {
        report.pass("clock", "the server sent no Date header to compare with");
        return;
    };
    let skew = (started - date).whole_seconds();
    if skew.abs() <= MAX_SKEW {
        report.pass("clock", format!("this computer and the identity provider agree within {} s", skew.abs().max(1)));
    } else {
        report.steps.push(Step {
            name: "clock".into(),
            ok: false,
            detail: format!(
                "this computer's clock is {} s {} the identity provider's; tokens will look expired or not yet valid",
                skew.abs(),
                if skew > 0 { "ahead of" } else { "behind" }
            ),
            next_step: Some(
                "Set this computer's date and time automatically (network time), then sign in again.".into(),
            ),
            exit: ExitCode::Other,
        });
    }
}

/// RFC 9110 IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn parse_http_date(s: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(s.trim(), &format).ok().map(|p| p.assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates() {
        let d = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(d.unix_timestamp(), 784111777);
        assert!(parse_http_date("yesterday").is_none());
    }
}
