//! hubs.ini: hubs provided by an administrator, one section per hub.
//!
//! ```ini
//! [Finance Hub]
//! url = https://finance.example.com/
//! ca_file = /etc/ssl/corp-root.pem   ; extra trusted CA
//! [Sales Hub]
//! link = hublink://add?url=https://sales.example.com/&name=Sales%20Hub
//! ```
//!
//! This is a small line-aware reader rather than `rust-ini`, because PRODUCT.md needs every
//! problem reported with its file, line and section, and one broken section must never hide
//! the others. `rust-ini` 0.21 gives a line number only for a hard parse error, which also
//! aborts the whole file; it keeps no line per key or section, merges or overwrites a
//! key given twice and a section given twice, and interprets `\` escapes. None of those fit.
//!
//! The format read here:
//! * UTF-8 with or without BOM, UTF-16 LE or BE with BOM; CRLF or LF line ends.
//! * Blank lines; comment lines starting with `;` or `#`.
//! * `[Section name]` (a `;`/`#` comment may follow the `]`); the name is the friendly name.
//! * `key = value`: keys trimmed and case-insensitive; values trimmed; an inline comment
//!   starts at `;` or `#` preceded by a space or tab; a value in double quotes is taken as
//!   it is between the quotes (so `name = "Team #1"` keeps its `#`). No escapes, no
//!   continuation lines.
//!
//! Policy (decided here, not in PRODUCT.md):
//! * A section with a syntax error on one of its lines is not loaded at all: a dropped
//!   `mfa = required` line must never turn into a hub without MFA.
//! * Problems are errors (the hub is not loaded) except [`IniProblem::is_warning`] ones:
//!   unknown keys and unknown link parameters (the hub is loaded, the key ignored) and a
//!   duplicate hub (the first one is loaded).
//! * `link = …`: the link is checked with the link rules first, then its values are used,
//!   then the section's other keys override them; `url` or `client_id` given in both places
//!   with different values is a conflict. The friendly name is the section name (as PRODUCT.md
//!   says), or an explicit `name` key; the link's own `name` is not used.
//! * A relative `ca_file` is relative to the folder of the ini file.
//! * Section names are compared case-insensitively when looking for duplicates, as hub names
//!   are case-insensitive on the command line.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use crate::link::{AuthLink, LinkError, decode_link};
use crate::settings::{Context, HubId, HubSettings, LINK_KEYS, SettingsError, printable};

/// Largest hubs.ini file read, in bytes.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// The environment variable that overrides the per-user hubs.ini folder.
pub const HUBS_DIR_ENV: &str = "HUBLINK_HUBS_DIR";

/// A hub read from a hubs.ini section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IniHub {
    pub settings: HubSettings,
    pub file: PathBuf,
    pub section: String,
    /// Line of the section header (1-based).
    pub line: usize,
}

/// One problem, with where it is. Displays as `<file>:<line>: [<section>] <reason>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IniProblem {
    pub file: PathBuf,
    /// 1-based line of the offending key, else of the section header; `None` for the file.
    pub line: Option<usize>,
    pub section: Option<String>,
    pub kind: IniProblemKind,
}

/// Why a file could not be decoded as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodingProblem {
    #[error("the file is not valid UTF-8")]
    InvalidUtf8,
    #[error("the file starts with a UTF-16 byte order mark but has an odd number of bytes (it is cut or not UTF-16)")]
    OddUtf16Length,
    #[error("the file is not valid UTF-16 (it has an unpaired surrogate)")]
    InvalidUtf16,
    #[error("the file contains NUL characters (it may be UTF-16 without a byte order mark)")]
    NulCharacter,
}

/// A line that is not INI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyntaxProblem {
    #[error("the section header has no closing `]`: write it as [Hub name]")]
    UnclosedSectionHeader,
    #[error("the section header has no name: write it as [Hub name]")]
    EmptySectionName,
    #[error("text follows the section header's `]`: put the name inside the brackets, or start a comment with ;")]
    TextAfterSectionHeader,
    #[error("this line is not `key = value`, a [section] header or a ; comment: add the `=` or comment the line out")]
    MissingEquals,
    #[error("the line has no key before `=`: write key = value")]
    EmptyKey,
    #[error("the value of `{key}` has an opening `\"` but no closing one: add the closing quote")]
    UnclosedQuote { key: String },
    #[error(
        "the value of `{key}` has text after its closing `\"`: put everything inside the quotes, or start a comment with ;"
    )]
    TextAfterQuote { key: String },
}

