//! Where sessions live: the OS keyring, one logical entry per hub.
//!
//! Rules:
//! - every keyring call has a timeout (Secret Service backends can hang forever);
//! - "not found" is `Ok(None)`, never an error;
//! - any size works on every OS: values longer than [`CHUNK_CHARS`] are split over several
//!   entries (Windows Credential Manager stops at 2,560 bytes of UTF-16);
//! - no keyring is a hard failure (exit 6) unless the user opted into the plain-file store with
//!   `HUBLINK_INSECURE_STORAGE=1`. We fail closed where gh falls back silently.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use crate::error::{Error, Result, StorageProblem};
use crate::fsutil;
use crate::secret::Secret;

/// The keyring service name under which Hublink stores its entries (see [`service_name`]).
pub const SERVICE: &str = "hublink";
/// Characters per keyring entry: 1,000 UTF-16 code units stay under Credential Manager's
/// 2,560-byte blob limit whatever the characters are.
pub const CHUNK_CHARS: usize = 1000;
const CHUNK_HEADER: &str = "hublink-chunks:v2:";
const CHUNK_HEADER_V1: &str = "hublink-chunks:v1:";
/// How long one keyring call may take before it is reported as not answering.
pub(crate) const KEYRING_TIMEOUT: Duration = Duration::from_secs(10);

/// A place for secrets, keyed by hub identity.
pub trait SecretStore: Send + Sync {
    fn get(&self, key: &str) -> Result<Option<Secret>>;
    fn set(&self, key: &str, value: &Secret) -> Result<()>;
    /// Deleting what is not there is not an error.
    fn delete(&self, key: &str) -> Result<()>;

    /// Prove that a session could be kept, before the user is asked for a password: a read
    /// is not enough (a locked Secret Service collection can be read and not written), so a
    /// probe entry is written and deleted. Each check has a probe of its own (process id and
    /// a count): two sign-ins at once, in one process or two, wrote and deleted the same entry
    /// under each other and one failed as if the keyring were unusable.
    fn check_writable(&self) -> Result<()> {
        static CHECKS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = CHECKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let probe = format!("__hublink_write_probe_{}_{n}__", std::process::id());
        self.set(&probe, &Secret::new("probe"))?;
        self.delete(&probe)
    }
}

/// A store of short string values (one platform entry each). The keyring implements it; tests
/// use [`MemoryEntries`].
pub trait Entries: Send + Sync {
    fn get(&self, name: &str) -> Result<Option<String>>;
    fn set(&self, name: &str, value: &str) -> Result<()>;
    fn delete(&self, name: &str) -> Result<()>;

    /// The entry `name` and then the entries `more(name, head)` names, in that order, read as
    /// one operation: the keyring reads them all on one connection (a new Secret Service
    /// connection per entry made a 42-chunk session take seconds). The list stops after the
    /// first missing entry. `None`: there is no entry `name`.
    fn get_group(&self, name: &str, more: MoreEntries) -> Result<Option<Group>> {
        read_group(name, more, |n| Ok(self.get(n)?.map(Secret::new)))
    }
}

/// Which further entries an entry's value asks for (see [`Entries::get_group`]).
pub type MoreEntries = fn(name: &str, head: &str) -> Vec<String>;
/// An entry's value and the further entries it asked for (`None`: missing).
pub type Group = (Secret, Vec<Option<Secret>>);

/// [`Entries::get_group`] with `get` reading one entry.
fn read_group<E>(
    name: &str,
    more: MoreEntries,
    mut get: impl FnMut(&str) -> std::result::Result<Option<Secret>, E>,
) -> std::result::Result<Option<Group>, E> {
    let Some(head) = get(name)? else { return Ok(None) };
    let mut rest = Vec::new();
    for next in more(name, head.expose()) {
        let part = get(&next)?;
        let missing = part.is_none();
        rest.push(part);
        if missing {
            break;
        }
    }
    Ok(Some((head, rest)))
}

/// Splits values over as many [`Entries`] as they need.
///
/// A long value is written as numbered parts in one of two slots, `a` and `b`, then a header
/// naming the slot and the count. A new value goes to the slot the header does not name, and
/// the header is rewritten last, so a process killed anywhere in a write leaves the previous
/// value whole (its header still names its own, untouched parts) — never a mix of old and new
/// parts. Values written before the slots (`hublink-chunks:v1:<n>`, parts `<key>#<i>`) are
/// still read, and replaced at the next write.
pub struct Chunked<E> {
    entries: E,
}

