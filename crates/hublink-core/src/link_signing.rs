//! Signed authentication links: an organisation's Ed25519 signature (RFC 8032) over a link's
//! canonical form, so a link a web page fires cannot pass for the administrator's.
//!
//! The canonical form is not the link's text but what it means: the link that
//! [`AuthLink::generate`] writes for the validated settings — fixed key order, fixed
//! percent-encoding, defaults left out. Reordering, re-encoding or adding unknown parameters
//! (which are never acted on) therefore neither breaks nor forges a signature; changing any
//! value that matters does. The signed message is `hublink-link-v1\n` + that link; `sig` is
//! the signature in base64url without padding. Public keys in policy are standard base64 of
//! the 32 key bytes; private keys are PKCS#8 PEM files (`openssl pkey` reads them).

use base64::Engine;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use crate::link::AuthLink;
use crate::settings::HubSettings;

/// The link parameter that carries the signature.
pub const PARAMETER: &str = "sig";
/// Characters [`sign`] adds to a canonical link: `&sig=` and an Ed25519 signature (64 bytes)
/// in unpadded base64url (86 characters).
pub const SIGNATURE_CHARS: usize = 1 + PARAMETER.len() + 1 + 86;
const DOMAIN: &str = "hublink-link-v1\n";

/// What a link's signature says, checked against the organisation's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkSignature {
    /// The link carries no `sig`.
    Unsigned,
    /// A good signature by one of the organisation's keys (its fingerprint).
    Verified { key: String },
    /// A `sig` that no organisation key verifies (tampered, another key, or malformed).
    Invalid { reason: String },
}

impl LinkSignature {
    pub fn is_verified(&self) -> bool {
        matches!(self, LinkSignature::Verified { .. })
    }
}

/// Why a signing key or a public key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error("it is not an Ed25519 private key in PKCS#8 PEM form (as `hublink link keygen` writes)")]
    NotAPrivateKey,
    #[error("`{0}` is not a base64 Ed25519 public key (32 bytes)")]
    NotAPublicKey(String),
}

fn message(settings: &HubSettings) -> String {
    format!("{DOMAIN}{}", AuthLink::generate(settings))
}

/// The canonical link for `settings`, signed: `…&sig=<base64url>`.
pub fn sign(settings: &HubSettings, key: &SigningKey) -> String {
    let signature = key.sign(message(settings).as_bytes());
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signature.to_bytes());
    format!("{}&{PARAMETER}={sig}", AuthLink::generate(settings))
}

/// Check `link`'s signature against the organisation's `keys`.
pub fn verify(link: &AuthLink, keys: &[VerifyingKey]) -> LinkSignature {
    let Some(sig) = &link.signature else { return LinkSignature::Unsigned };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(sig.trim_end_matches('='));
    let Some(signature) = bytes.ok().and_then(|b| Signature::from_slice(&b).ok()) else {
        return LinkSignature::Invalid { reason: "the signature is not a base64url Ed25519 signature".into() };
    };
    let message = message(&link.settings);
    match keys.iter().find(|k| k.verify(message.as_bytes(), &signature).is_ok()) {
        Some(key) => LinkSignature::Verified { key: fingerprint(key) },
        None if keys.is_empty() => {
            LinkSignature::Invalid { reason: "this computer has no organisation key to check it with".into() }
        }
        None => LinkSignature::Invalid {
            reason: "it does not match the link's contents with any of the organisation's keys (the link was changed, or signed by someone else)".into(),
        },
    }
}

/// A short, stable name for a public key: the first 16 base64 characters of the key.
pub fn fingerprint(key: &VerifyingKey) -> String {
    public_key_text(key).chars().take(16).collect()
}

/// A public key as policy lists it: standard base64 of its 32 bytes.
pub fn public_key_text(key: &VerifyingKey) -> String {
    base64::engine::general_purpose::STANDARD.encode(key.to_bytes())
}

/// Parse a public key from policy.
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, KeyError> {
    let bad = || KeyError::NotAPublicKey(crate::http::shorten(text).chars().take(60).collect());
    let bytes = base64::engine::general_purpose::STANDARD.decode(text.trim()).map_err(|_| bad())?;
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| bad())?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| bad())
}

/// A new signing key from the operating system's random source.
pub fn generate_key() -> SigningKey {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("the operating system's random source is unavailable");
    SigningKey::from_bytes(&seed)
}

/// The private key as a PKCS#8 PEM document (a secret: write it with mode 0600).
pub fn private_key_pem(key: &SigningKey) -> crate::secret::Secret {
    // PKCS#8 v1 (RFC 5208, no public key inside): the form OpenSSL 3.0 reads.
    let bytes = ed25519_dalek::pkcs8::KeypairBytes { secret_key: key.to_bytes(), public_key: None };
    let pem = bytes.to_pkcs8_pem(Default::default()).map(|p| p.to_string()).unwrap_or_default();
    crate::secret::Secret::new(pem)
}

