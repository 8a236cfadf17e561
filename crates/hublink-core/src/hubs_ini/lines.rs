//! Text to sections: the line-aware INI reader (sections, keys, comments, quotes).

use super::*;

#[derive(Debug)]
pub(super) struct Entry {
    /// Lowercased, trimmed key.
    pub(super) key: String,
    pub(super) value: String,
    pub(super) line: usize,
}

#[derive(Debug)]
pub(super) struct RawSection {
    pub(super) name: String,
    pub(super) line: usize,
    pub(super) entries: Vec<Entry>,
    /// A line of this section could not be read: the section is not loaded.
    pub(super) broken: bool,
}

#[derive(Clone, Copy)]
pub(super) enum Current {
    None,
    Section(usize),
    /// After a bad or duplicate header: keys are skipped until the next header.
    Ignored,
}

pub(super) fn is_comment_start(s: &str) -> bool {
    s.starts_with(';') || s.starts_with('#')
}

/// Cuts an inline comment: `;` or `#` preceded by a space or tab.
pub(super) fn strip_inline_comment(value: &str) -> &str {
    let mut previous_blank = false;
    for (i, c) in value.char_indices() {
        if (c == ';' || c == '#') && previous_blank {
            return value.get(..i).unwrap_or(value);
        }
        previous_blank = c == ' ' || c == '\t';
    }
    value
}

pub(super) fn parse_value(raw: &str, key: &str) -> Result<String, SyntaxProblem> {
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

pub(super) fn read_sections(file: &Path, text: &str, problems: &mut Vec<IniProblem>) -> Vec<RawSection> {
    let mut sections: Vec<RawSection> = Vec::new();
    // Lowercased section name → line of its first header, to find duplicates in O(1).
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut current = Current::None;
    for (index, raw_line) in text.split('\n').enumerate() {
        let line_no = index + 1;
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line).trim();
        if line.is_empty() || is_comment_start(line) {
            continue;
        }
        let mut problem = |section: Option<String>, kind| {
            problems.push(IniProblem { file: file.to_path_buf(), line: Some(line_no), section, kind });
        };
        if let Some(header) = line.strip_prefix('[') {
            current = Current::Ignored;
            match section_header(header, line_no, &mut names) {
                Ok(section) => {
                    sections.push(section);
                    current = Current::Section(sections.len() - 1);
                }
                Err((section, kind)) => problem(section, kind),
            }
            continue;
        }
        let section = match current {
            Current::Section(i) => sections.get_mut(i),
            Current::None | Current::Ignored => None,
        };
        match (key_value(line), section) {
            (Err(p), Some(s)) => {
                s.broken = true;
                problem(Some(s.name.clone()), IniProblemKind::Syntax(p));
            }
            (Err(p), None) => problem(None, IniProblemKind::Syntax(p)),
            (Ok((key, value)), Some(s)) => s.entries.push(Entry { key, value, line: line_no }),
            (Ok((key, _)), None) if matches!(current, Current::None) => {
                problem(None, IniProblemKind::KeyOutsideSection { key: printable(&key, 64) });
            }
            (Ok(_), None) => {}
        }
    }
    sections
}

/// A `[Section name]` line (after its `[`): a new section (its name added to `names`), or why
/// it is not one.
fn section_header(
    header: &str,
    line_no: usize,
    names: &mut HashMap<String, usize>,
) -> Result<RawSection, (Option<String>, IniProblemKind)> {
    let Some((name, after)) = header.split_once(']') else {
        return Err((None, IniProblemKind::Syntax(SyntaxProblem::UnclosedSectionHeader)));
    };
    let (name, after) = (name.trim(), after.trim());
    if !after.is_empty() && !is_comment_start(after) {
        return Err((Some(name.to_owned()), IniProblemKind::Syntax(SyntaxProblem::TextAfterSectionHeader)));
    }
    if name.is_empty() {
        return Err((None, IniProblemKind::Syntax(SyntaxProblem::EmptySectionName)));
    }
    match names.entry(name.to_lowercase()) {
        std::collections::hash_map::Entry::Occupied(first) => {
            return Err((Some(name.to_owned()), IniProblemKind::DuplicateSection { first_line: *first.get() }));
        }
        std::collections::hash_map::Entry::Vacant(slot) => {
            slot.insert(line_no);
        }
    }
    Ok(RawSection { name: name.to_owned(), line: line_no, entries: Vec::new(), broken: false })
}

/// A `key = value` line: the lowercased key and the value (quotes and comments handled).
fn key_value(line: &str) -> Result<(String, String), SyntaxProblem> {
    let (raw_key, raw_value) = line.split_once('=').ok_or(SyntaxProblem::MissingEquals)?;
    let key = raw_key.trim().to_lowercase();
    if key.is_empty() {
        return Err(SyntaxProblem::EmptyKey);
    }
    let value = parse_value(raw_value, &key)?;
    Ok((key, value))
}
