//! Signing out.

use std::sync::Arc;

use crate::app::Parts;
use crate::catalog::Hub;
use crate::error::Result;
use crate::http;
use crate::oidc::{Idp, Revocable};
use crate::session::StoredSession;
use crate::sessions::SessionKeeper;

#[derive(Debug, PartialEq)]
pub enum Revocation {
    /// The identity provider revoked the tokens.
    Revoked,
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
/// refresh token first, which ends the whole grant at most providers — then delete them here,
/// also when revocation fails (the reason is returned).
pub struct SignOut {
    keeper: SessionKeeper,
}

impl SignOut {
    pub fn new(parts: &Arc<Parts>) -> SignOut {
        SignOut { keeper: SessionKeeper::new(parts.clone()) }
    }

    pub async fn run(&self, hub: &Hub) -> Result<SignedOut> {
        let _lock = self.keeper.lock(hub).await?;
        let revocation = match self.keeper.load(hub).await? {
            None => Revocation::NothingStored,
            Some(session) => match revoke(hub, &session).await {
                Ok(true) => Revocation::Revoked,
                Ok(false) => Revocation::NotOffered,
                Err(e) => Revocation::Failed(format!("{}: {}", e.message(), e.cause())),
            },
        };
        self.keeper.forget(hub).await?;
        Ok(SignedOut { hub_name: hub.settings.name.clone(), revocation })
    }
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
