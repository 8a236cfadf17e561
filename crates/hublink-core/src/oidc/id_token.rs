//! ID-token verification (OpenID Connect Core 1.0 §3.1.3.7), tolerant of how real identity
//! providers shape their claims and strict about what protects the user.
//!
//! The signature is checked by the `jsonwebtoken` crate against the provider's JWKS. The claims
//! are then read from plain JSON by this module, not through a typed claims struct: real
//! providers send `updated_at` as an ISO string (Auth0), `amr` as one string, `exp` as a
//! numeric string, and a typed parser (openidconnect's) throws away a sign-in the user already
//! completed for a claim Hublink never uses. Only the claims the checks need are read, each
//! accepting the shapes providers are documented or observed to send.
//!
//! Strict where it matters: only asymmetric signatures (no `none`, no HMAC — a public key must
//! never be usable as a shared secret), the key chosen by `kid`, `iss` equal to the discovered
//! issuer, `aud` naming our client with every other audience explicitly trusted by the hub's
//! settings and `azp` then naming our client (§3.1.3.7 items 3–5), the nonce of this sign-in,
//! and `exp`/`iat` within [`LEEWAY`] — beyond which the clocks are named as the cause.

use std::collections::HashSet;

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// How far clocks may differ before a token counts as expired or not yet issued: one minute,
/// as most OIDC libraries allow, covers the usual drift of machines without network time.
pub const LEEWAY_SECONDS: i64 = 60;

/// Why an ID token was not accepted. Each case says what the administrator (or, for the clock,
/// the user) must change; none holds the token or any part of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdTokenProblem {
    #[error("it is not a signed JWT Hublink can read ({0})")]
    Malformed(String),
    #[error("it is signed with {0}, and Hublink accepts only public-key signatures (RS256, PS256, ES256, EdDSA, …)")]
    Algorithm(String),
    #[error("no key of the identity provider's JWKS matches it (key id {0})")]
    UnknownKey(String),
    #[error("its signature does not verify with the identity provider's published keys")]
    BadSignature,
    #[error("it lacks the `{0}` claim")]
    MissingClaim(&'static str),
    #[error("it was issued by {found}, not by {expected}")]
    Issuer { found: String, expected: String },
    #[error("it is meant for {found}, not for this client ({client_id})")]
    Audience { found: String, client_id: String },
    #[error("it also names the audience {}, which this hub's settings do not trust", .extra.join(", "))]
    ExtraAudience { extra: Vec<String> },
    #[error("it has several audiences, and its authorized party (`azp`) is {}, not this client ({client_id})", .found.as_deref().unwrap_or("missing"))]
    AuthorizedParty { found: Option<String>, client_id: String },
    #[error("its nonce does not belong to this sign-in (a replayed or injected answer)")]
    Nonce,
    #[error("this computer's clock and the identity provider's differ by about {}", minutes(*.seconds))]
    ClockSkew {
        /// This computer's time minus the provider's, in seconds (positive: ours is ahead).
        seconds: i64,
    },
    #[error("it had already expired when it arrived")]
    Expired,
}

fn minutes(seconds: i64) -> String {
    let m = (seconds.abs() + 30) / 60;
    match m {
        0 => format!("{} seconds", seconds.abs()),
        1 => "1 minute".to_owned(),
        m => format!("{m} minutes"),
    }
}

/// What a verified ID token says about the sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedClaims {
    /// `preferred_username`, else `email`, else `sub`.
    pub user: String,
    /// `amr` (RFC 8176) as sent: `None` when the provider does not report it at all.
    pub amr: Option<Vec<String>>,
}

/// What an ID token is checked against.
pub struct Expectations<'a> {
    /// The issuer exactly as the discovery document published it.
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// Audiences besides the client id the hub's settings trust (`extra_audiences`).
    pub extra_audiences: &'a [String],
    /// The nonce of this sign-in (browser flow); `None` for device and refresh grants.
    pub nonce: Option<&'a str>,
    /// This computer's time.
    pub now: OffsetDateTime,
    /// The provider's time, from the `Date` header of the answer that carried the token.
    pub server_date: Option<OffsetDateTime>,
}