/// Where a long value's parts are: its slot (`""` for a v1 value) and how many there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layout {
    slot: &'static str,
    count: usize,
}

/// Every slot a part may be found in, v1's included.
const SLOTS: [&str; 3] = ["", "a", "b"];

impl Layout {
    fn parse(header: &str) -> Option<Layout> {
        if let Some(n) = header.strip_prefix(CHUNK_HEADER_V1) {
            return Some(Layout { slot: "", count: n.parse().ok()? });
        }
        let (slot, n) = header.strip_prefix(CHUNK_HEADER)?.split_once(':')?;
        let slot = SLOTS.into_iter().find(|s| !s.is_empty() && *s == slot)?;
        Some(Layout { slot, count: n.parse().ok()? })
    }

    fn header(self) -> String {
        format!("{CHUNK_HEADER}{}:{}", self.slot, self.count)
    }
}

impl<E: Entries> Chunked<E> {
    pub fn new(entries: E) -> Self {
        Chunked { entries }
    }

    fn chunk_name(key: &str, slot: &str, i: usize) -> String {
        format!("{key}#{slot}{i}")
    }

    fn layout(&self, key: &str) -> Result<Option<Layout>> {
        Ok(self.entries.get(key)?.and_then(|h| Layout::parse(Secret::new(h).expose())))
    }

    /// Delete parts `from..=to` of `slot`, the last first: an interrupted deletion leaves a
    /// run that starts at `from`, which [`Self::sweep`] finds again.
    fn delete_parts(&self, key: &str, slot: &str, from: usize, to: usize) -> Result<()> {
        for i in (from..=to).rev() {
            self.entries.delete(&Self::chunk_name(key, slot, i))?;
        }
        Ok(())
    }

    /// Delete the run of parts `from..` of `slot` that exists (a crash may have left any number).
    fn sweep(&self, key: &str, slot: &str, from: usize) -> Result<()> {
        let mut end = from;
        while self.entries.get(&Self::chunk_name(key, slot, end))?.is_some() {
            end += 1;
        }
        self.delete_parts(key, slot, from, end - 1)
    }

    /// Write `parts` to the slot `old` does not use, then switch the header to them.
    fn set_parts(&self, key: &str, old: Option<Layout>, parts: &[Secret]) -> Result<Layout> {
        let slot = if old.map(|l| l.slot) == Some("a") { "b" } else { "a" };
        for (i, part) in parts.iter().enumerate() {
            self.entries.set(&Self::chunk_name(key, slot, i + 1), part.expose())?;
        }
        let layout = Layout { slot, count: parts.len() };
        self.entries.set(key, &layout.header())?;
        // Parts beyond the count that an interrupted longer write left in this slot.
        self.sweep(key, slot, parts.len() + 1)?;
        Ok(layout)
    }

    /// The chunks a header announces (none for a value kept whole).
    fn chunk_names(key: &str, head: &str) -> Vec<String> {
        Layout::parse(head).map_or_else(Vec::new, |l| (1..=l.count).map(|i| Self::chunk_name(key, l.slot, i)).collect())
    }
}

impl<E: Entries> SecretStore for Chunked<E> {
    fn get(&self, key: &str) -> Result<Option<Secret>> {
        // One Secret Service connection for the header and every part it names.
        let Some((head, parts)) = self.entries.get_group(key, Self::chunk_names)? else { return Ok(None) };
        let Some(layout) = Layout::parse(head.expose()) else { return Ok(Some(head)) };
        let mut whole = String::new();
        for i in 1..=layout.count {
            match parts.get(i - 1) {
                Some(Some(part)) => whole.push_str(part.expose()),
                _ => {
                    // Parts deleted behind the header's back (another tool, a half-done sign-out).
                    tracing::warn!(key, missing = i, of = layout.count, "stored session is incomplete; ignoring it");
                    return Ok(None);
                }
            }
        }
        Ok(Some(Secret::new(whole)))
    }

