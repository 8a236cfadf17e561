//! `oidc::Idp` itself against the local provider of the flow ring: what discovery refuses, how
//! a broken or refusing token endpoint is reported, and a whole code → refresh → revoke cycle.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::too_many_lines)]

mod support;

use hublink_core::link::AuthLink;
use hublink_core::oidc::{Idp, MAX_ANSWER_BYTES, Revocable};
use hublink_core::secret::{AuthorizationCode, RefreshToken};
use hublink_core::settings::HubSettings;
use hublink_core::{Error, ExitCode, http};
use serde_json::json;
use support::{Fault, LocalIdp, http_get};

fn settings(idp: &LocalIdp) -> HubSettings {
    AuthLink::parse(&idp.link()).expect("the ring's link parses").settings
}

async fn discover(idp: &LocalIdp) -> hublink_core::Result<Idp> {
    let settings = settings(idp);
    Idp::discover(&settings, http::client_for(&settings).unwrap()).await
}

#[tokio::test]
async fn discovery_reads_the_providers_endpoints() {
    let local = LocalIdp::start().await;
    let idp = discover(&local).await.expect("discovery succeeds");
    assert_eq!(idp.published_issuer(), local.issuer());
    assert!(idp.has_device_flow() && idp.has_revocation());
    assert_eq!(
        idp.userinfo_endpoint.as_ref().map(|u| u.as_str()),
        Some(format!("{}/userinfo", local.issuer()).as_str())
    );
    assert_eq!(local.counts().discovery, 1);
}

#[tokio::test]
async fn a_discovery_document_naming_another_issuer_is_refused() {
    let local = LocalIdp::start().await;
    for other in [format!("{}/realms/other", local.issuer()), format!("http://localhost:{}", local.port())] {
        local.patch_discovery("issuer", json!(other));
        let err = discover(&local).await.expect_err("another issuer is refused");
        let Error::Discovery { detail, .. } = &err else { panic!("{err:?}") };
        assert!(detail.contains("names the issuer") && detail.contains(&other), "{detail}");
    }
}

#[tokio::test]
async fn an_http_endpoint_off_this_computer_is_refused() {
    let local = LocalIdp::start().await;
    let endpoints = [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/jwks"),
        ("device_authorization_endpoint", "/device"),
        ("revocation_endpoint", "/revoke"),
    ];
    for (name, path) in endpoints {
        local.patch_discovery(name, json!(format!("http://login.example.com{path}")));
        let err = discover(&local).await.expect_err("a plain-http endpoint elsewhere is refused");
        let Error::Discovery { detail, .. } = &err else { panic!("{name}: {err:?}") };
        assert!(detail.contains(name) && detail.contains("not https://"), "{detail}");
        local.patch_discovery(name, json!(format!("{}{path}", local.issuer())));
    }
    // https elsewhere is fine: only plain http must stay on this computer.
    local.patch_discovery("token_endpoint", json!("https://login.example.com/token"));
    discover(&local).await.expect("an https endpoint is accepted");
}

#[tokio::test]
async fn pkce_weaker_than_s256_is_refused_and_an_unlisted_method_is_not() {
    let local = LocalIdp::start().await;
    local.patch_discovery("code_challenge_methods_supported", json!(["plain"]));
    let err = discover(&local).await.expect_err("plain only");
    let Error::Discovery { detail, .. } = &err else { panic!("{err:?}") };
    assert!(detail.contains("only as plain") && detail.contains("S256"), "{detail}");
    assert_eq!(err.exit_code(), ExitCode::BadConfig);
    // No list at all (Entra ID publishes none): S256 is sent all the same.
    local.patch_discovery("code_challenge_methods_supported", json!(null));
    let idp = discover(&local).await.expect("no list is accepted");
    let pending = idp.authorize("http://127.0.0.1:9/callback");
    assert!(pending.url.query_pairs().any(|(k, v)| k == "code_challenge_method" && v == "S256"));
}

#[tokio::test]
async fn the_redirect_path_follows_rfc_9207_announcement() {
    let local = LocalIdp::start().await;
    assert_eq!(discover(&local).await.unwrap().redirect_path(), "/callback");
    local.patch_discovery("authorization_response_iss_parameter_supported", json!("yes"));
    let idp = discover(&local).await.unwrap();
    assert!(!idp.announces_iss(), "only JSON true announces it");
    assert_eq!(idp.redirect_path(), hublink_core::oidc::redirect_path(local.issuer(), false));
    assert_ne!(idp.redirect_path(), "/callback");
}

