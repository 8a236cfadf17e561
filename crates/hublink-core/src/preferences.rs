//! The user's own choices for the desktop app, kept in `HUBLINK_HOME/preferences.json`:
//! when to warn before a session ends, whether Hublink starts at login and keeps running in
//! the tray, and a browser per hub. Never a secret. Written atomically; a file that cannot be
//! read is set aside (renamed, kept) and the defaults are used, with a warning.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::Result;
use crate::paths::Paths;
use crate::settings::HubId;

/// Days before a session's end from which "Renew by …" shows, by default.
pub const DEFAULT_RENEW_WARNING_DAYS: u32 = 3;
/// The most `renew_warning_days` may be.
pub const MAX_RENEW_WARNING_DAYS: u32 = 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Preferences {
    /// Days before a session's hard end (`max_session_days`, a refresh token's or cookie's end)
    /// from which the hub shows "Renew by <day>" and one notification a day. 0..=60.
    pub renew_warning_days: u32,
    /// Start Hublink, in the tray, when the user signs in to the computer. Off by default.
    pub start_at_login: bool,
    /// Closing the window keeps Hublink running in the tray. `None`: decided by Hublink — it
    /// keeps running while any session is kept fresh in the background.
    pub keep_running: Option<bool>,
    /// The command or browser profile for a hub's sign-in, chosen in the window (hubs.ini's
    /// `browser` is the administrator's; this one wins).
    pub browsers: BTreeMap<HubId, String>,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            renew_warning_days: DEFAULT_RENEW_WARNING_DAYS,
            start_at_login: false,
            keep_running: None,
            browsers: BTreeMap::new(),
        }
    }
}

impl Preferences {
    fn path(paths: &Paths) -> std::path::PathBuf {
        paths.home.join("preferences.json")
    }

    /// The saved preferences, or the defaults; a warning when a damaged file was set aside.
    pub fn load(paths: &Paths) -> (Preferences, Option<String>) {
        let path = Self::path(paths);
        let bytes = match crate::fsutil::read_regular_file(&path, 64 * 1024) {
            Ok(b) => b,
            Err(_) if !path.exists() => return (Preferences::default(), None),
            Err(e) => return (Preferences::default(), Some(format!("{}: {e}; the defaults are used", path.display()))),
        };
        match serde_json::from_slice::<Preferences>(&bytes) {
            Ok(mut p) => {
                p.renew_warning_days = p.renew_warning_days.min(MAX_RENEW_WARNING_DAYS);
                (p, None)
            }
            Err(e) => {
                let kept = crate::fsutil::set_aside(&path).map(|k| k.display().to_string()).unwrap_or_default();
                (
                    Preferences::default(),
                    Some(format!("{} could not be read ({e}); kept as {kept}, the defaults are used", path.display())),
                )
            }
        }
    }

    pub fn save(&self, paths: &Paths) -> Result<()> {
        let json =
            serde_json::to_vec_pretty(self).map_err(|e| crate::Error::Internal(format!("the preferences: {e}")))?;
        crate::fsutil::write_atomic(&Self::path(paths), &json)
    }

    /// A session ending at `ends_at` is within the warning window at `now`.
    pub fn renew_due(&self, ends_at: Option<OffsetDateTime>, now: OffsetDateTime) -> bool {
        ends_at.is_some_and(|end| end - now <= time::Duration::days(i64::from(self.renew_warning_days)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_and_a_damaged_file_is_set_aside_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::at(dir.path());
        assert_eq!(Preferences::load(&paths), (Preferences::default(), None));
        let mut p = Preferences { start_at_login: true, renew_warning_days: 7, ..Preferences::default() };
        p.browsers.insert(HubId::parse("0123456789abcdef").unwrap(), "firefox -P work".into());
        p.save(&paths).unwrap();
        assert_eq!(Preferences::load(&paths).0, p);
        std::fs::write(dir.path().join("preferences.json"), b"{not json").unwrap();
        let (loaded, warning) = Preferences::load(&paths);
        assert_eq!(loaded, Preferences::default());
        assert!(warning.unwrap().contains("kept as"));
        assert!(std::fs::read_dir(dir.path()).unwrap().count() >= 1, "the damaged file is kept");
    }

    #[test]
    fn the_warning_starts_inside_the_window() {
        let p = Preferences::default();
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(100);
        assert!(p.renew_due(Some(now + time::Duration::days(2)), now));
        assert!(p.renew_due(Some(now - time::Duration::days(1)), now), "already over");
        assert!(!p.renew_due(Some(now + time::Duration::days(4)), now));
        assert!(!p.renew_due(None, now));
    }
}
