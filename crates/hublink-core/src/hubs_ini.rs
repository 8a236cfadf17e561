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
        "unknown key `{key}` is ignored: check its spelling (keys: url, name, issuer, client_id, scope, mfa, flow, redirect_port, session_check, extra_audiences, max_session_days, ca_file, link)"
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

// ---- decoding ----------------------------------------------------------------------------

/// The file's text, and — when it had no BOM and was not UTF-8 — the line of the first byte
/// that is not UTF-8: such a file is what Notepad and PowerShell 5 save as "ANSI", and it is
/// read as Windows-1252 (the ANSI code page of Western Windows installs) with a warning,
/// rather than losing every hub in it. A file with a UTF-8 BOM must be UTF-8.
fn decode(bytes: &[u8]) -> Result<(String, Option<usize>), (EncodingProblem, Option<usize>)> {
    let mut ansi_from_line = None;
    let text = if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        decode_utf8(rest)?
    } else if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        decode_utf16(rest, u16::from_le_bytes)?
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        decode_utf16(rest, u16::from_be_bytes)?
    } else {
        match decode_utf8(bytes) {
            Ok(text) => text,
            Err((_, line)) if !bytes.contains(&0) => {
                ansi_from_line = line;
                encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned()
            }
            Err(e) => return Err(e),
        }
    };
    if let Some(pos) = text.find('\0') {
        let line = text.get(..pos).map_or(1, |before| before.matches('\n').count() + 1);
        return Err((EncodingProblem::NulCharacter, Some(line)));
    }
    Ok((text, ansi_from_line))
}

fn decode_utf8(bytes: &[u8]) -> Result<String, (EncodingProblem, Option<usize>)> {
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = bytes.get(..valid).map_or(1, |b| b.iter().filter(|&&c| c == b'\n').count() + 1);
        (EncodingProblem::InvalidUtf8, Some(line))
    })
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, (EncodingProblem, Option<usize>)> {
    if !bytes.len().is_multiple_of(2) {
        return Err((EncodingProblem::OddUtf16Length, None));
    }
    let units = bytes.chunks_exact(2).map(|pair| match pair {
        [a, b] => unit([*a, *b]),
        _ => 0,
    });
    char::decode_utf16(units).collect::<Result<String, _>>().map_err(|_| (EncodingProblem::InvalidUtf16, None))
}

// ---- reading lines into sections ---------------------------------------------------------

#[derive(Debug)]
struct Entry {
    /// Lowercased, trimmed key.
    key: String,
    value: String,
    line: usize,
}

#[derive(Debug)]
struct RawSection {
    name: String,
    line: usize,
    entries: Vec<Entry>,
    /// A line of this section could not be read: the section is not loaded.
    broken: bool,
}

#[derive(Clone, Copy)]
enum Current {
    None,
    Section(usize),
    /// After a bad or duplicate header: keys are skipped until the next header.
    Ignored,
}

fn is_comment_start(s: &str) -> bool {
    s.starts_with(';') || s.starts_with('#')
}

/// Cuts an inline comment: `;` or `#` preceded by a space or tab.
fn strip_inline_comment(value: &str) -> &str {
    let mut previous_blank = false;
    for (i, c) in value.char_indices() {
        if (c == ';' || c == '#') && previous_blank {
            return value.get(..i).unwrap_or(value);
        }
        previous_blank = c == ' ' || c == '\t';
    }
    value
}

fn parse_value(raw: &str, key: &str) -> Result<String, SyntaxProblem> {
    let start = raw.trim_start();
    if let Some(quoted) = start.strip_prefix('"') {
        let Some((inner, after)) = quoted.split_once('"') else {
            return Err(SyntaxProblem::UnclosedQuote { key: printable(key, 64) });
        };
        let after = after.trim();
        if after.is_empty() || is_comment_start(after) {
            return Ok(inner.to_owned());
        }
        return Err(SyntaxProblem::TextAfterQuote { key: printable(key, 64) });
    }
    // Cut on the untrimmed text, so that `key = ; comment` is an empty value.
    Ok(strip_inline_comment(raw).trim().to_owned())
}

