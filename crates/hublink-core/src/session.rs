//! A hub session as it is kept in the secret store, and its state as users see it.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::Error;
use crate::secret::{AccessToken, IdToken, RefreshToken, Secret};

/// Refresh this long before the access token expires, so a token handed out is still good
/// when it arrives — or a quarter of the token's lifetime, when that is shorter.
pub const REFRESH_MARGIN: time::Duration = time::Duration::seconds(30);

/// A time as RFC 3339, as `--json` and the welcome page show it.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// A duration in seconds as people say it: "45 seconds", "1 minute", "2 minutes", "3 hours",
/// "1 day" (rounded to the nearest unit).
pub fn human_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    let (minutes, hours) = ((s + 30) / 60, (s + 1800) / 3600);
    let (n, unit) = match () {
        () if s < 60 => (s, "second"),
        () if minutes < 60 => (minutes, "minute"),
        () if hours < 24 => (hours, "hour"),
        () => ((s + 43_200) / 86_400, "day"),
    };
    if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") }
}

/// Everything about one hub's session; the whole value lives in the secret store.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredSession {
    pub access_token: AccessToken,
    #[serde(default)]
    pub refresh_token: Option<RefreshToken>,
    #[serde(default)]
    pub id_token: Option<IdToken>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// When the current access token was obtained (sign-in or refresh). Also tells a process
    /// that waited for the refresh lock whether another one refreshed meanwhile.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub obtained_at: Option<OffsetDateTime>,
    /// When the user last signed in interactively; `max_session_days` counts from here.
    #[serde(with = "time::serde::rfc3339")]
    pub signed_in_at: OffsetDateTime,
    pub user: String,
    /// The issuer and client the tokens belong to; a hub whose settings changed needs a new
    /// sign-in.
    pub issuer: String,
    pub client_id: String,
    /// When the refresh token stops working, when the provider said (`refresh_expires_in`).
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub refresh_expires_at: Option<OffsetDateTime>,
    /// Whether the sign-in used a second factor; `None` when unknown (the provider did not
    /// report `amr`, or an older Hublink stored the session). A hub that requires MFA later
    /// asks for a new sign-in when this is `Some(false)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_factor: Option<bool>,
}

impl StoredSession {
    /// When this session really ends — not its access token, which is renewed silently: the
    /// refresh token's end when the provider said, else `max_session_days` after the last
    /// interactive sign-in; without a refresh token, the access token's expiry.
    pub fn ends_at(&self, max_session_days: u32) -> Option<OffsetDateTime> {
        let hard = self.signed_in_at + time::Duration::days(i64::from(max_session_days));
        let soft = if self.refresh_token.is_some() { self.refresh_expires_at } else { self.expires_at };
        Some(soft.map_or(hard, |s| s.min(hard)))
    }

    pub fn needs_refresh(&self, now: OffsetDateTime) -> bool {
        let Some(expires_at) = self.expires_at else { return false };
        let margin = match self.obtained_at {
            Some(obtained) => REFRESH_MARGIN.min((expires_at - obtained) / 4),
            None => REFRESH_MARGIN,
        };
        expires_at - margin <= now
    }

    pub fn to_secret(&self) -> Secret {
        Secret::new(serde_json::to_string(self).unwrap_or_default())
    }

    pub fn from_secret(s: &Secret) -> Option<StoredSession> {
        serde_json::from_str(s.expose()).ok()
    }
}

/// A cookie hub's session (`auth=web`), as it lives in the secret store: the hub's session
/// cookie, the identity provider's sign-in cookies kept to renew it without the user
/// (`remember_idp_session`), and what the session check said.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebSession {
    /// Always [`Auth::Web`](crate::settings::Auth::Web): tells this record from an OIDC one.
    pub auth: crate::settings::Auth,
    pub cookie: crate::web::WebCookie,
    #[serde(default)]
    pub idp_cookies: Vec<crate::web::WebCookie>,
    /// Where sign-out goes (the session check's `logoutUri`), on the hub's own origin.
    #[serde(default)]
    pub logout_uri: Option<url::Url>,
    /// As the session check named the user (`userDirectory\userId`), else the hub's name.
    pub user: String,
    /// When the user last signed in interactively; `max_session_days` counts from here.
    #[serde(with = "time::serde::rfc3339")]
    pub signed_in_at: OffsetDateTime,
    /// When this cookie was captured (an interactive or a silent sign-in).
    #[serde(with = "time::serde::rfc3339")]
    pub captured_at: OffsetDateTime,
    /// The session check the cookie was proven with; a hub whose settings changed needs a new
    /// sign-in.
    pub session_check: String,
}

impl WebSession {
    /// When this web session really ends: `max_session_days` after the last interactive
    /// sign-in, or the cookie's own expiry when it is earlier and nothing can renew it (no IdP
    /// cookies kept).
    pub fn ends_at(&self, max_session_days: u32) -> Option<OffsetDateTime> {
        let hard = self.signed_in_at + time::Duration::days(i64::from(max_session_days));
        match self.cookie.expires_at {
            Some(cookie_end) if self.idp_cookies.is_empty() => Some(cookie_end.min(hard)),
            _ => Some(hard),
        }
    }
}

/// Whatever is kept for a hub: OpenID Connect tokens or a web session.
#[derive(Debug, Clone)]
pub enum Kept {
    Oidc(StoredSession),
    Web(WebSession),
}

