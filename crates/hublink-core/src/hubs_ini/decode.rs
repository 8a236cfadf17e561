//! Bytes to text: UTF-8 (BOM or not), UTF-16 with BOM, and Windows-1252 for "ANSI" files.

use super::*;

/// The file's text, and — when it had no BOM and was not UTF-8 — the line of the first byte
/// that is not UTF-8: such a file is what Notepad and PowerShell 5 save as "ANSI", and it is
/// read as Windows-1252 (the ANSI code page of Western Windows installs) with a warning,
/// rather than losing every hub in it. A file with a UTF-8 BOM must be UTF-8.
pub(super) fn decode(bytes: &[u8]) -> Result<(String, Option<usize>), (EncodingProblem, Option<usize>)> {
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

pub(super) fn decode_utf8(bytes: &[u8]) -> Result<String, (EncodingProblem, Option<usize>)> {
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = bytes.get(..valid).map_or(1, |b| b.iter().filter(|&&c| c == b'\n').count() + 1);
        (EncodingProblem::InvalidUtf8, Some(line))
    })
}

pub(super) fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, (EncodingProblem, Option<usize>)> {
    if !bytes.len().is_multiple_of(2) {
        return Err((EncodingProblem::OddUtf16Length, None));
    }
    let units = bytes.chunks_exact(2).map(|pair| match pair {
        [a, b] => unit([*a, *b]),
        _ => 0,
    });
    char::decode_utf16(units).collect::<Result<String, _>>().map_err(|_| (EncodingProblem::InvalidUtf16, None))
}
