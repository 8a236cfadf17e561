//! The identity provider, through the `openidconnect` crate: discovery, authorization URL with
//! PKCE S256 + state + nonce, code exchange, ID-token verification (signature, iss, aud, exp,
//! nonce, `amr` when MFA is required), refresh, device grant, revocation — and the hub's own
//! session check. Protocol details stay in the crate; this module maps its errors to ours.

use std::time::Duration;

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthenticationFlow, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod,
    CoreDeviceAuthorizationResponse, CoreGrantType, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm, CoreResponseMode, CoreResponseType,
    CoreSubjectIdentifierType, CoreTokenResponse,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthorizationCode, ClientId, CsrfToken, DeviceAuthorizationUrl,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, HttpClientError, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, ProviderMetadata, RedirectUrl, RefreshToken, RequestTokenError,
    RevocationUrl, Scope, TokenResponse, reqwest,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use url::Url;

use crate::error::{Error, Result};
use crate::http;
use crate::secret::Secret;
use crate::settings::HubSettings;

/// Endpoints beyond OIDC Core that Hublink uses when a provider publishes them.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ExtraMetadata {
    #[serde(default)]
    pub device_authorization_endpoint: Option<DeviceAuthorizationUrl>,
    #[serde(default)]
    pub revocation_endpoint: Option<RevocationUrl>,
}
impl AdditionalProviderMetadata for ExtraMetadata {}

pub type Metadata = ProviderMetadata<
    ExtraMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

type Client = CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// RFC 8176 methods that are a factor beyond "something you know".
pub const SECOND_FACTORS: &[&str] =
    &["mfa", "mca", "otp", "hwk", "swk", "sms", "tel", "fpt", "face", "iris", "retina", "vbm", "sc", "pop"];

/// The tokens of a fresh grant (code, device or refresh).
#[derive(Debug)]
pub struct Tokens {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub id_token: Option<Secret>,
    pub expires_at: Option<OffsetDateTime>,
}

/// Who signed in, from a verified ID token.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// `preferred_username`, else `email`, else `sub`.
    pub user: String,
}

/// A discovered identity provider with a client for one hub.
pub struct Idp {
    client: Client,
    http: reqwest::Client,
    pub issuer: String,
    pub userinfo_endpoint: Option<Url>,
    device_endpoint: Option<DeviceAuthorizationUrl>,
    revocation_endpoint: Option<RevocationUrl>,
    scopes: Vec<Scope>,
}

impl std::fmt::Debug for Idp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idp").field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

/// An authorization request in flight: what the callback is checked against.
pub struct PendingAuthorization {
    pub url: Url,
    pub state: CsrfToken,
    pub nonce: Nonce,
    pub verifier: PkceCodeVerifier,
    pub redirect_uri: String,
}

impl Idp {
    /// OIDC discovery at the hub's issuer; the document's `issuer` must equal it exactly.
    pub async fn discover(settings: &HubSettings, http: reqwest::Client) -> Result<Idp> {
        let issuer_url = IssuerUrl::new(settings.issuer.clone())
            .map_err(|e| Error::Discovery { issuer: settings.issuer.clone(), detail: e.to_string() })?;
        let metadata = Metadata::discover_async(issuer_url, &http).await.map_err(|e| discovery_error(&settings.issuer, e))?;
        let extra = metadata.additional_metadata().clone();
        check_endpoints(&settings.issuer, &metadata)?;
        let userinfo_endpoint = metadata.userinfo_endpoint().map(|u| u.url().clone());
        let client = CoreClient::from_provider_metadata(metadata, ClientId::new(settings.client_id.clone()), None);
        Ok(Idp {
            client,
            http,
            issuer: settings.issuer.clone(),
            userinfo_endpoint,
            device_endpoint: extra.device_authorization_endpoint,
            revocation_endpoint: extra.revocation_endpoint,
            scopes: settings.scopes.iter().filter(|s| *s != "openid").map(|s| Scope::new(s.clone())).collect(),
        })
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn has_device_flow(&self) -> bool {
        self.device_endpoint.is_some()
    }

    pub fn has_revocation(&self) -> bool {
        self.revocation_endpoint.is_some()
    }

    /// The authorization URL for the browser, with fresh state, nonce and PKCE S256.
    pub fn authorize(&self, redirect_uri: &str) -> Result<PendingAuthorization> {
        let redirect = RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| Error::Internal(e.to_string()))?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = self
            .client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scopes(self.scopes.iter().cloned())
            .set_pkce_challenge(challenge)
            .set_redirect_uri(std::borrow::Cow::Owned(redirect))
            .url();
        Ok(PendingAuthorization { url, state, nonce, verifier, redirect_uri: redirect_uri.to_owned() })
    }

