//! `hublink://add?…` as pasted or opened by the OS: `AuthLink::parse` and `parse_user_input`.
//!
//! Invariants: no panic; an accepted link's canonical form (`AuthLink::generate`, what the
//! registry stores and what signatures cover) parses back to the same settings and is a fixed
//! point and, signed (`link_signing::sign`), verifies; a typed hub address is accepted again
//! as written back (it is re-validated when its settings are fetched).
#![no_main]

use ed25519_dalek::SigningKey;
use hublink_core::link::{AuthLink, UserInput, parse_user_input};
use hublink_core::link_signing::{self, LinkSignature};
use hublink_core::settings::{Context, HubSettings, parse_hub_url};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    match AuthLink::parse(input) {
        Ok(link) => {
            let canonical = AuthLink::generate(&link.settings);
            let again = AuthLink::parse(&canonical)
                .unwrap_or_else(|e| panic!("canonical link {canonical:?} (from {input:?}) refused: {e}"));
            assert_eq!(again.settings, link.settings, "canonical link {canonical:?} changed the settings");
            assert!(again.ignored.is_empty() && again.signature.is_none(), "{canonical:?}");
            assert_eq!(AuthLink::generate(&again.settings), canonical, "canonical form is not a fixed point");
            // The link's own `sig` is judged without panicking; one made for it verifies.
            let key = SigningKey::from_bytes(&[7; 32]);
            let _ = link_signing::verify(&link, &[key.verifying_key()]);
            let signed = link_signing::sign(&link.settings, &key);
            let signed = AuthLink::parse(&signed).unwrap_or_else(|e| panic!("signed link {signed:?} refused: {e}"));
            let verdict = link_signing::verify(&signed, &[key.verifying_key()]);
            assert!(matches!(verdict, LinkSignature::Verified { .. }), "{verdict:?} for {canonical:?}");
        }
        Err(e) => {
            assert!(!e.to_string().is_empty() && !e.next_step().is_empty());
        }
    }
    match parse_user_input(input) {
        Ok(UserInput::HubAddress(address)) => {
            let again = parse_hub_url(address.as_str())
                .unwrap_or_else(|e| panic!("address {address} (from {input:?}) refused when re-read: {e}"));
            assert_eq!(again, address);
            // What `PrepareAdd` does with an address that publishes no settings.
            if let Err(e) = HubSettings::from_pairs([("url", address.as_str())], Context::Link) {
                panic!("address {address} (from {input:?}) is not a hub: {e}");
            }
            let _ = address.join("/.well-known/hublink.json");
        }
        Ok(UserInput::Link(_)) => {}
        Err(e) => {
            assert!(!e.to_string().is_empty() && !e.next_step().is_empty());
        }
    }
});
