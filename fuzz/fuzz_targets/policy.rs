//! The machine-wide policy file (`/etc/hublink/policy.json`): `Policy::from_json`.
//!
//! Invariants: no panic; a problem displays; an accepted policy reports itself, judges hosts,
//! hubs and links, and only ever tightens a hub's settings.
#![no_main]

use hublink_core::link::AuthLink;
use hublink_core::policy::Policy;
use libfuzzer_sys::fuzz_target;

const LINK: &str = "hublink://add?url=https://hub.example.com/&issuer=https://login.example.com/r&mfa=required";

fuzz_target!(|data: &[u8]| {
    match Policy::from_json("/etc/hublink/policy.json".into(), data) {
        Ok(policy) => {
            serde_json::to_string(&policy.report()).expect("the report serializes");
            let link = AuthLink::parse(LINK).expect("a valid link");
            let _ = policy.check_user_hub(&link.settings);
            let _ = policy.check_signature(&link);
            let _ = policy.check_typed_address_allowed();
            let _ = policy.allows_insecure_storage();
            let mut settings = link.settings.clone();
            policy.apply(&mut settings);
            assert!(settings.mfa_required, "a policy loosened mfa");
            assert!(settings.max_session_days <= link.settings.max_session_days, "a policy loosened max_session_days");
            assert!(settings.max_session_days >= 1);
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
