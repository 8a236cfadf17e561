//! What a Secret Service refusal means (freedesktop.org Secret Service API 0.2), read from the
//! `dbus-secret-service` error the keyring crate wraps: a locked collection and a missing
//! default collection need different fixes, and the user is told which.

use std::collections::HashMap;

use dbus_secret_service::{EncryptionType, Item, SecretService};
use keyring::secret_service::{SsCredential, decode_error, get_item_password};

use crate::error::StorageProblem;
use crate::secret::Secret;
use crate::store::{Group, MoreEntries};

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

/// dbus-secret-service's own limit on each D-Bus call, in seconds (its `proxy` module).
const CALL_TIMEOUT_SECONDS: u64 = 2;

/// The problem behind a keyring `PlatformFailure`: usually no Secret Service at all, but the
/// keyring crate also reports a write into a locked collection this way — and a service that
/// is there but does not answer (hung, stopped, stuck behind something), which must never read
/// as "no keyring" (that would allow plain files) nor as "locked".
pub fn failure_problem(inner: &(dyn std::error::Error + Send + Sync + 'static)) -> StorageProblem {
    use dbus_secret_service::Error as Ss;
    match inner.downcast_ref::<Ss>() {
        Some(Ss::Locked | Ss::Prompt) => StorageProblem::Locked,
        Some(Ss::Dbus(e)) => dbus_problem(e.name(), &inner.to_string()),
        _ => dbus_problem(None, &inner.to_string()),
    }
}

/// A D-Bus error by its name (and, without one, its words) as a storage problem.
fn dbus_problem(name: Option<&str>, text: &str) -> StorageProblem {
    match name {
        Some("org.freedesktop.Secret.Error.IsLocked") => StorageProblem::Locked,
        Some(
            "org.freedesktop.DBus.Error.NoReply"
            | "org.freedesktop.DBus.Error.Timeout"
            | "org.freedesktop.DBus.Error.TimedOut",
        ) => StorageProblem::Timeout { seconds: CALL_TIMEOUT_SECONDS },
        // Whole words only: D-Bus's "no reply" text says "… security policy blocked the reply …".
        _ if text.to_ascii_lowercase().split(|c: char| !c.is_ascii_alphanumeric()).any(|w| w == "locked") => {
            StorageProblem::Locked
        }
        _ => StorageProblem::NoService(text.to_owned()),
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

/// An entry and the entries it asks for, on one Secret Service connection (an encrypted
/// session, as the keyring crate opens) instead of one connection per entry. Each entry is
/// found and read as keyring 3's `Entry::get_password` finds and reads it, errors included.
pub fn get_group(service: &str, name: &str, more: MoreEntries) -> keyring::Result<Option<Group>> {
    let ss = SecretService::connect(EncryptionType::Dh).map_err(|e| keyring::Error::PlatformFailure(Box::new(e)))?;
    super::read_group(name, more, |user| read_item(&ss, service, user))
}

/// One entry: the item with the keyring crate's attributes (`target` `default`, `service`,
/// `username`); when there is none, an item without `target` in the default collection (how
/// keyring 1 stored it, which keyring 3 also reads). Two or more items are ambiguous.
fn read_item(ss: &SecretService, service: &str, user: &str) -> keyring::Result<Option<Secret>> {
    let search = ss
        .search_items(HashMap::from([("target", "default"), ("service", service), ("username", user)]))
        .map_err(decode_error)?;
    if !search.locked.is_empty() || !search.unlocked.is_empty() {
        let locked = search.locked.into_iter().map(|item| (item, true));
        return only_password(locked.chain(search.unlocked.into_iter().map(|item| (item, false))).collect());
    }
    let collection = ss.get_default_collection().map_err(decode_error)?;
    let legacy =
        collection.search_items(HashMap::from([("service", service), ("username", user)])).map_err(decode_error)?;
    only_password(legacy.into_iter().map(|item| (item, false)).collect())
}

/// The password of the only item found (unlocked first when it is locked).
fn only_password(mut found: Vec<(Item<'_>, bool)>) -> keyring::Result<Option<Secret>> {
    if found.len() > 1 {
        let mut credentials: Vec<Box<keyring::Credential>> = Vec::new();
        for (item, _) in &found {
            credentials.push(Box::new(SsCredential::new_from_item(item)?));
        }
        return Err(keyring::Error::Ambiguous(credentials));
    }
    let Some((item, locked)) = found.pop() else { return Ok(None) };
    if locked {
        item.unlock().map_err(decode_error)?;
    }
    get_item_password(&item).map(|password| Some(Secret::new(password)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// libdbus's text for a call that got no answer (a stopped or hung Secret Service).
    const NO_REPLY: &str = "DBus error: Did not receive a reply. Possible causes include: the remote application did not send a reply, the message bus security policy blocked the reply, the reply timeout expired, or the network connection was broken.";

    #[test]
    fn a_secret_service_that_does_not_answer_is_a_timeout_not_locked_and_not_absent() {
        assert_eq!(
            dbus_problem(Some("org.freedesktop.DBus.Error.NoReply"), NO_REPLY),
            StorageProblem::Timeout { seconds: CALL_TIMEOUT_SECONDS }
        );
        assert_eq!(
            dbus_problem(Some("org.freedesktop.DBus.Error.Timeout"), "x"),
            StorageProblem::Timeout { seconds: CALL_TIMEOUT_SECONDS }
        );
        assert!(matches!(dbus_problem(None, "something blocked the call"), StorageProblem::NoService(_)));
        assert_eq!(dbus_problem(None, "Secret Service: object locked"), StorageProblem::Locked);
        assert_eq!(dbus_problem(Some("org.freedesktop.Secret.Error.IsLocked"), "x"), StorageProblem::Locked);
        let path = dbus_secret_service::Error::Path("the reply was blocked".into());
        assert!(matches!(failure_problem(&path), StorageProblem::NoService(_)));
    }
}
