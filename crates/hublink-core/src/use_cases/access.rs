//! Credentials for scripts (`hublink token`, `hublink header`, `hublink exec`).

use std::sync::Arc;

use crate::app::Parts;
use crate::catalog::Hub;
use crate::error::{Error, Result};
use crate::http;
use crate::oidc::Idp;
use crate::secret::{AccessToken, Secret};
use crate::sessions::SessionKeeper;
use crate::settings::Auth;
use crate::web::{self, WebCheck};

/// An access token for scripts, with its expiry.
#[derive(Debug)]
pub struct Access {
    pub token: AccessToken,
    pub expires_at: Option<time::OffsetDateTime>,
}

/// One HTTP header line's name and value; the value is a secret.
#[derive(Debug)]
pub struct AuthHeader {
    pub name: &'static str,
    pub value: Secret,
}

/// A valid access token, refreshed silently when needed. When the identity provider did not
/// say how long the token lives (no `expires_in`, not a JWT), the hub is asked first: a token
/// Hublink has reason to believe is dead is never handed out.
pub struct AccessForScripts {
    parts: Arc<Parts>,
    keeper: SessionKeeper,
}

impl AccessForScripts {
    pub fn new(parts: &Arc<Parts>) -> AccessForScripts {
        AccessForScripts { parts: parts.clone(), keeper: SessionKeeper::new(parts.clone()) }
    }

    /// The HTTP header that authenticates to the hub: `Authorization: Bearer …` for OIDC hubs
    /// (a valid access token, as [`Self::run`]), `Cookie: name=value` for cookie hubs — after
    /// one probe of the session check, so a dead cookie is never handed out.
    pub async fn header(&self, hub: &Hub) -> Result<AuthHeader> {
        if hub.settings.auth != Auth::Web {
            let token = self.run(hub).await?;
            return Ok(AuthHeader { name: "Authorization", value: Secret::new(format!("Bearer {}", token.expose())) });
        }
        let session = self.keeper.usable_web(hub).await?;
        match web::probe(&http::client_for(&hub.settings)?, &hub.settings, &session.cookie).await? {
            WebCheck::Good { .. } => {
                Ok(AuthHeader { name: "Cookie", value: Secret::new(session.cookie.header_pair()) })
            }
            WebCheck::NotSignedIn { reason } => Err(Error::SignInRequired {
                hub: hub.settings.name.clone(),
                reason: format!("the hub's session ended ({reason}); the Hublink app renews it when it runs"),
            }),
        }
    }

    pub async fn run(&self, hub: &Hub) -> Result<AccessToken> {
        Ok(self.access(hub).await?.token)
    }

    /// The access token and when it expires (`None`: the identity provider did not say).
    pub async fn access(&self, hub: &Hub) -> Result<Access> {
        if hub.settings.auth == Auth::Web {
            return Err(Error::NotForWebHub { hub: hub.settings.name.clone() });
        }
        let session = self.keeper.usable(hub).await?;
        let session = self.keeper.fresh(hub, None, session, false).await?;
        let access = |s: crate::session::StoredSession| Access { token: s.access_token, expires_at: s.expires_at };
        if session.expires_at.is_some() {
            return Ok(access(session));
        }
        let idp = Idp::discover(&hub.settings, http::client_for(&hub.settings)?).await?;
        match crate::hub_check::accepts(&idp, hub, &self.parts.policy, &session.access_token).await {
            Ok(()) => Ok(access(session)),
            Err(Error::ServerRefused { status: 401, .. }) if session.refresh_token.is_some() => {
                Ok(access(self.keeper.fresh(hub, Some(&idp), session, true).await?))
            }
            Err(Error::ServerRefused { reason, .. }) => Err(Error::SignInRequired {
                hub: hub.settings.name.clone(),
                reason: format!("the hub no longer accepts the session: {reason}"),
            }),
            Err(e) => Err(e),
        }
    }
}
