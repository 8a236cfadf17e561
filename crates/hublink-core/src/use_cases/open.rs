//! Opening a signed-in hub, and forgetting a hub's web data.

use std::sync::Arc;

use url::Url;

use crate::app::Parts;
use crate::catalog::Hub;
use crate::error::{Error, Result};
use crate::sessions::SessionKeeper;
use crate::settings::Auth;
use crate::web::WebCookie;

/// How a hub opens.
#[derive(Debug)]
pub enum Opening {
    /// An OpenID Connect hub, in the system browser (the IdP's session there makes it seamless).
    InBrowser(Url),
    /// A cookie hub, in a Hublink hub window that carries its session cookie.
    InWindow { url: Url, cookie: WebCookie },
}

/// A signed-in hub's primary action: cookie hubs in a Hublink window with the stored cookie
/// (no probe first: a dead cookie shows the hub's own sign-in there), OIDC hubs in the browser.
pub struct OpenHub {
    parts: Arc<Parts>,
    keeper: SessionKeeper,
}

impl OpenHub {
    pub fn new(parts: &Arc<Parts>) -> OpenHub {
        OpenHub { parts: parts.clone(), keeper: SessionKeeper::new(parts.clone()) }
    }

    pub async fn run(&self, hub: &Hub) -> Result<Opening> {
        let url = hub.settings.url.clone();
        if hub.settings.auth == Auth::Web {
            let session = self.keeper.usable_web(hub).await?;
            return Ok(Opening::InWindow { url, cookie: session.cookie });
        }
        self.parts
            .browser
            .open(&url)
            .map_err(|e| Error::BadAddress { what: "the hub", detail: format!("no browser could open it ({e})") })?;
        Ok(Opening::InBrowser(url))
    }
}

/// "Forget this hub's web data": every cookie of Hublink's web context that is sent to the
/// hub's host. The kept session (keyring) is not touched — signing out does that.
pub struct ForgetWebData {
    parts: Arc<Parts>,
}

impl ForgetWebData {
    pub fn new(parts: &Arc<Parts>) -> ForgetWebData {
        ForgetWebData { parts: parts.clone() }
    }

    /// Returns how many cookies were deleted.
    pub async fn run(&self, hub: &Hub) -> Result<usize> {
        let windows = self.parts.web_windows().ok_or_else(|| Error::NeedsApp { hub: hub.settings.name.clone() })?;
        let host = hub.settings.url.host_str().unwrap_or("");
        let cookies: Vec<WebCookie> = windows.cookies().await?.into_iter().filter(|c| c.domain_matches(host)).collect();
        windows.delete_cookies(&cookies).await?;
        Ok(cookies.len())
    }
}