    pub async fn exchange_code(&self, code: &Secret, pending: PendingAuthorization) -> Result<(Tokens, CoreTokenResponse, Nonce)> {
        let redirect = RedirectUrl::new(pending.redirect_uri).map_err(|e| Error::Internal(e.to_string()))?;
        let response = self
            .client
            .exchange_code(AuthorizationCode::new(code.expose().to_owned()))
            .map_err(|e| Error::Discovery { issuer: self.issuer.clone(), detail: e.to_string() })?
            .set_pkce_verifier(pending.verifier)
            .set_redirect_uri(std::borrow::Cow::Owned(redirect))
            .request_async(&self.http)
            .await
            .map_err(|e| token_error(e, "the identity provider's token endpoint"))?;
        Ok((tokens_of(&response), response, pending.nonce))
    }

    /// Verify the ID token of a sign-in (nonce required for the browser flow, absent for the
    /// device flow) and, when the hub requires it, that a second factor was used.
    pub fn verify(&self, response: &CoreTokenResponse, nonce: Option<&Nonce>, mfa_required: bool) -> Result<Identity> {
        let id_token = response
            .id_token()
            .ok_or_else(|| Error::Protocol("the identity provider sent no ID token (is `openid` in the scope?)".into()))?;
        let verifier = self.client.id_token_verifier();
        let claims = match nonce {
            Some(n) => id_token.claims(&verifier, n),
            None => id_token.claims(&verifier, |_: Option<&Nonce>| Ok(())),
        }
        .map_err(|e| Error::Protocol(format!("the ID token was rejected: {e}")))?;
        let amr: Vec<String> =
            claims.auth_method_refs().map(|v| v.iter().map(|a| a.to_string()).collect()).unwrap_or_default();
        if mfa_required && !amr.iter().any(|m| SECOND_FACTORS.contains(&m.as_str())) {
            return Err(Error::MfaMissing { amr });
        }
        let user = claims
            .preferred_username()
            .map(|u| u.to_string())
            .or_else(|| claims.email().map(|e| e.to_string()))
            .unwrap_or_else(|| claims.subject().to_string());
        Ok(Identity { user })
    }

    /// Exchange a refresh token. `invalid_grant` (revoked, expired) becomes
    /// [`Error::SignInRequired`].
    pub async fn refresh(&self, hub_name: &str, refresh_token: &Secret) -> Result<(Tokens, CoreTokenResponse)> {
        let rt = RefreshToken::new(refresh_token.expose().to_owned());
        let response = self
            .client
            .exchange_refresh_token(&rt)
            .map_err(|e| Error::Discovery { issuer: self.issuer.clone(), detail: e.to_string() })?
            .request_async(&self.http)
            .await
            .map_err(|e| match token_error(e, "the identity provider's token endpoint") {
                Error::IdpRefused { error, description } if error == "invalid_grant" => Error::SignInRequired {
                    hub: hub_name.to_owned(),
                    reason: format!(
                        "the identity provider no longer accepts the session ({})",
                        description.unwrap_or_else(|| "it was revoked or has expired".into())
                    ),
                },
                other => other,
            })?;
        // A refreshed ID token, when sent, must still verify (no nonce on refresh).
        if response.id_token().is_some() {
            self.verify(&response, None, false)?;
        }
        Ok((tokens_of(&response), response))
    }