fn read_sections(file: &Path, text: &str, problems: &mut Vec<IniProblem>) -> Vec<RawSection> {
    let mut sections: Vec<RawSection> = Vec::new();
    let mut current = Current::None;
    for (index, raw_line) in text.split('\n').enumerate() {
        let line_no = index + 1;
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line).trim();
        if line.is_empty() || is_comment_start(line) {
            continue;
        }
        let current_name = match current {
            Current::Section(i) => sections.get(i).map(|s| s.name.clone()),
            Current::None | Current::Ignored => None,
        };
        let mut problem = |section: Option<String>, kind| {
            problems.push(IniProblem { file: file.to_path_buf(), line: Some(line_no), section, kind });
        };

        if let Some(header) = line.strip_prefix('[') {
            current = Current::Ignored;
            let Some((name, after)) = header.split_once(']') else {
                problem(None, IniProblemKind::Syntax(SyntaxProblem::UnclosedSectionHeader));
                continue;
            };
            let name = name.trim();
            let after = after.trim();
            if !after.is_empty() && !is_comment_start(after) {
                problem(Some(name.to_owned()), IniProblemKind::Syntax(SyntaxProblem::TextAfterSectionHeader));
                continue;
            }
            if name.is_empty() {
                problem(None, IniProblemKind::Syntax(SyntaxProblem::EmptySectionName));
                continue;
            }
            let lower = name.to_lowercase();
            if let Some(first) = sections.iter().find(|s| s.name.to_lowercase() == lower) {
                let first_line = first.line;
                problem(Some(name.to_owned()), IniProblemKind::DuplicateSection { first_line });
                continue;
            }
            sections.push(RawSection { name: name.to_owned(), line: line_no, entries: Vec::new(), broken: false });
            current = Current::Section(sections.len() - 1);
            continue;
        }

        let mark_broken = |sections: &mut Vec<RawSection>| {
            if let Current::Section(i) = current
                && let Some(s) = sections.get_mut(i)
            {
                s.broken = true;
            }
        };
        let Some((raw_key, raw_value)) = line.split_once('=') else {
            problem(current_name, IniProblemKind::Syntax(SyntaxProblem::MissingEquals));
            mark_broken(&mut sections);
            continue;
        };
        let key = raw_key.trim().to_lowercase();
        if key.is_empty() {
            problem(current_name, IniProblemKind::Syntax(SyntaxProblem::EmptyKey));
            mark_broken(&mut sections);
            continue;
        }
        let value = match parse_value(raw_value, &key) {
            Ok(v) => v,
            Err(p) => {
                problem(current_name, IniProblemKind::Syntax(p));
                mark_broken(&mut sections);
                continue;
            }
        };
        match current {
            Current::None => problem(None, IniProblemKind::KeyOutsideSection { key: printable(&key, 64) }),
            Current::Ignored => {}
            Current::Section(i) => {
                if let Some(s) = sections.get_mut(i) {
                    s.entries.push(Entry { key, value, line: line_no });
                }
            }
        }
    }
    sections
}

// ---- sections into hubs ------------------------------------------------------------------

impl RawSection {
    fn first_line_of(&self, key: &str) -> Option<usize> {
        self.entries.iter().find(|e| e.key.eq_ignore_ascii_case(key)).map(|e| e.line)
    }

    fn last_line_of(&self, key: &str) -> Option<usize> {
        self.entries.iter().rev().find(|e| e.key.eq_ignore_ascii_case(key)).map(|e| e.line)
    }

    /// Where to point for a settings error: the key's line (the second one for a key given
    /// twice), else the `link` line when the value came from the link, else the header.
    fn line_for(&self, error: &SettingsError) -> usize {
        let from_key = error.key().and_then(|key| match error {
            SettingsError::Duplicate { .. } => self.last_line_of(key),
            _ => self.first_line_of(key),
        });
        from_key.or_else(|| self.first_line_of("link")).unwrap_or(self.line)
    }
}

fn build_hub(file: &Path, section: &RawSection, problems: &mut Vec<IniProblem>) -> Option<IniHub> {
    if section.broken {
        return None;
    }
    let mut problem = |line: usize, kind| {
        problems.push(IniProblem {
            file: file.to_path_buf(),
            line: Some(line),
            section: Some(section.name.clone()),
            kind,
        });
    };

    let links: Vec<&Entry> = section.entries.iter().filter(|e| e.key == "link").collect();
    let others: Vec<&Entry> = section.entries.iter().filter(|e| e.key != "link").collect();
    if links.is_empty() && !others.iter().any(|e| e.key == "url") {
        problem(section.line, IniProblemKind::EmptySection);
        return None;
    }
    if let Some(second) = links.get(1) {
        problem(second.line, IniProblemKind::Settings(SettingsError::Duplicate { key: "link".to_owned() }));
        return None;
    }

    let mut pairs: Vec<(String, String)> = Vec::new();
    if let Some(link_entry) = links.first() {
        let parsed =
            AuthLink::parse(&link_entry.value).and_then(|link| decode_link(&link_entry.value).map(|d| (link, d)));
        let decoded = match parsed {
            Ok((link, decoded)) => {
                for key in link.ignored {
                    problem(link_entry.line, IniProblemKind::UnknownLinkParameter { key });
                }
                decoded
            }
            Err(e) => {
                problem(link_entry.line, IniProblemKind::Link(e));
                return None;
            }
        };
        for key in ["url", "client_id"] {
            let in_link = decoded.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim());
            let in_section = others.iter().find(|e| e.key == key);
            if let (Some(a), Some(b)) = (in_link, in_section)
                && a != b.value.trim()
            {
                problem(b.line, IniProblemKind::LinkConflict { key: key.to_owned() });
                return None;
            }
        }
        pairs.extend(decoded.into_iter().filter(|(k, _)| {
            // The section name is the friendly name (PRODUCT.md), not the link's `name`.
            LINK_KEYS.contains(&k.as_str()) && k != "name" && !others.iter().any(|e| &e.key == k)
        }));
    }
    pairs.extend(others.iter().map(|e| (e.key.clone(), e.value.clone())));

    let ctx = Context::HubsIni { section_name: section.name.clone() };
    match HubSettings::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), ctx) {
        Ok((mut settings, unknown)) => {
            for key in unknown {
                let line =
                    section.entries.iter().find(|e| printable(&e.key, 64) == key).map_or(section.line, |e| e.line);
                problem(line, IniProblemKind::UnknownKey { key });
            }
            if let Some(ca) = &settings.ca_file
                && ca.is_relative()
                && let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty())
            {
                settings.ca_file = Some(dir.join(ca));
            }
            Some(IniHub { settings, file: file.to_path_buf(), section: section.name.clone(), line: section.line })
        }
        Err(e) => {
            let line = section.line_for(&e);
            problem(line, IniProblemKind::Settings(e));
            None
        }
    }
}

