//! Keeping sessions fresh in the background while the desktop app runs.

use std::sync::Arc;

use crate::app::Parts;
use crate::catalog::Hub;
use crate::error::Error;
use crate::session::SessionState;
use crate::sessions::SessionKeeper;
use crate::settings::Auth;

use super::RestoreOne;

/// One background look at a hub, never opening a window or a browser. An OpenID Connect hub is
/// refreshed exactly when the keeper says its access token is due (no request otherwise); a
/// cookie hub is checked when `recheck_web` says its time has come (one probe; a dead cookie
/// gets the silent re-sign-in of [`RestoreOne`]). `None`: nothing was due, nothing was asked.
pub struct KeepFresh {
    parts: Arc<Parts>,
    keeper: SessionKeeper,
}

impl KeepFresh {
    pub fn new(parts: &Arc<Parts>) -> KeepFresh {
        KeepFresh { parts: parts.clone(), keeper: SessionKeeper::new(parts.clone()) }
    }

    pub async fn run(&self, hub: &Hub, recheck_web: bool) -> Option<SessionState> {
        if hub.settings.auth == Auth::Web {
            return if recheck_web { Some(RestoreOne::new(&self.parts).run(hub).await) } else { None };
        }
        match self.keeper.usable(hub).await {
            Ok(session) if !session.needs_refresh(self.parts.clock.now()) => None,
            // Due, or no longer usable (max_session_days passed while the app ran): the full
            // restore refreshes, or says why a sign-in is needed, and remembers it.
            Ok(_) | Err(Error::SignInRequired { .. }) => Some(RestoreOne::new(&self.parts).run(hub).await),
            Err(e) => Some(SessionState::Error(e)),
        }
    }
}
