//! The identity provider: discovery (OIDC Discovery 1.0), the authorization request with PKCE
//! S256 + state + nonce (RFC 6749 §4.1, RFC 7636, OIDC Core §3.1.2), the code, refresh and
//! device grants (RFC 6749 §4.1.3/§6, RFC 8628), ID-token verification ([`id_token`]),
//! revocation (RFC 7009) — and the hub's own session check.
//!
//! Written on `reqwest` rather than through the `openidconnect` crate. That crate's strict
//! types refuse what mainstream providers actually send — `expires_in` as a string, `amr` as
//! one string, `updated_at` as an ISO date, a bare-origin `issuer` compared with a trailing
//! slash — and each refusal threw away a sign-in the user had already finished with password
//! and second factor. The cryptography stays in a library (`jsonwebtoken` verifies
//! signatures); what is here is request building and tolerant reading of a few JSON fields,
//! with every security check kept (see [`id_token`]). Every answer is read with a size limit.

pub mod id_token;
pub mod tokens;

use std::time::Duration;

use base64::Engine;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use sha2::Digest;
use time::OffsetDateTime;
use url::Url;

use crate::error::{Error, Result};
use crate::http;
use crate::secret::{AccessToken, AuthorizationCode, IdToken, RefreshToken, Secret};
use crate::settings::HubSettings;
pub use id_token::IdTokenProblem;
use tokens::{DeviceAnswer, ErrorAnswer, TokenAnswer};

/// RFC 8176 methods that are a factor beyond "something you know".
pub const SECOND_FACTORS: &[&str] =
    &["mfa", "mca", "otp", "hwk", "swk", "sms", "tel", "fpt", "face", "iris", "retina", "vbm", "sc", "pop"];

/// Provider-specific `amr` values that mean a second factor was used: Entra ID's `ngcmfa`
/// (Windows Hello for Business / passkey, "MFA-capable") and AD FS's claim URI for multiple
/// authentication. Entra's `wiaormfa` ("Windows auth or MFA") is deliberately absent.
pub const PROVIDER_SECOND_FACTORS: &[&str] = &["ngcmfa", "http://schemas.microsoft.com/claims/multipleauthn"];

/// True when an `amr` value names a second factor ([`SECOND_FACTORS`], [`PROVIDER_SECOND_FACTORS`]).
pub fn is_second_factor(method: &str) -> bool {
    SECOND_FACTORS.contains(&method) || PROVIDER_SECOND_FACTORS.contains(&method)
}

/// The most Hublink reads of any identity-provider answer (discovery, JWKS, tokens). A real
/// token answer with hundreds of groups is about 50 KiB.
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// The tokens of a fresh grant (code, device or refresh).
#[derive(Debug)]
pub struct Tokens {
    pub access_token: AccessToken,
    pub refresh_token: Option<RefreshToken>,
    pub id_token: Option<IdToken>,
    /// How long the access token works; `None` when the provider did not say.
    pub lifetime: Option<Lifetime>,
    /// How long the refresh token works (`refresh_expires_in`, sent by Keycloak and some
    /// others; 0 means "no limit" there); `None` when the provider did not say.
    pub refresh_lifetime: Option<Lifetime>,
}

/// An access token's lifetime as the provider told it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// `expires_in`: from when it was received (judged by the caller's clock).
    Lasts(time::Duration),
    /// The `exp` of an access token that is a JWT.
    Until(OffsetDateTime),
}

impl Lifetime {
    /// When the token stops working, for a token received at `received`.
    pub fn expires_at(self, received: OffsetDateTime) -> OffsetDateTime {
        match self {
            Lifetime::Lasts(d) => received + d,
            Lifetime::Until(t) => t,
        }
    }
}

/// Who signed in, from a verified ID token.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// `preferred_username`, else `email`, else `sub`.
    pub user: String,
    /// The ID token's `amr` named a second factor (`None`: it did not report `amr`).
    pub second_factor: Option<bool>,
}

/// The answer to a refresh: the new tokens, and whether a new ID token (when sent) verified.
#[derive(Debug)]
pub struct Refreshed {
    pub tokens: Tokens,
    pub id_token_check: Result<()>,
}

/// A finished, checked sign-in: the tokens and who they belong to.
#[derive(Debug)]
pub struct SignIn {
    pub tokens: Tokens,
    pub identity: Identity,
}