#[tokio::test]
async fn an_oversized_token_answer_is_refused_with_a_clear_error() {
    let local = LocalIdp::start().await;
    let idp = discover(&local).await.unwrap();
    for content_length in [true, false] {
        local.set_token_fault(Some(Fault::Oversized { bytes: MAX_ANSWER_BYTES + 64 * 1024, content_length }));
        let err = idp.refresh("Flow", &RefreshToken::new("rt-any")).await.expect_err("the answer is too large");
        let Error::Protocol(message) = &err else { panic!("content_length {content_length}: {err:?}") };
        assert!(message.contains("token endpoint") && message.contains("more than 1024 KiB"), "{message}");
    }
}

#[tokio::test]
async fn a_503_from_the_token_endpoint_is_a_network_error() {
    let local = LocalIdp::start().await;
    let idp = discover(&local).await.unwrap();
    local.set_token_fault(Some(Fault::Status(503, "upstream is down".into())));
    let err = idp.refresh("Flow", &RefreshToken::new("rt-any")).await.expect_err("503");
    assert!(matches!(err, Error::Network { .. }), "{err:?}");
    assert!(err.is_offline());
    assert_eq!(err.exit_code(), ExitCode::Network);
    assert_eq!(err.exit_code() as u8, 4);
    assert!(err.to_string().contains("503"), "{err}");
}

#[tokio::test]
async fn invalid_grant_on_refresh_means_sign_in_again() {
    let local = LocalIdp::start().await;
    let idp = discover(&local).await.unwrap();
    local.set_token_fault(Some(Fault::Json(400, json!({"error": "invalid_grant"}))));
    let err = idp.refresh("Flow", &RefreshToken::new("rt-any")).await.expect_err("invalid_grant");
    let Error::SignInRequired { hub, reason } = &err else { panic!("{err:?}") };
    assert_eq!(hub, "Flow");
    assert!(reason.contains("no longer accepts"), "{reason}");
    assert_eq!(err.exit_code(), ExitCode::Refused);

    // Any other OAuth error stays what it is.
    local.set_token_fault(Some(Fault::Json(400, json!({"error": "invalid_client"}))));
    let err = idp.refresh("Flow", &RefreshToken::new("rt-any")).await.expect_err("invalid_client");
    assert!(matches!(&err, Error::IdpRefused { error, .. } if error == "invalid_client"), "{err:?}");
}

/// Authorize (the provider approves at once), redeem the code, refresh, revoke, and find the
/// revoked refresh token refused.
#[tokio::test]
async fn a_code_refresh_revoke_cycle_at_the_provider() {
    let local = LocalIdp::start().await;
    let idp = discover(&local).await.unwrap();
    let pending = idp.authorize("http://127.0.0.1:9/callback");
    let state = pending.state.expose().to_owned();
    let page = tokio::task::spawn_blocking({
        let url = pending.url.clone();
        move || http_get(&url)
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(page.status, 302, "{}", page.body);
    let location = url::Url::parse(page.header("location").expect("a Location")).unwrap();
    let param = |k: &str| location.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
    assert_eq!(param("state"), Some(state));
    assert_eq!(param("iss").as_deref(), Some(local.issuer()));

    let sign_in = idp
        .exchange_code(&AuthorizationCode::new(param("code").unwrap()), pending)
        .await
        .expect("the code is redeemed");
    assert_eq!(sign_in.identity.user, "alice");
    let refresh = sign_in.tokens.refresh_token.expect("a refresh token");
    assert!(sign_in.tokens.lifetime.is_some());

    let renewed = idp.refresh("Flow", &refresh).await.expect("the refresh succeeds");
    renewed.id_token_check.as_ref().expect("the refreshed ID token verifies");
    assert_ne!(renewed.tokens.access_token.expose(), sign_in.tokens.access_token.expose());
    let rotated = renewed.tokens.refresh_token.expect("a rotated refresh token");
    assert_eq!(local.counts().refresh_grants, 1);
    // The rotated-away token no longer works.
    assert!(matches!(idp.refresh("Flow", &refresh).await, Err(Error::SignInRequired { .. })));

    assert!(idp.revoke(Revocable::Refresh(&rotated)).await.unwrap());
    assert_eq!(local.revoked().last().map(|r| r.token.as_str()), Some(rotated.expose()));
    assert!(matches!(idp.refresh("Flow", &rotated).await, Err(Error::SignInRequired { .. })));
}
