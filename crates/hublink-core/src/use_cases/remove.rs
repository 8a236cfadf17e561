//! Removing a hub the user added.

use std::sync::Arc;

use crate::app::Parts;
use crate::catalog::{Hub, Source};
use crate::error::{Error, Result};
use crate::registry::Registry;

use super::{SignOut, SignedOut};

/// Remove a link-added hub, signing out first. Hubs from hubs.ini belong to the administrator:
/// they cannot be removed, only hidden.
pub struct Remove {
    parts: Arc<Parts>,
}

impl Remove {
    pub fn new(parts: &Arc<Parts>) -> Remove {
        Remove { parts: parts.clone() }
    }

    pub async fn run(&self, hub: &Hub) -> Result<SignedOut> {
        if matches!(hub.source, Source::HubsIni { .. }) {
            return Err(Error::AdminHub(hub.settings.name.clone()));
        }
        let signed_out = SignOut::new(&self.parts).run(hub).await?;
        Registry::new(&self.parts.paths).update(|d| d.hubs.retain(|r| r.id != hub.id))?;
        Ok(signed_out)
    }
}
