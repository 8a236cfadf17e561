//! Checking hubs.ini files (`hublink hubs check`), for administrators.

use std::path::{Path, PathBuf};

use crate::hubs_ini::{self, IniLoad};

/// What was checked, and what was found there.
#[derive(Debug)]
pub struct HubsFilesReport {
    /// The files or folders read, machine-wide first.
    pub dirs: Vec<PathBuf>,
    pub load: IniLoad,
}

/// Read hubs.ini files exactly as the app does — the given file or folder, else the
/// machine-wide and per-user folders — and report every hub and every problem (file, line,
/// reason), including a `ca_file` that cannot be used.
pub struct CheckHubsFiles;

impl CheckHubsFiles {
    pub fn run(&self, path: Option<&Path>) -> HubsFilesReport {
        let dirs = match path {
            Some(p) => vec![p.to_owned()],
            None => crate::catalog::hubs_ini_dirs(),
        };
        let mut load = hubs_ini::load_dirs(&dirs);
        load.problems.extend(hubs_ini::ca_file_problems(&load));
        HubsFilesReport { dirs, load }
    }
}
