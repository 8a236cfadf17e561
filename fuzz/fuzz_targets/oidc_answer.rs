//! What the identity provider answers and Hublink reads itself: the token answer (RFC 6749
//! §5.1, read leniently), the error answer (§5.2), the device authorization answer (RFC 8628
//! §3.2) and the discovery document. Every input is tried as each of them, so one corpus of
//! JSON serves all four.
//!
//! Invariants: no panic; a token answer's lifetime gives a session that can be stored, read
//! back and timed at any moment; a device answer shows printable, short text and waits between
//! a second and a day.
#![no_main]

use hublink_core::oidc::tokens::{DeviceAnswer, ErrorAnswer, TokenAnswer, jwt_exp};
use hublink_core::oidc::{DeviceAuthorization, Metadata};
use hublink_core::secret::Secret;
use hublink_core::session::{StoredSession, rfc3339};
use hublink_core::settings::is_secure_endpoint;
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

fn shown(text: &str) {
    assert!(!text.chars().any(char::is_control), "{text:?}");
    assert!(text.chars().count() <= 301, "{} characters", text.chars().count());
}

fn token(answer: TokenAnswer) {
    // What `Sessions::keep_new` stores for a fresh sign-in at `now`.
    let now = OffsetDateTime::from_unix_timestamp(1_780_000_000).expect("a date");
    let lifetime = answer.lifetime();
    let expires_at = lifetime.map(|l| l.expires_at(now));
    // As `oidc::tokens_of` reads `refresh_expires_in` (at most ten years).
    let refresh_expires_at =
        answer.refresh_expires_in.filter(|s| *s > 0).map(|s| now + time::Duration::seconds(s.min(3660 * 86_400)));
    let session = StoredSession {
        access_token: answer.access_token,
        refresh_token: answer.refresh_token,
        id_token: answer.id_token,
        expires_at,
        obtained_at: Some(now),
        signed_in_at: now,
        user: "alice".into(),
        issuer: "https://login.example.com/".into(),
        client_id: "hublink".into(),
        refresh_expires_at,
        second_factor: None,
    };
    for days in [1, 30, 3650] {
        let _ = session.ends_at(days);
    }
    for at in [now, OffsetDateTime::UNIX_EPOCH, expires_at.unwrap_or(now)] {
        let _ = session.needs_refresh(at);
    }
    if let Some(t) = expires_at {
        assert!(!rfc3339(t).is_empty(), "expiry {t} cannot be written as RFC 3339");
    }
    let stored = session.to_secret();
    let back = StoredSession::from_secret(&stored)
        .unwrap_or_else(|| panic!("a session expiring at {expires_at:?} cannot be read back"));
    assert_eq!(back.expires_at, session.expires_at);
}

fuzz_target!(|data: &[u8]| {
    if let Ok(answer) = serde_json::from_slice::<TokenAnswer>(data) {
        token(answer);
    }
    if let Ok(e) = serde_json::from_slice::<ErrorAnswer>(data) {
        shown(&hublink_core::http::shorten(&e.error));
    }
    if let Ok(answer) = serde_json::from_slice::<DeviceAnswer>(data) {
        let device = DeviceAuthorization::from(answer);
        shown(&device.user_code);
        shown(&device.verification_uri);
        device.verification_uri_complete.as_deref().into_iter().for_each(shown);
        assert!((1..=86_400).contains(&device.expires_in.as_secs()), "{:?}", device.expires_in);
    }
    if let Ok(metadata) = serde_json::from_slice::<Metadata>(data) {
        let _ = is_secure_endpoint(&metadata.authorization_endpoint);
        let _ = is_secure_endpoint(&metadata.jwks_uri);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = jwt_exp(text);
        let _ = StoredSession::from_secret(&Secret::new(text));
    }
});
