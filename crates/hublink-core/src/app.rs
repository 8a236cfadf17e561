//! The use cases, over one set of wired parts. The CLI and the desktop shell both drive this
//! type; neither holds logic of its own.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use url::Url;

use crate::browser::{Browser, SystemBrowser};
use crate::catalog::{self, Catalog, Hub, Source};
use crate::error::{Error, Result};
use crate::fsutil::FileLock;
use crate::http;
use crate::link::{AuthLink, UserInput};
use crate::loopback::{CallbackResult, Loopback};
use crate::oidc::{self, Idp, SignIn};
use crate::paths::Paths;
use crate::registry::{LinkRecord, Registry, SessionRecord};
use crate::secret::Secret;
use crate::session::{SessionState, StoredSession};
use crate::settings::{Flow, HubSettings};
use crate::store::{SecretStore, SystemStore};

/// How long a second process waits for another one's refresh of the same hub.
const SESSION_LOCK_WAIT: Duration = Duration::from_secs(60);

/// The parts Hublink works with. Production wiring is [`Parts::from_env`]; tests substitute
/// temp folders, a local IdP and a scripted browser.
pub struct Parts {
    pub paths: Paths,
    pub store: Arc<dyn SecretStore>,
    pub browser: Arc<dyn Browser>,
    pub ini_dirs: Vec<PathBuf>,
    /// `HUBLINK_INSECURE_STORAGE=1` was given.
    pub insecure_storage_allowed: bool,
    /// Judges session lifetimes (see [`crate::clock`]).
    pub clock: Arc<dyn crate::clock::Clock>,
}

impl Parts {
    /// The one place production parts are chosen.
    pub fn from_env() -> Result<Parts> {
        let paths = Paths::from_env()?;
        let insecure = std::env::var("HUBLINK_INSECURE_STORAGE").is_ok_and(|v| v == "1");
        Ok(Parts {
            store: Arc::new(SystemStore::new(
                crate::store::service_name(paths.custom_home.then_some(paths.home.as_path())),
                paths.insecure_secrets(),
                insecure,
            )),
            browser: Arc::new(SystemBrowser::from_env()),
            ini_dirs: catalog::hubs_ini_dirs(),
            insecure_storage_allowed: insecure,
            clock: Arc::new(crate::clock::SystemClock),
            paths,
        })
    }
}

#[derive(Clone)]
pub struct Hublink {
    inner: Arc<Parts>,
}

/// A hub about to be added, for the user to confirm.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub settings: HubSettings,
    /// Parameters the link carried that Hublink does not know (reported, never acted on).
    pub ignored: Vec<String>,
    pub origin: ProposalOrigin,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProposalOrigin {
    /// An authentication link.
    Link,
    /// A hub address whose `/.well-known/hublink.json` described it.
    PublishedByHub(Url),
    /// A hub address that publishes nothing: it is taken as its own issuer.
    AddressAsIssuer(Url),
}

#[derive(Debug, Clone)]
pub struct AddOutcome {
    pub hub: Hub,
    /// The same hub (same URL and client) was already there; nothing changed.
    pub already_present: bool,
}

/// What happens while signing in, for the user to see.
#[derive(Debug, Clone)]
pub enum Progress {
    /// The sign-in page was opened; finish there.
    BrowserOpened { url: Url },
    /// No browser could be opened; the user must open `url` themselves.
    BrowserFailed { url: Url, reason: String },
    /// Device flow: enter `user_code` at `verification_uri`.
    DeviceCode {
        user_code: String,
        verification_uri: String,
        verification_uri_complete: Option<String>,
        expires_in: Duration,
    },
    /// The identity provider answered; checking the tokens and the hub.
    Verifying,
}

#[derive(Debug, Clone, Copy)]
pub struct LoginOptions {
    pub device: bool,
    pub timeout: Duration,
}

impl Default for LoginOptions {
    fn default() -> Self {
        LoginOptions { device: false, timeout: Duration::from_secs(300) }
    }
}

#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: String,
    pub expires_at: Option<OffsetDateTime>,
    /// The identity provider gave a refresh token, so the session renews itself.
    pub renewable: bool,
}

