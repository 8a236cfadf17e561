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

/// The policy: the managed preferences of `app.hublink.desktop` (a configuration profile
/// pushed by Jamf or another MDM lands in `/Library/Managed Preferences/`). Each key is a rule;
/// plist booleans, integers, strings and arrays map to the JSON values the rules take.
pub fn read_policy() -> Result<crate::policy::Policy, (String, crate::policy::PolicyProblem)> {
    use crate::policy::{Policy, PolicyProblem};
    let path = PathBuf::from("/Library/Managed Preferences/app.hublink.desktop.plist");
    let origin = path.display().to_string();
    match path.try_exists() {
        Ok(false) => return Ok(Policy::default()),
        Ok(true) => {}
        // Present but not readable to us: not "no policy" (fail closed).
        Err(e) => return Err((origin, PolicyProblem::Unreadable(e.to_string()))),
    }
    let value: plist::Value =
        plist::Value::from_file(&path).map_err(|e| (origin.clone(), PolicyProblem::Unreadable(e.to_string())))?;
    let json = serde_json::to_value(&value).map_err(|e| (origin.clone(), PolicyProblem::NotJson(e.to_string())))?;
    let map = json.as_object().ok_or_else(|| (origin.clone(), PolicyProblem::NotJson("not a dictionary".into())))?;
    Policy::from_map(origin.clone(), map).map_err(|p| (origin, p))
}
