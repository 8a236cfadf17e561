//! A hub's published `/.well-known/hublink.json`: the body as `PrepareAdd` reads it
//! (`serde_json::Value`, then `HubSettings::from_well_known_json`). The first input byte picks
//! the address the user typed; the rest is the body.
//!
//! Invariants: no panic; accepted settings stay on the asked origin; what is stored for them
//! (`AuthLink::generate`, re-parsed by the catalog on every start) gives the same settings.
#![no_main]

use hublink_core::link::AuthLink;
use hublink_core::settings::{HubSettings, parse_hub_url};
use libfuzzer_sys::fuzz_target;

const ADDRESSES: [&str; 4] = [
    "https://hub.example.com/",
    "https://hub.example.com/qlik/",
    "http://127.0.0.1:8080/",
    "https://xn--caf-dma.example/",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    let asked = parse_hub_url(ADDRESSES[usize::from(pick) % ADDRESSES.len()]).expect("a valid address");
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else { return };
    match HubSettings::from_well_known_json(&asked, &json) {
        Ok((settings, _unknown)) => {
            assert_eq!(settings.url.origin(), asked.origin());
            if json.get("url").is_none() {
                assert_eq!(settings.url, asked);
            }
            let stored = AuthLink::generate(&settings);
            let again = AuthLink::parse(&stored)
                .unwrap_or_else(|e| panic!("stored link {stored:?} (from {json}) refused: {e}"));
            assert_eq!(again.settings, settings, "stored link {stored:?} changed the settings");
        }
        Err(e) => {
            assert!(!e.to_string().is_empty() && !e.next_step().is_empty());
        }
    }
});
