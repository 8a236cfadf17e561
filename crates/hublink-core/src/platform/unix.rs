//! Linux and other Unix systems: the XDG folders, `/etc` for the administrator.

use std::path::PathBuf;

/// The machine-wide hubs.ini folder.
pub fn machine_hubs_dir() -> PathBuf {
    PathBuf::from("/etc/hublink")
}

/// The per-user configuration folder Hublink's state lives under (`$XDG_CONFIG_HOME`, else
/// `~/.config`).
pub fn config_home() -> Option<PathBuf> {
    dirs::config_dir()
}

/// The user's documents folder (`XDG_DOCUMENTS_DIR`), under which `Hublink/Hubs` is looked for.
pub fn documents() -> Option<PathBuf> {
    dirs::document_dir()
}

/// The policy: `/etc/hublink/policy.json`, as browsers keep their managed policies.
pub fn read_policy() -> Result<crate::policy::Policy, (String, crate::policy::PolicyProblem)> {
    super::policy_file(&machine_hubs_dir().join("policy.json"))
}

/// `prctl(PR_SET_DUMPABLE, 0)` (Linux), through rustix's safe wrapper. A failure is logged: it leaves
/// the process as it was, which is no reason not to run.
#[cfg(target_os = "linux")]
pub fn set_non_dumpable() {
    use rustix::process::{DumpableBehavior, set_dumpable_behavior};
    if let Err(e) = set_dumpable_behavior(DumpableBehavior::NotDumpable) {
        tracing::warn!(error = %e, "could not turn off core dumps for this process");
    }
}

/// Is this process dumpable (core dumps, same-user ptrace)? For tests and `doctor`.
#[cfg(target_os = "linux")]
pub fn is_dumpable() -> Option<bool> {
    rustix::process::dumpable_behavior().ok().map(|b| b != rustix::process::DumpableBehavior::NotDumpable)
}