/// Adds `hub` unless a hub with the same identity is already there (then reports it).
fn add_unique(load: &mut IniLoad, seen: &mut HashMap<HubId, (PathBuf, String)>, hub: IniHub) {
    let id = hub.settings.id();
    if let Some((other_file, other_section)) = seen.get(&id) {
        load.problems.push(IniProblem {
            file: hub.file.clone(),
            line: Some(hub.line),
            section: Some(hub.section.clone()),
            kind: IniProblemKind::DuplicateHub { other_file: other_file.clone(), other_section: other_section.clone() },
        });
        return;
    }
    seen.insert(id, (hub.file.clone(), hub.section.clone()));
    load.hubs.push(hub);
}

/// Reads one hubs.ini file's bytes. `file` is only used in the results.
pub fn parse_ini_bytes(file: &Path, bytes: &[u8]) -> IniLoad {
    let mut load = IniLoad::default();
    let file_problem = |line, kind| IniProblem { file: file.to_path_buf(), line, section: None, kind };
    if bytes.len() > MAX_FILE_BYTES {
        load.problems.push(file_problem(None, IniProblemKind::TooLarge { max: MAX_FILE_BYTES }));
        return load;
    }
    let text = match decode(bytes) {
        Ok((text, ansi_from_line)) => {
            if let Some(line) = ansi_from_line {
                load.problems.push(file_problem(Some(line), IniProblemKind::ReadAsWindows1252 { line }));
            }
            text
        }
        Err((problem, line)) => {
            load.problems.push(file_problem(line, IniProblemKind::Encoding { problem }));
            return load;
        }
    };
    let mut problems = Vec::new();
    let sections = read_sections(file, &text, &mut problems);
    let mut hubs = Vec::new();
    for section in &sections {
        if let Some(hub) = build_hub(file, section, &mut problems) {
            hubs.push(hub);
        }
    }
    let mut seen = HashMap::new();
    load.problems.append(&mut problems);
    for hub in hubs {
        add_unique(&mut load, &mut seen, hub);
    }
    load.problems.sort_by_key(|p| p.line.unwrap_or(0));
    load
}

fn read_limited(path: &Path) -> Result<Vec<u8>, IniProblemKind> {
    use crate::fsutil::ReadProblem;
    crate::fsutil::read_regular_file(path, MAX_FILE_BYTES).map_err(|e| match e {
        ReadProblem::NotRegular => IniProblemKind::NotRegularFile,
        ReadProblem::TooLarge { max } => IniProblemKind::TooLarge { max },
        ReadProblem::Io(e) => IniProblemKind::Unreadable { kind: e.kind(), message: e.to_string() },
    })
}

fn list_ini_files(dir: &Path) -> Result<Vec<PathBuf>, std::io::Error> {
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

/// A hub whose `ca_file` is missing, not a regular file or holds no PEM certificate stays
/// listed (signing in says what is wrong), and the file is reported as an error.
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
    let mut seen_hubs: HashMap<HubId, (PathBuf, String)> = HashMap::new();
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
                    out.problems.extend(load.hubs.iter().filter_map(ca_file_problem));
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

fn resolve_user_hubs_dir(env: Option<OsString>, documents: Option<PathBuf>, home: Option<PathBuf>) -> Option<PathBuf> {
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
    resolve_user_hubs_dir(std::env::var_os(HUBS_DIR_ENV), dirs::document_dir(), dirs::home_dir())
}

/// The machine-wide hubs.ini folder.
#[cfg(windows)]
pub fn machine_hubs_dir() -> PathBuf {
    let base = std::env::var_os("ProgramData")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(r"C:\ProgramData"), PathBuf::from);
    base.join("Hublink")
}

