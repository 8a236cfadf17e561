//! Where things are on each operating system: one file per OS, each with the same functions.

#[cfg(not(any(target_os = "macos", windows)))]
mod unix;
#[cfg(not(any(target_os = "macos", windows)))]
pub use unix::*;

#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "macos")]
pub use macos::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;

use std::path::PathBuf;

use crate::policy::{Policy, PolicyProblem};

/// The machine-wide folder: hubs.ini files and (Linux) `policy.json`. Debug builds — the ones
/// the test suites run — take `HUBLINK_MACHINE_DIR` instead, so tests need not write to
/// `/etc`; release builds never read that variable, so no user can point policy elsewhere.
pub fn machine_dir() -> PathBuf {
    #[cfg(debug_assertions)]
    if let Some(dir) = std::env::var_os("HUBLINK_MACHINE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    machine_hubs_dir()
}

/// The organisation's policy on this computer (the default when none is set). `Err` names the
/// source and what is wrong with it: callers fail closed.
pub fn load_policy() -> Result<Policy, (String, PolicyProblem)> {
    #[cfg(debug_assertions)]
    if std::env::var_os("HUBLINK_MACHINE_DIR").is_some_and(|d| !d.is_empty()) {
        return policy_file(&machine_dir().join("policy.json"));
    }
    read_policy()
}

/// A `policy.json` file: absent is no policy; anything else must be a valid policy.
pub fn policy_file(path: &std::path::Path) -> Result<Policy, (String, PolicyProblem)> {
    let origin = path.display().to_string();
    match crate::fsutil::read_regular_file(path, 1024 * 1024) {
        Ok(bytes) => Policy::from_json(origin.clone(), &bytes).map_err(|p| (origin, p)),
        Err(crate::fsutil::ReadProblem::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(Policy::default()),
        Err(e) => Err((origin, PolicyProblem::Unreadable(e.to_string()))),
    }
}

/// Make this process refuse core dumps and ptrace by other processes of the same user
/// (Linux `PR_SET_DUMPABLE` 0): a crash or SIGQUIT while a session is in memory must not write
/// its refresh token to disk. Called first thing by the CLI and the desktop app; elsewhere a
/// no-op (macOS and Windows do not write core dumps by default).
pub fn harden_process() {
    #[cfg(target_os = "linux")]
    unix::set_non_dumpable();
}

/// Make a file size limit (`ulimit -f`, RLIMIT_FSIZE) an ordinary write error (EFBIG) that is
/// reported with its fix, instead of SIGXFSZ killing the process in the middle of a write with
/// no word said. Call it inside a tokio runtime (`Runtime::enter`); the handler tokio installs
/// stays for the life of the process. Elsewhere than Unix a no-op.
pub fn report_file_size_limit() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Err(e) = signal(SignalKind::from_raw(libc::SIGXFSZ)) {
            tracing::warn!(error = %e, "a file size limit would end this process without a message");
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    /// In a child process (the limit is process-wide): with a file size limit of 0 bytes, a
    /// state file write fails with an error that says to free space, and the process lives.
    #[test]
    fn a_file_size_limit_is_an_error_not_a_silent_death() {
        const CHILD: &str = "HUBLINK_TEST_FSIZE_CHILD";
        if let Some(dir) = std::env::var_os(CHILD) {
            use rustix::process::{Resource, getrlimit, setrlimit};
            let limit = getrlimit(Resource::Fsize);
            setrlimit(Resource::Fsize, rustix::process::Rlimit { current: Some(0), maximum: limit.maximum }).unwrap();
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let _entered = runtime.enter();
            super::report_file_size_limit();
            let path = std::path::Path::new(&dir).join("hubs.json");
            let e = crate::fsutil::write_atomic(&path, b"{\"version\":1}").unwrap_err();
            assert!(e.next_step().contains("Free some space"), "{}", e.next_step());
            assert!(!path.exists());
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "platform::tests::a_file_size_limit_is_an_error_not_a_silent_death", "--nocapture"])
            .env(CHILD, dir.path())
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&child.stdout);
        assert!(child.status.success(), "the child died or failed ({:?}):\n{out}", child.status);
        assert!(out.contains("1 passed"), "{out}");
    }

    #[test]
    fn a_hardened_process_writes_no_core_dump() {
        super::harden_process();
        assert_eq!(super::unix::is_dumpable(), Some(false));
    }
}
