//! The token endpoint's answers (RFC 6749 §5.1/§5.2, RFC 8628 §3.2/§3.5), read leniently.
//!
//! Providers differ in shapes the RFCs leave no room for: `expires_in` as a JSON string
//! (Salesforce, some Azure AD v1 endpoints), `verification_url` instead of
//! `verification_uri` (Google's device flow), `interval` as a string. A typed parser that
//! refuses them throws away a sign-in the user already finished, so these few fields are read
//! here by hand: each accepts the documented and the observed shapes and nothing that could
//! change what is trusted.

use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::secret::{AccessToken, IdToken, RefreshToken, Secret};

/// A successful token answer (RFC 6749 §5.1).
#[derive(Deserialize)]
pub struct TokenAnswer {
    pub access_token: AccessToken,
    #[serde(default)]
    pub refresh_token: Option<RefreshToken>,
    #[serde(default)]
    pub id_token: Option<IdToken>,
    /// Seconds; a number or a numeric string.
    #[serde(default, deserialize_with = "lenient_seconds")]
    pub expires_in: Option<i64>,
    /// Keycloak's and some others' refresh-token lifetime, in seconds.
    #[serde(default, deserialize_with = "lenient_seconds")]
    pub refresh_expires_in: Option<i64>,
}

impl std::fmt::Debug for TokenAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAnswer").field("expires_in", &self.expires_in).finish_non_exhaustive()
    }
}

impl TokenAnswer {
    /// How long the access token works: `expires_in` when sent, else the `exp` of an access
    /// token that is a JWT (read, not trusted for anything else), else unknown.
    pub fn lifetime(&self) -> Option<super::Lifetime> {
        // At most a year: no access token lives longer, and nothing a provider sends may
        // overflow a date.
        if let Some(s) = self.expires_in.filter(|s| *s > 0) {
            return Some(super::Lifetime::Lasts(time::Duration::seconds(s.min(366 * 86_400))));
        }
        jwt_exp(self.access_token.expose())
            .and_then(|exp| OffsetDateTime::from_unix_timestamp(exp).ok())
            .map(super::Lifetime::Until)
    }
}

/// An error answer (RFC 6749 §5.2).
#[derive(Debug, Deserialize)]
pub struct ErrorAnswer {
    pub error: String,
    #[serde(default)]
    pub error_description: Option<String>,
}

/// The device authorization answer (RFC 8628 §3.2).
#[derive(Deserialize)]
pub struct DeviceAnswer {
    pub device_code: Secret,
    pub user_code: String,
    /// Google calls it `verification_url`.
    #[serde(alias = "verification_url")]
    pub verification_uri: String,
    #[serde(default)]
    pub verification_uri_complete: Option<String>,
    #[serde(default, deserialize_with = "lenient_seconds")]
    pub expires_in: Option<i64>,
    #[serde(default, deserialize_with = "lenient_seconds")]
    pub interval: Option<i64>,
}

impl std::fmt::Debug for DeviceAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceAnswer").field("verification_uri", &self.verification_uri).finish_non_exhaustive()
    }
}

/// Seconds as a JSON number (integer or not) or a numeric string; anything else is "not sent".
fn lenient_seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(super::id_token::seconds(Option::<Value>::deserialize(d)?.as_ref()))
}

/// The `exp` claim of a JWT's payload, without verifying anything: used only to time a refresh.
pub fn jwt_exp(token: &str) -> Option<i64> {
    use base64::Engine;
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    super::id_token::seconds(claims.get("exp"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_in_as_number_string_or_missing() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let a: TokenAnswer = serde_json::from_str(r#"{"access_token":"a","expires_in":"3599"}"#).unwrap();
        assert_eq!(a.lifetime().map(|l| l.expires_at(now)), Some(now + time::Duration::seconds(3599)));
        let a: TokenAnswer = serde_json::from_str(r#"{"access_token":"a","expires_in":3600.0}"#).unwrap();
        assert_eq!(a.expires_in, Some(3600));
        let a: TokenAnswer = serde_json::from_str(r#"{"access_token":"a","expires_in":"soon"}"#).unwrap();
        assert_eq!(a.lifetime(), None, "unreadable is unknown, not a refusal");
        assert!(serde_json::from_str::<TokenAnswer>(r#"{"expires_in":1}"#).is_err(), "no access token");
    }

    #[test]
    fn a_jwt_access_token_gives_its_exp_when_expires_in_is_missing() {
        use base64::Engine;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"exp":1700000000}"#);
        let a = TokenAnswer {
            access_token: AccessToken::new(format!("eyJhbGciOiJSUzI1NiJ9.{payload}.c2ln")),
            refresh_token: None,
            id_token: None,
            expires_in: None,
            refresh_expires_in: None,
        };
        assert_eq!(
            a.lifetime().map(|l| l.expires_at(OffsetDateTime::UNIX_EPOCH).unix_timestamp()),
            Some(1_700_000_000)
        );
        assert_eq!(jwt_exp("opaque-token"), None);
    }

    #[test]
    fn device_answers_from_rfc_8628_and_google() {
        let d: DeviceAnswer = serde_json::from_str(
            r#"{"device_code":"d","user_code":"ABCD-EFGH","verification_url":"https://www.google.com/device","expires_in":"1800","interval":5}"#,
        )
        .unwrap();
        assert_eq!(d.verification_uri, "https://www.google.com/device");
        assert_eq!((d.expires_in, d.interval), (Some(1800), Some(5)));
        assert!(!format!("{d:?}").contains("\"d\""));
    }
}
