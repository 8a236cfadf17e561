//! `list`/`status` output: a table for people, a stable JSON shape for scripts
//! (`{"hubs":[{"name","url","source","auth","state","user","expires_at",…}]}`).

use hublink_core::catalog::SessionRecord;
use hublink_core::{Catalog, ErrorReport, Hub, HubStatus, SessionState};
use serde::Serialize;
use time::OffsetDateTime;

#[derive(Serialize)]
pub struct Row {
    pub name: String,
    pub url: String,
    pub source: &'static str,
    /// `oidc` or `web` (the hub's own sign-in; its session is a cookie).
    pub auth: &'static str,
    pub state: &'static str,
    pub user: Option<String>,
    /// The access token's (or cookie's) expiry, renewed silently.
    pub expires_at: Option<String>,
    /// When a new interactive sign-in is needed (`max_session_days`, the refresh token's or
    /// cookie's end).
    pub session_ends_at: Option<String>,
    pub id: String,
    pub host: String,
    pub issuer: String,
    pub hidden: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_signed_in: Option<String>,
    /// Why a new sign-in is needed (state `sign_in_required`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorReport>,
}

pub use hublink_core::session::rfc3339;

impl Row {
    fn base(hub: &Hub, state: &'static str) -> Row {
        Row {
            name: hub.settings.name.clone(),
            url: hub.settings.url.to_string(),
            source: hub.source.as_str(),
            auth: hub.settings.auth.as_str(),
            state,
            user: None,
            expires_at: None,
            session_ends_at: None,
            id: hub.id.to_string(),
            host: hub.settings.display_host(),
            issuer: hub.settings.issuer.clone(),
            hidden: hub.hidden,
            last_signed_in: None,
            reason: None,
            error: None,
        }
    }

    /// From what the registry last knew, without network or keyring.
    pub fn last_known(hub: &Hub, record: Option<&SessionRecord>) -> Row {
        let Some(r) = record else {
            let mut row = Row::base(hub, "sign_in_required");
            row.reason = Some("not signed in on this computer".into());
            return row;
        };
        let too_old = r.signed_in_at.is_none_or(|t| {
            OffsetDateTime::now_utc() - t > time::Duration::days(i64::from(hub.settings.max_session_days))
        });
        let mut row =
            Row::base(hub, if too_old || r.sign_in_required.is_some() { "sign_in_required" } else { "signed_in" });
        row.reason = r.sign_in_required.clone();
        row.user = r.user.clone();
        row.expires_at = r.expires_at.map(rfc3339);
        row.session_ends_at = r.session_ends_at.map(rfc3339);
        row.last_signed_in = r.signed_in_at.map(rfc3339);
        row
    }

    pub fn checked(status: &HubStatus) -> Row {
        let mut row = Row::base(&status.hub, status.state.as_str());
        row.user = status.state.user().map(str::to_owned);
        match &status.state {
            SessionState::SignedIn { expires_at, session_ends_at, .. } => {
                row.expires_at = expires_at.map(rfc3339);
                row.session_ends_at = session_ends_at.map(rfc3339);
            }
            SessionState::SignInRequired { reason, .. } => row.reason = Some(reason.clone()),
            SessionState::Offline { last_signed_in, error, .. } => {
                row.last_signed_in = last_signed_in.map(rfc3339);
                row.error = Some(error.into());
            }
            SessionState::Error(e) => row.error = Some(e.into()),
        }
        row
    }

    fn describe_state(&self) -> String {
        match self.state {
            "signed_in" => format!(
                "signed in as {}{}",
                self.user.as_deref().unwrap_or("?"),
                self.session_ends_at.as_deref().map(|e| format!(", sign in again by {e}")).unwrap_or_default()
            ),
            "sign_in_required" => format!("sign in again ({})", self.reason.as_deref().unwrap_or("no session")),
            "offline" => format!(
                "offline, last signed in {}{}",
                self.last_signed_in.as_deref().unwrap_or("never"),
                self.error.as_ref().map(|e| format!(" ({})", e.cause)).unwrap_or_default()
            ),
            _ => self
                .error
                .as_ref()
                .map(|e| format!("error: {}: {}\n      next: {}", e.message, e.cause, e.next_step))
                .unwrap_or_else(|| "error".into()),
        }
    }
}

#[derive(Serialize)]
struct Listing<'a> {
    hubs: &'a [Row],
    problems: Vec<String>,
    warnings: &'a [String],
}

pub fn print_hubs(rows: &[Row], catalog: &Catalog, json: bool) {
    if json {
        let listing = Listing {
            hubs: rows,
            problems: catalog.ini_problems.iter().map(|p| p.to_string()).collect(),
            warnings: &catalog.warnings,
        };
        out!("{}", serde_json::to_string_pretty(&listing).unwrap_or_default());
        for w in &catalog.warnings {
            err!("warning: {w}");
        }
        return;
    }
    if rows.is_empty() {
        out!(
            "No hubs yet. Add one with `hublink add <authentication link>`, or ask your administrator for a link or a hubs.ini file."
        );
    }
    for row in rows {
        out!(
            "{}{} — {} [{}] ({})\n    {}",
            row.name,
            if row.hidden { " (hidden)" } else { "" },
            row.host,
            row.source,
            row.id,
            row.describe_state()
        );
    }
    for p in &catalog.ini_problems {
        err!("hubs.ini: {p}");
    }
    for w in &catalog.warnings {
        err!("warning: {w}");
    }
}
