//! A hubs.ini file as raw bytes: `parse_ini_bytes` (UTF-8 with or without BOM, UTF-16 LE/BE
//! with BOM, Windows-1252 fallback).
//!
//! Invariants: no panic; every problem displays; lines are 1-based; the same text gives the
//! same hubs and problems in UTF-8, UTF-8 with BOM, UTF-16 LE and UTF-16 BE; a file read as
//! Windows-1252 gives what its text saved as UTF-8 gives, plus the one warning.
#![no_main]

use std::path::Path;

use hublink_core::hubs_ini::{IniLoad, IniProblemKind, parse_ini_bytes};
use libfuzzer_sys::fuzz_target;

const FILE: &str = "/etc/hublink/hubs.ini";

fn check(load: &IniLoad) {
    for problem in &load.problems {
        assert!(problem.line.is_none_or(|l| l >= 1), "{problem:?}");
        assert!(!problem.to_string().is_empty() && !problem.next_step().is_empty());
    }
    for hub in &load.hubs {
        assert!(hub.line >= 1);
        let _ = hub.settings.id();
    }
}

fn utf16(text: &str, little_endian: bool) -> Vec<u8> {
    let mut out = if little_endian { vec![0xFF, 0xFE] } else { vec![0xFE, 0xFF] };
    for unit in text.encode_utf16() {
        out.extend(if little_endian { unit.to_le_bytes() } else { unit.to_be_bytes() });
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let file = Path::new(FILE);
    let load = parse_ini_bytes(file, data);
    check(&load);
    if let Ok(text) = std::str::from_utf8(data)
        && !text.starts_with('\u{FEFF}')
    {
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(data);
        for (label, bytes) in [("utf-8 bom", bom), ("utf-16le", utf16(text, true)), ("utf-16be", utf16(text, false))] {
            assert_eq!(parse_ini_bytes(file, &bytes), load, "{label} differs from utf-8");
        }
    }
    if let Some(first) = load.problems.iter().position(|p| matches!(p.kind, IniProblemKind::ReadAsWindows1252 { .. })) {
        let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(data);
        let as_utf8 = parse_ini_bytes(file, text.as_bytes());
        let mut without_warning = load.clone();
        without_warning.problems.remove(first);
        assert_eq!(as_utf8, without_warning, "Windows-1252 reading differs from the same text in UTF-8");
    }
});
