//! Where things are on each operating system: one file per OS, each with the same functions.

#[cfg(not(any(target_os = "macos", windows)))]
mod unix;
#[cfg(not(any(target_os = "macos", windows)))]
pub use unix::*;

#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "macos")]
pub use macos::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;

use std::path::PathBuf;

use crate::policy::{Policy, PolicyProblem};

/// The machine-wide folder: hubs.ini files and (Linux) `policy.json`. Debug builds — the ones
/// the test suites run — take `HUBLINK_MACHINE_DIR` instead, so tests need not write to
/// `/etc`; release builds never read that variable, so no user can point policy elsewhere.
pub fn machine_dir() -> PathBuf {
    #[cfg(debug_assertions)]
    if let Some(dir) = std::env::var_os("HUBLINK_MACHINE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    machine_hubs_dir()
}

/// The organisation's policy on this computer (the default when none is set). `Err` names the
/// source and what is wrong with it: callers fail closed.
pub fn load_policy() -> Result<Policy, (String, PolicyProblem)> {
    #[cfg(debug_assertions)]
    if std::env::var_os("HUBLINK_MACHINE_DIR").is_some_and(|d| !d.is_empty()) {
        return policy_file(&machine_dir().join("policy.json"));
    }
    read_policy()
}

/// A `policy.json` file: absent is no policy; anything else must be a valid policy.
pub fn policy_file(path: &std::path::Path) -> Result<Policy, (String, PolicyProblem)> {
    let origin = path.display().to_string();
    match crate::fsutil::read_regular_file(path, 1024 * 1024) {
        Ok(bytes) => Policy::from_json(origin.clone(), &bytes).map_err(|p| (origin, p)),
        Err(crate::fsutil::ReadProblem::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(Policy::default()),
        Err(e) => Err((origin, PolicyProblem::Unreadable(e.to_string()))),
    }
}

/// Make this process refuse core dumps and ptrace by other processes of the same user
/// (Linux `PR_SET_DUMPABLE` 0): a crash or SIGQUIT while a session is in memory must not write
/// its refresh token to disk. Called first thing by the CLI and the desktop app; elsewhere a
/// no-op (macOS and Windows do not write core dumps by default).
pub fn harden_process() {
    #[cfg(target_os = "linux")]
    unix::set_non_dumpable();
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn a_hardened_process_writes_no_core_dump() {
        super::harden_process();
        assert_eq!(super::unix::is_dumpable(), Some(false));
    }
}