    /// Start the device authorization grant.
    pub async fn device_start(&self) -> Result<CoreDeviceAuthorizationResponse> {
        let endpoint = self.device_endpoint.clone().ok_or_else(|| Error::Discovery {
            issuer: self.issuer.clone(),
            detail: "the identity provider does not offer the device flow (no device_authorization_endpoint)".into(),
        })?;
        self.client
            .clone()
            .set_device_authorization_url(endpoint)
            .exchange_device_code()
            .add_scopes(self.scopes.iter().cloned())
            .add_scope(Scope::new("openid".into()))
            .request_async(&self.http)
            .await
            .map_err(|e| token_error(e, "the identity provider's device authorization endpoint"))
    }

    /// Poll the token endpoint at the server's interval (slowing down when told) until the
    /// user finishes, refuses, or `timeout` passes.
    pub async fn device_poll(
        &self,
        details: &CoreDeviceAuthorizationResponse,
        timeout: Duration,
    ) -> Result<(Tokens, CoreTokenResponse)> {
        let response = self
            .client
            .exchange_device_access_token(details)
            .map_err(|e| Error::Discovery { issuer: self.issuer.clone(), detail: e.to_string() })?
            .request_async(&self.http, tokio::time::sleep, Some(timeout))
            .await
            .map_err(|e| match token_error(e, "the identity provider's token endpoint") {
                Error::IdpRefused { error, .. } if error == "expired_token" => Error::TimedOut {
                    seconds: timeout.as_secs(),
                    waiting_for: "the code to be entered".into(),
                },
                other => other,
            })?;
        Ok((tokens_of(&response), response))
    }

    /// Revoke a token (RFC 7009). `Ok(false)` when the provider offers no revocation.
    ///
    /// Written out here rather than through `oauth2::Client::revoke_token`, which refuses any
    /// `http:` endpoint — including the loopback identity providers PRODUCT.md allows for
    /// development and tests. The request is the RFC's: a form POST of the token, its type
    /// hint and (public client) our client_id; 200 means revoked or already invalid.
    pub async fn revoke(&self, token: &Secret, hint: TokenHint) -> Result<bool> {
        let Some(endpoint) = &self.revocation_endpoint else {
            return Ok(false);
        };
        let url = endpoint.url();
        let hint = match hint {
            TokenHint::Access => "access_token",
            TokenHint::Refresh => "refresh_token",
        };
        let response = self
            .http
            .post(url.clone())
            .form(&[("token", token.expose()), ("token_type_hint", hint), ("client_id", self.client.client_id().as_str())])
            .send()
            .await
            .map_err(|e| http::classify(&e, "the identity provider's revocation endpoint", Some(url)))?;
        let status = response.status();
        if status.is_success() {
            return Ok(true);
        }
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        Err(Error::IdpRefused {
            error: body["error"].as_str().map(http::shorten).unwrap_or_else(|| format!("HTTP {status}")),
            description: body["error_description"].as_str().map(http::shorten),
        })
    }
}

/// Which token [`Idp::revoke`] is given.
#[derive(Debug, Clone, Copy)]
pub enum TokenHint {
    Access,
    Refresh,
}

