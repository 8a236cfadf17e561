//! Everything the CLI prints goes through here: text from identity providers, hubs and files
//! (claims, error descriptions, refusal bodies, file names) may carry control and escape
//! sequences, and a terminal must never run them. Each is shown as U+FFFD instead; newlines and
//! tabs stay. JSON output needs nothing: serde_json escapes control characters itself.

/// `s` with every control character but newline and tab — C0, DEL, C1 (which includes the CSI
/// of ANSI escapes) — and the bidirectional overrides replaced by U+FFFD.
pub fn safe(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| {
        (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    if s.chars().any(bad) {
        std::borrow::Cow::Owned(s.chars().map(|c| if bad(c) { '\u{FFFD}' } else { c }).collect())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// `println!` for text that may come from outside.
macro_rules! out {
    ($($arg:tt)*) => { println!("{}", $crate::terminal::safe(&format!($($arg)*))) };
}

/// `eprintln!` for text that may come from outside.
macro_rules! err {
    ($($arg:tt)*) => { eprintln!("{}", $crate::terminal::safe(&format!($($arg)*))) };
}

/// `eprint!` (a prompt) for text that may come from outside.
macro_rules! err_inline {
    ($($arg:tt)*) => { eprint!("{}", $crate::terminal::safe(&format!($($arg)*))) };
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_and_controls_are_shown_not_run() {
        assert_eq!(super::safe("alice"), "alice");
        assert_eq!(super::safe("evil\u{1b}[31mred\u{7}"), "evil\u{FFFD}[31mred\u{FFFD}");
        assert_eq!(super::safe("a\u{9b}31m\u{202E}b"), "a\u{FFFD}31m\u{FFFD}b");
        assert_eq!(super::safe("line 1\n\tline 2"), "line 1\n\tline 2");
    }
}
