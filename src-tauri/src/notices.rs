//! What does not work on this computer, found while starting (or later): no log file, no
//! session bus, a desktop portal that does not answer, links that cannot reach this window. The
//! window still opens; the page shows each notice with its reason and what to do
//! (`startup_notices`, and the `notices-changed` event for later ones).

use std::sync::Mutex;

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// Stable name, for the page and tests: `log_file`, `session_bus`, `portal`, `links`, `scheme`.
    pub code: &'static str,
    pub message: String,
    pub cause: String,
    pub next_step: String,
}

impl Notice {
    pub fn new(
        code: &'static str,
        message: impl Into<String>,
        cause: impl Into<String>,
        next: impl Into<String>,
    ) -> Self {
        Notice { code, message: message.into(), cause: cause.into(), next_step: next.into() }
    }
}

#[derive(Default)]
pub struct Notices(Mutex<Vec<Notice>>);

impl Notices {
    pub fn add(&self, notice: Notice) {
        log::warn!("{}: {} (next: {})", notice.message, notice.cause, notice.next_step);
        if let Ok(mut all) = self.0.lock() {
            all.push(notice);
        }
    }

    pub fn all(&self) -> Vec<Notice> {
        self.0.lock().map(|n| n.clone()).unwrap_or_default()
    }
}
