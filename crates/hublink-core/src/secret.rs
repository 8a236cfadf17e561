//! A string that must never be seen: redacted in `Debug`, absent from `Display`, not comparable,
//! zeroed when dropped.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroize;

#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself. Call it only where the value leaves for its one legitimate
    /// destination (an HTTP header, the keyring, stdout of `hublink token`).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

/// Distinct kinds of secret, so one cannot be passed where another is meant (an ID token as
/// an access token, a code as a refresh token). Each is a [`Secret`]: redacted, not
/// comparable, zeroed when dropped; stored and sent as the plain string.
macro_rules! secret_kind {
    ($($(#[$doc:meta])* $name:ident;)+) => {$(
        $(#[$doc])*
        #[derive(Clone, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Secret);

        impl $name {
            pub fn new(value: impl Into<String>) -> Self {
                $name(Secret::new(value))
            }

            /// See [`Secret::expose`].
            pub fn expose(&self) -> &str {
                self.0.expose()
            }

            pub fn len(&self) -> usize {
                self.0.len()
            }

            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    )+};
}

secret_kind! {
    /// An OAuth access token (RFC 6749 §1.4): what a hub is shown.
    AccessToken;
    /// An OAuth refresh token (RFC 6749 §1.5): only ever sent to the issuer that gave it.
    RefreshToken;
    /// An OpenID Connect ID token (OIDC Core §2), kept for sign-out hints.
    IdToken;
    /// An authorization code (RFC 6749 §4.1.2): redeemed once, at the issuer's token endpoint.
    AuthorizationCode;
    /// A cookie's value (RFC 6265 §4.1.1): a hub's session, or an IdP's single sign-on.
    CookieValue;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::new("eyJhbGciOi-super-secret");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(&s)), "Some([redacted])");
        let a = AccessToken::new("eyJhbGciOi-super-secret");
        assert_eq!(format!("{a:?}"), "AccessToken([redacted])");
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"eyJhbGciOi-super-secret\"", "stored as the plain string");
    }
}
