//! Signing in interactively.

use std::sync::Arc;

use crate::app::Parts;
use crate::catalog::Hub;
use crate::error::Result;
use crate::http;
use crate::oidc::Idp;
use crate::sessions::SessionKeeper;
use crate::settings::Auth;
use crate::sign_in::web::{Mode, WebSignIn};
use crate::sign_in::{Acceptor, LoginOptions, ProgressFn, SignInContext, SignInMethod, SignedIn};

/// Sign in with the hub's method — browser code + PKCE, the device grant, or the hub's own web
/// sign-in in a Hublink window — once the policy still allows the hub: prove first that a
/// session could be kept (a keyring write — before the user types a password), verify what the
/// identity provider answers, ask the hub whether it accepts the session, and only then store
/// it. A failure or cancellation stores nothing.
pub struct SignIn {
    parts: Arc<Parts>,
    keeper: SessionKeeper,
}

impl SignIn {
    pub fn new(parts: &Arc<Parts>) -> SignIn {
        SignIn { parts: parts.clone(), keeper: SessionKeeper::new(parts.clone()) }
    }

    pub async fn run(&self, hub: &Hub, options: LoginOptions, progress: &ProgressFn<'_>) -> Result<SignedIn> {
        // A hub added before the organisation's rules changed: asked again, before any request.
        self.parts.policy.check_hub(hub)?;
        self.keeper.check_writable().await?;
        if hub.settings.auth == Auth::Web {
            let mode = Mode::Interactive { timeout: options.timeout };
            return WebSignIn::new(&self.parts, hub)?.run(hub, mode, None, progress).await;
        }
        let idp = Idp::discover(&hub.settings, http::client_for(&hub.settings)?).await?;
        let chosen = self.browser_for(hub);
        let ctx = SignInContext {
            hub,
            idp: &idp,
            browser: chosen.as_ref().map_or(&*self.parts.browser, |b| b as &dyn crate::browser::Browser),
            options,
            progress,
            acceptor: Acceptor { hub, idp: &idp, policy: &self.parts.policy, keeper: &self.keeper },
        };
        SignInMethod::choose(hub, &options).run(&ctx).await
    }

    /// The hub's own browser: the user's choice in the window, else the administrator's
    /// `browser` in hubs.ini; `None`: the usual one (`HUBLINK_BROWSER`, else the system's).
    fn browser_for(&self, hub: &Hub) -> Option<crate::browser::SystemBrowser> {
        let (prefs, _) = crate::preferences::Preferences::load(&self.parts.paths);
        prefs.browsers.get(&hub.id).or(hub.settings.browser.as_ref()).map(|c| crate::browser::SystemBrowser::command(c))
    }
}
