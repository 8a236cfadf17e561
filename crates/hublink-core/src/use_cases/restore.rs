//! Restoring sessions: at start-up, on `status`, when the user asks.

use std::sync::Arc;

use crate::app::Parts;
use crate::catalog::{Catalog, Hub};
use crate::error::Error;
use crate::http;
use crate::oidc::Idp;
use crate::registry::SessionRecord;
use crate::session::{SessionState, StoredSession, WebSession};
use crate::sessions::SessionKeeper;
use crate::settings::Auth;
use crate::sign_in::web::{Mode, WebSignIn};
use crate::web::{self, WebCheck};

/// One hub's check, as `status` and the welcome page show it.
#[derive(Debug)]
pub struct HubStatus {
    pub hub: Hub,
    pub state: SessionState,
}

/// Check one hub's stored session: still valid → signed in; expired → refreshed silently;
/// refused, revoked or too old → sign in again; unreachable → offline. A hub that answers 401
/// to a token that has not expired gets one silent refresh and is asked again. A cookie hub
/// (`auth=web`) is probed once and, when its cookie is dead, renewed silently with the kept IdP
/// cookies where the shell has windows. Nothing is deleted; the outcome is remembered for `list`.
pub struct RestoreOne {
    parts: Arc<Parts>,
    keeper: SessionKeeper,
}

impl RestoreOne {
    pub fn new(parts: &Arc<Parts>) -> RestoreOne {
        RestoreOne { parts: parts.clone(), keeper: SessionKeeper::new(parts.clone()) }
    }

    pub async fn run(&self, hub: &Hub) -> SessionState {
        let state = self.check(hub).await;
        self.keeper.remember(hub, &state);
        state
    }

    async fn check(&self, hub: &Hub) -> SessionState {
        if hub.settings.auth == Auth::Web {
            return self.check_web(hub).await;
        }
        let last = self.keeper.last_known(hub);
        let session = match self.keeper.usable(hub).await {
            Ok(s) => s,
            Err(Error::SignInRequired { reason, .. }) => {
                return SessionState::SignInRequired { reason, user: last.user };
            }
            Err(e) => return SessionState::Error(e),
        };
        let judge = Judge { last, user: Some(session.user.clone()) };
        let idp = match http::client_for(&hub.settings) {
            Ok(client) => Idp::discover(&hub.settings, client).await,
            Err(e) => Err(e),
        };
        let idp = match idp {
            Ok(i) => i,
            Err(e) => return judge.failure(e),
        };
        match self.keeper.fresh(hub, Some(&idp), session, false).await {
            Ok(session) => self.ask_hub(hub, &idp, session, judge).await,
            Err(e) => judge.failure(e),
        }
    }

    /// Ask the hub; on a 401 refresh once (the token may have been revoked before it expired)
    /// and ask again.
    async fn ask_hub(&self, hub: &Hub, idp: &Idp, mut session: StoredSession, judge: Judge) -> SessionState {
        let mut refreshed = false;
        loop {
            match crate::hub_check::accepts(idp, hub, &self.parts.policy, &session.access_token).await {
                Ok(()) => {
                    let session_ends_at = session.ends_at(hub.settings.max_session_days);
                    return SessionState::SignedIn {
                        user: session.user,
                        expires_at: session.expires_at,
                        session_ends_at,
                    };
                }
                Err(Error::ServerRefused { status: 401, .. }) if !refreshed && session.refresh_token.is_some() => {
                    refreshed = true;
                    session = match self.keeper.fresh(hub, Some(idp), session, true).await {
                        Ok(s) => s,
                        Err(e) => return judge.failure(e),
                    };
                }
                Err(Error::ServerRefused { reason, .. }) => {
                    return SessionState::SignInRequired {
                        reason: format!("the hub no longer accepts the session: {reason}"),
                        user: judge.user,
                    };
                }
                Err(e) => return judge.failure(e),
            }
        }
    }
}

impl RestoreOne {
    /// A cookie hub: one probe of its session check with the stored cookie (never a burst: a
    /// stale cookie can cost the user one of the hub's parallel sessions); dead → one silent
    /// re-sign-in in a hidden window when the shell has windows, else "sign in again".
    async fn check_web(&self, hub: &Hub) -> SessionState {
        let last = self.keeper.last_known(hub);
        let session = match self.keeper.usable_web(hub).await {
            Ok(s) => s,
            Err(Error::SignInRequired { reason, .. }) => {
                return SessionState::SignInRequired { reason, user: last.user };
            }
            Err(e) => return SessionState::Error(e),
        };
        let judge = Judge { last, user: Some(session.user.clone()) };
        let probed = match http::client_for(&hub.settings) {
            Ok(client) => web::probe(&client, &hub.settings, &session.cookie).await,
            Err(e) => Err(e),
        };
        match probed {
            Ok(WebCheck::Good { .. }) => {
                let session_ends_at = session.ends_at(hub.settings.max_session_days);
                SessionState::SignedIn { user: session.user, expires_at: session.cookie.expires_at, session_ends_at }
            }
            Ok(WebCheck::NotSignedIn { reason }) => self.renew_web(hub, &session, reason, judge).await,
            Err(e) => judge.failure(e),
        }
    }

    async fn renew_web(&self, hub: &Hub, session: &WebSession, reason: String, judge: Judge) -> SessionState {
        let Ok(sign_in) = WebSignIn::new(&self.parts, hub) else {
            return SessionState::SignInRequired {
                reason: format!("the hub's session ended ({reason}); the Hublink app renews it when it runs"),
                user: judge.user,
            };
        };
        tracing::info!(hub = %hub.settings.name, %reason, "the hub's session ended; renewing it silently");
        match sign_in.run(hub, Mode::Silent, Some(session), &|_| {}).await {
            Ok(signed_in) => SessionState::SignedIn {
                user: signed_in.user,
                expires_at: signed_in.expires_at,
                session_ends_at: signed_in.session_ends_at,
            },
            Err(e) => judge.failure(e),
        }
    }
}

/// Turns a failure into the state users see, with what is known of the user.
struct Judge {
    last: SessionRecord,
    user: Option<String>,
}

impl Judge {
    fn failure(self, e: Error) -> SessionState {
        match e {
            Error::SignInRequired { reason, .. } => SessionState::SignInRequired { reason, user: self.user },
            e if e.is_offline() => {
                SessionState::Offline { user: self.last.user, last_signed_in: self.last.signed_in_at, error: e }
            }
            e => SessionState::Error(e),
        }
    }
}

/// Check every visible hub's session concurrently (one task per hub), results in catalog order.
pub struct RestoreAll {
    parts: Arc<Parts>,
}

impl RestoreAll {
    pub fn new(parts: &Arc<Parts>) -> RestoreAll {
        RestoreAll { parts: parts.clone() }
    }

    pub async fn run(&self, catalog: &Catalog) -> Vec<HubStatus> {
        let mut tasks = tokio::task::JoinSet::new();
        for (i, hub) in catalog.hubs.iter().enumerate().filter(|(_, h)| !h.hidden) {
            let (one, hub) = (RestoreOne::new(&self.parts), hub.clone());
            tasks.spawn(async move {
                let state = one.run(&hub).await;
                (i, HubStatus { hub, state })
            });
        }
        let mut out = Vec::new();
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(status) => out.push(status),
                Err(e) => tracing::error!(error = %e, "a session check panicked"),
            }
        }
        out.sort_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, s)| s).collect()
    }
}
