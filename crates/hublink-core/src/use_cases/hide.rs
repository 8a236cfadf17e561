//! Hiding an administrator's hub.

use std::sync::Arc;

use crate::app::Parts;
use crate::catalog::Hub;
use crate::error::Result;
use crate::registry::Registry;

/// Hide or show a hub from hubs.ini (the user's choice, kept in the registry); the hub stays
/// provided, and its session, if any, is kept.
pub struct Hide {
    parts: Arc<Parts>,
}

impl Hide {
    pub fn new(parts: &Arc<Parts>) -> Hide {
        Hide { parts: parts.clone() }
    }

    pub fn run(&self, hub: &Hub, hidden: bool) -> Result<()> {
        Registry::new(&self.parts.paths).update(|d| {
            if hidden {
                d.hidden.insert(hub.id.clone());
            } else {
                d.hidden.remove(&hub.id);
            }
        })?;
        Ok(())
    }
}