    fn set(&self, key: &str, value: &Secret) -> Result<()> {
        let old = self.layout(key)?;
        let chars: Vec<char> = value.expose().chars().collect();
        let new = if chars.len() <= CHUNK_CHARS {
            self.entries.set(key, value.expose())?;
            None
        } else {
            let parts: Vec<Secret> =
                chars.chunks(CHUNK_CHARS).map(|c| Secret::new(c.iter().collect::<String>())).collect();
            Some(self.set_parts(key, old, &parts)?)
        };
        // The header no longer names the old parts: remove them.
        if let Some(old) = old.filter(|o| new.map(|n| n.slot) != Some(o.slot)) {
            self.delete_parts(key, old.slot, 1, old.count)?;
        }
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<()> {
        let layout = self.layout(key)?;
        if let Some(l) = layout {
            self.delete_parts(key, l.slot, 1, l.count)?;
        }
        // Parts a crash left behind, in any slot, go too.
        for slot in SLOTS {
            let from = layout.filter(|l| l.slot == slot).map_or(1, |l| l.count + 1);
            self.sweep(key, slot, from)?;
        }
        self.entries.delete(key)
    }
}

/// The keyring service for a Hublink home: `hublink` for the default home, `hublink:<hash>`
/// for a `HUBLINK_HOME` of its own, so that two homes (profiles, test runs) never share or
/// overwrite each other's sessions.
pub fn service_name(custom_home: Option<&std::path::Path>) -> String {
    use sha2::Digest;
    match custom_home {
        None => SERVICE.to_owned(),
        Some(home) => {
            // By components: `/x/home/`, `/x/home` and `/x/./home` are one home, one namespace.
            let normalized: std::path::PathBuf = home.components().collect();
            let digest = sha2::Sha256::digest(normalized.to_string_lossy().as_bytes());
            let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
            format!("{SERVICE}:{hex}")
        }
    }
}

/// The OS keyring through the `keyring` crate (Secret Service, Keychain, Credential Manager).
pub struct KeyringEntries {
    service: String,
}

impl KeyringEntries {
    pub fn new(service: String) -> Self {
        KeyringEntries { service }
    }

    fn call<T: Send + 'static>(
        &self,
        name: &str,
        op: impl FnOnce(&keyring::Entry) -> keyring::Result<T> + Send + 'static,
    ) -> Result<T> {
        self.call_raw(name, op)?.map_err(|(_, e)| e)
    }

    /// One keyring call on the entry `name` (see [`Self::on_keyring_thread`]).
    fn call_raw<T: Send + 'static>(
        &self,
        name: &str,
        op: impl FnOnce(&keyring::Entry) -> keyring::Result<T> + Send + 'static,
    ) -> Result<std::result::Result<T, (bool, Error)>> {
        let name = name.to_owned();
        self.on_keyring_thread(move |service| keyring::Entry::new(service, &name).and_then(|e| op(&e)))
    }

    /// `op(service)` on its own thread, bounded by [`KEYRING_TIMEOUT`] — the reading of a
    /// refusal too (on Linux it asks the Secret Service again). The outer error is the
    /// timeout; the inner one says whether there is no keyring service at all.
    fn on_keyring_thread<T: Send + 'static>(
        &self,
        op: impl FnOnce(&str) -> keyring::Result<T> + Send + 'static,
    ) -> Result<std::result::Result<T, (bool, Error)>> {
        let service = self.service.clone();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let result = op(&service).map_err(|e| {
                let error = keyring_error(e);
                let no_service = matches!(error, Error::StorageUnavailable { problem: StorageProblem::NoService(_) });
                (no_service, error)
            });
            let _ = tx.send(result);
        });
        rx.recv_timeout(KEYRING_TIMEOUT).map_err(|_| Error::StorageUnavailable {
            problem: StorageProblem::Timeout { seconds: KEYRING_TIMEOUT.as_secs() },
        })
    }

    /// Is there a usable keyring? `Err(true, _)`: there is no keyring service at all (the one
    /// case where the plain-file opt-in applies); `Err(false, _)`: there is one, but it is
    /// locked, refused or did not answer — worth trying again later.
    fn probe(&self) -> std::result::Result<(), (bool, Error)> {
        let outcome = self.call_raw("__hublink_probe__", |e| match e.get_password() {
            Ok(_) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(other) => Err(other),
        });
        match outcome {
            Ok(result) => result,
            Err(timeout) => Err((false, timeout)),
        }
    }
}

