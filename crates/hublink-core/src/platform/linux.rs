//! Linux (and the free BSDs' layout): the XDG folders, `/etc` for the administrator.

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
