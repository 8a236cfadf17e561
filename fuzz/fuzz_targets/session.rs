//! The session record kept in the OS keyring (or the insecure file store): any bytes, as
//! `Sessions::load` reads them (`StoredSession::from_secret`).
//!
//! Invariants: no panic; a record that reads can be written back (`to_secret` must not fall
//! back to an empty string, which would lose the session) and reads back the same; it can be
//! timed (`needs_refresh`, the `max_session_days` age) at any moment.
#![no_main]

use hublink_core::secret::Secret;
use hublink_core::session::{StoredSession, rfc3339};
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Some(session) = StoredSession::from_secret(&Secret::new(text)) else { return };
    let now = OffsetDateTime::from_unix_timestamp(1_780_000_000).expect("a date");
    let times = [Some(now), Some(OffsetDateTime::UNIX_EPOCH), session.expires_at, session.obtained_at];
    for at in times.into_iter().flatten() {
        let _ = session.needs_refresh(at);
        let _ = at - session.signed_in_at;
    }
    for t in [Some(session.signed_in_at), session.expires_at, session.obtained_at].into_iter().flatten() {
        assert!(!rfc3339(t).is_empty(), "{t} cannot be written as RFC 3339");
    }
    let stored = session.to_secret();
    assert!(!stored.is_empty(), "a session read from {text:?} cannot be written back");
    let back = StoredSession::from_secret(&stored).expect("a written session reads back");
    assert_eq!(back.to_secret().expose(), stored.expose(), "not a fixed point");
    assert_eq!(
        (back.signed_in_at, back.expires_at, back.obtained_at),
        (session.signed_in_at, session.expires_at, session.obtained_at)
    );
});