/// The discovery document fields Hublink uses (OIDC Discovery 1.0 §3, RFC 8414, RFC 9207).
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: Url,
    #[serde(default)]
    pub token_endpoint: Option<Url>,
    #[serde(default)]
    pub userinfo_endpoint: Option<Url>,
    pub jwks_uri: Url,
    #[serde(default)]
    pub device_authorization_endpoint: Option<Url>,
    #[serde(default)]
    pub revocation_endpoint: Option<Url>,
    /// RFC 9207: `true` when every authorization answer names its issuer in `iss`. Read
    /// leniently (anything but JSON `true` is "no").
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: Option<Value>,
    /// RFC 8414: the PKCE methods offered; absent on some providers that support S256 (Entra ID).
    #[serde(default)]
    pub code_challenge_methods_supported: Option<Value>,
}

impl Metadata {
    /// The provider names itself (`iss`) in every authorization answer (RFC 9207).
    pub fn announces_iss(&self) -> bool {
        matches!(self.authorization_response_iss_parameter_supported, Some(Value::Bool(true)))
    }
}

/// A discovered identity provider with a client for one hub.
pub struct Idp {
    http: reqwest::Client,
    /// The issuer as the hub's settings name it (what sessions are stored under).
    pub issuer: String,
    pub userinfo_endpoint: Option<Url>,
    metadata: Metadata,
    client_id: String,
    scopes: Vec<String>,
    extra_audiences: Vec<String>,
    mfa_required: bool,
}

impl std::fmt::Debug for Idp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idp").field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

/// An authorization request in flight: what the callback is checked against. Secret parts are
/// [`Secret`]s; `Debug` shows none of it (the URL carries `state` and `nonce`).
pub struct PendingAuthorization {
    pub url: Url,
    pub state: Secret,
    nonce: Secret,
    verifier: Secret,
    redirect_uri: String,
}

impl std::fmt::Debug for PendingAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingAuthorization")
            .field("endpoint", &self.url.origin().ascii_serialization())
            .finish_non_exhaustive()
    }
}

/// A device authorization in flight (RFC 8628 §3.2).
#[derive(Debug)]
pub struct DeviceAuthorization {
    device_code: Secret,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub expires_in: Duration,
    interval: Duration,
}

/// The loopback path where the answers of `issuer`'s sign-ins arrive (RFC 9700 §4.4.2: a
/// distinct redirect URI per identity provider, so a code one provider sends can never be taken
/// for another's). A provider that announces RFC 9207 names itself in every answer, and Hublink
/// checks that name: it keeps the plain `/callback` administrators already registered. Any
/// other gets `/callback/<id>`, where `<id>` is the first 24 hex digits of SHA-256 over the
/// issuer as a URL (lower-case host, `/` after a bare origin): `hublink doctor` prints it.
pub fn redirect_path(issuer: &str, announces_iss: bool) -> String {
    if announces_iss {
        return "/callback".to_owned();
    }
    let normalized = Url::parse(issuer).map_or_else(|_| issuer.to_owned(), |u| u.to_string());
    let digest = sha2::Sha256::digest(normalized.as_bytes());
    let id: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("/callback/{id}")
}

impl From<DeviceAnswer> for DeviceAuthorization {
    /// What the provider sent, made safe to show (printable, short) and to wait on (an expiry
    /// of 1 s to a day, a polling interval of 1 to 60 s; 600 s and 5 s when not sent).
    fn from(device: DeviceAnswer) -> DeviceAuthorization {
        DeviceAuthorization {
            device_code: device.device_code,
            user_code: http::shorten(&device.user_code),
            verification_uri: http::shorten(&device.verification_uri),
            verification_uri_complete: device.verification_uri_complete.map(|u| http::shorten(&u)),
            expires_in: Duration::from_secs(device.expires_in.unwrap_or(600).clamp(1, 86_400).unsigned_abs()),
            interval: Duration::from_secs(device.interval.unwrap_or(5).clamp(1, 60).unsigned_abs()),
        }
    }
}

