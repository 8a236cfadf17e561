//! The hub registry: link-added hubs, hidden admin hubs and what we last knew of each session
//! (never a secret). One JSON file, replaced atomically, changed only under a cross-process lock.
//! A file that cannot be read is set aside — kept, renamed — and reported; Hublink goes on.
//! Reading needs no write access: in a state folder that cannot be written (a read-only file
//! system or folder) the file is read without the lock — every write is an atomic rename, so a
//! reader always sees a whole file — and the hubs are listed with a warning that says so.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::fsutil::{self, FileLock};
use crate::paths::Paths;
use crate::settings::HubId;

const VERSION: u32 = 1;
/// How long a command waits for another process's change of the registry (which takes
/// milliseconds): longer means that process is stopped or hung.
/// Largest registry read: thousands of hubs take well under 1 MiB.
const MAX_BYTES: usize = 16 * 1024 * 1024;
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RegistryData {
    pub version: u32,
    /// Hubs added from links or addresses, in the order they were added.
    #[serde(default)]
    pub hubs: Vec<LinkRecord>,
    /// Identities of admin-provided hubs the user chose to hide.
    #[serde(default)]
    pub hidden: BTreeSet<HubId>,
    /// What we last knew of each hub's session, by identity.
    #[serde(default)]
    pub sessions: BTreeMap<HubId, SessionRecord>,
}

impl Default for RegistryData {
    fn default() -> Self {
        RegistryData { version: VERSION, hubs: Vec::new(), hidden: BTreeSet::new(), sessions: BTreeMap::new() }
    }
}

/// A hub added by the user. The canonical link is stored, not parsed fields, so a record that a
/// newer or older Hublink cannot parse is still kept verbatim when the file is rewritten.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LinkRecord {
    pub id: HubId,
    pub link: String,
    /// The link's signature (`sig`), when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
}

/// The non-secret side of a session, for listing without touching the keyring.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SessionRecord {
    pub user: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub signed_in_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// When a new interactive sign-in is needed (the session's horizon, not the access token's).
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub session_ends_at: Option<OffsetDateTime>,
    /// Why the last check found that a new sign-in is needed (cleared by the next success).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in_required: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RegistryWarning {
    /// The file could not be read; it was renamed to `kept_as` and an empty registry used.
    SetAside { kept_as: PathBuf, reason: String },
    /// The state folder cannot be written: read as it is, nothing can be saved.
    ReadOnly { folder: PathBuf, reason: String },
    /// The file could not be read and, the folder being read-only, was left where it is.
    Unreadable { path: PathBuf, reason: String },
}

/// Why the registry file cannot be used as it is: it is set aside (or, in a read-only folder,
/// left in place) and an empty registry is used.
#[derive(Debug, thiserror::Error)]
enum Damage {
    #[error("not valid: {0}")]
    NotValid(serde_json::Error),
    #[error("{0}")]
    NotReadable(fsutil::ReadProblem),
}

impl std::fmt::Display for RegistryWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegistryWarning::SetAside { kept_as, reason } => write!(
                f,
                "the hub registry could not be read ({reason}); it was kept as {} and Hublink started with an empty one — hubs.ini hubs are unaffected, re-add link hubs or restore the file",
                kept_as.display()
            ),
            RegistryWarning::ReadOnly { folder, reason } => write!(
                f,
                "Hublink's state folder {} cannot be written ({reason}): your hubs are listed, but adding, hiding or removing a hub and keeping a new sign-in will fail until it can be written",
                folder.display()
            ),
            RegistryWarning::Unreadable { path, reason } => write!(
                f,
                "the hub registry {} could not be read ({reason}) and the folder is read-only, so it was left as it is — only hubs.ini hubs are listed",
                path.display()
            ),
        }
    }
}

pub struct Registry {
    path: PathBuf,
    lock: PathBuf,
}

impl Registry {
    pub fn new(paths: &Paths) -> Registry {
        Registry { path: paths.registry(), lock: paths.registry_lock() }
    }

