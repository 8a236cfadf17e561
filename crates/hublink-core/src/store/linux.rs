//! What a Secret Service refusal means (freedesktop.org Secret Service API 0.2), read from the
//! `dbus-secret-service` error the keyring crate wraps: a locked collection and a missing
//! default collection need different fixes, and the user is told which.

use crate::error::StorageProblem;

/// The problem behind a keyring `NoStorageAccess` error.
pub fn access_problem(inner: &(dyn std::error::Error + Send + Sync + 'static)) -> StorageProblem {
    use dbus_secret_service::Error as Ss;
    match inner.downcast_ref::<Ss>() {
        // Writing needs the collection unlocked; the unlock prompt could not show or was closed.
        Some(Ss::Locked | Ss::Prompt) => {
            if has_default_collection() == Some(false) {
                StorageProblem::NoDefaultKeyring
            } else {
                StorageProblem::Locked
            }
        }
        // The `default` alias names no collection, and creating one (through the service's
        // own prompt) did not happen.
        Some(Ss::NoResult) => StorageProblem::NoDefaultKeyring,
        _ => StorageProblem::Refused(inner.to_string()),
    }
}

/// The problem behind a keyring `PlatformFailure`: usually no Secret Service at all, but the
/// keyring crate also reports a write into a locked collection this way.
pub fn failure_problem(inner: &(dyn std::error::Error + Send + Sync + 'static)) -> StorageProblem {
    use dbus_secret_service::Error as Ss;
    match inner.downcast_ref::<Ss>() {
        Some(Ss::Locked | Ss::Prompt) => StorageProblem::Locked,
        Some(Ss::Dbus(e)) if e.name() == Some("org.freedesktop.Secret.Error.IsLocked") => StorageProblem::Locked,
        _ if inner.to_string().to_ascii_lowercase().contains("locked") => StorageProblem::Locked,
        _ => StorageProblem::NoService(inner.to_string()),
    }
}

/// Does the Secret Service have a collection under the `default` alias? `None` when it cannot
/// be asked. Runs on the keyring call's own thread, inside its timeout (see `KeyringEntries`).
fn has_default_collection() -> Option<bool> {
    use dbus_secret_service::{EncryptionType, Error as Ss, SecretService};
    let service = SecretService::connect(EncryptionType::Plain).ok()?;
    match service.get_default_collection() {
        Ok(_) => Some(true),
        Err(Ss::NoResult) => Some(false),
        Err(_) => None,
    }
}

/// Ask the Secret Service to create the default keyring (`Login`, alias `default`); it shows
/// its own password prompt. False when it did not happen within `timeout` (no prompt can show
/// here, or the user closed it).
pub fn create_default_keyring(timeout: std::time::Duration) -> bool {
    use dbus_secret_service::{EncryptionType, SecretService};
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let created = SecretService::connect_with_max_prompt_timeout(EncryptionType::Plain, timeout.as_secs())
            .and_then(|s| s.create_collection("Login", "default").map(|_| ()))
            .is_ok();
        let _ = tx.send(created);
    });
    rx.recv_timeout(timeout + std::time::Duration::from_secs(1)).unwrap_or(false)
}
