//! The one entry point of the shells: [`Parts`] (what Hublink works with, wired in one place)
//! and [`Hublink`], a thin facade whose methods each run one use case of
//! [`crate::use_cases`]. The CLI and the desktop shell hold no logic of their own.

use std::path::PathBuf;
use std::sync::Arc;

use url::Url;

use crate::browser::{Browser, SystemBrowser};
use crate::catalog::{self, Catalog, CatalogCache, Hub};
use crate::clock::{Clock, SystemClock};
use crate::error::Result;
use crate::paths::Paths;
use crate::policy::Policy;
use crate::registry::Registry;
use crate::secret::AccessToken;
use crate::session::SessionState;
use crate::settings::HubId;
use crate::sign_in::web::WebWindows;
use crate::sign_in::{LoginOptions, ProgressFn, SignedIn};
use crate::store::{SecretStore, SystemStore};
use crate::use_cases::{
    AccessForScripts, Add, AddOutcome, Hide, HubStatus, PrepareAdd, Proposal, Remove, RestoreAll, RestoreOne, SignIn,
    SignOut, SignedOut,
};

/// The parts Hublink works with. Production wiring is [`Parts::from_env`]; tests substitute
/// temp folders, a local IdP, a scripted browser and their own clock.
pub struct Parts {
    pub paths: Paths,
    pub store: Arc<dyn SecretStore>,
    pub browser: Arc<dyn Browser>,
    pub ini_dirs: Vec<PathBuf>,
    /// `HUBLINK_INSECURE_STORAGE=1` was given.
    pub insecure_storage_allowed: bool,
    /// Judges session lifetimes (see [`crate::clock`]).
    pub clock: Arc<dyn Clock>,
    /// The organisation's rules (see [`crate::policy`]); the default when none is set.
    pub policy: Arc<Policy>,
    /// The shell's sign-in windows for `auth=web` hubs, once it has them (the desktop app,
    /// after its event loop starts); never for the CLI.
    pub web: std::sync::OnceLock<Arc<dyn WebWindows>>,
    /// Bounds this process's secret-store calls (see [`crate::sessions::StoreGate`]).
    pub store_gate: crate::sessions::StoreGate,
}

impl Parts {
    /// The one place production parts are chosen.
    pub fn from_env() -> Result<Parts> {
        let policy = crate::platform::load_policy()
            .map_err(|(origin, problem)| crate::Error::PolicyUnusable { origin, problem })?;
        let paths = Paths::from_env()?;
        let insecure = insecure_storage_requested() && policy.allows_insecure_storage();
        Ok(Parts {
            store: Arc::new(SystemStore::new(
                crate::store::service_name(paths.custom_home.then_some(paths.home.as_path())),
                paths.insecure_secrets(),
                insecure,
            )),
            browser: Arc::new(SystemBrowser::from_env()),
            ini_dirs: catalog::hubs_ini_dirs(),
            insecure_storage_allowed: insecure,
            clock: Arc::new(SystemClock),
            policy: Arc::new(policy),
            paths,
            web: std::sync::OnceLock::new(),
            store_gate: Default::default(),
        })
    }

    /// The shell's web windows, when it has any.
    pub fn web_windows(&self) -> Option<Arc<dyn WebWindows>> {
        self.web.get().cloned()
    }
}

fn insecure_storage_requested() -> bool {
    std::env::var("HUBLINK_INSECURE_STORAGE").is_ok_and(|v| v == "1")
}

/// See the module documentation. Cheap to clone; clones share the catalog cache.
#[derive(Clone)]
pub struct Hublink {
    parts: Arc<Parts>,
    catalog: Arc<CatalogCache>,
}

impl Hublink {
    pub fn new(parts: Parts) -> Hublink {
        Hublink { parts: Arc::new(parts), catalog: Arc::default() }
    }

    pub fn from_env() -> Result<Hublink> {
        Ok(Hublink::new(Parts::from_env()?))
    }

    /// Give the engine the shell's sign-in windows (once; later calls are ignored).
    pub fn set_web_windows(&self, windows: Arc<dyn WebWindows>) {
        let _ = self.parts.web.set(windows);
    }

    pub fn paths(&self) -> &Paths {
        &self.parts.paths
    }

    /// The hubs.ini folders this instance reads (machine-wide first).
    pub fn ini_dirs(&self) -> &[PathBuf] {
        &self.parts.ini_dirs
    }

