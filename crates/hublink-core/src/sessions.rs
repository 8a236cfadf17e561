//! The session keeper: the one place that knows how a hub's session is kept. It alone reads a
//! session from the secret store, judges whether it may still be used, refreshes it under the
//! hub's cross-process lock, stores a new one, forgets one — and keeps the registry's record of
//! each (never a secret) in step.
//!
//! The rule for refreshing: hold the hub's lock across read → refresh → save, and re-read after
//! taking it, so any number of processes restoring the same hub make exactly one refresh.

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use url::Url;

use crate::app::Parts;
use crate::catalog::Hub;
use crate::error::{Error, Result, StorageProblem};
use crate::fsutil::FileLock;
use crate::http;
use crate::oidc::Idp;
use crate::registry::{Registry, SessionRecord};
use crate::session::{Kept, SessionState, StoredSession, WebSession};
use crate::sign_in::{Credentials, NewSession, SignedIn};
use crate::store::{KEYRING_TIMEOUT, SecretStore};

/// How long a second process waits for another one's refresh of the same hub.
const SESSION_LOCK_WAIT: Duration = Duration::from_secs(60);
/// Secret-store calls one process runs at once (see [`StoreGate`]). A keyring call is a D-Bus
/// round trip or two plus a key exchange: four keep a 2-core machine busy.
const STORE_CALLS_AT_ONCE: usize = 4;
/// The longest a call waits for its turn: a backstop only, as every call holding a turn is
/// bounded by the store itself ([`KEYRING_TIMEOUT`] for the keyring).
const STORE_TURN_WAIT: Duration = Duration::from_secs(6 * KEYRING_TIMEOUT.as_secs());

/// Bounds the secret-store calls of one process (one per [`Parts`]).
///
/// At most [`STORE_CALLS_AT_ONCE`] run at once: a start-up or restore of 100 hubs otherwise
/// opened 100 Secret Service connections at once — 100 blocking threads plus 100 timeout
/// threads (a peak of ~190 threads in the app, measured by `scripts/bench.sh`; 29 with the
/// gate), all key exchanges competing with the keyring daemon for the same cores.
///
/// Waiting for a turn does not count against the store's own timeout: a busy keyring that
/// answers is waited for (a restore of 50 refreshed hubs queues ~450 calls). A store that stops
/// answering is: once a call ends in [`StorageProblem::Timeout`], every call that was already
/// waiting fails the same way as soon as it gets its turn, without calling the store — so a
/// hung keyring fails every hub within one timeout, not one timeout per four hubs.
pub struct StoreGate {
    turns: tokio::sync::Semaphore,
    /// How many calls have ended in the store's timeout, ever.
    timeouts: std::sync::atomic::AtomicUsize,
}

impl Default for StoreGate {
    fn default() -> Self {
        StoreGate {
            turns: tokio::sync::Semaphore::new(STORE_CALLS_AT_ONCE),
            timeouts: std::sync::atomic::AtomicUsize::new(0),
        }
    }
}

impl StoreGate {
    fn timed_out(seconds: u64) -> Error {
        Error::StorageUnavailable { problem: StorageProblem::Timeout { seconds } }
    }

    /// Runs `call` on a blocking thread once it has a turn. Errors: the store's own, or
    /// [`StorageProblem::Timeout`] as described above.
    async fn run<T: Send + 'static>(&self, call: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
        use std::sync::atomic::Ordering::SeqCst;
        let seen = self.timeouts.load(SeqCst);
        let turn = tokio::time::timeout(STORE_TURN_WAIT, self.turns.acquire())
            .await
            .map_err(|_| Self::timed_out(STORE_TURN_WAIT.as_secs()))?
            .map_err(|e| Error::TaskFailed { what: "the secure-storage call", detail: e.to_string() })?;
        if self.timeouts.load(SeqCst) != seen {
            return Err(Self::timed_out(KEYRING_TIMEOUT.as_secs()));
        }
        let result = tokio::task::spawn_blocking(call)
            .await
            .map_err(|e| Error::TaskFailed { what: "the secure-storage call", detail: e.to_string() })?;
        if let Err(Error::StorageUnavailable { problem: StorageProblem::Timeout { .. } }) = &result {
            self.timeouts.fetch_add(1, SeqCst);
        }
        drop(turn);
        result
    }
}

