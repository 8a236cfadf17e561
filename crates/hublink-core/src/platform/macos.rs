//! macOS: `~/Library/Application Support` for state, `/Library/Application Support` for the
//! administrator.

use std::path::PathBuf;

/// The machine-wide hubs.ini folder.
pub fn machine_hubs_dir() -> PathBuf {
    PathBuf::from("/Library/Application Support/Hublink")
}

/// The per-user configuration folder Hublink's state lives under.
pub fn config_home() -> Option<PathBuf> {
    dirs::config_dir()
}

/// The user's Documents folder, under which `Hublink/Hubs` is looked for.
pub fn documents() -> Option<PathBuf> {
    dirs::document_dir()
}
