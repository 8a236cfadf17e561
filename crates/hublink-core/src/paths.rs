//! Where Hublink keeps its state.

use std::path::PathBuf;

use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct Paths {
    pub home: PathBuf,
    /// True when `HUBLINK_HOME` chose the folder (it then gets its own keyring namespace).
    pub custom_home: bool,
}

impl Paths {
    /// `HUBLINK_HOME`, else the OS config folder + `hublink`.
    pub fn from_env() -> Result<Paths> {
        if let Some(home) = std::env::var_os("HUBLINK_HOME").filter(|h| !h.is_empty()) {
            return Ok(Paths { home: PathBuf::from(home), custom_home: true });
        }
        let base = crate::platform::config_home().ok_or(Error::NoConfigFolder)?;
        Ok(Paths { home: base.join("hublink"), custom_home: false })
    }

    pub fn at(home: impl Into<PathBuf>) -> Paths {
        Paths { home: home.into(), custom_home: true }
    }

    pub fn registry(&self) -> PathBuf {
        self.home.join("hubs.json")
    }

    pub fn registry_lock(&self) -> PathBuf {
        self.home.join("locks").join("registry.lock")
    }

    pub fn session_lock(&self, hub_id: &crate::settings::HubId) -> PathBuf {
        self.home.join("locks").join(format!("session-{hub_id}.lock"))
    }

    pub fn insecure_secrets(&self) -> PathBuf {
        self.home.join("insecure-secrets")
    }
}
