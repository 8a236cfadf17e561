//! Files that never lose data: atomic replacement, private permissions, cross-process locks.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Why [`read_regular_file`] read nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadProblem {
    #[error("it is not a regular file (it is a folder, FIFO, device or socket)")]
    NotRegular,
    #[error("it is larger than {max} bytes")]
    TooLarge { max: usize },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Read a file that a user or administrator may drop anywhere (hubs.ini, `ca_file`): only a
/// regular file, at most `max` bytes. Opened non-blocking and checked on the open handle, so a
/// FIFO or device can neither block the read nor feed it without end — not even one swapped in
/// after a look at the path.
pub fn read_regular_file(path: &Path, max: usize) -> std::result::Result<Vec<u8>, ReadProblem> {
    use std::io::Read;
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(ReadProblem::NotRegular);
    }
    let mut bytes = Vec::new();
    file.take(u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() > max {
        return Err(ReadProblem::TooLarge { max });
    }
    Ok(bytes)
}

/// `e` says this folder cannot be written here: a read-only file system, or no permission.
pub fn is_not_writable(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied)
}

/// Create `dir` (and parents) readable only by the user.
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|e| Error::io(dir, e))?;
    }
    Ok(())
}

/// Replace `path` with `bytes` so that a reader sees either the old or the new file, never a
/// mix: write a sibling temp file, flush it to disk, rename it over the target.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    ensure_private_dir(dir)?;
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("state");
    remove_stale_temps(path);
    let tmp = dir.join(format!(".{file_name}.tmp-{}-{}", std::process::id(), nanos()));
    let result = (|| {
        let mut f = private_options().open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        #[cfg(unix)]
        File::open(dir)?.sync_all()?;
        Ok(())
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// Remove the temp siblings of `path` (`.<name>.tmp-<pid>-<n>`) that a process killed in the
/// middle of [`write_atomic`] left behind, so that no old copy — of a session in plain-file
/// storage, say — outlives the file it was meant to replace. A temp file whose process still
/// runs (a write under way) is left alone; so is any file whose owner cannot be told.
pub fn remove_stale_temps(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else { return };
    let prefix = format!(".{name}.tmp-");
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else { continue };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else { continue };
        if pid != std::process::id() && !process_may_run(pid) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Could process `pid` still be running? Only "no" when that is certain.
fn process_may_run(pid: u32) -> bool {
    #[cfg(target_os = "linux")]
    {
        // Without /proc nothing can be told.
        !Path::new("/proc/self").exists() || Path::new("/proc").join(pid.to_string()).exists()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        true
    }
}

fn private_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

fn nanos() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

/// Move a file that cannot be read aside (never delete it) and return where it went.
pub fn set_aside(path: &Path) -> Result<PathBuf> {
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut target = path
        .with_file_name(format!("{}.corrupt-{stamp}", path.file_name().and_then(|n| n.to_str()).unwrap_or("state")));
    let mut n = 1;
    while target.exists() {
        target = path.with_file_name(format!(
            "{}.corrupt-{stamp}-{n}",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("state")
        ));
        n += 1;
    }
    fs::rename(path, &target).map_err(|e| Error::io(path, e))?;
    Ok(target)
}

/// An exclusive advisory lock on a file, held until dropped. Works across processes.
#[derive(Debug)]
pub struct FileLock {
    file: File,
}

impl FileLock {
    /// Wait up to `timeout` for the lock on `path` (created if missing).
    pub async fn acquire(path: &Path, timeout: Duration) -> Result<FileLock> {
        let file = open_lock_file(path)?;
        let start = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(FileLock { file }),
                Err(fs::TryLockError::WouldBlock) if start.elapsed() < timeout => {
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                Err(fs::TryLockError::WouldBlock) => return Err(busy(path, timeout)),
                Err(fs::TryLockError::Error(e)) => return Err(Error::io(path, e)),
            }
        }
    }

    /// The blocking variant, for code that is not async: waits up to `timeout`, never for
    /// ever (a process that holds the lock may be stopped or hung).
    pub fn acquire_blocking(path: &Path, timeout: Duration) -> Result<FileLock> {
        let file = open_lock_file(path)?;
        let start = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(FileLock { file }),
                Err(fs::TryLockError::WouldBlock) if start.elapsed() < timeout => {
                    std::thread::sleep(Duration::from_millis(25));
                }
                Err(fs::TryLockError::WouldBlock) => return Err(busy(path, timeout)),
                Err(fs::TryLockError::Error(e)) => return Err(Error::io(path, e)),
            }
        }
    }
}