/// The machine-wide hubs.ini folder.
#[cfg(target_os = "macos")]
pub fn machine_hubs_dir() -> PathBuf {
    PathBuf::from("/Library/Application Support/Hublink")
}

/// The machine-wide hubs.ini folder.
#[cfg(not(any(windows, target_os = "macos")))]
pub fn machine_hubs_dir() -> PathBuf {
    PathBuf::from("/etc/hublink")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{Flow, NameProblem};

    const SAMPLE: &str = "; One section per hub; the section name is the friendly name.\n\
        [Finance Hub]\n\
        url = https://finance.example.com/\n\
        issuer = https://login.example.com/realms/corp\n\
        client_id = hublink-desktop\n\
        mfa = required\n\
        max_session_days = 30\n\
        ca_file = /etc/ssl/corp-root.pem   ; extra trusted CA for this hub (files only, never links)\n\
        \n\
        [Sales Hub]\n\
        link = hublink://add?url=https://sales.example.com/&name=Sales%20Hub\n\
        \n\
        [Café Straße]\n\
        url = \"https://cafe.example.com/\"  # quoted\n";

    fn file() -> PathBuf {
        PathBuf::from("/etc/hublink/hubs.ini")
    }

    fn parse(text: &str) -> IniLoad {
        parse_ini_bytes(&file(), text.as_bytes())
    }

    fn utf16(text: &str, little_endian: bool) -> Vec<u8> {
        let mut out = if little_endian { vec![0xFF, 0xFE] } else { vec![0xFE, 0xFF] };
        for unit in text.encode_utf16() {
            out.extend(if little_endian { unit.to_le_bytes() } else { unit.to_be_bytes() });
        }
        out
    }

    fn only_problem(load: &IniLoad) -> &IniProblem {
        assert_eq!(load.problems.len(), 1, "{:#?}", load.problems);
        &load.problems[0]
    }

    #[test]
    fn product_md_sample() {
        let load = parse(SAMPLE);
        assert!(load.problems.is_empty(), "{:#?}", load.problems);
        assert_eq!(load.hubs.len(), 3);
        let finance = &load.hubs[0];
        assert_eq!((finance.section.as_str(), finance.line), ("Finance Hub", 2));
        assert_eq!(finance.settings.name, "Finance Hub");
        assert_eq!(finance.settings.issuer, "https://login.example.com/realms/corp");
        assert_eq!(finance.settings.client_id, "hublink-desktop");
        assert!(finance.settings.mfa_required);
        assert_eq!(finance.settings.ca_file, Some(PathBuf::from("/etc/ssl/corp-root.pem")));
        let sales = &load.hubs[1];
        assert_eq!(sales.settings.url.as_str(), "https://sales.example.com/");
        assert_eq!(sales.settings.name, "Sales Hub");
        assert_eq!(sales.line, 10);
        let cafe = &load.hubs[2];
        assert_eq!(cafe.settings.name, "Café Straße");
        assert_eq!(cafe.settings.url.as_str(), "https://cafe.example.com/");
    }

    #[test]
    fn every_encoding_gives_the_same_hubs() {
        let reference = parse(SAMPLE);
        let crlf = SAMPLE.replace('\n', "\r\n");
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend(SAMPLE.as_bytes());
        let variants: Vec<(&str, Vec<u8>)> = vec![
            ("utf-8", SAMPLE.as_bytes().to_vec()),
            ("utf-8 bom", bom),
            ("utf-16le bom", utf16(SAMPLE, true)),
            ("utf-16be bom", utf16(SAMPLE, false)),
            ("crlf", crlf.as_bytes().to_vec()),
            ("utf-16le bom crlf", utf16(&crlf, true)),
        ];
        for (label, bytes) in variants {
            let load = parse_ini_bytes(&file(), &bytes);
            assert_eq!(load, reference, "{label}");
        }
    }

    #[test]
    fn a_broken_section_does_not_hide_the_others() {
        let text = "[Good One]\nurl = https://one.example.com/\n\n[Broken]\nurl = https://two.example.com/\nflow = sideways\n\n[Good Two]\nurl = https://three.example.com/\n";
        let load = parse(text);
        assert_eq!(load.hubs.iter().map(|h| h.section.as_str()).collect::<Vec<_>>(), ["Good One", "Good Two"]);
        let p = only_problem(&load);
        assert_eq!(p.line, Some(6));
        assert_eq!(p.section.as_deref(), Some("Broken"));
        assert!(matches!(&p.kind, IniProblemKind::Settings(SettingsError::BadValue { key, .. }) if key == "flow"));
        assert!(!p.is_warning());
        let shown = p.to_string();
        assert!(shown.starts_with("/etc/hublink/hubs.ini:6: [Broken] `flow`"), "{shown}");
    }

    #[test]
    fn a_syntax_error_refuses_its_whole_section() {
        let text = "[Strict]\nurl = https://one.example.com/\nmfa required\n[Fine]\nurl = https://two.example.com/\n";
        let load = parse(text);
        assert_eq!(load.hubs.len(), 1);
        assert_eq!(load.hubs[0].section, "Fine");
        let p = only_problem(&load);
        assert_eq!((p.line, p.section.as_deref()), (Some(3), Some("Strict")));
        assert_eq!(p.kind, IniProblemKind::Syntax(SyntaxProblem::MissingEquals));
    }

    #[test]
    fn duplicate_sections_first_wins() {
        let text = "[Hub]\nurl = https://one.example.com/\n[hub]\nurl = https://two.example.com/\n";
        let load = parse(text);
        assert_eq!(load.hubs.len(), 1);
        assert_eq!(load.hubs[0].settings.url.as_str(), "https://one.example.com/");
        let p = only_problem(&load);
        assert_eq!(p.line, Some(3));
        assert_eq!(p.kind, IniProblemKind::DuplicateSection { first_line: 1 });
    }

    #[test]
    fn the_same_hub_twice_in_a_file_is_one_hub() {
        let text = "[A]\nurl = https://hub.example.com\n[B]\nurl = HTTPS://HUB.example.com:443/\n";
        let load = parse(text);
        assert_eq!(load.hubs.len(), 1);
        let p = only_problem(&load);
        assert_eq!(p.line, Some(3));
        assert_eq!(p.kind, IniProblemKind::DuplicateHub { other_file: file(), other_section: "A".into() });
        assert!(p.is_warning());
    }

    #[test]
    fn link_sections() {
        let text = "[Sales]\n\
            link = hublink://add?url=https://sales.example.com/&name=Sales%20Hub&mfa=required&utm=x\n\
            flow = device\n\
            max_session_days = 7\n\
            [Named]\n\
            link = hublink://add?url=https://named.example.com/&name=From%20Link\n\
            name = From Key\n\
            [Plain]\n\
            link = hublink://add?url=https://plain.example.com/\n\
            [Same url]\n\
            link = hublink://add?url=https://same.example.com/\n\
            url = https://same.example.com/\n";
        let load = parse(text);
        assert_eq!(load.hubs.len(), 4, "{:#?}", load.problems);
        let sales = &load.hubs[0].settings;
        assert_eq!(sales.name, "Sales", "the section name is the friendly name, not the link's");
        assert!(sales.mfa_required);
        assert_eq!(sales.flow, Flow::Device);
        assert_eq!(sales.max_session_days, 7);
        assert_eq!(load.hubs[1].settings.name, "From Key");
        assert_eq!(load.hubs[2].settings.name, "Plain");
        let p = only_problem(&load);
        assert_eq!((p.line, p.kind.clone()), (Some(2), IniProblemKind::UnknownLinkParameter { key: "utm".into() }));
        assert!(p.is_warning());
    }

    #[test]
    fn link_section_problems() {
        let text = "[Conflict]\n\
            link = hublink://add?url=https://a.example.com/\n\
            url = https://b.example.com/\n\
            [Client conflict]\n\
            link = hublink://add?url=https://c.example.com/&client_id=one\n\
            client_id = two\n\
            [Bad link]\n\
            link = https://not-a-link.example.com/\n\
            [CA in link]\n\
            link = hublink://add?url=https://d.example.com/&ca_file=/x.pem\n\
            [Two links]\n\
            link = hublink://add?url=https://e.example.com/\n\
            link = hublink://add?url=https://f.example.com/\n";
        let load = parse(text);
        assert!(load.hubs.is_empty(), "{:#?}", load.hubs);
        let got: Vec<(Option<usize>, IniProblemKind)> =
            load.problems.iter().map(|p| (p.line, p.kind.clone())).collect();
        assert_eq!(
            got,
            [
                (Some(3), IniProblemKind::LinkConflict { key: "url".into() }),
                (Some(6), IniProblemKind::LinkConflict { key: "client_id".into() }),
                (Some(8), IniProblemKind::Link(LinkError::NotAHublinkLink { scheme: Some("https".into()) })),
                (
                    Some(10),
                    IniProblemKind::Link(LinkError::Settings(SettingsError::NotInLink { key: "ca_file".into() }))
                ),
                (Some(13), IniProblemKind::Settings(SettingsError::Duplicate { key: "link".into() })),
            ]
        );
    }

    #[test]
    fn inline_comments_and_quotes() {
        let text = "[Hub] ; the main one\n\
            url = https://hub.example.com/ # trailing\n\
            name = \"Team #1 ; best\"   ; comment after quotes\n\
            client_id = app;v2\n\
            scope = openid email\t;tab before\n\
            issuer = https://login.example.com/x#frag\n";
        let load = parse(text);
        // `#frag` is not a comment (no blank before it): the issuer is refused.
        let p = only_problem(&load);
        assert_eq!(p.kind, IniProblemKind::Settings(SettingsError::Fragment { key: "issuer".into() }));
        assert_eq!(p.line, Some(6));

        let load = parse(&text.replace("/x#frag", "/x  #frag"));
        assert!(load.problems.is_empty(), "{:#?}", load.problems);
        let s = &load.hubs[0].settings;
        assert_eq!(s.name, "Team #1 ; best");
        assert_eq!(s.client_id, "app;v2");
        assert_eq!(s.issuer, "https://login.example.com/x");
        assert_eq!(s.scopes, ["openid", "email"]);
    }

    #[test]
    fn quoting_problems() {
        let load = parse(
            "[A]\nurl = \"https://a.example.com/\n[B]\nurl = \"https://b.example.com/\" x\n[C]\nurl = https://c.example.com/\n",
        );
        assert_eq!(load.hubs.len(), 1);
        let got: Vec<_> = load.problems.iter().map(|p| (p.line, p.kind.clone())).collect();
        assert_eq!(
            got,
            [
                (Some(2), IniProblemKind::Syntax(SyntaxProblem::UnclosedQuote { key: "url".into() })),
                (Some(4), IniProblemKind::Syntax(SyntaxProblem::TextAfterQuote { key: "url".into() })),
            ]
        );
    }

    #[test]
    fn key_outside_any_section() {
        let load = parse("url = https://stray.example.com/\n[Hub]\nurl = https://hub.example.com/\n");
        assert_eq!(load.hubs.len(), 1);
        let p = only_problem(&load);
        assert_eq!((p.line, p.section.clone()), (Some(1), None));
        assert_eq!(p.kind, IniProblemKind::KeyOutsideSection { key: "url".into() });
        assert_eq!(
            p.to_string(),
            "/etc/hublink/hubs.ini:1: `url` is not inside a section: put it under a [Hub name] header"
        );
    }

    #[test]
    fn header_problems() {
        let load = parse("[Unclosed\nurl = https://a.example.com/\n[]\n[X] y\n[Ok]\nurl = https://ok.example.com/\n");
        assert_eq!(load.hubs.len(), 1);
        let got: Vec<_> = load.problems.iter().map(|p| (p.line, p.kind.clone())).collect();
        assert_eq!(
            got,
            [
                (Some(1), IniProblemKind::Syntax(SyntaxProblem::UnclosedSectionHeader)),
                (Some(3), IniProblemKind::Syntax(SyntaxProblem::EmptySectionName)),
                (Some(4), IniProblemKind::Syntax(SyntaxProblem::TextAfterSectionHeader)),
            ]
        );
    }

    #[test]
    fn empty_section_and_unknown_keys() {
        let load = parse("[Empty]\n[Name only]\nname = x\n[Hub]\nurl = https://hub.example.com/\nColour = blue\n");
        assert_eq!(load.hubs.len(), 1);
        let got: Vec<_> = load.problems.iter().map(|p| (p.line, p.kind.clone(), p.is_warning())).collect();
        assert_eq!(
            got,
            [
                (Some(1), IniProblemKind::EmptySection, false),
                (Some(2), IniProblemKind::EmptySection, false),
                (Some(6), IniProblemKind::UnknownKey { key: "colour".into() }, true),
            ]
        );
        assert!(load.has_errors());
    }

    #[test]
    fn keys_are_case_insensitive_and_values_trimmed() {
        let load = parse("[Hub]\n  URL   =   https://hub.example.com/   \nMFA=Required\nFlow = DEVICE\n");
        assert!(load.problems.is_empty(), "{:#?}", load.problems);
        let s = &load.hubs[0].settings;
        assert!(s.mfa_required);
        assert_eq!(s.flow, Flow::Device);
    }

    #[test]
    fn settings_errors_point_at_their_line() {
        let text = "[Secret]\nurl = https://a.example.com/\nClient_Secret = hunter2\n\
            [Dup]\nurl = https://b.example.com/\nmfa = required\nMFA = required\n\
            [Bad name \u{202E}txt.exe]\nurl = https://c.example.com/\n";
        let load = parse(text);
        assert!(load.hubs.is_empty());
        let got: Vec<_> = load.problems.iter().map(|p| (p.line, p.kind.clone())).collect();
        assert_eq!(
            got,
            [
                (Some(3), IniProblemKind::Settings(SettingsError::SecretParameter { key: "client_secret".into() })),
                (Some(7), IniProblemKind::Settings(SettingsError::Duplicate { key: "mfa".into() })),
                (Some(8), IniProblemKind::Settings(SettingsError::BadName { reason: NameProblem::DirectionOverride })),
            ]
        );
        let all: String = load.problems.iter().map(ToString::to_string).collect();
        assert!(!all.contains("hunter2"));
        assert!(!all.contains('\u{202E}'), "{all}");
    }

    #[test]
    fn relative_ca_file_is_relative_to_the_ini_file() {
        let load = parse("[Hub]\nurl = https://hub.example.com/\nca_file = certs/root.pem\n");
        assert_eq!(load.hubs[0].settings.ca_file, Some(PathBuf::from("/etc/hublink/certs/root.pem")));
    }

    #[test]
    fn a_file_that_is_not_utf8_is_read_as_windows_1252_with_a_warning() {
        let load = parse_ini_bytes(
            &file(),
            b"[Finance Hub]\r\nurl = https://finance.example.com/\r\n\r\n[Sales Hub]\r\nurl = https://sales.example.com/\r\n\r\n\r\n[Caf\xE9 Hub]\r\nurl = https://cafe.example.com/\r\n",
        );
        let names: Vec<&str> = load.hubs.iter().map(|h| h.settings.name.as_str()).collect();
        assert_eq!(names, ["Finance Hub", "Sales Hub", "Caf\u{e9} Hub"]);
        let p = only_problem(&load);
        assert_eq!(p.kind, IniProblemKind::ReadAsWindows1252 { line: 8 });
        assert!(p.is_warning(), "every hub still loads");
        assert!(p.to_string().starts_with("/etc/hublink/hubs.ini:8: "), "{p}");
        assert!(p.to_string().contains("Windows-1252"));
        // A UTF-8 BOM promises UTF-8: then a bad byte is still an error.
        let load = parse_ini_bytes(&file(), b"\xEF\xBB\xBF[Hub]\nurl = https://hub.example.com/\nname = caf\xE9\n");
        assert_eq!(only_problem(&load).kind, IniProblemKind::Encoding { problem: EncodingProblem::InvalidUtf8 });
        assert!(load.hubs.is_empty());
    }

    #[test]
    fn odd_length_and_broken_utf16() {
        let mut bytes = utf16("[Hub]\nurl = https://hub.example.com/\n", true);
        bytes.push(0x41);
        let load = parse_ini_bytes(&file(), &bytes);
        assert_eq!(only_problem(&load).kind, IniProblemKind::Encoding { problem: EncodingProblem::OddUtf16Length });
        let load = parse_ini_bytes(&file(), &[0xFF, 0xFE, 0x00, 0xD8, 0x41, 0x00]);
        assert_eq!(only_problem(&load).kind, IniProblemKind::Encoding { problem: EncodingProblem::InvalidUtf16 });
    }

    #[test]
    fn utf16_without_bom_is_caught() {
        let bytes: Vec<u8> = "[Hub]\nurl = x\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let load = parse_ini_bytes(&file(), &bytes);
        assert_eq!(only_problem(&load).kind, IniProblemKind::Encoding { problem: EncodingProblem::NulCharacter });
    }

    #[test]
    fn too_large_file() {
        let bytes = vec![b';'; MAX_FILE_BYTES + 1];
        let load = parse_ini_bytes(&file(), &bytes);
        assert_eq!(only_problem(&load).kind, IniProblemKind::TooLarge { max: MAX_FILE_BYTES });
    }

    #[test]
    fn empty_file_is_fine() {
        assert_eq!(parse(""), IniLoad::default());
        assert_eq!(parse_ini_bytes(&file(), &[0xEF, 0xBB, 0xBF]), IniLoad::default());
    }

    #[test]
    fn no_input_panics() {
        let pieces = [
            "[",
            "]",
            "=",
            "\"",
            ";",
            "#",
            " ",
            "\t",
            "\r",
            "\n",
            "url",
            "link",
            "hublink://add?url=",
            "https://h.example/",
            "é",
            "\u{202E}",
            "%",
        ];
        let mut seed = 0x9e37_79b9_u32;
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..(seed % 40) {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                text.push_str(pieces[(seed as usize) % pieces.len()]);
            }
            let _ = parse(&text);
            let mut bytes = text.into_bytes();
            bytes.insert(0, 0xFE);
            let _ = parse_ini_bytes(&file(), &bytes);
        }
    }

    // ---- files and folders -------------------------------------------------------------

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn load_dirs_over_two_folders() {
        let user = tempfile::tempdir().unwrap();
        let machine = tempfile::tempdir().unwrap();
        write(user.path(), "b.ini", "[B]\nurl = https://b.example.com/\n");
        write(user.path(), "A.INI", "[A]\nurl = https://a.example.com/\n");
        write(user.path(), "notes.txt", "[Not read]\nurl = https://txt.example.com/\n");
        write(
            machine.path(),
            "corp.ini",
            "[Corp]\nurl = https://corp.example.com/\n[Again]\nurl = https://A.example.com\n",
        );
        let missing = user.path().join("does-not-exist");
        let load = load_dirs(&[user.path().to_path_buf(), missing, machine.path().to_path_buf()]);
        let names: Vec<&str> = load.hubs.iter().map(|h| h.section.as_str()).collect();
        assert_eq!(names, ["A", "B", "Corp"]);
        let p = only_problem(&load);
        assert_eq!(p.file, machine.path().join("corp.ini"));
        assert_eq!((p.line, p.section.as_deref()), (Some(3), Some("Again")));
        assert_eq!(
            p.kind,
            IniProblemKind::DuplicateHub { other_file: user.path().join("A.INI"), other_section: "A".into() }
        );
    }

    #[test]
    fn the_same_hub_in_two_files() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "1-first.ini", "[First]\nurl = https://hub.example.com/\n");
        write(dir.path(), "2-second.ini", "\n[Second]\nlink = hublink://add?url=https://HUB.example.com\n");
        let load = load_dirs(&[dir.path().to_path_buf()]);
        assert_eq!(load.hubs.len(), 1);
        assert_eq!(load.hubs[0].section, "First");
        let p = only_problem(&load);
        assert_eq!((p.file.clone(), p.line), (dir.path().join("2-second.ini"), Some(2)));
        assert!(matches!(p.kind, IniProblemKind::DuplicateHub { .. }));
    }

    #[test]
    fn a_folder_or_fifo_named_ini_is_one_problem_and_never_blocks() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("x.ini")).unwrap();
        #[cfg(unix)]
        {
            let fifo = dir.path().join("stuck.ini");
            let ok = std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
            assert!(ok, "mkfifo");
            let load = load_dirs(&[dir.path().to_path_buf()]);
            assert!(load.problems.iter().any(|p| p.file == fifo && p.kind == IniProblemKind::NotRegularFile));
            fs::remove_file(fifo).unwrap();
        }
        write(dir.path(), "y.ini", "[Y]\nurl = https://y.example.com/\n");
        let load = load_dirs(&[dir.path().to_path_buf()]);
        assert_eq!(load.hubs.len(), 1);
        let p = only_problem(&load);
        assert_eq!((p.file.clone(), p.line, p.section.clone()), (dir.path().join("x.ini"), None, None));
        assert_eq!(p.kind, IniProblemKind::NotRegularFile, "{p:?}");
        assert!(
            p.to_string().starts_with(&format!("{}: it is not a regular file", dir.path().join("x.ini").display()))
        );
    }

    #[test]
    fn missing_folder_is_not_a_problem() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load_dirs(&[dir.path().join("nope")]), IniLoad::default());
        assert_eq!(load_dirs(&[]), IniLoad::default());
    }

    #[test]
    fn a_single_file_and_a_file_reached_twice() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "hubs.conf", "[Hub]\nurl = https://hub.example.com/\n");
        let load = load_dirs(std::slice::from_ref(&file));
        assert_eq!(load.hubs.len(), 1);
        assert!(load.problems.is_empty());
        let ini = write(dir.path(), "hubs.ini", "[Hub]\nurl = https://other.example.com/\n");
        let load = load_dirs(&[dir.path().to_path_buf(), ini, dir.path().to_path_buf()]);
        assert_eq!(load.hubs.len(), 1);
        assert!(load.problems.is_empty(), "{:#?}", load.problems);
    }

    #[test]
    fn user_hubs_dir_resolution() {
        let docs = Some(PathBuf::from("/home/u/Dokumente"));
        let home = Some(PathBuf::from("/home/u"));
        assert_eq!(
            resolve_user_hubs_dir(Some("/srv/hubs".into()), docs.clone(), home.clone()),
            Some(PathBuf::from("/srv/hubs"))
        );
        assert_eq!(
            resolve_user_hubs_dir(Some("".into()), docs.clone(), home.clone()),
            Some(PathBuf::from("/home/u/Dokumente/Hublink/Hubs"))
        );
        assert_eq!(resolve_user_hubs_dir(None, None, home), Some(PathBuf::from("/home/u/Documents/Hublink/Hubs")));
        assert_eq!(resolve_user_hubs_dir(None, None, None), None);
    }

    #[cfg(not(any(windows, target_os = "macos")))]
    #[test]
    fn machine_hubs_dir_on_linux() {
        assert_eq!(machine_hubs_dir(), PathBuf::from("/etc/hublink"));
    }

    /// Runs in a child process started by `hublink_hubs_dir_overrides`, so that setting the
    /// variable never races with other tests (environment changes are process-wide).
    #[test]
    fn env_override_child() {
        if std::env::var_os("HUBLINK_TEST_CHILD").is_none() {
            return;
        }
        assert_eq!(user_hubs_dir(), Some(PathBuf::from("/tmp/hublink-test-hubs")));
    }

    #[test]
    fn hublink_hubs_dir_overrides() {
        let exe = std::env::current_exe().unwrap();
        let output = std::process::Command::new(exe)
            .args(["--exact", "hubs_ini::tests::env_override_child", "--test-threads=1"])
            .env("HUBLINK_TEST_CHILD", "1")
            .env(HUBS_DIR_ENV, "/tmp/hublink-test-hubs")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
        assert!(stdout.contains("1 passed"), "{stdout}");
    }
}
