//! Asking a cookie hub whether its session cookie is still good: one GET of `session_check`
//! with the cookie, no redirects followed.
//!
//! The answers understood are Qlik Sense Enterprise's proxy (`GET /<prefix>/qps/user`: 200
//! `{userDirectory, userId, userName, logoutUri}` when signed in, 200 `{"session":"inactive"}`
//! when not) and any hub that answers 2xx to a good cookie and 401/403 — or a redirect to its
//! sign-in page — to a dead one.

use url::Url;

use crate::error::{Error, Result};
use crate::http;
use crate::settings::{HubSettings, printable};
use crate::web::WebCookie;

/// The most of a session check's answer that is read.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// What the hub said about the cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebCheck {
    /// Signed in. `user`: `userDirectory\userId` (Qlik), else the answer's user name; `None`
    /// when the hub does not say. `logout_uri`: where sign-out goes, when the hub names one
    /// on its own origin.
    Good { user: Option<String>, logout_uri: Option<Url> },
    /// Not signed in (inactive, 401/403, or sent to sign in), with the hub's words.
    NotSignedIn { reason: String },
}

/// GET `settings.session_check` with `cookie`.
///
/// Errors: network and TLS failures as [`Error::Network`]/[`Error::Tls`] (offline: nothing is
/// concluded about the session), any other status as [`Error::HubError`].
pub async fn probe(client: &reqwest::Client, settings: &HubSettings, cookie: &WebCookie) -> Result<WebCheck> {
    let what = "the hub's session check";
    let url =
        settings.session_check.as_ref().ok_or(Error::Settings(crate::settings::SettingsError::WebNeedsSessionCheck))?;
    let response = client
        .get(url.clone())
        .header(reqwest::header::COOKIE, cookie.header_pair())
        .header(reqwest::header::ACCEPT, "application/json, text/plain;q=0.9, */*;q=0.1")
        .send()
        .await
        .map_err(|e| http::classify(e, what, Some(url)))?;
    let status = response.status();
    if status.is_redirection() {
        return Ok(WebCheck::NotSignedIn { reason: "the hub sends the request to its sign-in page".into() });
    }
    let body = http::read_bounded(response, MAX_ANSWER_BYTES, what, url).await?;
    let body = String::from_utf8_lossy(&body);
    match status.as_u16() {
        200..=299 => Ok(judge_answer(settings, &body)),
        401 | 403 => Ok(WebCheck::NotSignedIn {
            reason: http::reason_from_body(&body)
                .unwrap_or_else(|| format!("the hub answers HTTP {}", status.as_u16())),
        }),
        code => Err(Error::HubError {
            status: code,
            reason: http::reason_from_body(&body).unwrap_or_else(|| "the hub gave no reason".into()),
        }),
    }
}

/// Before a sign-in window opens: is the hub there at all? One GET of the session check without
/// a cookie (it costs no session). Network and TLS failures and a failing hub (5xx) are
/// returned; any other answer means the hub is up.
pub async fn reachable(client: &reqwest::Client, settings: &HubSettings) -> Result<()> {
    let what = "the hub";
    let url = settings.session_check.as_ref().unwrap_or(&settings.url);
    let response = client.get(url.clone()).send().await.map_err(|e| http::classify(e, what, Some(url)))?;
    let status = response.status();
    if status.is_server_error() {
        let body = http::read_bounded(response, MAX_ANSWER_BYTES, what, url).await.unwrap_or_default();
        return Err(Error::HubError {
            status: status.as_u16(),
            reason: http::reason_from_body(&String::from_utf8_lossy(&body))
                .unwrap_or_else(|| "the hub gave no reason".into()),
        });
    }
    Ok(())
}

/// A 2xx answer: Qlik's `{"session":"inactive"}` is "not signed in"; anything else is signed in.
fn judge_answer(settings: &HubSettings, body: &str) -> WebCheck {
    let Ok(serde_json::Value::Object(json)) = serde_json::from_str::<serde_json::Value>(body.trim()) else {
        return WebCheck::Good { user: None, logout_uri: None };
    };
    let text = |k: &str| json.get(k).and_then(|v| v.as_str()).map(str::trim).filter(|s| !s.is_empty());
    if text("session").is_some_and(|s| s.eq_ignore_ascii_case("inactive"))
        || json.get("authenticated").and_then(serde_json::Value::as_bool) == Some(false)
    {
        return WebCheck::NotSignedIn { reason: "the hub's session has ended".into() };
    }
    let user = match (text("userDirectory"), text("userId")) {
        (Some(dir), Some(id)) => Some(format!("{dir}\\{id}")),
        _ => ["userName", "user", "username", "preferred_username", "name", "email", "sub"]
            .iter()
            .find_map(|k| text(k))
            .map(str::to_owned),
    };
    let logout_uri = text("logoutUri").and_then(|u| Url::parse(u).ok()).filter(|u| u.origin() == settings.url.origin());
    WebCheck::Good { user: user.map(|u| printable(&u, 200)), logout_uri }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::AuthLink;

    fn hub() -> HubSettings {
        AuthLink::parse("hublink://add?url=https://qlik.example.com/finance/&auth=web&session_check=/finance/qps/user")
            .unwrap()
            .settings
    }

    #[test]
    fn qlik_answers_are_understood() {
        let good = judge_answer(
            &hub(),
            r#"{"userDirectory":"CORP","userId":"alice","userName":"Alice","logoutUri":"https://qlik.example.com/finance/qps/user"}"#,
        );
        assert_eq!(
            good,
            WebCheck::Good {
                user: Some("CORP\\alice".into()),
                logout_uri: Some(Url::parse("https://qlik.example.com/finance/qps/user").unwrap())
            }
        );
        assert!(matches!(judge_answer(&hub(), r#"{"session":"inactive"}"#), WebCheck::NotSignedIn { .. }));
    }

    #[test]
    fn a_logout_address_elsewhere_is_not_used_and_names_are_made_printable() {
        let WebCheck::Good { user, logout_uri } =
            judge_answer(&hub(), "{\"userName\":\"eve\\u001b[2J\",\"logoutUri\":\"https://evil.example.net/x\"}")
        else {
            panic!("signed in")
        };
        assert_eq!(logout_uri, None);
        assert!(!user.unwrap().contains('\u{1b}'));
    }
}