/// Read a private key written by [`private_key_pem`] (or `openssl genpkey -algorithm ed25519`).
pub fn read_private_key(pem: &str) -> Result<SigningKey, KeyError> {
    SigningKey::from_pkcs8_pem(pem).map_err(|_| KeyError::NotAPrivateKey)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(text: &str) -> AuthLink {
        AuthLink::parse(text).unwrap()
    }

    const LINK: &str = "hublink://add?url=https://finance.example.com/&name=Finance%20Hub&issuer=https://login.example.com/realms/corp&mfa=required";

    #[test]
    fn a_signed_link_verifies_whatever_its_order_and_encoding() {
        let key = generate_key();
        let signed = sign(&link(LINK).settings, &key);
        let keys = [key.verifying_key()];
        assert!(verify(&link(&signed), &keys).is_verified(), "{signed}");
        let sig = signed.split("&sig=").nth(1).unwrap();
        // Reordered, re-encoded, an unknown parameter added: still the same link.
        let reordered = format!(
            "hublink://add?mfa=required&sig={sig}&issuer=https%3A%2F%2Flogin.example.com%2Frealms%2Fcorp&name=Finance+Hub&url=https://FINANCE.example.com:443/&utm_source=mail"
        );
        assert!(verify(&link(&reordered), &keys).is_verified());
    }

    #[test]
    fn tampering_another_key_or_no_signature_are_told_apart() {
        let key = generate_key();
        let signed = sign(&link(LINK).settings, &key);
        let keys = [key.verifying_key()];
        let tampered = signed.replace("finance.example.com", "finance.example.net");
        assert!(matches!(verify(&link(&tampered), &keys), LinkSignature::Invalid { .. }));
        let dropped_mfa = signed.replace("&mfa=required", "");
        assert!(matches!(verify(&link(&dropped_mfa), &keys), LinkSignature::Invalid { .. }));
        let other = [generate_key().verifying_key()];
        assert!(matches!(verify(&link(&signed), &other), LinkSignature::Invalid { .. }));
        assert_eq!(verify(&link(LINK), &keys), LinkSignature::Unsigned);
        let garbage = format!("{LINK}&sig=not-a-signature");
        assert!(matches!(verify(&link(&garbage), &keys), LinkSignature::Invalid { .. }));
        assert!(AuthLink::parse(&format!("{signed}&sig=again")).is_err(), "two signatures");
    }

    /// Found by fuzzing (fuzz/regressions/link/signed-link-longer-than-a-link): a hub whose
    /// canonical link was just under the link limit was accepted, but its signed link was then
    /// refused as over-long.
    #[test]
    fn every_accepted_hub_can_be_signed_and_read_back() {
        use crate::link::{MAX_CANONICAL_LINK_CHARS, MAX_LINK_CHARS};
        let key = generate_key();
        // `!` is written `%21` in a link: a long link from values that are each within their
        // limits, sized to the character by `a`s.
        let bangs = "!".repeat(650);
        let sized = |n: usize| {
            format!(
                "hublink://add?url=https://hub.example.com/{bangs}&issuer=https://login.example.com/{bangs}&scope=openid+{}{}",
                "!".repeat(n / 3),
                "a".repeat(n % 3)
            )
        };
        let base = AuthLink::generate(&link(&sized(3)).settings).chars().count() - 3;
        let room = MAX_CANONICAL_LINK_CHARS - base;
        let settings = link(&sized(room)).settings;
        assert_eq!(AuthLink::generate(&settings).chars().count(), MAX_CANONICAL_LINK_CHARS);
        let signed = sign(&settings, &key);
        assert_eq!(signed.chars().count(), MAX_LINK_CHARS);
        assert!(verify(&link(&signed), &[key.verifying_key()]).is_verified());
        // One character more fits in a link, but not with its signature: refused up front.
        let over = sized(room + 1);
        assert!(over.chars().count() <= MAX_LINK_CHARS);
        assert_eq!(
            AuthLink::parse(&over).err(),
            Some(crate::link::LinkError::Settings(crate::settings::SettingsError::TooLongForALink {
                max: MAX_CANONICAL_LINK_CHARS
            }))
        );
    }

    #[test]
    fn keys_round_trip_through_their_files() {
        let key = generate_key();
        let pem = private_key_pem(&key);
        assert!(pem.expose().starts_with("-----BEGIN PRIVATE KEY-----"));
        assert_eq!(read_private_key(pem.expose()).unwrap().to_bytes(), key.to_bytes());
        let public = public_key_text(&key.verifying_key());
        assert_eq!(parse_public_key(&public).unwrap(), key.verifying_key());
        assert!(parse_public_key("c2hvcnQ=").is_err());
        assert!(read_private_key("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").is_err());
    }
}