impl SignedIn {
    /// What the user should know at sign-in about how long the session lasts: without a
    /// refresh token it ends with the access token, and saying so now beats a surprise later.
    pub fn notice(&self) -> Option<String> {
        if self.renewable {
            return None;
        }
        let lifetime = self.expires_at.map(|t| (t - OffsetDateTime::now_utc()).whole_seconds().max(0));
        Some(match lifetime {
            Some(s) => format!(
                "The identity provider gave no refresh token, so this hub will ask you to sign in again every {}. Your administrator can allow refresh tokens (offline_access) for Hublink's client.",
                crate::session::human_duration(s)
            ),
            None => "The identity provider gave no refresh token, so this hub will ask you to sign in again whenever its access token expires. Your administrator can allow refresh tokens (offline_access) for Hublink's client.".to_owned(),
        })
    }
}

#[derive(Debug)]
pub struct HubStatus {
    pub hub: Hub,
    pub state: SessionState,
}

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
}

impl Hublink {
    pub fn new(parts: Parts) -> Hublink {
        Hublink { inner: Arc::new(parts) }
    }

    pub fn from_env() -> Result<Hublink> {
        Ok(Hublink::new(Parts::from_env()?))
    }

    pub fn paths(&self) -> &Paths {
        &self.inner.paths
    }

    /// A warning every command shows while plain-file storage is allowed.
    pub fn storage_warning(&self) -> Option<String> {
        self.inner.insecure_storage_allowed.then(|| {
            "HUBLINK_INSECURE_STORAGE=1: if no keyring is available, sessions are stored in plain files under "
                .to_owned()
                + &self.inner.paths.insecure_secrets().display().to_string()
        })
    }

    fn registry(&self) -> Registry {
        Registry::new(&self.inner.paths)
    }

    /// Every hub: hubs.ini (admin) and link-added, with problems and warnings.
    pub fn catalog(&self) -> Result<Catalog> {
        let (data, warnings) = self.registry().load()?;
        Ok(Catalog::build(&self.inner.ini_dirs, &data, warnings))
    }

    /// The hubs.ini folders this instance reads (machine-wide first).
    pub fn ini_dirs(&self) -> &[PathBuf] {
        &self.inner.ini_dirs
    }

    /// Turn what the user pasted into a hub to confirm: an authentication link as it is, or a
    /// hub address via its published `/.well-known/hublink.json` (else the address is its own
    /// issuer). Nothing is added here.
    pub async fn prepare_add(&self, input: &str) -> Result<Proposal> {
        match crate::link::parse_user_input(input)? {
            UserInput::Link(AuthLink { settings, ignored }) => {
                Ok(Proposal { settings, ignored, origin: ProposalOrigin::Link })
            }
            UserInput::HubAddress(address) => self.retrieve_from_hub(address).await,
        }
    }

