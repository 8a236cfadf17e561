//! Entry points for the `cargo fuzz` targets in `fuzz/` (feature `fuzzing`; not an API).
//!
//! Every other parser the targets drive is public already (`AuthLink::parse`,
//! `parse_ini_bytes`, `HubSettings::from_well_known_json`, the `oidc::tokens` answers,
//! `StoredSession::from_secret`, `Policy::from_json`). Only the loopback listener's request
//! parser is crate-private: [`loopback::parse_request`](crate::loopback) was factored out of
//! the socket code for this (and for its unit test), and is reached through the thin wrapper
//! below, so the crate's public API does not grow. Likewise the device answer's conversion
//! (`From<DeviceAnswer> for DeviceAuthorization`) was moved out of `Idp::device_start`
//! unchanged, so that the target checks what users are shown.
#![doc(hidden)]

use crate::loopback::CallbackResult;

/// The loopback listener's verdict on one request's bytes, for the sign-in waiting for
/// `state`: the callback, or the HTTP status of the page it is turned away with.
pub fn loopback_request(request: &[u8], state: &str) -> Result<CallbackResult, u16> {
    crate::loopback::parse_request(request, state).map_err(|refused| refused.page().0)
}
