//! Watches the hubs.ini folders and tells the page when they change, so an administrator's
//! new file shows up without a restart. Polling (every 2 s, a listing and file times only)
//! rather than OS notifications: it works for folders that do not exist yet, for network
//! shares where inotify/ReadDirectoryChanges stay silent, and costs nothing measurable.

use std::path::PathBuf;
use std::time::Duration;

const EVERY: Duration = Duration::from_secs(2);

use hublink_core::catalog::fingerprint;

/// Call `changed` (on a background thread) whenever the set of `*.ini` files in `dirs`, or one
/// of them, changes.
pub fn watch(dirs: Vec<PathBuf>, changed: impl Fn() + Send + 'static) {
    std::thread::Builder::new()
        .name("hubs-ini-watch".into())
        .spawn(move || {
            let mut last = fingerprint(&dirs);
            loop {
                std::thread::sleep(EVERY);
                let now = fingerprint(&dirs);
                if now != last {
                    log::info!("hubs.ini folders changed");
                    last = now;
                    changed();
                }
            }
        })
        .map(|_| ())
        .unwrap_or_else(|e| log::error!("cannot watch the hubs.ini folders: {e}"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_sees_new_and_changed_ini_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = vec![dir.path().to_path_buf(), dir.path().join("missing")];
        let empty = fingerprint(&dirs);
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        assert_eq!(fingerprint(&dirs), empty);
        std::fs::write(dir.path().join("a.INI"), "[A]\n").unwrap();
        let one = fingerprint(&dirs);
        assert_ne!(one, empty);
        std::fs::write(dir.path().join("a.INI"), "[A]\nurl = https://a/\n").unwrap();
        assert_ne!(fingerprint(&dirs), one);
    }
}