/// What is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IniProblemKind {
    #[error("cannot read it ({message}): check that it is a file and that you may read it")]
    Unreadable { kind: std::io::ErrorKind, message: String },

    #[error("it is larger than {max} bytes, which is too large for a hubs.ini file: check that this is the right file")]
    TooLarge { max: usize },

    #[error(
        "it is not a regular file (a FIFO, device or socket named *.ini) and is skipped: remove it from the hubs folder"
    )]
    NotRegularFile,

    #[error(
        "the file is not UTF-8, so it was read as Windows-1252 (\"ANSI\"); from line {line} on, check that names read as intended, or save it as UTF-8"
    )]
    ReadAsWindows1252 { line: usize },

    #[error("{problem}: open it in a text editor and save it as UTF-8")]
    Encoding { problem: EncodingProblem },

    #[error("{0}")]
    Syntax(SyntaxProblem),

    #[error("`ca_file` {} cannot be used: {reason}", .path.display())]
    CaFile { path: PathBuf, reason: String },

    #[error("{0}")]
    Settings(SettingsError),

    #[error("the link in `link` is not valid: {0}")]
    Link(LinkError),

    #[error("`{key}` is given both in the section and inside `link`, with different values: give it in one place only")]
    LinkConflict { key: String },

    #[error(
        "this section name was already used at line {first_line}; this section is ignored: rename it or merge the two"
    )]
    DuplicateSection { first_line: usize },

    #[error("this hub (same url and client_id) is already defined in {}, section [{other_section}]; this one is ignored: keep only one", .other_file.display())]
    DuplicateHub { other_file: PathBuf, other_section: String },

    #[error("`{key}` is not inside a section: put it under a [Hub name] header")]
    KeyOutsideSection { key: String },

    #[error("the section has no `url` or `link`: add url = https://… or remove the section")]
    EmptySection,

    #[error(
        "unknown key `{key}` is ignored: check its spelling (keys: url, name, issuer, client_id, scope, mfa, flow, redirect_port, session_check, extra_audiences, auth, session_cookie, login_path, max_session_days, ca_file, remember_idp_session, browser, link)"
    )]
    UnknownKey { key: String },

    #[error("unknown parameter `{key}` in `link` is ignored: check the link")]
    UnknownLinkParameter { key: String },
}

impl IniProblem {
    /// True when the hub concerned is still loaded (unknown keys, duplicate hub).
    pub fn is_warning(&self) -> bool {
        matches!(
            self.kind,
            IniProblemKind::UnknownKey { .. }
                | IniProblemKind::UnknownLinkParameter { .. }
                | IniProblemKind::DuplicateHub { .. }
                | IniProblemKind::ReadAsWindows1252 { .. }
        )
    }

    /// What the administrator (or user) can do about it.
    pub fn next_step(&self) -> &'static str {
        match &self.kind {
            IniProblemKind::Unreadable { .. } => "Check the file's permissions, or remove it from the hubs folder.",
            IniProblemKind::NotRegularFile => "Remove it from the hubs folder.",
            IniProblemKind::CaFile { .. } => {
                "Point `ca_file` at a readable PEM file holding the certificate authority (-----BEGIN CERTIFICATE-----)."
            }
            IniProblemKind::ReadAsWindows1252 { .. } => {
                "Save the file as UTF-8 (in Notepad: Save as → Encoding: UTF-8) and check it with `hublink hubs check`."
            }
            IniProblemKind::Encoding { .. } => {
                "Save the file as UTF-8 (or Notepad's \"Unicode\") and check it with `hublink hubs check`."
            }
            IniProblemKind::Settings(e) if matches!(e, SettingsError::SecretParameter { .. }) => e.next_step(),
            _ => "Fix the line named and check the file with `hublink hubs check`.",
        }
    }
}

impl fmt::Display for IniProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(": ")?;
        if let Some(section) = &self.section {
            write!(f, "[{}] ", printable(section, 100))?;
        }
        write!(f, "{}", self.kind)
    }
}

impl std::error::Error for IniProblem {}

/// The hubs and the problems found in one or more files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IniLoad {
    pub hubs: Vec<IniHub>,
    pub problems: Vec<IniProblem>,
}

impl IniLoad {
    /// True when some problem is not a warning.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| !p.is_warning())
    }
}

mod decode;
mod lines;
mod load;
mod section;

use decode::*;
use lines::*;
pub use load::{IniFingerprint, ca_file_problems, fingerprint, load_dirs, machine_hubs_dir, user_hubs_dir};
pub use section::parse_ini_bytes;
use section::*;

#[cfg(test)]
mod tests;