/// See the module documentation. Cheap to clone.
#[derive(Clone)]
pub struct SessionKeeper {
    parts: Arc<Parts>,
}

impl SessionKeeper {
    pub fn new(parts: Arc<Parts>) -> SessionKeeper {
        SessionKeeper { parts }
    }

    fn registry(&self) -> Registry {
        Registry::new(&self.parts.paths)
    }

    fn now(&self) -> OffsetDateTime {
        self.parts.clock.now()
    }

    /// The hub's cross-process session lock: sign-in, refresh and sign-out all take it.
    pub async fn lock(&self, hub: &Hub) -> Result<FileLock> {
        FileLock::acquire(&self.parts.paths.session_lock(&hub.id), SESSION_LOCK_WAIT).await
    }

    /// A secret-store call on a blocking thread (keyring backends block, and bound themselves),
    /// through the process's [`StoreGate`].
    async fn store_call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn SecretStore) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let parts = self.parts.clone();
        self.parts.store_gate.run(move || f(&*parts.store)).await
    }

    /// Prove a session could be kept (a write, not a read), before the user signs in.
    pub async fn check_writable(&self) -> Result<()> {
        self.store_call(|s| s.check_writable()).await
    }

    /// Whatever is stored for the hub, if anything. One that no longer parses reads as none (a
    /// new sign-in replaces it).
    pub async fn load_kept(&self, hub: &Hub) -> Result<Option<Kept>> {
        let key = hub.id.to_string();
        let secret = self.store_call(move |s| s.get(&key)).await?;
        Ok(secret.and_then(|s| {
            let parsed = Kept::from_secret(&s);
            if parsed.is_none() {
                tracing::warn!(hub = %hub.settings.name, "the stored session cannot be read; a new sign-in will replace it");
            }
            parsed
        }))
    }

    /// The stored OpenID Connect session, if any.
    pub async fn load(&self, hub: &Hub) -> Result<Option<StoredSession>> {
        Ok(match self.load_kept(hub).await? {
            Some(Kept::Oidc(s)) => Some(s),
            _ => None,
        })
    }

    pub(crate) async fn save(&self, hub: &Hub, session: &StoredSession) -> Result<()> {
        self.save_kept(hub, Kept::Oidc(session.clone())).await
    }

    async fn save_kept(&self, hub: &Hub, kept: Kept) -> Result<()> {
        let (key, value) = (hub.id.to_string(), kept.to_secret());
        self.store_call(move |s| s.set(&key, &value)).await
    }

    /// The stored web session (`auth=web`) if it may still be used without an interactive
    /// sign-in: it exists, was proven with the hub's current session check, and is younger
    /// than `max_session_days`. Whether the hub still accepts its cookie is the caller's
    /// question ([`crate::web::probe`]).
    pub async fn usable_web(&self, hub: &Hub) -> Result<WebSession> {
        self.parts.policy.check_hub(hub)?;
        let sign_in_required = |reason: String| Error::SignInRequired { hub: hub.settings.name.clone(), reason };
        let session = match self.load_kept(hub).await? {
            Some(Kept::Web(s)) => s,
            Some(Kept::Oidc(_)) => {
                return Err(sign_in_required("the hub's sign-in settings changed since you signed in".into()));
            }
            None => return Err(sign_in_required("there is no session on this computer".into())),
        };
        if hub.settings.session_check.as_ref().map(Url::as_str) != Some(session.session_check.as_str()) {
            return Err(sign_in_required("the hub's sign-in settings changed since you signed in".into()));
        }
        self.check_age(hub, session.signed_in_at)?;
        Ok(session)
    }

    /// `max_session_days`, counted from the last interactive sign-in.
    fn check_age(&self, hub: &Hub, signed_in_at: OffsetDateTime) -> Result<()> {
        let max = time::Duration::days(i64::from(hub.settings.max_session_days));
        if self.now() - signed_in_at > max {
            return Err(Error::SignInRequired {
                hub: hub.settings.name.clone(),
                reason: format!(
                    "this hub asks you to sign in again every {} days; you last signed in on {}",
                    hub.settings.max_session_days,
                    signed_in_at.date()
                ),
            });
        }
        Ok(())
    }

    /// The stored session if it may still be used without an interactive sign-in: it exists,
    /// belongs to the hub's current issuer and client, and is younger than `max_session_days`.
    pub async fn usable(&self, hub: &Hub) -> Result<StoredSession> {
        // A rule the organisation made since the hub was added applies before anything is sent.
        self.parts.policy.check_hub(hub)?;
        let sign_in_required = |reason: String| Error::SignInRequired { hub: hub.settings.name.clone(), reason };
        let Some(session) = self.load(hub).await? else {
            return Err(sign_in_required("there is no session on this computer".into()));
        };
        if session.issuer != hub.settings.issuer || session.client_id != hub.settings.client_id {
            return Err(sign_in_required("the hub's sign-in settings changed since you signed in".into()));
        }
        if hub.settings.mfa_required && session.second_factor == Some(false) {
            return Err(sign_in_required(
                "this hub now requires a second factor, and you signed in without one".into(),
            ));
        }
        self.check_age(hub, session.signed_in_at)?;
        Ok(session)
    }

    /// The session with an access token that is good for a while: refreshed (once across
    /// processes, see the module rule) when it is (nearly) expired, or when `force` says the
    /// hub refused it. `idp` is discovered when not given.
    pub async fn fresh(
        &self,
        hub: &Hub,
        idp: Option<&Idp>,
        session: StoredSession,
        force: bool,
    ) -> Result<StoredSession> {
        if !force && !session.needs_refresh(self.now()) {
            return Ok(session);
        }
        let _lock = self.lock(hub).await?;
        let mut current = self.usable(hub).await?;
        if current.obtained_at != session.obtained_at {
            tracing::debug!(hub = %hub.settings.name, "another process refreshed the session meanwhile");
            return Ok(current);
        }
        let Some(refresh_token) = current.refresh_token.clone() else {
            return Err(Error::SignInRequired {
                hub: hub.settings.name.clone(),
                reason: "the session expired and the identity provider gave no refresh token".into(),
            });
        };
        let discovered;
        let idp = match idp {
            Some(i) => i,
            None => {
                discovered = Idp::discover(&hub.settings, http::client_for(&hub.settings)?).await?;
                &discovered
            }
        };
        let crate::oidc::Refreshed { tokens, id_token_check } = idp.refresh(&hub.settings.name, &refresh_token).await?;
        current.access_token = tokens.access_token;
        current.refresh_token = tokens.refresh_token.or(current.refresh_token);
        current.id_token = tokens.id_token.or(current.id_token);
        let now = self.now();
        current.expires_at = tokens.lifetime.map(|l| l.expires_at(now));
        current.refresh_expires_at = tokens.refresh_lifetime.map(|l| l.expires_at(now)).or(current.refresh_expires_at);
        current.obtained_at = Some(now);
        self.save(hub, &current).await?;
        let (expires_at, ends_at) = (current.expires_at, current.ends_at(hub.settings.max_session_days));
        self.registry().update(|d| {
            let record = d.sessions.entry(hub.id.clone()).or_default();
            record.expires_at = expires_at;
            record.session_ends_at = ends_at;
            record.sign_in_required = None;
        })?;
        tracing::info!(hub = %hub.settings.name, "session refreshed");
        // Kept first (above), reported after: the new tokens are the only ones that still work.
        id_token_check?;
        Ok(current)
    }

    /// Keep a new interactive sign-in, under the hub's session lock so no refresh or sign-out
    /// of another process interleaves with it.
    pub async fn keep_new(&self, hub: &Hub, new: NewSession) -> Result<SignedIn> {
        let now = self.now();
        self.keep(hub, new, now).await
    }

    /// Keep a silent renewal of a web session: `max_session_days` still counts from the last
    /// interactive sign-in, `signed_in_at`.
    pub async fn keep_renewed(&self, hub: &Hub, new: NewSession, signed_in_at: OffsetDateTime) -> Result<SignedIn> {
        self.keep(hub, new, signed_in_at).await
    }

    async fn keep(&self, hub: &Hub, new: NewSession, signed_in_at: OffsetDateTime) -> Result<SignedIn> {
        let _lock = self.lock(hub).await?;
        let now = self.now();
        let NewSession { credentials, user, second_factor } = new;
        let (kept, expires_at, renewable, session_ends_at) = match credentials {
            Credentials::Oidc(tokens) => {
                let session = StoredSession {
                    access_token: tokens.access_token,
                    refresh_token: tokens.refresh_token,
                    id_token: tokens.id_token,
                    expires_at: tokens.lifetime.map(|l| l.expires_at(now)),
                    obtained_at: Some(now),
                    signed_in_at,
                    user: user.clone(),
                    issuer: hub.settings.issuer.clone(),
                    client_id: hub.settings.client_id.clone(),
                    refresh_expires_at: tokens.refresh_lifetime.map(|l| l.expires_at(now)),
                    second_factor,
                };
                let (expires_at, renewable) = (session.expires_at, session.refresh_token.is_some());
                let ends_at = session.ends_at(hub.settings.max_session_days);
                (Kept::Oidc(session), expires_at, renewable, ends_at)
            }
            Credentials::Web(web) => {
                let expires_at = web.cookie.expires_at;
                let renewable = !web.idp_cookies.is_empty();
                let session = WebSession {
                    auth: crate::settings::Auth::Web,
                    cookie: web.cookie,
                    idp_cookies: web.idp_cookies,
                    logout_uri: web.logout_uri,
                    user: user.clone(),
                    signed_in_at,
                    captured_at: now,
                    session_check: hub.settings.session_check.as_ref().map(|u| u.to_string()).unwrap_or_default(),
                };
                let ends_at = session.ends_at(hub.settings.max_session_days);
                (Kept::Web(session), expires_at, renewable, ends_at)
            }
        };
        self.save_kept(hub, kept).await?;
        let record = SessionRecord {
            user: Some(user.clone()),
            signed_in_at: Some(signed_in_at),
            expires_at,
            session_ends_at,
            sign_in_required: None,
        };
        self.registry().update(|d| {
            d.sessions.insert(hub.id.clone(), record);
        })?;
        Ok(SignedIn { user, expires_at, session_ends_at, renewable, now })
    }

    /// Delete the session from the secret store and its record from the registry.
    pub async fn forget(&self, hub: &Hub) -> Result<()> {
        let key = hub.id.to_string();
        self.store_call(move |s| s.delete(&key)).await?;
        self.registry().update(|d| {
            d.sessions.remove(&hub.id);
        })?;
        Ok(())
    }

    /// What was last known of the hub's session (the registry; no keyring, no network).
    pub fn last_known(&self, hub: &Hub) -> SessionRecord {
        self.registry().load().ok().and_then(|(d, _)| d.sessions.get(&hub.id).cloned()).unwrap_or_default()
    }

    /// Remember what a check found, for `list` and the next start. Best effort: a registry
    /// that cannot be written does not change what the check found.
    pub fn remember(&self, hub: &Hub, state: &SessionState) {
        let (needs_sign_in, expires_at, ends_at) = match state {
            SessionState::SignedIn { expires_at, session_ends_at, .. } => (None, *expires_at, *session_ends_at),
            SessionState::SignInRequired { reason, .. } => (Some(reason.clone()), None, None),
            _ => return,
        };
        let remembered = self.registry().update(|d| {
            if let Some(record) = d.sessions.get_mut(&hub.id) {
                record.expires_at = expires_at.or(record.expires_at);
                record.session_ends_at = ends_at.or(record.session_ends_at);
                record.sign_in_required = needs_sign_in;
            }
        });
        if let Err(e) = remembered {
            tracing::warn!(hub = %hub.settings.name, error = %e, "could not remember the session state");
        }
    }
}