    /// Read the registry (setting a corrupt file aside). Writes replace the file atomically, so
    /// reading needs no lock — and works on a read-only home, and while another process is
    /// stuck holding the lock; only setting a damaged file aside takes it. A state folder that
    /// cannot be written is said (a warning), since nothing can be saved there.
    pub fn load(&self) -> Result<(RegistryData, Vec<RegistryWarning>)> {
        match self.read()? {
            Ok(data) => Ok((data, self.writability_warnings())),
            Err(_) => match FileLock::acquire_blocking(&self.lock, LOCK_WAIT) {
                Ok(_lock) => self.load_locked(),
                Err(Error::Io { source, .. }) if fsutil::is_not_writable(&source) => self.load_read_only(&source),
                Err(e) => Err(e),
            },
        }
    }

    /// A warning when the state folder cannot be written (a read-only mount, no permission):
    /// asked with `access(2)`, which never waits on a lock holder and creates nothing.
    fn writability_warnings(&self) -> Vec<RegistryWarning> {
        let folder = self.path.parent().map(PathBuf::from).unwrap_or_default();
        match folder_writable(&folder) {
            Err(e) if fsutil::is_not_writable(&e) => vec![RegistryWarning::ReadOnly { folder, reason: e.to_string() }],
            _ => Vec::new(),
        }
    }

    fn load_read_only(&self, why: &std::io::Error) -> Result<(RegistryData, Vec<RegistryWarning>)> {
        let folder = self.path.parent().map(PathBuf::from).unwrap_or_default();
        let mut warnings = vec![RegistryWarning::ReadOnly { folder, reason: why.to_string() }];
        let data = match self.read()? {
            Ok(data) => data,
            Err(damage) => {
                warnings.push(RegistryWarning::Unreadable { path: self.path.clone(), reason: damage.to_string() });
                RegistryData::default()
            }
        };
        Ok((data, warnings))
    }

    /// Read, change and write the registry as one step that other processes cannot interleave.
    pub fn update<T>(&self, change: impl FnOnce(&mut RegistryData) -> T) -> Result<(T, Vec<RegistryWarning>)> {
        let _lock = FileLock::acquire_blocking(&self.lock, LOCK_WAIT)?;
        let (mut data, warnings) = self.load_locked()?;
        let before = data.clone();
        let out = change(&mut data);
        if data != before {
            let bytes = serde_json::to_vec_pretty(&data).map_err(|e| Error::Internal(e.to_string()))?;
            fsutil::write_atomic(&self.path, &bytes)?;
        }
        Ok((out, warnings))
    }

