//! Sections to hubs: each section's keys (and its `link`) validated into a hub, one file's
//! bytes into hubs and problems.

use super::*;

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

pub(super) fn build_hub(file: &Path, section: &RawSection, problems: &mut Vec<IniProblem>) -> Option<IniHub> {
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

    let mut from_link: Vec<(String, String)> = Vec::new();
    if let Some(link_entry) = links.first() {
        from_link = link_pairs(link_entry, &others, &mut problem)?;
    }
    let pairs = from_link
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .chain(others.iter().map(|e| (e.key.as_str(), e.value.as_str())));

    let ctx = Context::HubsIni { section_name: section.name.clone() };
    match HubSettings::from_pairs(pairs, ctx) {
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

/// The pairs a section's `link = …` contributes: checked with the link rules, its unknown
/// parameters reported, `url`/`client_id` conflicts with the section refused, and keys the
/// section gives itself (and the link's own `name`) left to the section.
fn link_pairs(
    link_entry: &Entry,
    others: &[&Entry],
    problem: &mut impl FnMut(usize, IniProblemKind),
) -> Option<Vec<(String, String)>> {
    let parsed = AuthLink::parse(&link_entry.value).and_then(|link| decode_link(&link_entry.value).map(|d| (link, d)));
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
    Some(
        decoded
            .into_iter()
            .filter(|(k, _)| {
                // The section name is the friendly name (PRODUCT.md), not the link's `name`.
                LINK_KEYS.contains(&k.as_str()) && k != "name" && !others.iter().any(|e| &e.key == k)
            })
            .collect(),
    )
}

/// Adds `hub` unless a hub with the same identity is already there (then reports it). `seen`
/// maps the identities in `load.hubs` to their index there.
pub(super) fn add_unique(load: &mut IniLoad, seen: &mut HashMap<HubId, usize>, hub: IniHub) {
    let id = hub.settings.id();
    if let Some(other) = seen.get(&id).and_then(|&i| load.hubs.get(i)) {
        let kind =
            IniProblemKind::DuplicateHub { other_file: other.file.clone(), other_section: other.section.clone() };
        load.problems.push(IniProblem {
            file: hub.file.clone(),
            line: Some(hub.line),
            section: Some(hub.section.clone()),
            kind,
        });
        return;
    }
    seen.insert(id, load.hubs.len());
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