/// True when two issuer identifiers name the same issuer: byte-equal, or equal as URLs (so the
/// bare origin `https://login.example.com` that Okta and Google publish equals
/// `https://login.example.com/`, and a host's case does not matter). Paths are never loosened.
pub fn same_issuer(a: &str, b: &str) -> bool {
    a == b || matches!((Url::parse(a), Url::parse(b)), (Ok(x), Ok(y)) if x == y)
}

impl Idp {
    /// OIDC discovery at the hub's issuer; the document's `issuer` must be the same issuer
    /// ([`same_issuer`]) and every endpoint it names as safe as a link's addresses.
    pub async fn discover(settings: &HubSettings, http: reqwest::Client) -> Result<Idp> {
        let issuer = settings.issuer.clone();
        let discovery_error = |detail: String| Error::Discovery { issuer: issuer.clone(), detail };
        let url = Url::parse(&format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/')))
            .map_err(|e| discovery_error(format!("the issuer is not an address ({e})")))?;
        let answer = get_json(&http, &url, "the identity provider's discovery document").await?;
        if let Some(to) = answer.redirected_to() {
            return Err(discovery_error(format!(
                "its discovery document answered with a redirect to {to}, and Hublink follows no redirects from an identity provider; the link or hubs.ini must name the issuer exactly as the identity provider publishes it"
            )));
        }
        if answer.status.is_server_error() {
            // The provider is there but failing: like being offline, it may pass.
            return Err(Error::Network {
                what: "the identity provider's discovery document".into(),
                detail: format!("the server failed (HTTP {})", answer.status),
                source: None,
            });
        }
        if !answer.status.is_success() {
            return Err(discovery_error(format!(
                "the discovery document answered HTTP {} (is the issuer address right?)",
                answer.status
            )));
        }
        let metadata: Metadata = serde_json::from_slice(&answer.body).map_err(|e| {
            discovery_error(format!("{url} is not an OpenID Connect discovery document ({})", e.classify_name()))
        })?;
        if !same_issuer(&metadata.issuer, &issuer) {
            return Err(discovery_error(format!(
                "the discovery document names the issuer {}, not {issuer}; the link or hubs.ini must name the issuer exactly as the identity provider publishes it",
                http::shorten(&metadata.issuer)
            )));
        }
        check_endpoints(&issuer, &metadata)?;
        check_pkce(&issuer, &metadata)?;
        Ok(Idp {
            http,
            userinfo_endpoint: metadata.userinfo_endpoint.clone(),
            issuer,
            metadata,
            client_id: settings.client_id.clone(),
            scopes: settings.scopes.clone(),
            extra_audiences: settings.extra_audiences.clone(),
            mfa_required: settings.mfa_required,
        })
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The issuer exactly as the provider publishes it (what `iss` is compared with).
    pub fn published_issuer(&self) -> &str {
        &self.metadata.issuer
    }

    /// The provider announces `iss` in every authorization answer (RFC 9207): an answer
    /// without it is refused.
    pub fn announces_iss(&self) -> bool {
        self.metadata.announces_iss()
    }

    /// The loopback path this provider's answers come back to ([`redirect_path`]).
    pub fn redirect_path(&self) -> String {
        redirect_path(&self.metadata.issuer, self.announces_iss())
    }

    pub fn has_device_flow(&self) -> bool {
        self.metadata.device_authorization_endpoint.is_some()
    }

    pub fn has_revocation(&self) -> bool {
        self.metadata.revocation_endpoint.is_some()
    }

    /// Asks for a refresh token (`offline_access`): then OIDC Core §11 requires
    /// `prompt=consent`, and strict providers issue no refresh token without it.
    fn wants_offline_access(&self) -> bool {
        self.scopes.iter().any(|s| s == "offline_access")
    }

    /// The authorization URL for the browser, with fresh state, nonce and PKCE S256.
    pub fn authorize(&self, redirect_uri: &str) -> PendingAuthorization {
        let (state, nonce, verifier) = (random_token(), random_token(), random_token());
        let challenge =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.expose()));
        let mut url = self.metadata.authorization_endpoint.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &self.client_id)
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("scope", &self.scopes.join(" "))
                .append_pair("state", state.expose())
                .append_pair("nonce", nonce.expose())
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256");
            if self.wants_offline_access() {
                q.append_pair("prompt", "consent");
            }
        }
        PendingAuthorization { url, state, nonce, verifier, redirect_uri: redirect_uri.to_owned() }
    }

    /// Redeem an authorization code (with the PKCE verifier) and verify the ID token against
    /// this sign-in's nonce.
    pub async fn exchange_code(&self, code: &AuthorizationCode, pending: PendingAuthorization) -> Result<SignIn> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.expose()),
            ("redirect_uri", &pending.redirect_uri),
            ("code_verifier", pending.verifier.expose()),
            ("client_id", &self.client_id),
        ];
        let (answer, date) = self.token_request(&form).await?;
        self.sign_in_from(answer, date, Some(pending.nonce.expose())).await
    }

    async fn sign_in_from(
        &self,
        answer: TokenAnswer,
        date: Option<OffsetDateTime>,
        nonce: Option<&str>,
    ) -> Result<SignIn> {
        let id_token = answer.id_token.as_ref().ok_or_else(|| {
            Error::Protocol("the identity provider sent no ID token (the hub's scope must include `openid`)".into())
        })?;
        let claims = self.verify_id_token(id_token, date, nonce).await?;
        if self.mfa_required && !claims.amr.as_ref().is_some_and(|amr| amr.iter().any(|m| is_second_factor(m))) {
            return Err(Error::MfaMissing { amr: claims.amr });
        }
        let tokens = tokens_of(answer);
        let second_factor = claims.amr.as_ref().map(|amr| amr.iter().any(|m| is_second_factor(m)));
        Ok(SignIn { tokens, identity: Identity { user: claims.user, second_factor } })
    }

    async fn verify_id_token(
        &self,
        id_token: &IdToken,
        server_date: Option<OffsetDateTime>,
        nonce: Option<&str>,
    ) -> Result<id_token::VerifiedClaims> {
        let answer =
            get_json(&self.http, &self.metadata.jwks_uri, "the identity provider's signing keys (JWKS)").await?;
        let jwks = answer.json()?;
        let expect = id_token::Expectations {
            issuer: &self.metadata.issuer,
            client_id: &self.client_id,
            extra_audiences: &self.extra_audiences,
            nonce,
            now: OffsetDateTime::now_utc(),
            server_date,
        };
        id_token::verify(id_token.expose(), &jwks, &expect)
            .map_err(|problem| Error::IdToken { issuer: self.issuer.clone(), problem })
    }

    /// Exchange a refresh token. `invalid_grant` (revoked, expired) becomes
    /// [`Error::SignInRequired`]. A new ID token, when sent, is verified (without a nonce), but
    /// its verdict comes back beside the tokens rather than instead of them: a provider that
    /// rotates refresh tokens has already retired the old one, and throwing the new one away
    /// over an ID token (a JWKS blip, a clock) would end the session at the next refresh.
    pub async fn refresh(&self, hub_name: &str, refresh_token: &RefreshToken) -> Result<Refreshed> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
            ("client_id", &self.client_id),
        ];
        let (answer, date) = self.token_request(&form).await.map_err(|e| match e {
            Error::IdpRefused { error, description } if error == "invalid_grant" => Error::SignInRequired {
                hub: hub_name.to_owned(),
                reason: format!(
                    "the identity provider no longer accepts the session ({})",
                    description.unwrap_or_else(|| "it was revoked or has expired".into())
                ),
            },
            other => other,
        })?;
        let id_token_check = match &answer.id_token {
            Some(id_token) => self.verify_id_token(id_token, date, None).await.map(|_| ()),
            None => Ok(()),
        };
        Ok(Refreshed { tokens: tokens_of(answer), id_token_check })
    }

    /// Start the device authorization grant (RFC 8628 §3.1).
    pub async fn device_start(&self) -> Result<DeviceAuthorization> {
        let endpoint = self.metadata.device_authorization_endpoint.clone().ok_or_else(|| Error::Discovery {
            issuer: self.issuer.clone(),
            detail: "the identity provider does not offer the device flow (no device_authorization_endpoint)".into(),
        })?;
        let what = "the identity provider's device authorization endpoint";
        let scope = self.scopes.join(" ");
        let answer =
            post_form(&self.http, &endpoint, &[("client_id", &self.client_id), ("scope", &scope)], what).await?;
        let device: DeviceAnswer = answer.parse(what)?;
        Ok(DeviceAuthorization::from(device))
    }

    /// Poll the token endpoint at the server's interval (slower when told, RFC 8628 §3.5)
    /// until the user finishes, refuses, or `timeout` passes; then verify the ID token.
    pub async fn device_poll(&self, device: &DeviceAuthorization, timeout: Duration) -> Result<SignIn> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut interval = device.interval;
        let form = [
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", device.device_code.expose()),
            ("client_id", &self.client_id),
        ];
        let timed_out = || Error::TimedOut { seconds: timeout.as_secs(), waiting_for: "the code to be entered".into() };
        loop {
            if tokio::time::Instant::now() + interval > deadline {
                return Err(timed_out());
            }
            tokio::time::sleep(interval).await;
            match self.token_request(&form).await {
                Ok((answer, date)) => return self.sign_in_from(answer, date, None).await,
                Err(Error::IdpRefused { error, .. }) if error == "authorization_pending" => {}
                Err(Error::IdpRefused { error, .. }) if error == "slow_down" => interval += Duration::from_secs(5),
                Err(Error::IdpRefused { error, .. }) if error == "expired_token" => return Err(timed_out()),
                Err(other) => return Err(other),
            }
        }
    }

    /// POST to the token endpoint; a 2xx answer is a [`TokenAnswer`] (plus the server's `Date`),
    /// an error answer is [`Error::IdpRefused`].
    async fn token_request(&self, form: &[(&str, &str)]) -> Result<(TokenAnswer, Option<OffsetDateTime>)> {
        let what = "the identity provider's token endpoint";
        let endpoint = self.metadata.token_endpoint.as_ref().ok_or_else(|| Error::Discovery {
            issuer: self.issuer.clone(),
            detail: "the discovery document names no token_endpoint".into(),
        })?;
        let answer = post_form(&self.http, endpoint, form, what).await?;
        let date = answer.date;
        Ok((answer.parse(what)?, date))
    }

    /// Revoke a token (RFC 7009). `Ok(false)` when the provider offers no revocation.
    pub async fn revoke(&self, token: Revocable<'_>) -> Result<bool> {
        let Some(endpoint) = &self.metadata.revocation_endpoint else {
            return Ok(false);
        };
        let (token, hint) = match token {
            Revocable::Access(t) => (t.expose(), "access_token"),
            Revocable::Refresh(t) => (t.expose(), "refresh_token"),
        };
        let form = [("token", token), ("token_type_hint", hint), ("client_id", &self.client_id)];
        let answer = post_form(&self.http, endpoint, &form, "the identity provider's revocation endpoint").await?;
        if answer.status.is_success() {
            return Ok(true);
        }
        Err(answer.refusal())
    }
}