    /// The file's data; `Ok(Err(damage))` when it is damaged (not JSON, not a regular file,
    /// too large). A missing file is an empty registry.
    fn read(&self) -> Result<std::result::Result<RegistryData, Damage>> {
        // Only a regular file, bounded: a FIFO or device in its place must not hang every command.
        Ok(match fsutil::read_regular_file(&self.path, MAX_BYTES) {
            Ok(bytes) => match serde_json::from_slice::<RegistryData>(&bytes) {
                Ok(data) if data.version <= VERSION => Ok(data),
                // Not corrupt, only newer: leave it for the Hublink that wrote it.
                Ok(data) => return Err(Error::NewerState { path: self.path.clone(), version: data.version }),
                Err(e) => Err(Damage::NotValid(e)),
            },
            Err(fsutil::ReadProblem::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(RegistryData::default()),
            Err(fsutil::ReadProblem::Io(e)) => return Err(Error::io(&self.path, e)),
            Err(problem) => Err(Damage::NotReadable(problem)),
        })
    }

    fn load_locked(&self) -> Result<(RegistryData, Vec<RegistryWarning>)> {
        let reason = match self.read()? {
            Ok(data) => return Ok((data, vec![])),
            Err(damage) => damage.to_string(),
        };
        let kept_as = fsutil::set_aside(&self.path)?;
        tracing::warn!(file = %self.path.display(), kept = %kept_as.display(), %reason, "hub registry set aside");
        Ok((RegistryData::default(), vec![RegistryWarning::SetAside { kept_as, reason }]))
    }
}

#[cfg(target_os = "linux")]
fn folder_writable(folder: &std::path::Path) -> std::io::Result<()> {
    rustix::fs::access(folder, rustix::fs::Access::WRITE_OK).map_err(std::io::Error::from)
}

/// Elsewhere a read-only folder shows when a change is saved (the lock cannot be created).
#[cfg(not(target_os = "linux"))]
fn folder_writable(_folder: &std::path::Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> (tempfile::TempDir, Paths, Registry) {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::at(dir.path().join("home"));
        let r = Registry::new(&paths);
        (dir, paths, r)
    }

    fn record(name: &str) -> LinkRecord {
        let id = HubId::parse(&format!("{name:0>16}")).unwrap();
        LinkRecord {
            id,
            link: format!("hublink://add?url=https://{name}.example/"),
            signature: None,
            added_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn missing_file_is_empty_and_updates_persist() {
        let (_d, paths, r) = registry();
        assert_eq!(r.load().unwrap().0, RegistryData::default());
        r.update(|d| d.hubs.push(record("a"))).unwrap();
        let (data, warnings) = Registry::new(&paths).load().unwrap();
        assert!(warnings.is_empty());
        assert_eq!(data.hubs, vec![record("a")]);
    }

    #[test]
    fn corrupt_file_is_set_aside_reported_and_kept() {
        let (_d, paths, r) = registry();
        std::fs::create_dir_all(&paths.home).unwrap();
        std::fs::write(paths.registry(), b"{\"version\":1,\"hubs\":[{\"id\":").unwrap();
        let (data, warnings) = r.load().unwrap();
        assert_eq!(data, RegistryData::default());
        let [RegistryWarning::SetAside { kept_as, reason }] = warnings.as_slice() else {
            panic!("expected one set-aside warning, got {warnings:?}")
        };
        assert!(reason.contains("not valid"), "{reason}");
        assert_eq!(std::fs::read(kept_as).unwrap(), b"{\"version\":1,\"hubs\":[{\"id\":");
        assert!(warnings[0].to_string().contains(&kept_as.display().to_string()));
        // The next write starts fresh and never touches the kept file.
        r.update(|d| d.hubs.push(record("b"))).unwrap();
        assert_eq!(std::fs::read(kept_as).unwrap(), b"{\"version\":1,\"hubs\":[{\"id\":");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_in_place_of_the_file_is_set_aside_not_waited_on() {
        let (_d, paths, r) = registry();
        std::fs::create_dir_all(&paths.home).unwrap();
        let made = std::process::Command::new("mkfifo").arg(paths.registry()).status().unwrap();
        assert!(made.success());
        let (data, warnings) = r.load().unwrap();
        assert_eq!(data, RegistryData::default());
        let [RegistryWarning::SetAside { kept_as, reason }] = warnings.as_slice() else {
            panic!("expected one set-aside warning, got {warnings:?}")
        };
        assert!(reason.contains("not a regular file"), "{reason}");
        assert!(kept_as.exists() && !paths.registry().exists());
    }

    #[test]
    fn a_lock_held_by_a_stuck_process_is_an_error_that_says_so_not_a_wait_for_ever() {
        let (_d, paths, r) = registry();
        r.update(|d| d.hubs.push(record("a"))).unwrap();
        let held = FileLock::acquire_blocking(&paths.registry_lock(), LOCK_WAIT).unwrap();
        assert_eq!(r.load().unwrap().0.hubs, vec![record("a")], "reading needs no lock");
        let started = std::time::Instant::now();
        let waited = std::thread::spawn(move || r.update(|d| d.hubs.clear()).map(|_| ())).join().unwrap();
        assert!(started.elapsed() < LOCK_WAIT + std::time::Duration::from_secs(5));
        let Err(e @ Error::Busy { .. }) = waited else { panic!("expected Busy, got {waited:?}") };
        assert!(e.cause().contains("registry.lock"), "{}", e.cause());
        assert!(e.next_step().contains("Nothing was changed"), "{}", e.next_step());
        drop(held);
        assert_eq!(Registry::new(&paths).load().unwrap().0.hubs, vec![record("a")], "nothing was changed");
    }

    #[test]
    fn a_home_where_no_lock_can_be_made_can_still_be_read() {
        let (_d, paths, r) = registry();
        r.update(|d| d.hubs.push(record("a"))).unwrap();
        // No lock can be made (as in a read-only home, for any user, root included).
        std::fs::remove_dir_all(paths.home.join("locks")).unwrap();
        std::fs::write(paths.home.join("locks"), b"a file where the locks folder goes").unwrap();
        assert!(r.update(|d| d.hubs.clear()).is_err(), "no change without the lock");
        assert_eq!(r.load().unwrap().0.hubs, vec![record("a")]);
    }

    #[test]
    fn newer_format_is_refused_and_left_in_place() {
        let (_d, paths, r) = registry();
        std::fs::create_dir_all(&paths.home).unwrap();
        std::fs::write(paths.registry(), b"{\"version\":99}").unwrap();
        assert!(matches!(r.load(), Err(Error::NewerState { version: 99, .. })));
        assert!(r.update(|d| d.hidden.insert(HubId::parse("000000000000000f").unwrap())).is_err());
        assert_eq!(std::fs::read(paths.registry()).unwrap(), b"{\"version\":99}");
    }

    const READ_ONLY_HOME: &str = "HUBLINK_TEST_READ_ONLY_HOME";

    /// The half of the next test that runs where `READ_ONLY_HOME` is a read-only mount.
    #[cfg(target_os = "linux")]
    #[test]
    #[ignore = "run by a_read_only_state_folder_is_read_without_the_lock, in a mount namespace"]
    fn read_only_child() {
        let Some(home) = std::env::var_os(READ_ONLY_HOME) else { return };
        let paths = Paths::at(PathBuf::from(home));
        let r = Registry::new(&paths);
        let (data, warnings) = r.load().unwrap();
        assert_eq!(data.hubs, vec![record("a")]);
        let [RegistryWarning::ReadOnly { folder, reason }] = warnings.as_slice() else { panic!("{warnings:?}") };
        assert_eq!(folder, &paths.home);
        assert!(reason.contains("Read-only file system"), "{reason}");
        assert!(warnings[0].to_string().contains("cannot be written"));
        assert!(r.update(|d| d.hubs.clear()).is_err(), "writing still needs the lock");
        println!("READ-ONLY CHILD OK");
    }

    /// Run the test `child` of this binary with `home` mounted read-only (a private mount
    /// namespace, through util-linux's `unshare`); its output.
    #[cfg(target_os = "linux")]
    fn in_read_only_mount(home: &std::path::Path, child: &str) -> String {
        let mut unshare = std::process::Command::new("unshare");
        if !rustix::process::geteuid().is_root() {
            unshare.arg("--map-root-user");
        }
        let script = r#"mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec "$2" --exact "$3" --ignored --nocapture --test-threads=1"#;
        let out = unshare
            .args(["--mount", "--", "sh", "-c", script, "sh"])
            .arg(home)
            .arg(std::env::current_exe().unwrap())
            .arg(child)
            .env(READ_ONLY_HOME, home)
            .output()
            .expect("unshare (util-linux) runs the read-only half");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{child}: {text}");
        text
    }

    /// A state folder on a read-only mount: the hubs are read without the lock and the warning
    /// says why nothing can be saved (the locks folder does not exist yet, as in a fresh or
    /// copied home); a corrupt file there is reported and left where it is.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_read_only_state_folder_is_read_without_the_lock() {
        let (_d, paths, r) = registry();
        r.update(|d| d.hubs.push(record("a"))).unwrap();
        std::fs::remove_dir_all(paths.home.join("locks")).unwrap();
        assert!(in_read_only_mount(&paths.home, "registry::tests::read_only_child").contains("READ-ONLY CHILD OK"));
        std::fs::write(paths.registry(), b"{broken").unwrap();
        let text = in_read_only_mount(&paths.home, "registry::tests::read_only_corrupt_child");
        assert!(text.contains("READ-ONLY CORRUPT OK"), "{text}");
        assert_eq!(std::fs::read(paths.registry()).unwrap(), b"{broken", "nothing set aside");
    }

    #[cfg(target_os = "linux")]
    #[test]
    #[ignore = "run by a_read_only_state_folder_is_read_without_the_lock, in a mount namespace"]
    fn read_only_corrupt_child() {
        let Some(home) = std::env::var_os(READ_ONLY_HOME) else { return };
        let (data, warnings) = Registry::new(&Paths::at(PathBuf::from(home))).load().unwrap();
        assert_eq!(data, RegistryData::default());
        assert!(
            matches!(warnings.as_slice(), [RegistryWarning::ReadOnly { .. }, RegistryWarning::Unreadable { .. }]),
            "{warnings:?}"
        );
        println!("READ-ONLY CORRUPT OK");
    }

    #[test]
    fn concurrent_updates_from_threads_lose_nothing() {
        let (_d, paths, _r) = registry();
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let paths = paths.clone();
                std::thread::spawn(move || {
                    Registry::new(&paths).update(|d| d.hubs.push(record(&format!("{i}")))).unwrap();
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(Registry::new(&paths).load().unwrap().0.hubs.len(), 8);
    }
}
