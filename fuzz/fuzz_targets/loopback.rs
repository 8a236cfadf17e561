//! The loopback listener's request parser: one request's raw bytes as read from the socket
//! (`loopback::parse_request`, through `fuzzing::loopback_request`).
//!
//! Invariants: no panic; only a `GET /callback` with our state is accepted; refusals are 400
//! or 404; what the provider wrote (error, description, iss) reaches the user printable and
//! short.
#![no_main]

use hublink_core::fuzzing::loopback_request;
use hublink_core::loopback::CallbackResult;
use libfuzzer_sys::fuzz_target;

const STATE: &str = "fuzz-state";

fn shown(text: &str) {
    assert!(!text.chars().any(char::is_control), "{text:?}");
    assert!(text.chars().count() <= 301, "{} characters", text.chars().count());
}

fuzz_target!(|data: &[u8]| {
    match loopback_request(data, STATE) {
        Ok(result) => {
            assert!(data.starts_with(b"GET /callback"), "accepted {:?}", String::from_utf8_lossy(data));
            match result {
                CallbackResult::Code { iss, .. } => iss.as_deref().into_iter().for_each(shown),
                CallbackResult::Error { error, description } => {
                    shown(&error);
                    description.as_deref().into_iter().for_each(shown);
                }
            }
        }
        Err(status) => assert!(status == 400 || status == 404, "{status}"),
    }
});