impl Kept {
    /// Parses a stored value: a record with `"auth":"web"` is a web session, anything else an
    /// OIDC one (older records carry no `auth`). `None` when it is neither.
    pub fn from_secret(s: &Secret) -> Option<Kept> {
        let value: serde_json::Value = serde_json::from_str(s.expose()).ok()?;
        if value.get("auth").and_then(|a| a.as_str()) == Some("web") {
            serde_json::from_value(value).ok().map(Kept::Web)
        } else {
            serde_json::from_value(value).ok().map(Kept::Oidc)
        }
    }

    pub fn to_secret(&self) -> Secret {
        let text = match self {
            Kept::Oidc(s) => serde_json::to_string(s),
            Kept::Web(s) => serde_json::to_string(s),
        };
        Secret::new(text.unwrap_or_default())
    }

    pub fn signed_in_at(&self) -> OffsetDateTime {
        match self {
            Kept::Oidc(s) => s.signed_in_at,
            Kept::Web(s) => s.signed_in_at,
        }
    }
}

/// A hub's sign-in state, as `status` and the welcome page show it.
#[derive(Debug)]
pub enum SessionState {
    /// `expires_at`: the access token's (or cookie's) expiry, renewed silently;
    /// `session_ends_at`: when a new interactive sign-in is needed (see [`StoredSession::ends_at`]).
    SignedIn {
        user: String,
        expires_at: Option<OffsetDateTime>,
        session_ends_at: Option<OffsetDateTime>,
    },
    SignInRequired {
        reason: String,
        user: Option<String>,
    },
    Offline {
        user: Option<String>,
        last_signed_in: Option<OffsetDateTime>,
        error: Error,
    },
    Error(Error),
}

impl SessionState {
    /// The stable names of `--json`.
    pub fn as_str(&self) -> &'static str {
        match self {
            SessionState::SignedIn { .. } => "signed_in",
            SessionState::SignInRequired { .. } => "sign_in_required",
            SessionState::Offline { .. } => "offline",
            SessionState::Error(_) => "error",
        }
    }

    pub fn user(&self) -> Option<&str> {
        match self {
            SessionState::SignedIn { user, .. } => Some(user),
            SessionState::SignInRequired { user, .. } | SessionState::Offline { user, .. } => user.as_deref(),
            SessionState::Error(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> StoredSession {
        StoredSession {
            access_token: AccessToken::new("at-123"),
            refresh_token: Some(RefreshToken::new("rt-456")),
            id_token: None,
            expires_at: Some(OffsetDateTime::UNIX_EPOCH + time::Duration::hours(1)),
            obtained_at: Some(OffsetDateTime::UNIX_EPOCH),
            signed_in_at: OffsetDateTime::UNIX_EPOCH,
            user: "alice".into(),
            issuer: "https://login.example.com".into(),
            client_id: "hublink".into(),
            refresh_expires_at: None,
            second_factor: None,
        }
    }

    #[test]
    fn round_trips_through_the_store_format_and_debug_hides_tokens() {
        let s = session();
        let back = StoredSession::from_secret(&s.to_secret()).unwrap();
        assert_eq!(back.access_token.expose(), "at-123");
        assert_eq!(back.refresh_token.unwrap().expose(), "rt-456");
        let debug = format!("{s:?}");
        assert!(!debug.contains("at-123") && !debug.contains("rt-456"), "{debug}");
        assert!(StoredSession::from_secret(&Secret::new("{garbage")).is_none());
    }

    #[test]
    fn a_session_ends_with_its_refresh_token_or_max_session_days_not_its_access_token() {
        let mut s = session();
        let day = time::Duration::days(1);
        assert_eq!(s.ends_at(30), Some(s.signed_in_at + day * 30), "renewed silently until max_session_days");
        s.refresh_expires_at = Some(s.signed_in_at + day * 10);
        assert_eq!(s.ends_at(30), Some(s.signed_in_at + day * 10), "the refresh token ends first");
        s.refresh_token = None;
        assert_eq!(s.ends_at(30), s.expires_at, "without a refresh token the access token is the session");
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(human_duration(1), "1 second");
        assert_eq!(human_duration(45), "45 seconds");
        assert_eq!(human_duration(60), "1 minute");
        assert_eq!(human_duration(119), "2 minutes");
        assert_eq!(human_duration(3599), "1 hour");
        assert_eq!(human_duration(86_400 * 3), "3 days");
    }

    #[test]
    fn refresh_is_due_inside_the_margin() {
        let s = session();
        let exp = s.expires_at.unwrap();
        assert!(!s.needs_refresh(exp - time::Duration::minutes(5)));
        assert!(s.needs_refresh(exp - time::Duration::seconds(10)));
        assert!(s.needs_refresh(exp + time::Duration::seconds(10)));
    }

    #[test]
    fn short_lived_tokens_are_not_refreshed_at_once() {
        let mut s = session();
        let now = OffsetDateTime::UNIX_EPOCH;
        s.obtained_at = Some(now);
        s.expires_at = Some(now + time::Duration::seconds(8));
        assert!(!s.needs_refresh(now + time::Duration::seconds(1)), "margin is a quarter of 8 s");
        assert!(s.needs_refresh(now + time::Duration::seconds(7)));
    }
}
