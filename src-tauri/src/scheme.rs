//! The `hublink:` scheme registered at run time on Linux — for a dev build, an AppImage or a
//! binary copied somewhere; the .deb and .rpm install their own desktop file (installer/linux).
//!
//! tauri-plugin-deep-link's `register_all()` writes `Exec="<path>" %u`. Debian's `xdg-open`
//! without a desktop environment takes the quoted path literally and fails ("Permission
//! denied", exit 4). So the handler file is written here, with the path quoted only when the
//! Desktop Entry Specification requires it, and made the default with `xdg-mime`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const MIME_TYPE: &str = "x-scheme-handler/hublink";

/// What registration did.
#[derive(Debug, PartialEq, Eq)]
pub enum Registered {
    /// A package installed a desktop file for this very executable: nothing to do per user.
    ByPackage(PathBuf),
    /// The per-user handler file (written or already current) is the default handler.
    /// `quoted`: the path needed quoting, which plain `xdg-open` cannot run.
    PerUser { file: PathBuf, quoted: bool },
}

/// Why registering the `hublink:` handler failed (logged; the app runs on without it).
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("cannot find {what}: {detail}")]
    NotFound { what: &'static str, detail: String },
    #[error("the path {0} is not UTF-8")]
    NotUtf8(PathBuf),
    #[error("the path {0:?} contains control characters")]
    ControlCharacters(String),
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{program} failed ({status}): {stderr}")]
    Failed { program: String, status: std::process::ExitStatus, stderr: String },
    #[error("cannot run {program}: {source}")]
    CannotRun {
        program: String,
        #[source]
        source: std::io::Error,
    },
}

/// Make `exe` the handler of `hublink:` links for this user. `data_home` is
/// `$XDG_DATA_HOME` (or `~/.local/share`), `data_dirs` the system data folders
/// (`$XDG_DATA_DIRS`) where packages put their desktop files.
pub fn register(
    app_name: &str,
    exe: &Path,
    data_home: &Path,
    data_dirs: &[PathBuf],
) -> Result<Registered, RegisterError> {
    if let Some(entry) = packaged_entry(exe, data_dirs) {
        return Ok(Registered::ByPackage(entry));
    }
    let path = exe.to_str().ok_or_else(|| RegisterError::NotUtf8(exe.to_owned()))?;
    let (exec, quoted) = exec_argument(path).ok_or_else(|| RegisterError::ControlCharacters(path.to_owned()))?;
    let file_name = handler_file_name(exe);
    let dir = data_home.join("applications");
    let file = dir.join(&file_name);
    let content = desktop_entry(app_name, &exec);
    if fs::read_to_string(&file).ok().as_deref() != Some(content.as_str()) {
        fs::create_dir_all(&dir).map_err(|source| RegisterError::Write { path: dir.clone(), source })?;
        fs::write(&file, &content).map_err(|source| RegisterError::Write { path: file.clone(), source })?;
    }
    // The desktop database (mimeinfo.cache) is a fallback for tools that ignore mimeapps.list;
    // without update-desktop-database the default set below still works.
    if let Err(e) = run("update-desktop-database", &[dir.as_os_str()]) {
        log::debug!("{e}");
    }
    run("xdg-mime", &["default".as_ref(), file_name.as_ref(), MIME_TYPE.as_ref()])?;
    Ok(Registered::PerUser { file, quoted })
}

/// The system data folders where packages put desktop files (`$XDG_DATA_DIRS`).
pub fn system_data_dirs() -> Vec<PathBuf> {
    let dirs = std::env::var("XDG_DATA_DIRS").ok().filter(|v| !v.is_empty());
    let dirs = dirs.as_deref().unwrap_or("/usr/local/share:/usr/share");
    dirs.split(':').filter(|d| !d.is_empty()).map(PathBuf::from).collect()
}

/// `<exe name>-handler.desktop`: the plugin's name, so a quoted file it wrote earlier is replaced.
pub fn handler_file_name(exe: &Path) -> String {
    let name = exe.file_name().map_or_else(|| "hublink-desktop".into(), |n| n.to_string_lossy());
    format!("{name}-handler.desktop")
}

fn desktop_entry(app_name: &str, exec: &str) -> String {
    format!(
        "[Desktop Entry]\nType=Application\nName={app_name}\nComment=Opens hublink: authentication links\n\
         Exec={exec} %u\nTerminal=false\nNoDisplay=true\nMimeType={MIME_TYPE};\n"
    )
}

/// The program path as the first word of an `Exec=` value, written as a desktop file value:
/// unquoted unless it holds a character the specification reserves (then quoted and escaped;
/// desktop environments and `gio open` understand that, Debian's generic `xdg-open` does not).
/// `%` becomes `%%`; a backslash is written `\\`. `None` for control characters.
pub fn exec_argument(path: &str) -> Option<(String, bool)> {
    const RESERVED: &[char] =
        &[' ', '\t', '\n', '"', '\'', '\\', '>', '<', '~', '|', '&', ';', '$', '*', '?', '#', '(', ')', '`'];
    if path.is_empty() || path.chars().any(char::is_control) {
        return None;
    }
    let quoted = path.contains(RESERVED);
    let arg = if quoted {
        let mut q = String::from('"');
        for c in path.chars() {
            if matches!(c, '"' | '`' | '$' | '\\') {
                q.push('\\');
            }
            q.push(c);
        }
        q.push('"');
        q
    } else {
        path.to_owned()
    };
    Some((arg.replace('%', "%%").replace('\\', "\\\\"), quoted))
}

