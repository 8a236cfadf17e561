//! Keychain (macOS) and Credential Manager (Windows) refusals: no finer reading than the
//! platform's own words.

use crate::error::StorageProblem;
use crate::secret::Secret;
use crate::store::{Group, MoreEntries};

/// The problem behind a keyring `NoStorageAccess` error.
pub fn access_problem(inner: &(dyn std::error::Error + Send + Sync + 'static)) -> StorageProblem {
    StorageProblem::Refused(inner.to_string())
}

/// The problem behind a keyring `PlatformFailure`: the platform store is not reachable.
pub fn failure_problem(inner: &(dyn std::error::Error + Send + Sync + 'static)) -> StorageProblem {
    StorageProblem::NoService(inner.to_string())
}

/// Keychain and Credential Manager always have a default store: nothing to create.
pub fn create_default_keyring(_timeout: std::time::Duration) -> bool {
    false
}

/// Each entry through the keyring crate: Keychain and Credential Manager have no session to
/// keep between entries.
pub fn get_group(service: &str, name: &str, more: MoreEntries) -> keyring::Result<Option<Group>> {
    super::read_group(name, more, |n| match keyring::Entry::new(service, n)?.get_password() {
        Ok(v) => Ok(Some(Secret::new(v))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(e),
    })
}
