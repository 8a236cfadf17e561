#![allow(clippy::too_many_lines)]
use super::load::*;
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
fn every_later_duplicate_section_names_the_first_one() {
    // A header that is refused (text after `]`) does not claim its name.
    let text = "[Hub] x\n[Hub]\nurl = https://one.example.com/\n[HUB]\nurl = https://two.example.com/\n[Other]\nurl = https://three.example.com/\n[hub]\n";
    let load = parse(text);
    let names: Vec<&str> = load.hubs.iter().map(|h| h.section.as_str()).collect();
    assert_eq!(names, ["Hub", "Other"]);
    let firsts: Vec<_> = load
        .problems
        .iter()
        .filter_map(|p| match p.kind {
            IniProblemKind::DuplicateSection { first_line } => Some((p.line, first_line)),
            _ => None,
        })
        .collect();
    assert_eq!(firsts, [(Some(4), 2), (Some(8), 2)]);
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
    let got: Vec<(Option<usize>, IniProblemKind)> = load.problems.iter().map(|p| (p.line, p.kind.clone())).collect();
    assert_eq!(
        got,
        [
            (Some(3), IniProblemKind::LinkConflict { key: "url".into() }),
            (Some(6), IniProblemKind::LinkConflict { key: "client_id".into() }),
            (Some(8), IniProblemKind::Link(LinkError::NotAHublinkLink { scheme: Some("https".into()) })),
            (Some(10), IniProblemKind::Link(LinkError::Settings(SettingsError::NotInLink { key: "ca_file".into() }))),
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
    assert!(p.to_string().starts_with(&format!("{}: it is not a regular file", dir.path().join("x.ini").display())));
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
