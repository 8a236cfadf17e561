//! Signing out.

use std::sync::Arc;

use crate::app::Parts;
use crate::catalog::Hub;
use crate::error::Result;
use crate::http;
use crate::oidc::{Idp, Revocable};
use crate::session::{Kept, StoredSession, WebSession};
use crate::sessions::SessionKeeper;
use crate::web::WebCookie;

#[derive(Debug, PartialEq)]
pub enum Revocation {
    /// The identity provider revoked the tokens.
    Revoked,
    /// The hub's logout ended its web session (`auth=web`).
    LoggedOutAtHub,
    /// The hub named no logout address (`auth=web`): its cookie was deleted here only.
    NoHubLogout,
    /// The identity provider offers no revocation endpoint.
    NotOffered,
    /// There was no stored session.
    NothingStored,
    /// Revocation failed (the reason); the tokens were deleted from this computer anyway.
    Failed(String),
    /// The secure storage could not be reached, so a stored session may remain (the reason).
    NotDeleted(String),
}

/// What signing out did, and the one way it is told.
#[derive(Debug, PartialEq)]
pub struct SignedOut {
    pub hub_name: String,
    pub revocation: Revocation,
}

impl SignedOut {
    /// The sentence the CLI prints and the welcome page shows.
    pub fn describe(&self) -> String {
        let name = &self.hub_name;
        match &self.revocation {
            Revocation::Revoked => format!("Signed out of {name}; the identity provider revoked the session."),
            Revocation::LoggedOutAtHub => format!("Signed out of {name}; the hub ended the session."),
            Revocation::NoHubLogout => format!(
                "Signed out of {name} on this computer; the hub names no logout address, so its session ends when it times out."
            ),
            Revocation::NotOffered => format!(
                "Signed out of {name}; the identity provider offers no revocation, so the session was deleted from this computer."
            ),
            Revocation::NothingStored => format!("There was no session for {name} on this computer."),
            Revocation::NotDeleted(why) => format!(
                "{name} was removed, but its session could not be deleted from this computer's keyring ({why}); delete the `hublink` entries in your keyring app (Seahorse, Keychain Access, Credential Manager)."
            ),
            Revocation::Failed(why) => {
                format!("Signed out of {name} on this computer; the identity provider could not be told ({why}).")
            }
        }
    }
}

/// Sign out: under the hub's session lock (a refresh in another process must not write the
/// session back), revoke the tokens at the identity provider when it offers revocation — the
/// refresh token first, which ends the whole grant at most providers — or, for a cookie hub,
/// call the hub's logout with its cookie and delete the cookies from the web context; then
/// delete the session here, also when revocation fails (the reason is returned).
pub struct SignOut {
    parts: Arc<Parts>,
    keeper: SessionKeeper,
}

impl SignOut {
    pub fn new(parts: &Arc<Parts>) -> SignOut {
        SignOut { parts: parts.clone(), keeper: SessionKeeper::new(parts.clone()) }
    }

    pub async fn run(&self, hub: &Hub) -> Result<SignedOut> {
        let _lock = self.keeper.lock(hub).await?;
        let failed = |e: crate::Error| Revocation::Failed(format!("{}: {}", e.message(), e.cause()));
        let revocation = match self.keeper.load_kept(hub).await? {
            None => Revocation::NothingStored,
            Some(Kept::Oidc(session)) => match revoke(hub, &session).await {
                Ok(true) => Revocation::Revoked,
                Ok(false) => Revocation::NotOffered,
                Err(e) => failed(e),
            },
            Some(Kept::Web(session)) => {
                let outcome = match log_out_at_hub(hub, &session).await {
                    Ok(true) => Revocation::LoggedOutAtHub,
                    Ok(false) => Revocation::NoHubLogout,
                    Err(e) => failed(e),
                };
                self.forget_web_data(&session).await;
                outcome
            }
        };
        self.keeper.forget(hub).await?;
        Ok(SignedOut { hub_name: hub.settings.name.clone(), revocation })
    }

    /// The hub's cookie and the kept IdP cookies leave the web context too (the desktop app):
    /// whatever value each has there now (a later sign-in may have renewed it), by name,
    /// domain and path. Best effort — the hub's logout already ended the session.
    async fn forget_web_data(&self, session: &WebSession) {
        let Some(windows) = self.parts.web_windows() else { return };
        let kept: Vec<&WebCookie> = std::iter::once(&session.cookie).chain(&session.idp_cookies).collect();
        let result = match windows.cookies().await {
            Ok(now) => {
                let gone: Vec<WebCookie> = now.into_iter().filter(|c| kept.iter().any(|k| k.same_slot(c))).collect();
                windows.delete_cookies(&gone).await
            }
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not delete the hub's cookies from the web context");
        }
    }
}

/// Call the hub's logout address with its cookie: `DELETE` (Qlik Sense's `/qps/user`), then
/// `GET` when the hub does not allow `DELETE`. `false`: the hub names no logout address.
async fn log_out_at_hub(hub: &Hub, session: &WebSession) -> Result<bool> {
    let Some(url) = &session.logout_uri else { return Ok(false) };
    let client = http::client_for(&hub.settings)?;
    let what = "the hub's logout";
    let send = |method: reqwest::Method| {
        client.request(method, url.clone()).header(reqwest::header::COOKIE, session.cookie.header_pair()).send()
    };
    let mut response = send(reqwest::Method::DELETE).await.map_err(|e| http::classify(e, what, Some(url)))?;
    if response.status() == reqwest::StatusCode::METHOD_NOT_ALLOWED {
        response = send(reqwest::Method::GET).await.map_err(|e| http::classify(e, what, Some(url)))?;
    }
    let status = response.status();
    if status.is_success() || status.is_redirection() {
        return Ok(true);
    }
    Err(crate::Error::HubError { status: status.as_u16(), reason: "the hub's logout did not succeed".into() })
}

/// Revocation goes only to the identity provider that issued the tokens: the session's own
/// issuer and client, whatever the hub's settings say now (an IdP migration, or a hubs.ini
/// that redefined the hub, must not send the old IdP's tokens to another one).
async fn revoke(hub: &Hub, session: &StoredSession) -> Result<bool> {
    let mut settings = hub.settings.clone();
    settings.issuer.clone_from(&session.issuer);
    settings.client_id.clone_from(&session.client_id);
    let idp = Idp::discover(&settings, http::client_for(&settings)?).await?;
    if let Some(rt) = &session.refresh_token
        && !idp.revoke(Revocable::Refresh(rt)).await?
    {
        return Ok(false);
    }
    idp.revoke(Revocable::Access(&session.access_token)).await
}
