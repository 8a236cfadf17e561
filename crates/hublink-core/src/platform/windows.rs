//! Windows: `%APPDATA%` for state, `%ProgramData%` for the administrator.

use std::path::PathBuf;

/// The machine-wide hubs.ini folder: `%ProgramData%\Hublink`.
pub fn machine_hubs_dir() -> PathBuf {
    let base = std::env::var_os("ProgramData")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(r"C:\ProgramData"), PathBuf::from);
    base.join("Hublink")
}

/// The per-user configuration folder Hublink's state lives under (`%APPDATA%`).
pub fn config_home() -> Option<PathBuf> {
    dirs::config_dir()
}

/// The user's Documents folder (known folder, may be redirected), under which `Hublink\Hubs`
/// is looked for.
pub fn documents() -> Option<PathBuf> {
    dirs::document_dir()
}
