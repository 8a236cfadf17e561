//! The ID token's claims, which Hublink reads itself after `jsonwebtoken` checked the signature
//! (`oidc::id_token::verify`): the input is a claims object, signed here with a test key, so
//! the fuzzer reaches the claim checks a forged signature never would. The first byte picks
//! the expectations (nonce or not, the answer's `Date` or not).
//!
//! Invariants: no panic (an `exp` or `iat` near the ends of the number line included); an
//! accepted token is from the expected issuer, for our client, not expired, and carries this
//! sign-in's nonce; the user's name reaches the user printable and short.
#![no_main]

use std::sync::OnceLock;

use base64::Engine;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use hublink_core::oidc::id_token::{Expectations, LEEWAY_SECONDS, seconds, string_or_list, verify};
use hublink_core::oidc::same_issuer;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use time::OffsetDateTime;

const ISSUER: &str = "https://login.example.com";
const CLIENT: &str = "hublink";
const NONCE: &str = "n-0S6_WzA2Mj";
const NOW: i64 = 1_800_000_000;

struct Keys {
    encoding: EncodingKey,
    jwks: Value,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let key = SigningKey::from_bytes(&[7; 32]);
        let der = key.to_pkcs8_der().expect("a PKCS#8 key");
        let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes());
        Keys {
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            jwks: json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "k1", "use": "sig", "x": x}]}),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    let Ok(claims @ Value::Object(_)) = serde_json::from_slice::<Value>(body) else { return };
    let keys = keys();
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("k1".into());
    let Ok(token) = jsonwebtoken::encode(&header, &claims, &keys.encoding) else { return };
    let now = OffsetDateTime::from_unix_timestamp(NOW).expect("a date");
    let extra_audiences = ["300000000000000042".to_owned()];
    let expect = Expectations {
        issuer: ISSUER,
        client_id: CLIENT,
        extra_audiences: &extra_audiences,
        nonce: (pick & 1 == 0).then_some(NONCE),
        now,
        server_date: (pick & 2 == 0).then(|| now - time::Duration::minutes(10)),
    };
    match verify(&token, &keys.jwks, &expect) {
        Ok(verified) => {
            let iss = claims["iss"].as_str().expect("an accepted token has an issuer");
            assert!(same_issuer(iss, ISSUER) || iss == "accounts.google.com", "issuer {iss}");
            let audiences = string_or_list(claims.get("aud")).expect("an accepted token has an audience");
            assert!(audiences.iter().any(|a| a == CLIENT), "audiences {audiences:?}");
            let exp = seconds(claims.get("exp")).expect("an accepted token has an expiry");
            assert!(exp >= NOW - LEEWAY_SECONDS, "accepted a token that expired at {exp}");
            if expect.nonce.is_some() {
                assert_eq!(claims["nonce"].as_str(), Some(NONCE));
            }
            assert!(!verified.user.is_empty() && !verified.user.chars().any(char::is_control));
            assert!(verified.user.chars().count() <= 301);
        }
        Err(problem) => assert!(!problem.to_string().is_empty()),
    }
});