/// Verify `token` with a key from `jwks` (the provider's JWKS document) and check its claims.
pub fn verify(token: &str, jwks: &Value, expect: &Expectations<'_>) -> Result<VerifiedClaims, IdTokenProblem> {
    let claims = verify_signature(token, jwks)?;
    check_claims(&claims, expect)
}

fn verify_signature(token: &str, jwks: &Value) -> Result<Map<String, Value>, IdTokenProblem> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| match unknown_algorithm(token) {
        // `none` (an unsigned token) and algorithms no JWT library here knows: say which.
        Some(alg) => IdTokenProblem::Algorithm(alg),
        None => IdTokenProblem::Malformed(e.to_string()),
    })?;
    if matches!(header.alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) {
        return Err(IdTokenProblem::Algorithm(format!("{:?}", header.alg)));
    }
    let key = select_key(jwks, header.kid.as_deref(), header.alg)?;
    let mut validation = Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims = HashSet::new();
    match jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation) {
        Ok(data) => Ok(data.claims),
        Err(e) => match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => Err(IdTokenProblem::BadSignature),
            _ => Err(IdTokenProblem::Malformed(e.to_string())),
        },
    }
}

/// The header's `alg` when it names no algorithm `jsonwebtoken` knows (`none`, say), printable.
fn unknown_algorithm(token: &str) -> Option<String> {
    use base64::Engine;
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.split('.').next()?).ok()?;
    let alg = serde_json::from_slice::<Value>(&header).ok()?.get("alg")?.as_str()?.to_owned();
    alg.parse::<Algorithm>().is_err().then(|| crate::http::shorten(&alg))
}

/// The JWKS key for `kid` (or, without a `kid`, the one signing key that fits `alg`). Symmetric
/// (`oct`) keys and encryption keys are never used.
fn select_key(jwks: &Value, kid: Option<&str>, alg: Algorithm) -> Result<DecodingKey, IdTokenProblem> {
    let keys = jwks.get("keys").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let candidates: Vec<Jwk> = keys
        .iter()
        .filter(|k| k.get("use").and_then(Value::as_str).is_none_or(|u| u == "sig"))
        .filter(|k| kid.is_none_or(|kid| k.get("kid").and_then(Value::as_str) == Some(kid)))
        .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
        .filter(|k| fits(k, alg))
        .collect();
    let unknown = || IdTokenProblem::UnknownKey(kid.map(crate::http::shorten).unwrap_or_else(|| "none given".into()));
    let jwk = match (kid, candidates.as_slice()) {
        (Some(_), [first, ..]) | (None, [first]) => first,
        _ => return Err(unknown()),
    };
    DecodingKey::from_jwk(jwk).map_err(|_| unknown())
}

fn fits(jwk: &Jwk, alg: Algorithm) -> bool {
    use Algorithm::*;
    match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => matches!(alg, RS256 | RS384 | RS512 | PS256 | PS384 | PS512),
        AlgorithmParameters::EllipticCurve(_) => matches!(alg, ES256 | ES384),
        AlgorithmParameters::OctetKeyPair(_) => alg == EdDSA,
        AlgorithmParameters::OctetKey(_) => false,
    }
}