    async fn retrieve_from_hub(&self, address: Url) -> Result<Proposal> {
        let well_known = address.join("/.well-known/hublink.json").map_err(|e| Error::Internal(e.to_string()))?;
        let client = http::plain_client()?;
        let response = client
            .get(well_known.clone())
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| http::classify(&e, "the hub's published settings", Some(&well_known)))?;
        let is_json = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
        // A hub that answers every path with its web page publishes nothing: not an error.
        if response.status().is_success() && is_json {
            let json: serde_json::Value = response
                .json()
                .await
                .map_err(|e| Error::Protocol(format!("{well_known} is not valid JSON ({})", e.without_url())))?;
            let (settings, ignored) = HubSettings::from_well_known_json(&address, &json)?;
            return Ok(Proposal { settings, ignored, origin: ProposalOrigin::PublishedByHub(well_known) });
        }
        let (settings, ignored) = HubSettings::from_pairs([("url", address.as_str())], crate::settings::Context::Link)?;
        Ok(Proposal { settings, ignored, origin: ProposalOrigin::AddressAsIssuer(address) })
    }

    /// Add a confirmed hub. The same hub (normalized URL + client) is only ever there once.
    pub fn add(&self, proposal: &Proposal) -> Result<AddOutcome> {
        let settings = &proposal.settings;
        let id = settings.id().to_string();
        let catalog = self.catalog()?;
        if let Some(existing) = catalog.hubs.iter().find(|h| h.id == id) {
            return Ok(AddOutcome { hub: existing.clone(), already_present: true });
        }
        let link = AuthLink::generate(settings);
        let (added, _) = self.registry().update(|data| {
            if data.hubs.iter().any(|r| r.id == id) {
                return false;
            }
            data.hubs.push(LinkRecord { id: id.clone(), link, added_at: self.inner.clock.now() });
            true
        })?;
        let hub = Hub { id, settings: settings.clone(), source: Source::Link, hidden: false };
        Ok(AddOutcome { hub, already_present: !added })
    }

    /// Sign in interactively: the browser flow (authorization code + PKCE on a loopback
    /// redirect) or the device flow; verify the ID token; ask the hub whether it accepts the
    /// session; only then store it. A failure or cancellation stores nothing.
    pub async fn login(
        &self,
        hub: &Hub,
        options: LoginOptions,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<SignedIn> {
        // Fail closed before the user types a password we could not keep a session for: a
        // write, because a locked keyring can still be read.
        self.store_call(|s| s.check_writable()).await?;
        let settings = &hub.settings;
        let idp = Idp::discover(settings, http::client_for(settings)?).await?;
        if options.device || settings.flow == Flow::Device {
            let sign_in = self.device_sign_in(&idp, settings, options, progress).await?;
            self.save_new_session(hub, &idp, sign_in).await
        } else {
            self.browser_sign_in(&idp, hub, options, progress).await
        }
    }

    async fn browser_sign_in(
        &self,
        idp: &Idp,
        hub: &Hub,
        options: LoginOptions,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<SignedIn> {
        let settings = &hub.settings;
        // The listener exists before the browser opens, so no answer can arrive too early.
        let loopback = Loopback::bind(settings.redirect_port).await?;
        let pending = idp.authorize(&loopback.redirect_uri());
        if !crate::settings::is_secure_endpoint(&pending.url) {
            return Err(Error::Internal("the sign-in address is not http(s)".into()));
        }
        match self.inner.browser.open(&pending.url) {
            Ok(()) => progress(Progress::BrowserOpened { url: pending.url.clone() }),
            Err(reason) => progress(Progress::BrowserFailed { url: pending.url.clone(), reason: reason.to_string() }),
        }
        let state = pending.state.expose().to_owned();
        let callback =
            tokio::time::timeout(options.timeout, loopback.accept(&state)).await.map_err(|_| Error::TimedOut {
                seconds: options.timeout.as_secs(),
                waiting_for: "the sign-in to finish in the browser".into(),
            })??;
        progress(Progress::Verifying);
        let outcome = async {
            let code = match &callback.result {
                CallbackResult::Error { error, description } => {
                    return Err(Error::IdpRefused { error: error.clone(), description: description.clone() });
                }
                CallbackResult::Code { iss: Some(iss), .. } if !oidc::same_issuer(iss, idp.published_issuer()) => {
                    return Err(Error::Callback(format!(
                        "the answer came from issuer {}, not from {} (possible mix-up attack)",
                        http::shorten(iss),
                        idp.published_issuer()
                    )));
                }
                CallbackResult::Code { code, .. } => code.clone(),
            };
            let sign_in = idp.exchange_code(&code, pending).await?;
            self.session_check(idp, settings, &sign_in.tokens.access_token).await?;
            // Stored before the tab says "signed in", so it never says so for a session we lost.
            self.save_new_session(hub, idp, sign_in).await
        }
        .await;
        match &outcome {
            Ok(signed_in) => {
                callback.finish(Ok(format!("Signed in to {} as {}.", settings.name, signed_in.user))).await;
            }
            Err(e) => callback.finish(Err(e)).await,
        }
        outcome
    }

    async fn device_sign_in(
        &self,
        idp: &Idp,
        settings: &HubSettings,
        options: LoginOptions,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<SignIn> {
        let details = idp.device_start().await?;
        // The user has until the code expires or we stop waiting, whichever comes first.
        let timeout = options.timeout.min(details.expires_in);
        progress(Progress::DeviceCode {
            user_code: details.user_code.clone(),
            verification_uri: details.verification_uri.clone(),
            verification_uri_complete: details.verification_uri_complete.clone(),
            expires_in: timeout,
        });
        let sign_in = idp.device_poll(&details, timeout).await?;
        progress(Progress::Verifying);
        self.session_check(idp, settings, &sign_in.tokens.access_token).await?;
        Ok(sign_in)
    }

    /// Ask the hub (its `session_check`, else the issuer's userinfo endpoint) whether it
    /// accepts the access token.
    async fn session_check(&self, idp: &Idp, settings: &HubSettings, access: &Secret) -> Result<()> {
        match settings.session_check.as_ref().or(idp.userinfo_endpoint.as_ref()) {
            Some(url) => oidc::check_session(idp.http(), url, access).await,
            None => {
                tracing::info!(hub = %settings.name, "no session_check and no userinfo endpoint: the hub is not asked");
                Ok(())
            }
        }
    }

    /// Store a new sign-in, under the hub's session lock so no refresh or sign-out of another
    /// process interleaves with it.
    async fn save_new_session(&self, hub: &Hub, idp: &Idp, sign_in: SignIn) -> Result<SignedIn> {
        let SignIn { tokens, identity } = sign_in;
        let user = identity.user;
        let _lock = FileLock::acquire(&self.inner.paths.session_lock(&hub.id), SESSION_LOCK_WAIT).await?;
        let now = self.inner.clock.now();
        let session = StoredSession {
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            id_token: tokens.id_token,
            expires_at: tokens.expires_at,
            obtained_at: Some(now),
            signed_in_at: now,
            user: user.clone(),
            issuer: idp.issuer.clone(),
            client_id: hub.settings.client_id.clone(),
        };
        self.save_session(hub, &session).await?;
        self.registry().update(|d| {
            d.sessions.insert(
                hub.id.clone(),
                SessionRecord {
                    user: Some(user.clone()),
                    signed_in_at: Some(now),
                    expires_at: session.expires_at,
                    sign_in_required: None,
                },
            );
        })?;
        Ok(SignedIn { user, expires_at: session.expires_at, renewable: session.refresh_token.is_some() })
    }

    async fn save_session(&self, hub: &Hub, session: &StoredSession) -> Result<()> {
        let (key, value) = (hub.id.clone(), session.to_secret());
        self.store_call(move |s| s.set(&key, &value)).await
    }

    async fn load_session(&self, hub: &Hub) -> Result<Option<StoredSession>> {
        let key = hub.id.clone();
        let secret = self.store_call(move |s| s.get(&key)).await?;
        Ok(secret.and_then(|s| {
            let parsed = StoredSession::from_secret(&s);
            if parsed.is_none() {
                tracing::warn!(hub = %hub.settings.name, "the stored session cannot be read; a new sign-in will replace it");
            }
            parsed
        }))
    }

    async fn store_call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn SecretStore) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || f(&*inner.store))
            .await
            .map_err(|e| Error::Internal(format!("secret store task failed: {e}")))?
    }

    /// The stored session if it may still be used without an interactive sign-in.
    async fn usable_session(&self, hub: &Hub) -> Result<StoredSession> {
        let name = hub.settings.name.clone();
        let Some(session) = self.load_session(hub).await? else {
            return Err(Error::SignInRequired { hub: name, reason: "there is no session on this computer".into() });
        };
        if session.issuer != hub.settings.issuer || session.client_id != hub.settings.client_id {
            return Err(Error::SignInRequired {
                hub: name,
                reason: "the hub's sign-in settings changed since you signed in".into(),
            });
        }
        let max = time::Duration::days(i64::from(hub.settings.max_session_days));
        if self.inner.clock.now() - session.signed_in_at > max {
            return Err(Error::SignInRequired {
                hub: name,
                reason: format!(
                    "this hub asks you to sign in again every {} days; you last signed in on {}",
                    hub.settings.max_session_days,
                    session.signed_in_at.date()
                ),
            });
        }
        Ok(session)
    }

    /// Refresh the session if its access token is (nearly) expired. The rule: hold the hub's
    /// lock across read → refresh → save, and re-read after taking it, so that any number of
    /// processes restoring the same hub make exactly one refresh.
    /// `force` refreshes even a token that has not expired (the hub refused it).
    async fn fresh_session(
        &self,
        hub: &Hub,
        idp: Option<&Idp>,
        session: StoredSession,
        force: bool,
    ) -> Result<StoredSession> {
        if !force && !session.needs_refresh(self.inner.clock.now()) {
            return Ok(session);
        }
        let _lock = FileLock::acquire(&self.inner.paths.session_lock(&hub.id), SESSION_LOCK_WAIT).await?;
        let mut current = self.usable_session(hub).await?;
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
        let tokens = idp.refresh(&hub.settings.name, &refresh_token).await?;
        current.access_token = tokens.access_token;
        current.refresh_token = tokens.refresh_token.or(current.refresh_token);
        current.id_token = tokens.id_token.or(current.id_token);
        current.expires_at = tokens.expires_at;
        current.obtained_at = Some(self.inner.clock.now());
        self.save_session(hub, &current).await?;
        let expires_at = current.expires_at;
        self.registry().update(|d| {
            let record = d.sessions.entry(hub.id.clone()).or_default();
            record.expires_at = expires_at;
            record.sign_in_required = None;
        })?;
        tracing::info!(hub = %hub.settings.name, "session refreshed");
        Ok(current)
    }

    /// A valid access token for `hub`, refreshed silently when needed. When the identity
    /// provider did not say how long the token lives (no `expires_in`, not a JWT), the hub is
    /// asked first: a token Hublink has reason to believe is dead is never handed out.
    pub async fn access_token(&self, hub: &Hub) -> Result<Secret> {
        let session = self.usable_session(hub).await?;
        let session = self.fresh_session(hub, None, session, false).await?;
        if session.expires_at.is_some() {
            return Ok(session.access_token);
        }
        let idp = Idp::discover(&hub.settings, http::client_for(&hub.settings)?).await?;
        match self.session_check(&idp, &hub.settings, &session.access_token).await {
            Ok(()) => Ok(session.access_token),
            Err(Error::ServerRefused { status: 401, .. }) if session.refresh_token.is_some() => {
                Ok(self.fresh_session(hub, Some(&idp), session, true).await?.access_token)
            }
            Err(Error::ServerRefused { reason, .. }) => Err(Error::SignInRequired {
                hub: hub.settings.name.clone(),
                reason: format!("the hub no longer accepts the session: {reason}"),
            }),
            Err(e) => Err(e),
        }
    }

    /// Check one hub's stored session: still valid → signed in; expired → refreshed silently;
    /// refused, revoked or too old → sign in again; unreachable → offline. Nothing is deleted;
    /// the outcome is remembered for `list`.
    pub async fn check(&self, hub: &Hub) -> SessionState {
        let state = self.check_session(hub).await;
        let outcome = match &state {
            SessionState::SignedIn { expires_at, .. } => Some((None, *expires_at)),
            SessionState::SignInRequired { reason, .. } => Some((Some(reason.clone()), None)),
            _ => None,
        };
        if let Some((needs_sign_in, expires_at)) = outcome {
            let remembered = self.registry().update(|d| {
                if let Some(record) = d.sessions.get_mut(&hub.id) {
                    record.expires_at = expires_at.or(record.expires_at);
                    record.sign_in_required = needs_sign_in;
                }
            });
            if let Err(e) = remembered {
                tracing::warn!(hub = %hub.settings.name, error = %e, "could not remember the session state");
            }
        }
        state
    }

    async fn check_session(&self, hub: &Hub) -> SessionState {
        let last = self.registry().load().ok().and_then(|(d, _)| d.sessions.get(&hub.id).cloned()).unwrap_or_default();
        let offline =
            |error: Error| SessionState::Offline { user: last.user.clone(), last_signed_in: last.signed_in_at, error };
        let session = match self.usable_session(hub).await {
            Ok(s) => s,
            Err(Error::SignInRequired { reason, .. }) => {
                return SessionState::SignInRequired { reason, user: last.user.clone() };
            }
            Err(e) => return SessionState::Error(e),
        };
        let user = Some(session.user.clone());
        let idp = match http::client_for(&hub.settings) {
            Ok(client) => Idp::discover(&hub.settings, client).await,
            Err(e) => Err(e),
        };
        let idp = match idp {
            Ok(i) => i,
            Err(e) if e.is_offline() => return offline(e),
            Err(e) => return SessionState::Error(e),
        };
        let mut session = match self.fresh_session(hub, Some(&idp), session, false).await {
            Ok(s) => s,
            Err(Error::SignInRequired { reason, .. }) => return SessionState::SignInRequired { reason, user },
            Err(e) if e.is_offline() => return offline(e),
            Err(e) => return SessionState::Error(e),
        };
        let mut refreshed = false;
        loop {
            match self.session_check(&idp, &hub.settings, &session.access_token).await {
                Ok(()) => return SessionState::SignedIn { user: session.user, expires_at: session.expires_at },
                // The token may have been revoked before it expired: one refresh, then ask again.
                Err(Error::ServerRefused { status: 401, .. }) if !refreshed && session.refresh_token.is_some() => {
                    refreshed = true;
                    session = match self.fresh_session(hub, Some(&idp), session, true).await {
                        Ok(s) => s,
                        Err(Error::SignInRequired { reason, .. }) => {
                            return SessionState::SignInRequired { reason, user };
                        }
                        Err(e) if e.is_offline() => return offline(e),
                        Err(e) => return SessionState::Error(e),
                    };
                }
                Err(Error::ServerRefused { reason, .. }) => {
                    return SessionState::SignInRequired {
                        reason: format!("the hub no longer accepts the session: {reason}"),
                        user,
                    };
                }
                Err(e) if e.is_offline() => return offline(e),
                Err(e) => return SessionState::Error(e),
            }
        }
    }

    /// Check every visible hub's session concurrently.
    pub async fn restore_all(&self, catalog: &Catalog) -> Vec<HubStatus> {
        let mut tasks = tokio::task::JoinSet::new();
        for (i, hub) in catalog.hubs.iter().enumerate().filter(|(_, h)| !h.hidden) {
            let (this, hub) = (self.clone(), hub.clone());
            tasks.spawn(async move {
                let state = this.check(&hub).await;
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

    /// Sign out: revoke the tokens at the identity provider when it offers revocation, then
    /// delete them here — also when revocation fails (the reason is returned).
    pub async fn logout(&self, hub: &Hub) -> Result<Revocation> {
        // Under the session lock: a refresh in another process must not write the session back.
        let _lock = FileLock::acquire(&self.inner.paths.session_lock(&hub.id), SESSION_LOCK_WAIT).await?;
        let Some(session) = self.load_session(hub).await? else {
            self.forget(hub).await?;
            return Ok(Revocation::NothingStored);
        };
        let revocation = match self.revoke(hub, &session).await {
            Ok(true) => Revocation::Revoked,
            Ok(false) => Revocation::NotOffered,
            Err(e) => Revocation::Failed(format!("{}: {}", e.message(), e.cause())),
        };
        self.forget(hub).await?;
        Ok(revocation)
    }

    async fn revoke(&self, hub: &Hub, session: &StoredSession) -> Result<bool> {
        let idp = Idp::discover(&hub.settings, http::client_for(&hub.settings)?).await?;
        // The refresh token first: revoking it ends the whole grant at most providers.
        if let Some(rt) = &session.refresh_token
            && !idp.revoke(rt, oidc::TokenHint::Refresh).await?
        {
            return Ok(false);
        }
        idp.revoke(&session.access_token, oidc::TokenHint::Access).await
    }

    async fn forget(&self, hub: &Hub) -> Result<()> {
        let key = hub.id.clone();
        self.store_call(move |s| s.delete(&key)).await?;
        self.registry().update(|d| {
            d.sessions.remove(&hub.id);
        })?;
        Ok(())
    }

    /// Remove a link-added hub (signing out first). Admin hubs cannot be removed, only hidden.
    pub async fn remove(&self, hub: &Hub) -> Result<Revocation> {
        if matches!(hub.source, Source::HubsIni { .. }) {
            return Err(Error::AdminHub(hub.settings.name.clone()));
        }
        let revocation = self.logout(hub).await?;
        self.registry().update(|d| d.hubs.retain(|r| r.id != hub.id))?;
        Ok(revocation)
    }

    /// Open an address (the device-code page) in the browser sign-in uses.
    pub fn open_in_browser(&self, url: &Url) -> std::result::Result<(), crate::browser::BrowserError> {
        self.inner.browser.open(url)
    }

    /// Hide or show an admin-provided hub.
    pub fn set_hidden(&self, hub: &Hub, hidden: bool) -> Result<()> {
        self.registry().update(|d| {
            if hidden {
                d.hidden.insert(hub.id.clone());
            } else {
                d.hidden.remove(&hub.id);
            }
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Context;
    use crate::store::{Chunked, MemoryEntries};

    struct NoBrowser;
    impl Browser for NoBrowser {
        fn open(&self, _: &Url) -> std::result::Result<(), crate::browser::BrowserError> {
            Err(crate::browser::BrowserError("no browser in unit tests".into()))
        }
    }

    fn app(dir: &std::path::Path) -> Hublink {
        Hublink::new(Parts {
            paths: Paths::at(dir),
            store: Arc::new(Chunked::new(MemoryEntries::default())),
            browser: Arc::new(NoBrowser),
            ini_dirs: vec![],
            insecure_storage_allowed: false,
            clock: Arc::new(crate::clock::SystemClock),
        })
    }

    fn hub(max_days: &str) -> Hub {
        let (settings, _) = HubSettings::from_pairs(
            [("url", "https://hub.example.com/"), ("max_session_days", max_days)],
            Context::HubsIni { section_name: "Finance".into() },
        )
        .unwrap();
        Hub { id: settings.id().to_string(), settings, source: Source::Link, hidden: false }
    }

    fn session(hub: &Hub, signed_in_days_ago: i64) -> StoredSession {
        let now = OffsetDateTime::now_utc();
        StoredSession {
            access_token: Secret::new("access-1"),
            refresh_token: Some(Secret::new("refresh-1")),
            id_token: None,
            expires_at: Some(now + time::Duration::hours(1)),
            obtained_at: Some(now),
            signed_in_at: now - time::Duration::days(signed_in_days_ago),
            user: "alice".into(),
            issuer: hub.settings.issuer.clone(),
            client_id: hub.settings.client_id.clone(),
        }
    }

    #[tokio::test]
    async fn a_valid_session_gives_its_token_without_any_network() {
        let dir = tempfile::tempdir().unwrap();
        let (app, hub) = (app(dir.path()), hub("30"));
        app.save_session(&hub, &session(&hub, 2)).await.unwrap();
        assert_eq!(app.access_token(&hub).await.unwrap().expose(), "access-1");
    }

    #[tokio::test]
    async fn max_session_days_forces_an_interactive_sign_in() {
        let dir = tempfile::tempdir().unwrap();
        let (app, hub) = (app(dir.path()), hub("7"));
        app.save_session(&hub, &session(&hub, 8)).await.unwrap();
        let Err(Error::SignInRequired { reason, .. }) = app.access_token(&hub).await else {
            panic!("an 8-day-old session must not be used when the hub allows 7 days")
        };
        assert!(reason.contains("every 7 days"), "{reason}");
        // Nothing was deleted: the session is still there for a later, valid policy.
        assert!(app.load_session(&hub).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn changed_hub_settings_need_a_new_sign_in_and_no_session_is_sign_in_required() {
        let dir = tempfile::tempdir().unwrap();
        let (app, hub) = (app(dir.path()), hub("30"));
        assert!(matches!(app.access_token(&hub).await, Err(Error::SignInRequired { .. })));
        let mut s = session(&hub, 1);
        s.issuer = "https://old-login.example.com".into();
        app.save_session(&hub, &s).await.unwrap();
        let Err(Error::SignInRequired { reason, .. }) = app.access_token(&hub).await else { panic!() };
        assert!(reason.contains("settings changed"), "{reason}");
    }

    #[tokio::test]
    async fn adding_the_same_hub_twice_is_one_hub() {
        let dir = tempfile::tempdir().unwrap();
        let app = app(dir.path());
        let first = app.prepare_add("hublink://add?url=https://Hub.Example.com:443&name=Hub").await.unwrap();
        let second = app.prepare_add("hublink://add?url=https://hub.example.com/&name=Other%20name").await.unwrap();
        assert!(!app.add(&first).unwrap().already_present);
        assert!(app.add(&second).unwrap().already_present);
        assert_eq!(app.catalog().unwrap().hubs.len(), 1);
    }
}
