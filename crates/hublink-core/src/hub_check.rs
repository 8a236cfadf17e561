//! Asking the hub whether it accepts a session: its `session_check`, else the issuer's userinfo
//! endpoint (PRODUCT.md, "Sessions"). A refusal is "server authentication failed" with the
//! hub's own reason.

use crate::error::Result;
use crate::oidc::{self, Idp};
use crate::secret::AccessToken;
use crate::settings::HubSettings;

/// GET the hub's session check with the bearer token. No session check and no userinfo
/// endpoint: nothing to ask, accepted.
pub async fn accepts(idp: &Idp, settings: &HubSettings, access: &AccessToken) -> Result<()> {
    match settings.session_check.as_ref().or(idp.userinfo_endpoint.as_ref()) {
        Some(url) => oidc::bearer_accepted(idp.http(), url, access).await,
        None => {
            tracing::info!(hub = %settings.name, "no session_check and no userinfo endpoint: the hub is not asked");
            Ok(())
        }
    }
}
