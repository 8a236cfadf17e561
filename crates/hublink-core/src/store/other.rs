//! Keychain (macOS) and Credential Manager (Windows) refusals: no finer reading than the
//! platform's own words.

use crate::error::StorageProblem;

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