fn check_claims(claims: &Map<String, Value>, expect: &Expectations<'_>) -> Result<VerifiedClaims, IdTokenProblem> {
    let iss = claims.get("iss").and_then(Value::as_str).ok_or(IdTokenProblem::MissingClaim("iss"))?;
    // Google's ID tokens may carry its issuer without the scheme (`accounts.google.com`), which
    // its documentation allows; the host is still compared exactly.
    let schemeless = iss == "accounts.google.com" && super::same_issuer(expect.issuer, "https://accounts.google.com");
    if !super::same_issuer(iss, expect.issuer) && !schemeless {
        return Err(IdTokenProblem::Issuer { found: crate::http::shorten(iss), expected: expect.issuer.to_owned() });
    }
    check_audience(claims, expect)?;
    check_times(claims, expect)?;
    if let Some(nonce) = expect.nonce {
        match claims.get("nonce").and_then(Value::as_str) {
            None => return Err(IdTokenProblem::MissingClaim("nonce")),
            Some(n) if n != nonce => return Err(IdTokenProblem::Nonce),
            Some(_) => {}
        }
    }
    let text = |name: &str| claims.get(name).and_then(Value::as_str).filter(|s| !s.is_empty());
    let user = text("preferred_username")
        .or_else(|| text("email"))
        .or_else(|| text("sub"))
        .ok_or(IdTokenProblem::MissingClaim("sub"))?;
    Ok(VerifiedClaims { user: crate::http::shorten(user), amr: string_or_list(claims.get("amr")) })
}

/// `aud` as one string or a list (§2); every value but our client id must be trusted.
fn check_audience(claims: &Map<String, Value>, expect: &Expectations<'_>) -> Result<(), IdTokenProblem> {
    let audiences = string_or_list(claims.get("aud")).ok_or(IdTokenProblem::MissingClaim("aud"))?;
    if !audiences.iter().any(|a| a == expect.client_id) {
        return Err(IdTokenProblem::Audience {
            found: audiences.iter().map(|a| crate::http::shorten(a)).collect::<Vec<_>>().join(", "),
            client_id: expect.client_id.to_owned(),
        });
    }
    let extra: Vec<String> = audiences
        .iter()
        .filter(|a| *a != expect.client_id && !expect.extra_audiences.contains(a))
        .map(|a| crate::http::shorten(a))
        .collect();
    if !extra.is_empty() {
        return Err(IdTokenProblem::ExtraAudience { extra });
    }
    let azp = claims.get("azp").and_then(Value::as_str);
    let azp_wrong = azp.is_some_and(|a| a != expect.client_id);
    if azp_wrong || (audiences.len() > 1 && azp.is_none()) {
        return Err(IdTokenProblem::AuthorizedParty {
            found: azp.map(crate::http::shorten),
            client_id: expect.client_id.to_owned(),
        });
    }
    Ok(())
}

/// `exp` (required) and `iat` (when sent) within the leeway. A token that is expired (or issued
/// in the future) by this computer's clock while the answer's `Date` header shows the clocks
/// more than the leeway apart is blamed on the clocks, not on the provider.
fn check_times(claims: &Map<String, Value>, expect: &Expectations<'_>) -> Result<(), IdTokenProblem> {
    let exp = seconds(claims.get("exp")).ok_or(IdTokenProblem::MissingClaim("exp"))?;
    let iat = seconds(claims.get("iat"));
    let now = expect.now.unix_timestamp();
    let skew = expect.server_date.map(|d| (expect.now - d).whole_seconds()).filter(|s| s.abs() > LEEWAY_SECONDS);
    let out_of_time = now > exp || iat.is_some_and(|iat| iat > now);
    if let (Some(seconds), true) = (skew, out_of_time) {
        return Err(IdTokenProblem::ClockSkew { seconds });
    }
    if let Some(iat) = iat.filter(|iat| *iat > now + LEEWAY_SECONDS) {
        return Err(IdTokenProblem::ClockSkew { seconds: now - iat });
    }
    // `exp` is whatever the provider wrote (`1e30` reads as i64::MAX): it must not overflow.
    if now > exp.saturating_add(LEEWAY_SECONDS) {
        return Err(IdTokenProblem::Expired);
    }
    Ok(())
}

/// A claim that providers send as one string or as a list of strings (`aud`, `amr`).
pub fn string_or_list(v: Option<&Value>) -> Option<Vec<String>> {
    match v? {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => Some(items.iter().filter_map(Value::as_str).map(str::to_owned).collect()),
        _ => None,
    }
}

/// A NumericDate (seconds since the epoch) as a number or a numeric string.
pub fn seconds(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse::<f64>().ok().map(|f| f as i64),
        _ => None,
    }
}

#[cfg(test)]
#[path = "id_token_tests.rs"]
mod tests;