/// A desktop file in a system data folder that declares the scheme for this executable.
fn packaged_entry(exe: &Path, data_dirs: &[PathBuf]) -> Option<PathBuf> {
    data_dirs.iter().filter_map(|d| fs::read_dir(d.join("applications")).ok()).flatten().flatten().find_map(|e| {
        let path = e.path();
        if path.extension()? != "desktop" || !e.file_type().ok()?.is_file() {
            return None;
        }
        let text = fs::read_to_string(&path).ok()?;
        declares_scheme_for(&text, exe).then_some(path)
    })
}

fn declares_scheme_for(desktop_file: &str, exe: &Path) -> bool {
    let value = |key: &str| {
        desktop_file.lines().find_map(|l| l.strip_prefix(key).and_then(|r| r.trim_start().strip_prefix('=')))
    };
    let has_mime = value("MimeType").is_some_and(|m| m.split(';').any(|t| t.trim() == MIME_TYPE));
    has_mime && value("Exec").and_then(program_of_exec).is_some_and(|p| Path::new(&p) == exe)
}

/// The program (first argument) of an `Exec=` value, unescaped.
fn program_of_exec(exec: &str) -> Option<String> {
    let exec = exec.trim().replace("\\\\", "\\");
    if let Some(rest) = exec.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => out.push(chars.next()?),
                '"' => return Some(out),
                c => out.push(c),
            }
        }
        None
    } else {
        exec.split_whitespace().next().map(str::to_owned)
    }
}

fn run(program: &str, args: &[&std::ffi::OsStr]) -> Result<(), RegisterError> {
    match Command::new(program).args(args).output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(RegisterError::Failed {
            program: program.to_owned(),
            status: out.status,
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        }),
        Err(source) => Err(RegisterError::CannotRun { program: program.to_owned(), source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_stay_unquoted() {
        assert_eq!(
            exec_argument("/home/a/hublink/target/debug/hublink-desktop"),
            Some(("/home/a/hublink/target/debug/hublink-desktop".into(), false))
        );
        assert_eq!(exec_argument("/opt/Hub-1.0_x/héllo"), Some(("/opt/Hub-1.0_x/héllo".into(), false)));
    }

    #[test]
    fn reserved_characters_are_quoted_and_escaped_as_the_specification_says() {
        assert_eq!(exec_argument("/home/a b/app"), Some(("\"/home/a b/app\"".into(), true)));
        // `$` escaped inside quotes (\$), then the backslash written as \\ in the file.
        assert_eq!(exec_argument("/x/$y"), Some((r#""/x/\\$y""#.into(), true)));
        assert_eq!(exec_argument("/x/100%"), Some(("/x/100%%".into(), false)));
        assert_eq!(exec_argument("/x/a\nb"), None);
        assert_eq!(exec_argument(""), None);
    }

    #[test]
    fn exec_round_trips_through_the_reader() {
        for p in ["/usr/bin/hublink-desktop", "/home/a b/app", "/x/$y\"z`w\\v"] {
            let (arg, _) = exec_argument(p).unwrap();
            assert_eq!(program_of_exec(&format!("{arg} %u")).as_deref(), Some(p), "{arg}");
        }
    }

    #[test]
    fn a_packaged_desktop_file_for_this_exe_means_no_per_user_file() {
        let sys = tempfile::tempdir().unwrap();
        let apps = sys.path().join("applications");
        fs::create_dir_all(&apps).unwrap();
        let exe = Path::new("/usr/bin/hublink-desktop");
        fs::write(
            apps.join("other.desktop"),
            "[Desktop Entry]\nExec=/usr/bin/other %u\nMimeType=x-scheme-handler/hublink;\n",
        )
        .unwrap();
        assert_eq!(packaged_entry(exe, &[sys.path().to_path_buf()]), None);
        fs::write(
            apps.join("Hublink.desktop"),
            "[Desktop Entry]\nExec=/usr/bin/hublink-desktop %u\nMimeType=x-scheme-handler/hublink;\n",
        )
        .unwrap();
        let home = tempfile::tempdir().unwrap();
        let got = register("Hublink", exe, home.path(), &[sys.path().to_path_buf()]).unwrap();
        assert_eq!(got, Registered::ByPackage(apps.join("Hublink.desktop")));
        assert!(!home.path().join("applications").exists());
    }

    #[test]
    fn the_handler_file_has_an_unquoted_exec_and_the_mime_type() {
        let text = desktop_entry("Hublink", &exec_argument("/w/target/debug/hublink-desktop").unwrap().0);
        assert!(text.contains("\nExec=/w/target/debug/hublink-desktop %u\n"), "{text}");
        assert!(text.contains("\nMimeType=x-scheme-handler/hublink;\n"), "{text}");
        assert!(declares_scheme_for(&text, Path::new("/w/target/debug/hublink-desktop")));
        assert_eq!(handler_file_name(Path::new("/w/target/debug/hublink-desktop")), "hublink-desktop-handler.desktop");
    }
}