/// A token [`Idp::revoke`] can revoke, which also gives its `token_type_hint` (RFC 7009 §2.1).
#[derive(Debug, Clone, Copy)]
pub enum Revocable<'a> {
    Access(&'a AccessToken),
    Refresh(&'a RefreshToken),
}

/// 32 random bytes, base64url: state, nonce and PKCE verifier (RFC 7636 §4.1: 43 characters).
fn random_token() -> Secret {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source is unavailable");
    Secret::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

fn tokens_of(answer: TokenAnswer) -> Tokens {
    let lifetime = answer.lifetime();
    // At most ten years, like max_session_days: nothing a provider sends may overflow a date.
    let refresh_lifetime = answer
        .refresh_expires_in
        .filter(|s| *s > 0)
        .map(|s| Lifetime::Lasts(time::Duration::seconds(s.min(3660 * 86_400))));
    Tokens {
        access_token: answer.access_token,
        refresh_token: answer.refresh_token,
        id_token: answer.id_token,
        lifetime,
        refresh_lifetime,
    }
}

/// Every endpoint the discovery document names must be as safe as a link's addresses: the
/// browser is sent to one, codes and tokens to the others.
fn check_endpoints(issuer: &str, m: &Metadata) -> Result<()> {
    let endpoints: [(&str, Option<&Url>); 6] = [
        ("authorization_endpoint", Some(&m.authorization_endpoint)),
        ("token_endpoint", m.token_endpoint.as_ref()),
        ("userinfo_endpoint", m.userinfo_endpoint.as_ref()),
        ("jwks_uri", Some(&m.jwks_uri)),
        ("device_authorization_endpoint", m.device_authorization_endpoint.as_ref()),
        ("revocation_endpoint", m.revocation_endpoint.as_ref()),
    ];
    for (name, url) in endpoints {
        if let Some(url) = url
            && !crate::settings::is_secure_endpoint(url)
        {
            return Err(Error::Discovery {
                issuer: issuer.to_owned(),
                detail: format!(
                    "its {name} ({}) is not https:// (http:// is allowed only on this computer), so Hublink will not send codes or tokens there",
                    url.origin().ascii_serialization()
                ),
            });
        }
    }
    Ok(())
}

/// PKCE is never weaker than S256 (RFC 9700 §2.1.1): a provider that lists its methods
/// without S256 is refused before the browser opens. One that lists none may still support it
/// (Entra ID publishes no list), and Hublink sends S256 to it all the same.
fn check_pkce(issuer: &str, m: &Metadata) -> Result<()> {
    let Some(Value::Array(methods)) = &m.code_challenge_methods_supported else { return Ok(()) };
    if methods.iter().any(|v| v.as_str() == Some("S256")) {
        return Ok(());
    }
    let offered: Vec<String> = methods.iter().filter_map(Value::as_str).map(http::shorten).collect();
    Err(Error::Discovery {
        issuer: issuer.to_owned(),
        detail: format!(
            "it offers PKCE only as {}, and Hublink uses S256 and nothing weaker; the identity provider must offer S256 (code_challenge_methods_supported)",
            if offered.is_empty() { "nothing".to_owned() } else { offered.join(", ") }
        ),
    })
}

/// An answer read whole but bounded: status, the server's `Date`, where a redirect pointed,
/// the body.
struct Answer {
    status: StatusCode,
    date: Option<OffsetDateTime>,
    location: Option<String>,
    body: Vec<u8>,
    what: String,
}

impl Answer {
    /// A 2xx answer's JSON; any other answer is refused ([`Self::refusal`]).
    fn json(&self) -> Result<Value> {
        if !self.status.is_success() {
            return Err(self.refusal());
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| Error::Protocol(format!("{} is not valid JSON ({})", self.what, e.classify_name())))
    }

    /// For a 3xx: the origin it redirected to (the address itself may carry anything).
    fn redirected_to(&self) -> Option<String> {
        self.status.is_redirection().then(|| {
            self.location
                .as_deref()
                .and_then(|l| Url::parse(l).ok())
                .map_or_else(|| "another address".to_owned(), |u| u.origin().ascii_serialization())
        })
    }

    /// A 2xx answer as `T`; an error answer as [`Error::IdpRefused`] (or a network error for
    /// a server failure, which may pass).
    fn parse<T: serde::de::DeserializeOwned>(&self, what: &str) -> Result<T> {
        if !self.status.is_success() {
            return Err(self.refusal());
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| Error::Protocol(format!("{what} sent an answer Hublink cannot read ({})", e.classify_name())))
    }

    fn refusal(&self) -> Error {
        if let Some(to) = self.redirected_to() {
            return Error::Protocol(format!(
                "{} answered with a redirect to {to}, and Hublink follows no redirects from an identity provider (its discovery document must name the final addresses)",
                self.what
            ));
        }
        match serde_json::from_slice::<ErrorAnswer>(&self.body) {
            Ok(e) => Error::oauth(
                &self.what,
                Some(self.status.as_u16()),
                http::shorten(&e.error),
                e.error_description.as_deref().map(http::shorten),
            ),
            Err(_) if self.status.is_server_error() => Error::Network {
                what: self.what.clone(),
                detail: format!("the server failed (HTTP {})", self.status),
                source: None,
            },
            Err(_) => Error::Protocol(format!("{} answered HTTP {} without an OAuth error", self.what, self.status)),
        }
    }
}

trait ClassifyName {
    fn classify_name(&self) -> String;
}

impl ClassifyName for serde_json::Error {
    /// The parse error without echoing the input (which may hold a token).
    fn classify_name(&self) -> String {
        let text = self.to_string();
        text.split(" at line").next().unwrap_or(&text).to_owned()
    }
}

async fn get_json(client: &reqwest::Client, url: &Url, what: &str) -> Result<Answer> {
    let request = client.get(url.clone()).header("accept", "application/json");
    send(request, url, what).await
}

async fn post_form(client: &reqwest::Client, url: &Url, form: &[(&str, &str)], what: &str) -> Result<Answer> {
    let request = client.post(url.clone()).header("accept", "application/json").form(form);
    send(request, url, what).await
}

async fn send(request: reqwest::RequestBuilder, url: &Url, what: &str) -> Result<Answer> {
    let response = request.send().await.map_err(|e| http::classify(e, what, Some(url)))?;
    let status = response.status();
    let date = response.headers().get("date").and_then(|d| d.to_str().ok()).and_then(crate::doctor::parse_http_date);
    let location = response.headers().get("location").and_then(|l| l.to_str().ok()).map(http::shorten);
    let body = http::read_bounded(response, MAX_ANSWER_BYTES, what, url).await?;
    Ok(Answer { status, date, location, body, what: what.to_owned() })
}

/// Does the hub accept this bearer token? GET `url` with it. 2xx accepts;
/// 401/403 is "server authentication failed" with the server's own reason.
pub async fn bearer_accepted(http_client: &reqwest::Client, url: &Url, access_token: &AccessToken) -> Result<()> {
    let what = "the hub's session check";
    let response = http_client
        .get(url.clone())
        .bearer_auth(access_token.expose())
        .header("accept", "application/json, text/plain;q=0.9, */*;q=0.1")
        .send()
        .await
        .map_err(|e| http::classify(e, what, Some(url)))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let www = response
        .headers()
        .get("www-authenticate")
        .and_then(|h| h.to_str().ok())
        .and_then(http::reason_from_www_authenticate);
    // The reason is a few words: 64 KiB of a refusal page is plenty to find them.
    let body = http::read_bounded(response, 64 * 1024, what, url).await.unwrap_or_default();
    let body = String::from_utf8_lossy(&body);
    let reason = http::reason_from_body(&body).or(www).unwrap_or_else(|| "the hub gave no reason".into());
    match status.as_u16() {
        code @ (401 | 403) => Err(Error::ServerRefused { status: code, reason }),
        code => Err(Error::HubError { status: code, reason }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_equal_as_urls_but_paths_stay_strict() {
        assert!(same_issuer("https://login.example.com", "https://login.example.com/"));
        assert!(same_issuer("http://127.0.0.1:9400", "http://127.0.0.1:9400/"));
        assert!(same_issuer("https://Login.Example.com/", "https://login.example.com"));
        assert!(!same_issuer("https://login.example.com/realms/a", "https://login.example.com/realms/a/"));
        assert!(!same_issuer("https://login.example.com", "https://login.example.org"));
        assert!(!same_issuer("https://login.example.com/a", "https://login.example.com/b"));
    }

    #[test]
    fn each_issuer_without_rfc_9207_gets_its_own_callback_path() {
        assert_eq!(redirect_path("https://login.example.com/realms/a", true), "/callback");
        let a = redirect_path("https://login.example.com/realms/a", false);
        assert_eq!(a.len(), "/callback/".len() + 24, "{a}");
        assert!(
            a.starts_with("/callback/") && a[10..].bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        // One issuer, however it is spelt (see same_issuer); another tenant on the same host differs.
        assert_eq!(
            redirect_path("https://Login.Example.com", false),
            redirect_path("https://login.example.com/", false)
        );
        assert_ne!(a, redirect_path("https://login.example.com/realms/b", false));
        assert_ne!(a, redirect_path("https://login.example.com/realms/a/", false));
        // The value administrators compute with `printf %s https://login.example.com/ | sha256sum`.
        assert_eq!(redirect_path("https://login.example.com", false), "/callback/4147408d1a2428b11cb91992");
    }

    #[test]
    fn second_factors_include_the_providers_own_names() {
        for m in ["otp", "mfa", "hwk", "ngcmfa", "http://schemas.microsoft.com/claims/multipleauthn"] {
            assert!(is_second_factor(m), "{m}");
        }
        for m in ["pwd", "wiaormfa", "kba", "MFA", "http://schemas.microsoft.com/ws/2012/12/authmethod/password"] {
            assert!(!is_second_factor(m), "{m}");
        }
    }

    #[test]
    fn random_tokens_are_long_and_differ() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 43);
        assert_ne!(a.expose(), b.expose());
    }
}