    /// A warning every command shows while plain-file storage is allowed — or asked for and
    /// refused by the organisation.
    pub fn storage_warning(&self) -> Option<String> {
        if self.parts.insecure_storage_allowed {
            return Some(format!(
                "HUBLINK_INSECURE_STORAGE=1: if no keyring is available, sessions are stored in plain files under {}",
                self.parts.paths.insecure_secrets().display()
            ));
        }
        (insecure_storage_requested() && !self.parts.policy.allows_insecure_storage()).then(|| {
            "HUBLINK_INSECURE_STORAGE=1 is ignored: your organization's policy (`AllowInsecureStorage`) allows sessions only in the system keyring".to_owned()
        })
    }

    /// The user's preferences (and a warning when a damaged file was set aside).
    pub fn preferences(&self) -> (crate::preferences::Preferences, Option<String>) {
        crate::preferences::Preferences::load(&self.parts.paths)
    }

    /// Save the user's preferences (atomically).
    pub fn set_preferences(&self, preferences: &crate::preferences::Preferences) -> Result<()> {
        preferences.save(&self.parts.paths)
    }

    /// Now, by the engine's clock.
    pub fn now(&self) -> time::OffsetDateTime {
        self.parts.clock.now()
    }

    /// The organisation's policy in force.
    pub fn policy(&self) -> &Policy {
        &self.parts.policy
    }

    /// Every hub: hubs.ini (admin) and link-added, with problems, warnings and what was last
    /// known of each session. Parsed once, revalidated on every call ([`CatalogCache`]).
    pub fn catalog(&self) -> Result<Catalog> {
        self.catalog.catalog(&self.parts.ini_dirs, &Registry::new(&self.parts.paths), &self.parts.policy)
    }

    /// The hub with this identity.
    pub fn hub(&self, id: &HubId) -> Result<Hub> {
        self.catalog()?.get(id).cloned()
    }

    /// See [`PrepareAdd`].
    pub async fn prepare_add(&self, input: &str) -> Result<Proposal> {
        PrepareAdd::new(&self.parts).run(input).await
    }

    /// See [`Add`].
    pub fn add(&self, proposal: &Proposal) -> Result<AddOutcome> {
        Add::new(&self.parts).run(proposal, &self.catalog()?.hubs)
    }

    /// See [`SignIn`].
    pub async fn login(&self, hub: &Hub, options: LoginOptions, progress: &ProgressFn<'_>) -> Result<SignedIn> {
        SignIn::new(&self.parts).run(hub, options, progress).await
    }

    /// See [`AccessForScripts`].
    pub async fn access_token(&self, hub: &Hub) -> Result<AccessToken> {
        AccessForScripts::new(&self.parts).run(hub).await
    }

    /// See [`AccessForScripts::access`].
    pub async fn access(&self, hub: &Hub) -> Result<crate::use_cases::Access> {
        AccessForScripts::new(&self.parts).access(hub).await
    }

    /// See [`AccessForScripts::header`].
    pub async fn auth_header(&self, hub: &Hub) -> Result<crate::use_cases::AuthHeader> {
        AccessForScripts::new(&self.parts).header(hub).await
    }

    /// See [`RestoreOne`].
    pub async fn restore_one(&self, hub: &Hub) -> SessionState {
        RestoreOne::new(&self.parts).run(hub).await
    }

    /// See [`KeepFresh`](crate::use_cases::KeepFresh).
    pub async fn keep_fresh(&self, hub: &Hub, recheck_web: bool) -> Option<SessionState> {
        crate::use_cases::KeepFresh::new(&self.parts).run(hub, recheck_web).await
    }

    /// See [`RestoreAll`].
    pub async fn restore_all(&self, catalog: &Catalog) -> Vec<HubStatus> {
        RestoreAll::new(&self.parts).run(catalog).await
    }

    /// See [`SignOut`].
    pub async fn logout(&self, hub: &Hub) -> Result<SignedOut> {
        SignOut::new(&self.parts).run(hub).await
    }

    /// See [`Remove`].
    pub async fn remove(&self, hub: &Hub) -> Result<SignedOut> {
        Remove::new(&self.parts).run(hub).await
    }

    /// See [`OpenHub`].
    pub async fn open_hub(&self, hub: &Hub) -> Result<crate::use_cases::Opening> {
        crate::use_cases::OpenHub::new(&self.parts).run(hub).await
    }

    /// See [`ForgetWebData`](crate::use_cases::ForgetWebData).
    pub async fn forget_web_data(&self, hub: &Hub) -> Result<usize> {
        crate::use_cases::ForgetWebData::new(&self.parts).run(hub).await
    }

    /// See [`Hide`].
    pub fn set_hidden(&self, hub: &Hub, hidden: bool) -> Result<()> {
        Hide::new(&self.parts).run(hub, hidden)
    }

    /// Open an address (the device-code page) in the browser sign-in uses.
    pub fn open_in_browser(&self, url: &Url) -> std::result::Result<(), crate::browser::BrowserError> {
        self.parts.browser.open(url)
    }
}

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;