fn busy(path: &Path, timeout: Duration) -> Error {
    Error::Busy { lock: path.to_owned(), seconds: timeout.as_secs() }
}

/// The lock file (created, with its private folder, if missing); its content is never used.
/// Created 0600 and never through a symlink: a link planted in the locks folder must not make
/// Hublink create or open a file elsewhere.
fn open_lock_file(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent() {
        ensure_private_dir(dir)?;
    }
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path).map_err(|e| Error::io(path, e))
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn lock_files_are_private_and_never_followed_through_a_symlink() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("locks").join("a.lock");
        drop(FileLock::acquire_blocking(&lock, Duration::from_secs(1)).unwrap());
        assert_eq!(fs::metadata(&lock).unwrap().permissions().mode() & 0o777, 0o600);
        let elsewhere = dir.path().join("elsewhere");
        let planted = dir.path().join("locks").join("b.lock");
        std::os::unix::fs::symlink(&elsewhere, &planted).unwrap();
        assert!(FileLock::acquire_blocking(&planted, Duration::from_secs(1)).is_err(), "a planted symlink is refused");
        assert!(!elsewhere.exists(), "nothing was created through it");
    }

    #[test]
    fn atomic_write_replaces_whole_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("hubs.json");
        write_atomic(&p, b"first version, rather long").unwrap();
        write_atomic(&p, b"second").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"second");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "temp files left behind: {names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn atomic_write_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        write_atomic(&p, b"x").unwrap();
        assert_eq!(fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn failed_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("hubs.json");
        write_atomic(&p, b"old").unwrap();
        // A directory where the file's temp sibling would go makes rename impossible.
        let target_as_dir = dir.path().join("sub");
        fs::create_dir(&target_as_dir).unwrap();
        fs::write(target_as_dir.join("x"), b"occupied").unwrap();
        assert!(write_atomic(&target_as_dir, b"new").is_err());
        assert_eq!(fs::read(&p).unwrap(), b"old");
        assert_eq!(fs::read(target_as_dir.join("x")).unwrap(), b"occupied");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn temp_files_of_killed_writers_are_removed_by_the_next_write_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc.secret");
        // A pid that cannot run (above the kernel's pid_max) and one that does (ours' parent).
        let dead = dir.path().join(".abc.secret.tmp-4294967295-1");
        let live = dir.path().join(format!(".abc.secret.tmp-{}-1", std::os::unix::process::parent_id()));
        let other = dir.path().join(".other.secret.tmp-4294967295-1");
        for f in [&dead, &live, &other] {
            fs::write(f, b"refresh-token-copy").unwrap();
        }
        write_atomic(&p, b"new").unwrap();
        assert!(!dead.exists(), "a dead writer's copy is gone");
        assert!(live.exists(), "a running writer's file is left alone");
        assert!(other.exists(), "another file's temps are not this write's business");
    }

    #[test]
    fn set_aside_keeps_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("hubs.json");
        fs::write(&p, b"{not json").unwrap();
        let kept = set_aside(&p).unwrap();
        assert!(!p.exists());
        assert_eq!(fs::read(&kept).unwrap(), b"{not json");
        fs::write(&p, b"again").unwrap();
        let kept2 = set_aside(&p).unwrap();
        assert_ne!(kept, kept2);
    }

    #[test]
    fn a_blocking_lock_gives_up_after_its_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("locks/a.lock");
        let held = FileLock::acquire_blocking(&p, Duration::from_secs(1)).unwrap();
        let p2 = p.clone();
        let second = std::thread::spawn(move || FileLock::acquire_blocking(&p2, Duration::from_millis(200)));
        assert!(matches!(second.join().unwrap(), Err(Error::Busy { seconds: 0, .. })));
        drop(held);
        FileLock::acquire_blocking(&p, Duration::from_millis(200)).unwrap();
    }

    #[tokio::test]
    async fn lock_is_exclusive_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("locks/a.lock");
        let first = FileLock::acquire(&p, Duration::from_secs(1)).await.unwrap();
        let second = FileLock::acquire(&p, Duration::from_millis(100)).await;
        assert!(second.is_err());
        drop(first);
        FileLock::acquire(&p, Duration::from_millis(100)).await.unwrap();
    }
}