/// Every endpoint the discovery document names must be as safe as a link's addresses: the
/// browser is sent to one, codes and tokens to the others. The library checks only `issuer`.
fn check_endpoints(issuer: &str, m: &Metadata) -> Result<()> {
    let extra = m.additional_metadata();
    let endpoints: [(&str, Option<&Url>); 6] = [
        ("authorization_endpoint", Some(m.authorization_endpoint().url())),
        ("token_endpoint", m.token_endpoint().map(|u| u.url())),
        ("userinfo_endpoint", m.userinfo_endpoint().map(|u| u.url())),
        ("jwks_uri", Some(m.jwks_uri().url())),
        ("device_authorization_endpoint", extra.device_authorization_endpoint.as_ref().map(|u| u.url())),
        ("revocation_endpoint", extra.revocation_endpoint.as_ref().map(|u| u.url())),
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

/// Ask the hub whether it accepts the session: GET `url` with the bearer token. 2xx accepts;
/// 401/403 is "server authentication failed" with the server's own reason.
pub async fn check_session(http_client: &reqwest::Client, url: &Url, access_token: &Secret) -> Result<()> {
    let response = http_client
        .get(url.clone())
        .bearer_auth(access_token.expose())
        .header("accept", "application/json, text/plain;q=0.9, */*;q=0.1")
        .send()
        .await
        .map_err(|e| http::classify(&e, "the hub's session check", Some(url)))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let www = response
        .headers()
        .get("www-authenticate")
        .and_then(|h| h.to_str().ok())
        .and_then(http::reason_from_www_authenticate);
    let body = response.text().await.unwrap_or_default();
    let reason = http::reason_from_body(&body).or(www).unwrap_or_else(|| "the hub gave no reason".into());
    match status.as_u16() {
        code @ (401 | 403) => Err(Error::ServerRefused { status: code, reason }),
        code => Err(Error::HubError { status: code, reason }),
    }
}

fn tokens_of(r: &CoreTokenResponse) -> Tokens {
    Tokens {
        access_token: Secret::new(r.access_token().secret().clone()),
        refresh_token: r.refresh_token().map(|t| Secret::new(t.secret().clone())),
        id_token: r.id_token().map(|t| Secret::new(t.to_string())),
        expires_at: r
            .expires_in()
            .and_then(|d| time::Duration::try_from(d).ok())
            .map(|d| OffsetDateTime::now_utc() + d),
    }
}

fn discovery_error(issuer: &str, e: openidconnect::DiscoveryError<HttpClientError<reqwest::Error>>) -> Error {
    use openidconnect::DiscoveryError as D;
    let url = Url::parse(issuer).ok();
    match e {
        D::Request(HttpClientError::Reqwest(r)) => {
            http::classify(&*r, "the identity provider's discovery document", url.as_ref())
        }
        D::Response(status, _body, _) if !status.is_success() => Error::Discovery {
            issuer: issuer.to_owned(),
            detail: format!("the discovery document answered HTTP {status} (is the issuer address right?)"),
        },
        D::Response(_, _, why) => Error::Discovery {
            issuer: issuer.to_owned(),
            detail: format!("{}/.well-known/openid-configuration is not an OpenID Connect discovery document ({why})", issuer.trim_end_matches('/')),
        },
        D::Parse(e) => Error::Discovery {
            issuer: issuer.to_owned(),
            detail: format!("the discovery document is not valid OpenID Connect metadata ({e})"),
        },
        D::Validation(e) => Error::Discovery { issuer: issuer.to_owned(), detail: e },
        other => Error::Discovery { issuer: issuer.to_owned(), detail: short_error(&other) },
    }
}

/// Map a token-endpoint error. Bodies are never quoted (they could hold tokens); the server's
/// `error` and `error_description` are.
fn token_error<ER: Serialize + openidconnect::ErrorResponse + 'static>(
    e: RequestTokenError<HttpClientError<reqwest::Error>, ER>,
    what: &str,
) -> Error {
    match e {
        RequestTokenError::ServerResponse(r) => {
            let v = serde_json::to_value(&r).unwrap_or_default();
            Error::IdpRefused {
                error: http::shorten(v["error"].as_str().unwrap_or("unknown")),
                description: v["error_description"].as_str().map(http::shorten),
            }
        }
        RequestTokenError::Request(HttpClientError::Reqwest(r)) => http::classify(&*r, what, None),
        RequestTokenError::Request(other) => Error::Network { what: what.to_owned(), detail: other.to_string() },
        RequestTokenError::Parse(e, _body) => Error::Protocol(format!("{what} sent an answer Hublink cannot read ({e})")),
        RequestTokenError::Other(s) => Error::Protocol(format!("{what}: {s}")),
    }
}

fn short_error(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