fn keyring_error(e: keyring::Error) -> Error {
    // Display only: the Debug form of BadEncoding would print the stored bytes.
    let problem = match &e {
        keyring::Error::PlatformFailure(inner) => platform::failure_problem(inner.as_ref()),
        keyring::Error::NoStorageAccess(inner) => platform::access_problem(inner.as_ref()),
        keyring::Error::BadEncoding(_) => StorageProblem::BadEncoding,
        other => StorageProblem::Refused(other.to_string()),
    };
    Error::StorageUnavailable { problem }
}

#[cfg(target_os = "linux")]
#[path = "store/linux.rs"]
mod platform;
#[cfg(not(target_os = "linux"))]
#[path = "store/other.rs"]
mod platform;

impl Entries for KeyringEntries {
    fn get(&self, name: &str) -> Result<Option<String>> {
        self.call(name, |e| match e.get_password() {
            Ok(v) => Ok(Some(v)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(other) => Err(other),
        })
    }

    fn set(&self, name: &str, value: &str) -> Result<()> {
        let value = Secret::new(value);
        self.call(name, move |e| e.set_password(value.expose()))
    }

    fn delete(&self, name: &str) -> Result<()> {
        self.call(name, |e| match e.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(other) => Err(other),
        })
    }

    /// On one keyring connection where the platform has connections (Linux: one Secret
    /// Service session for the whole group; ~10–20 ms saved per entry).
    fn get_group(&self, name: &str, more: MoreEntries) -> Result<Option<Group>> {
        let name = name.to_owned();
        self.on_keyring_thread(move |service| platform::get_group(service, &name, more))?.map_err(|(_, e)| e)
    }
}

/// Plain files under `HUBLINK_HOME/insecure-secrets/`, mode 0600. Only with the explicit
/// `HUBLINK_INSECURE_STORAGE=1` opt-in, and announced on every command.
pub struct FileEntries {
    dir: PathBuf,
}

impl FileEntries {
    pub fn new(dir: PathBuf) -> Self {
        FileEntries { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        let safe: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
        self.dir.join(format!("{safe}.secret"))
    }
}

impl Entries for FileEntries {
    fn get(&self, name: &str) -> Result<Option<String>> {
        let path = self.path(name);
        match std::fs::read_to_string(&path) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    fn set(&self, name: &str, value: &str) -> Result<()> {
        fsutil::write_atomic(&self.path(name), value.as_bytes())
    }

    fn delete(&self, name: &str) -> Result<()> {
        let path = self.path(name);
        // Copies a process killed while writing this entry left behind go with it.
        fsutil::remove_stale_temps(&path);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(path, e)),
        }
    }
}

/// In-memory entries, for tests of the logic above. Never used in production wiring.
#[derive(Default)]
pub struct MemoryEntries {
    map: std::sync::Mutex<std::collections::BTreeMap<String, String>>,
}

impl MemoryEntries {
    pub fn names(&self) -> Vec<String> {
        self.map.lock().map(|m| m.keys().cloned().collect()).unwrap_or_default()
    }
}

impl Entries for MemoryEntries {
    fn get(&self, name: &str) -> Result<Option<String>> {
        Ok(self.map.lock().map_err(|_| Error::Internal("memory store poisoned".into()))?.get(name).cloned())
    }
    fn set(&self, name: &str, value: &str) -> Result<()> {
        self.map
            .lock()
            .map_err(|_| Error::Internal("memory store poisoned".into()))?
            .insert(name.to_owned(), value.to_owned());
        Ok(())
    }
    fn delete(&self, name: &str) -> Result<()> {
        self.map.lock().map_err(|_| Error::Internal("memory store poisoned".into()))?.remove(name);
        Ok(())
    }
}

impl<E: Entries> Entries for Arc<E> {
    fn get(&self, name: &str) -> Result<Option<String>> {
        (**self).get(name)
    }
    fn set(&self, name: &str, value: &str) -> Result<()> {
        (**self).set(name, value)
    }
    fn delete(&self, name: &str) -> Result<()> {
        (**self).delete(name)
    }
    fn get_group(&self, name: &str, more: MoreEntries) -> Result<Option<Group>> {
        (**self).get_group(name, more)
    }
}

/// The production choice: the OS keyring, or — only when `insecure_allowed` and the keyring
/// is unusable — plain files. The keyring is probed once, lazily, so commands that never touch
/// secrets (`list`, `link`, `hubs check`) work without one.
pub struct SystemStore {
    service: String,
    insecure_dir: PathBuf,
    insecure_allowed: bool,
    chosen: std::sync::OnceLock<Arc<dyn SecretStore>>,
}

