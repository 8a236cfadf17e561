//! Credentials for scripts (`hublink token`).

use std::sync::Arc;

use crate::app::Parts;
use crate::catalog::Hub;
use crate::error::{Error, Result};
use crate::http;
use crate::oidc::Idp;
use crate::secret::AccessToken;
use crate::sessions::SessionKeeper;

/// A valid access token, refreshed silently when needed. When the identity provider did not
/// say how long the token lives (no `expires_in`, not a JWT), the hub is asked first: a token
/// Hublink has reason to believe is dead is never handed out.
pub struct AccessForScripts {
    keeper: SessionKeeper,
}

impl AccessForScripts {
    pub fn new(parts: &Arc<Parts>) -> AccessForScripts {
        AccessForScripts { keeper: SessionKeeper::new(parts.clone()) }
    }

    pub async fn run(&self, hub: &Hub) -> Result<AccessToken> {
        let session = self.keeper.usable(hub).await?;
        let session = self.keeper.fresh(hub, None, session, false).await?;
        if session.expires_at.is_some() {
            return Ok(session.access_token);
        }
        let idp = Idp::discover(&hub.settings, http::client_for(&hub.settings)?).await?;
        match crate::hub_check::accepts(&idp, &hub.settings, &session.access_token).await {
            Ok(()) => Ok(session.access_token),
            Err(Error::ServerRefused { status: 401, .. }) if session.refresh_token.is_some() => {
                Ok(self.keeper.fresh(hub, Some(&idp), session, true).await?.access_token)
            }
            Err(Error::ServerRefused { reason, .. }) => Err(Error::SignInRequired {
                hub: hub.settings.name.clone(),
                reason: format!("the hub no longer accepts the session: {reason}"),
            }),
            Err(e) => Err(e),
        }
    }
}
