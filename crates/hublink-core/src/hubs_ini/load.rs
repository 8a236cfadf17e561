//! Folders to hubs: which files are read (regular `*.ini` files only, bounded), in what
//! order, a cheap fingerprint of the folders, and where the folders are.

use super::*;

pub(super) fn read_limited(path: &Path) -> Result<Vec<u8>, IniProblemKind> {
    use crate::fsutil::ReadProblem;
    crate::fsutil::read_regular_file(path, MAX_FILE_BYTES).map_err(|e| match e {
        ReadProblem::NotRegular => IniProblemKind::NotRegularFile,
        ReadProblem::TooLarge { max } => IniProblemKind::TooLarge { max },
        ReadProblem::Io(e) => IniProblemKind::Unreadable { kind: e.kind(), message: e.to_string() },
    })
}

pub(super) fn list_ini_files(dir: &Path) -> Result<Vec<PathBuf>, std::io::Error> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("ini")) {
            files.push(path);
        }
    }
    let sort_key = |p: &PathBuf| {
        let name = p.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
        (name, p.file_name().map(OsString::from))
    };
    files.sort_by_key(sort_key);
    Ok(files)
}

/// What the hubs.ini folders hold, cheaply: every `*.ini` path with its modification time and
/// size. Equal fingerprints mean nothing to re-read (the desktop's watcher and the catalog
/// cache both use it).
pub type IniFingerprint = Vec<(PathBuf, Option<std::time::SystemTime>, u64)>;

pub fn fingerprint(dirs: &[PathBuf]) -> IniFingerprint {
    let mut out = Vec::new();
    for dir in dirs {
        let Ok(entries) = fs::read_dir(dir) else {
            // A path that is a file (`hubs check FILE`) stands for itself.
            if let Ok(meta) = fs::metadata(dir) {
                out.push((dir.clone(), meta.modified().ok(), meta.len()));
            }
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("ini")) {
                // Through symlinks: an ini that is a link to a managed file changes with it.
                let meta = fs::metadata(&path).ok();
                out.push((path, meta.as_ref().and_then(|m| m.modified().ok()), meta.map_or(0, |m| m.len())));
            }
        }
    }
    out.sort();
    out
}

/// A hub whose `ca_file` is missing, not a regular file or holds no PEM certificate stays
/// listed (signing in says what is wrong), and the file is reported as an error. Not part of
/// [`load_dirs`]'s result, which is cached: a fixed CA file must stop being reported without
/// the ini file changing.
pub fn ca_file_problems(load: &IniLoad) -> Vec<IniProblem> {
    load.hubs.iter().filter_map(ca_file_problem).collect()
}

fn ca_file_problem(hub: &IniHub) -> Option<IniProblem> {
    let path = hub.settings.ca_file.as_ref()?;
    let Err(crate::Error::CaFile { reason, .. }) = crate::http::load_ca_file(path) else { return None };
    Some(IniProblem {
        file: hub.file.clone(),
        line: Some(hub.line),
        section: Some(hub.section.clone()),
        kind: IniProblemKind::CaFile { path: path.clone(), reason },
    })
}

/// Reads every `*.ini` (any case) in each folder, files sorted by name (case-insensitively),
/// folders in the order given; a path that is a file is read whatever its name (for
/// `hublink hubs check FILE`). A missing path is not a problem; an unreadable one is one
/// problem. A hub defined again later (same identity) is reported and the first one kept; a
/// file reached twice (same canonical path) is read once.
pub fn load_dirs(dirs: &[PathBuf]) -> IniLoad {
    let mut out = IniLoad::default();
    let mut seen_hubs: HashMap<HubId, usize> = HashMap::new();
    let mut seen_files: HashSet<PathBuf> = HashSet::new();
    let unreadable = |path: &Path, e: &std::io::Error| IniProblem {
        file: path.to_path_buf(),
        line: None,
        section: None,
        kind: IniProblemKind::Unreadable { kind: e.kind(), message: e.to_string() },
    };
    for dir in dirs {
        let files = match fs::metadata(dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                out.problems.push(unreadable(dir, &e));
                continue;
            }
            Ok(meta) if meta.is_dir() => match list_ini_files(dir) {
                Ok(files) => files,
                Err(e) => {
                    out.problems.push(unreadable(dir, &e));
                    continue;
                }
            },
            Ok(_) => vec![dir.clone()],
        };
        for file in files {
            let identity = fs::canonicalize(&file).unwrap_or_else(|_| file.clone());
            if !seen_files.insert(identity) {
                continue;
            }
            match read_limited(&file) {
                Ok(bytes) => {
                    let load = parse_ini_bytes(&file, &bytes);
                    out.problems.extend(load.problems);
                    for hub in load.hubs {
                        add_unique(&mut out, &mut seen_hubs, hub);
                    }
                }
                Err(kind) => out.problems.push(IniProblem { file, line: None, section: None, kind }),
            }
        }
    }
    out
}

pub(super) fn resolve_user_hubs_dir(
    env: Option<OsString>,
    documents: Option<PathBuf>,
    home: Option<PathBuf>,
) -> Option<PathBuf> {
    if let Some(dir) = env.filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    documents
        .map(|d| d.join("Hublink").join("Hubs"))
        .or_else(|| home.map(|h| h.join("Documents").join("Hublink").join("Hubs")))
}

/// The per-user hubs.ini folder: `$HUBLINK_HUBS_DIR` (when set and not empty), else
/// `<Documents>/Hublink/Hubs`, else `<home>/Documents/Hublink/Hubs`.
pub fn user_hubs_dir() -> Option<PathBuf> {
    resolve_user_hubs_dir(std::env::var_os(HUBS_DIR_ENV), crate::platform::documents(), dirs::home_dir())
}

/// The machine-wide hubs.ini folder (per operating system, see [`crate::platform`]).
pub fn machine_hubs_dir() -> PathBuf {
    crate::platform::machine_dir()
}
