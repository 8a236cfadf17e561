//! Removing a hub the user added.

use std::sync::Arc;

use crate::app::Parts;
use crate::catalog::{Hub, Source};
use crate::error::{Error, Result};
use crate::registry::Registry;

use super::{Revocation, SignOut, SignedOut};

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
        // Removing works without a keyring too: the hub goes, and the answer says the session
        // could not be deleted.
        let signed_out = match SignOut::new(&self.parts).run(hub).await {
            Ok(s) => s,
            Err(e @ Error::StorageUnavailable { .. }) => {
                SignedOut { hub_name: hub.settings.name.clone(), revocation: Revocation::NotDeleted(e.cause()) }
            }
            Err(e) => return Err(e),
        };
        Registry::new(&self.parts.paths).update(|d| d.hubs.retain(|r| r.id != hub.id))?;
        Ok(signed_out)
    }
}