impl SystemStore {
    pub fn new(service: String, insecure_dir: PathBuf, insecure_allowed: bool) -> Self {
        SystemStore { service, insecure_dir, insecure_allowed, chosen: std::sync::OnceLock::new() }
    }

    /// The chosen store. Only a success is remembered: a keyring that is locked or slow now
    /// may answer on the next call (the desktop app runs for days).
    fn inner(&self) -> Result<Arc<dyn SecretStore>> {
        if let Some(store) = self.chosen.get() {
            return Ok(store.clone());
        }
        let keyring = KeyringEntries::new(self.service.clone());
        let store: Arc<dyn SecretStore> = match keyring.probe() {
            Ok(()) => Arc::new(Chunked::new(keyring)),
            Err((true, e)) if self.insecure_allowed => {
                // Every command already says so (`Hublink::storage_warning`): not a second time.
                tracing::info!(reason = %e.cause(), "no keyring; storing sessions in plain files as HUBLINK_INSECURE_STORAGE=1 allows");
                Arc::new(Chunked::new(FileEntries::new(self.insecure_dir.clone())))
            }
            Err((_, e)) => return Err(e),
        };
        Ok(self.chosen.get_or_init(|| store).clone())
    }
}

impl SecretStore for SystemStore {
    fn get(&self, key: &str) -> Result<Option<Secret>> {
        self.inner()?.get(key)
    }
    /// As the trait says; a keyring service without a default keyring is first asked to create
    /// one through its own prompt (which shows where a desktop session can show it).
    fn check_writable(&self) -> Result<()> {
        let inner = self.inner()?;
        match inner.check_writable() {
            Err(Error::StorageUnavailable { problem: StorageProblem::NoDefaultKeyring })
                if platform::create_default_keyring(KEYRING_TIMEOUT) =>
            {
                inner.check_writable()
            }
            other => other,
        }
    }
    fn set(&self, key: &str, value: &Secret) -> Result<()> {
        self.inner()?.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<()> {
        self.inner()?.delete(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (Arc<MemoryEntries>, Chunked<Arc<MemoryEntries>>) {
        let m = Arc::new(MemoryEntries::default());
        (m.clone(), Chunked::new(m))
    }

    #[test]
    fn each_home_has_its_own_keyring_service() {
        assert_eq!(service_name(None), "hublink");
        let a = service_name(Some(std::path::Path::new("/tmp/a")));
        assert!(a.starts_with("hublink:") && a.len() == "hublink:".len() + 12, "{a}");
        assert_ne!(a, service_name(Some(std::path::Path::new("/tmp/b"))));
        assert_eq!(a, service_name(Some(std::path::Path::new("/tmp/a/"))), "a trailing slash is the same home");
        assert_eq!(a, service_name(Some(std::path::Path::new("/tmp/./a"))));
    }

    #[test]
    fn missing_is_none() {
        let (_, s) = store();
        assert!(s.get("abc").unwrap().is_none());
        s.delete("abc").unwrap();
    }

    #[test]
    fn small_values_use_one_entry() {
        let (m, s) = store();
        s.set("hub", &Secret::new("{\"a\":1}")).unwrap();
        assert_eq!(m.names(), vec!["hub"]);
        assert_eq!(s.get("hub").unwrap().unwrap().expose(), "{\"a\":1}");
    }

    #[test]
    fn any_size_round_trips_and_each_entry_fits_credential_manager() {
        let (m, s) = store();
        // Non-ASCII characters count double in UTF-16; make sure the limit is by characters.
        let big: String = "ä€x".repeat(3000);
        s.set("hub", &Secret::new(big.clone())).unwrap();
        assert_eq!(s.get("hub").unwrap().unwrap().expose(), big);
        for name in m.names() {
            let v = m.get(&name).unwrap().unwrap();
            assert!(v.encode_utf16().count() * 2 <= 2560, "{name} is too big for Credential Manager");
        }
        assert_eq!(m.names().len(), 1 + 9);
    }

    #[test]
    fn shrinking_removes_surplus_chunks_and_delete_removes_all() {
        let (m, s) = store();
        s.set("hub", &Secret::new("x".repeat(5 * CHUNK_CHARS))).unwrap();
        assert_eq!(m.names().len(), 6);
        s.set("hub", &Secret::new("y".repeat(2 * CHUNK_CHARS))).unwrap();
        assert_eq!(m.names().len(), 3);
        assert_eq!(s.get("hub").unwrap().unwrap().expose(), "y".repeat(2 * CHUNK_CHARS));
        s.set("hub", &Secret::new("small")).unwrap();
        assert_eq!(m.names(), vec!["hub"]);
        s.set("hub", &Secret::new("z".repeat(3 * CHUNK_CHARS))).unwrap();
        s.delete("hub").unwrap();
        assert!(m.names().is_empty());
    }

    #[test]
    fn delete_also_sweeps_chunks_a_crash_left_behind() {
        let (m, s) = store();
        s.set("hub", &Secret::new("x".repeat(3 * CHUNK_CHARS))).unwrap();
        m.set("hub", "small").unwrap(); // the header rewritten, the old chunks not yet removed
        s.delete("hub").unwrap();
        assert!(m.names().is_empty(), "{:?}", m.names());
    }

    /// Counts reads the way a keyring counts connections: one per `get`, one per group.
    #[derive(Default)]
    struct Counting {
        inner: MemoryEntries,
        gets: std::sync::atomic::AtomicUsize,
        groups: std::sync::atomic::AtomicUsize,
    }

    impl Entries for Counting {
        fn get(&self, name: &str) -> Result<Option<String>> {
            self.gets.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.inner.get(name)
        }
        fn set(&self, name: &str, value: &str) -> Result<()> {
            self.inner.set(name, value)
        }
        fn delete(&self, name: &str) -> Result<()> {
            self.inner.delete(name)
        }
        fn get_group(&self, name: &str, more: MoreEntries) -> Result<Option<Group>> {
            self.groups.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            read_group(name, more, |n| Ok(self.inner.get(n)?.map(Secret::new)))
        }
    }

    #[test]
    fn a_chunked_session_is_read_in_one_group_not_one_read_per_chunk() {
        use std::sync::atomic::Ordering::SeqCst;
        let s = Chunked::new(Counting::default());
        let big = "x".repeat(42 * CHUNK_CHARS);
        s.set("hub", &Secret::new(big.clone())).unwrap();
        s.entries.gets.store(0, SeqCst);
        assert_eq!(s.get("hub").unwrap().unwrap().expose(), big);
        assert_eq!((s.entries.gets.load(SeqCst), s.entries.groups.load(SeqCst)), (0, 1));
        assert!(s.get("other").unwrap().is_none());
        assert_eq!((s.entries.gets.load(SeqCst), s.entries.groups.load(SeqCst)), (0, 2));
    }

    #[test]
    fn a_group_stops_at_the_first_missing_entry() {
        let (m, _) = store();
        for name in ["head", "a", "c"] {
            m.set(name, name).unwrap();
        }
        let more: MoreEntries = |_, _| vec!["a".into(), "b".into(), "c".into()];
        let (head, rest) = m.get_group("head", more).unwrap().unwrap();
        assert_eq!(head.expose(), "head");
        let rest: Vec<Option<&str>> = rest.iter().map(|p| p.as_ref().map(Secret::expose)).collect();
        assert_eq!(rest, [Some("a"), None]);
        assert!(m.get_group("nothing", more).unwrap().is_none());
    }

    #[test]
    fn missing_chunk_reads_as_no_session() {
        let (m, s) = store();
        s.set("hub", &Secret::new("x".repeat(3 * CHUNK_CHARS))).unwrap();
        m.delete("hub#a2").unwrap();
        assert!(s.get("hub").unwrap().is_none());
    }

    /// Entries whose process "dies" (every call fails) after `budget` writes or deletes.
    struct Dying {
        inner: Arc<MemoryEntries>,
        budget: std::sync::atomic::AtomicUsize,
    }

    impl Dying {
        fn spend(&self) -> Result<()> {
            use std::sync::atomic::Ordering;
            self.budget
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| b.checked_sub(1))
                .map(|_| ())
                .map_err(|_| Error::Internal("killed".into()))
        }
    }

    impl Entries for Dying {
        fn get(&self, name: &str) -> Result<Option<String>> {
            self.inner.get(name)
        }
        fn set(&self, name: &str, value: &str) -> Result<()> {
            self.spend()?;
            self.inner.set(name, value)
        }
        fn delete(&self, name: &str) -> Result<()> {
            self.spend()?;
            self.inner.delete(name)
        }
    }

    #[test]
    fn a_write_killed_at_any_step_leaves_the_old_value_or_the_new_one_never_a_mix() {
        let sizes = [10, 2 * CHUNK_CHARS + 5, 3 * CHUNK_CHARS, CHUNK_CHARS + 1];
        for &old_len in &sizes {
            for &new_len in &sizes {
                for budget in 0..12 {
                    let m = Arc::new(MemoryEntries::default());
                    let old: String = (0..old_len).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
                    let new: String = (0..new_len).map(|i| char::from(b'A' + (i % 26) as u8)).collect();
                    Chunked::new(m.clone()).set("hub", &Secret::new(old.clone())).unwrap();
                    let dying = Chunked::new(Dying { inner: m.clone(), budget: budget.into() });
                    let finished = dying.set("hub", &Secret::new(new.clone())).is_ok();
                    let now = Chunked::new(m.clone()).get("hub").unwrap().unwrap();
                    let label = format!("{old_len} → {new_len}, killed after {budget} steps");
                    assert!(now.expose() == old || now.expose() == new, "{label}: a mix was read");
                    if finished {
                        assert_eq!(now.expose(), new, "{label}");
                    }
                    // Whatever the crash left, the next write and a delete leave nothing behind.
                    Chunked::new(m.clone()).set("hub", &Secret::new(new.clone())).unwrap();
                    assert_eq!(Chunked::new(m.clone()).get("hub").unwrap().unwrap().expose(), new, "{label}");
                    Chunked::new(m.clone()).delete("hub").unwrap();
                    assert!(m.names().is_empty(), "{label}: left {:?}", m.names());
                }
            }
        }
    }

    #[test]
    fn values_written_before_the_slots_are_read_and_replaced() {
        let (m, s) = store();
        let old = "o".repeat(2 * CHUNK_CHARS + 1);
        m.set("hub", "hublink-chunks:v1:3").unwrap();
        m.set("hub#1", &old[..CHUNK_CHARS]).unwrap();
        m.set("hub#2", &old[CHUNK_CHARS..2 * CHUNK_CHARS]).unwrap();
        m.set("hub#3", &old[2 * CHUNK_CHARS..]).unwrap();
        assert_eq!(s.get("hub").unwrap().unwrap().expose(), old);
        s.set("hub", &Secret::new("n".repeat(CHUNK_CHARS + 1))).unwrap();
        assert_eq!(m.names(), vec!["hub", "hub#a1", "hub#a2"], "the v1 parts are gone");
        s.set("hub", &Secret::new("m".repeat(CHUNK_CHARS + 1))).unwrap();
        assert_eq!(m.names(), vec!["hub", "hub#b1", "hub#b2"], "the slots alternate");
    }

    #[test]
    fn each_writability_check_has_a_probe_of_its_own_and_leaves_nothing() {
        let (entries, store) = store();
        let written = Arc::new(std::sync::Mutex::new(Vec::new()));
        struct Recording(Chunked<Arc<MemoryEntries>>, Arc<std::sync::Mutex<Vec<String>>>);
        impl SecretStore for Recording {
            fn get(&self, key: &str) -> Result<Option<Secret>> {
                self.0.get(key)
            }
            fn set(&self, key: &str, value: &Secret) -> Result<()> {
                self.1.lock().unwrap().push(key.to_owned());
                self.0.set(key, value)
            }
            fn delete(&self, key: &str) -> Result<()> {
                self.0.delete(key)
            }
        }
        let recording = Recording(store, written.clone());
        recording.check_writable().unwrap();
        recording.check_writable().unwrap();
        let names = written.lock().unwrap().clone();
        assert_eq!(names.len(), 2);
        assert_ne!(names[0], names[1]);
        assert!(names[0].contains(&std::process::id().to_string()), "{names:?}");
        assert!(entries.names().is_empty(), "{:?}", entries.names());
    }

    #[test]
    fn file_entries_are_private_files() {
        let dir = tempfile::tempdir().unwrap();
        let s = Chunked::new(FileEntries::new(dir.path().join("insecure")));
        s.set("0123abcd", &Secret::new("t".repeat(2500))).unwrap();
        assert_eq!(s.get("0123abcd").unwrap().unwrap().len(), 2500);
        s.delete("0123abcd").unwrap();
        assert!(s.get("0123abcd").unwrap().is_none());
    }
}
