//! Windows: `%APPDATA%` for state, `%ProgramData%` for the administrator.

use std::path::PathBuf;

/// The machine-wide hubs.ini folder: `%ProgramData%\Hublink`, from the Known Folders API
/// (`FOLDERID_ProgramData`) — not from the `ProgramData` variable, which any user can set.
pub fn machine_hubs_dir() -> PathBuf {
    known_folders::get_known_folder_path(known_folders::KnownFolder::ProgramData)
        .unwrap_or_else(|| PathBuf::from(r"C:\ProgramData"))
        .join("Hublink")
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

/// The policy: `HKLM\SOFTWARE\Policies\Hublink` (Group Policy / Intune). DWORD values are
/// booleans (0/1) and `MaxSessionDays`; REG_MULTI_SZ values are the lists (`AllowedHosts`,
/// `LinkSigningKeys`).
pub fn read_policy() -> Result<crate::policy::Policy, (String, crate::policy::PolicyProblem)> {
    use crate::policy::{Policy, PolicyProblem};
    use winreg::RegKey;
    use winreg::enums::{HKEY_LOCAL_MACHINE, KEY_READ, RegType};
    let origin = r"HKLM\SOFTWARE\Policies\Hublink".to_owned();
    let key = match RegKey::predef(HKEY_LOCAL_MACHINE).open_subkey_with_flags(r"SOFTWARE\Policies\Hublink", KEY_READ) {
        Ok(k) => k,
        // No Group Policy: a policy.json an installer put in the machine-wide folder.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return super::policy_file(&machine_hubs_dir().join("policy.json"));
        }
        Err(e) => return Err((origin, PolicyProblem::Unreadable(e.to_string()))),
    };
    let mut map = serde_json::Map::new();
    for value in key.enum_values() {
        let (name, raw) = value.map_err(|e| (origin.clone(), PolicyProblem::Unreadable(e.to_string())))?;
        let json = match raw.vtype {
            RegType::REG_DWORD => {
                let n: u32 =
                    key.get_value(&name).map_err(|e| (origin.clone(), PolicyProblem::Unreadable(e.to_string())))?;
                serde_json::Value::from(n)
            }
            RegType::REG_MULTI_SZ => {
                let list: Vec<String> =
                    key.get_value(&name).map_err(|e| (origin.clone(), PolicyProblem::Unreadable(e.to_string())))?;
                serde_json::Value::from(list)
            }
            _ => {
                let text: String =
                    key.get_value(&name).map_err(|e| (origin.clone(), PolicyProblem::Unreadable(e.to_string())))?;
                serde_json::Value::from(text)
            }
        };
        map.insert(name, json);
    }
    Policy::from_map(origin.clone(), &map).map_err(|p| (origin, p))
}
