//! The flow ring: the engine's sign-in, refresh, check, sign-out and device flows against a
//! local OpenID provider in this process (see `support`). Every test counts what the provider
//! was asked, so "exactly one refresh" and "no network at all" are checked, not assumed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::too_many_lines)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hublink_core::oidc::IdTokenProblem;
use hublink_core::{Error, ExitCode, LoginOptions, Progress, Revocation, SessionState};
use serde_json::json;
use support::{DEVICE_INTERVAL, LocalIdp, Revoked, Ring};

fn options() -> LoginOptions {
    LoginOptions { device: false, timeout: Duration::from_secs(20) }
}

/// Sign in through the browser and return the access token the provider issued.
async fn signed_in() -> (Ring, String) {
    let ring = Ring::start().await;
    let signed = ring.app.login(&ring.hub, options(), &|_| {}).await.expect("the sign-in succeeds");
    assert_eq!(signed.user, "alice");
    let token = ring.idp.issued_access_tokens().last().cloned().expect("an access token was issued");
    (ring, token)
}

fn past_expiry() -> time::Duration {
    // The provider's access tokens live 300 s.
    time::Duration::seconds(301)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_sign_in_then_the_token_comes_without_network() {
    let ring = Ring::start().await;
    let seen = Mutex::new(Vec::new());
    let signed = ring
        .app
        .login(&ring.hub, LoginOptions::default(), &|p| seen.lock().unwrap().push(p))
        .await
        .expect("the sign-in succeeds");
    assert_eq!(signed.user, "alice");
    assert!(signed.renewable, "the provider gave a refresh token");

    let counts = ring.idp.counts();
    assert_eq!((counts.authorize, counts.code_grants), (1, 1), "{counts:?}");
    assert_eq!((counts.refresh_grants, counts.device_polls), (0, 0), "{counts:?}");
    assert_eq!(counts.userinfo, 1, "the session is checked once before it is stored: {counts:?}");

    let opened = ring.browser.opened();
    assert_eq!(opened.len(), 1);
    assert!(opened[0].as_str().starts_with(&format!("{}/authorize?", ring.idp.issuer())), "{}", opened[0]);
    let visits = ring.browser.wait_for_visits(1);
    assert_eq!(visits[0].authorize_status, 302);
    assert_eq!(visits[0].callback_status, Some(200), "{}", visits[0].callback_page);
    assert!(visits[0].callback_page.contains("Signed in to Flow as alice"), "{}", visits[0].callback_page);
    {
        let seen = seen.lock().unwrap();
        assert!(matches!(seen.first(), Some(Progress::BrowserOpened { .. })), "{seen:?}");
        assert!(matches!(seen.last(), Some(Progress::Verifying)), "{seen:?}");
    }

    let issued = ring.idp.issued_access_tokens();
    let token = ring.app.access_token(&ring.hub).await.expect("a token");
    assert_eq!(token.expose(), issued[0]);
    assert_eq!(ring.idp.counts(), counts, "access_token made a network call");
    let record = ring.app.catalog().unwrap().sessions.get(&ring.hub.id).cloned().expect("a session record");
    assert_eq!(record.user.as_deref(), Some("alice"));
    assert_eq!(
        ring.stored_session().expect("a stored session").refresh_token.map(|t| t.expose().to_owned()),
        ring.idp.active_refresh_token()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_access_token_is_refreshed_exactly_once() {
    let (ring, first) = signed_in().await;
    ring.clock.advance(past_expiry());
    let before = ring.idp.counts();

    let second = ring.app.access_token(&ring.hub).await.expect("a refreshed token");
    assert_ne!(second.expose(), first);
    assert_eq!(Some(second.expose()), ring.idp.issued_access_tokens().last().map(String::as_str));
    assert_eq!(ring.idp.counts().refresh_grants, before.refresh_grants + 1);
    // The new token lives 300 s from the refresh, by the clock that judges sessions.
    let stored = ring.stored_session().unwrap();
    let (now, expires_at) = (hublink_core::clock::Clock::now(&*ring.clock), stored.expires_at.unwrap());
    assert!(
        expires_at > now + time::Duration::seconds(200),
        "the refreshed session expires at {expires_at}, but the engine's clock already says {now}: \
         expires_at was computed from the system clock, obtained_at from Parts.clock"
    );

    let again = ring.app.access_token(&ring.hub).await.expect("the same token");
    assert_eq!(again.expose(), second.expose());
    assert_eq!(
        ring.idp.counts().refresh_grants,
        before.refresh_grants + 1,
        "a token refreshed a moment ago was refreshed again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_after_expiry_make_one_refresh_and_share_its_token() {
    let (ring, first) = signed_in().await;
    ring.clock.advance(past_expiry());
    // A slow token endpoint: both processes are surely inside access_token at once.
    ring.idp.set_token_delay(Duration::from_millis(300));
    let before = ring.idp.counts();

    let (one, two) = (ring.app.clone(), ring.another_process());
    let (hub1, hub2) = (ring.hub.clone(), ring.hub.clone());
    let a = tokio::spawn(async move { one.access_token(&hub1).await });
    let b = tokio::spawn(async move { two.access_token(&hub2).await });
    let (a, b) = (a.await.unwrap().expect("process 1 gets a token"), b.await.unwrap().expect("process 2 too"));

    assert_eq!(ring.idp.counts().refresh_grants, before.refresh_grants + 1, "one refresh for both processes");
    assert_ne!(a.expose(), first);
    assert_eq!(a.expose(), b.expose());
    assert_eq!(Some(a.expose()), ring.idp.issued_access_tokens().last().map(String::as_str));
    assert_eq!(ring.stored_session().unwrap().access_token.expose(), a.expose());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_gets_one_refresh_then_the_hub_is_asked_again() {
    let (ring, first) = signed_in().await;
    ring.idp.revoke_access_token(&first);
    let before = ring.idp.counts();

    let state = ring.app.restore_one(&ring.hub).await;
    let SessionState::SignedIn { user, .. } = &state else { panic!("expected signed in, got {state:?}") };
    assert_eq!(user, "alice");
    let after = ring.idp.counts();
    assert_eq!(after.refresh_grants, before.refresh_grants + 1);
    assert_eq!(after.userinfo, before.userinfo + 2, "asked, refused, refreshed, asked again");
    let stored = ring.stored_session().unwrap();
    assert_ne!(stored.access_token.expose(), first);
    assert_eq!(Some(stored.access_token.expose()), ring.idp.issued_access_tokens().last().map(String::as_str));

    // Now the hub refuses every token, the fresh one too: one refresh, then sign in again.
    ring.idp.refuse_all_access_tokens(true);
    let before = ring.idp.counts();
    let state = tokio::time::timeout(Duration::from_secs(10), ring.app.restore_one(&ring.hub))
        .await
        .expect("the check ends (it must not refresh without end)");
    let SessionState::SignInRequired { reason, user } = &state else {
        panic!("expected sign-in required, got {state:?}")
    };
    assert!(reason.contains("no longer accepts"), "{reason}");
    assert_eq!(user.as_deref(), Some("alice"));
    let after = ring.idp.counts();
    assert_eq!(after.refresh_grants, before.refresh_grants + 1, "only one refresh was tried");
    assert_eq!(after.userinfo, before.userinfo + 2);
    let record = ring.app.catalog().unwrap().sessions.get(&ring.hub.id).cloned().unwrap();
    assert!(record.sign_in_required.is_some(), "the outcome is remembered for `list`");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_revokes_at_the_provider_and_forgets_the_session() {
    let (ring, access) = signed_in().await;
    let refresh = ring.idp.active_refresh_token().expect("a refresh token");

    assert_eq!(ring.app.logout(&ring.hub).await.unwrap().revocation, Revocation::Revoked);
    assert_eq!(
        ring.idp.revoked(),
        vec![
            Revoked { token: refresh, hint: Some("refresh_token".into()) },
            Revoked { token: access, hint: Some("access_token".into()) },
        ],
        "the refresh token first (it ends the grant), then the access token"
    );
    assert!(ring.idp.active_refresh_token().is_none());
    assert!(ring.stored_session().is_none());
    assert!(!ring.app.catalog().unwrap().sessions.contains_key(&ring.hub.id));
    let before = ring.idp.counts();
    let err = ring.app.access_token(&ring.hub).await.unwrap_err();
    assert!(matches!(err, Error::SignInRequired { .. }), "{err:?}");
    assert_eq!(ring.idp.counts(), before);
    assert_eq!(ring.app.logout(&ring.hub).await.unwrap().revocation, Revocation::NothingStored);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_flow_polls_at_the_interval_until_the_user_approves() {
    let ring = Ring::start().await;
    let idp = ring.idp.clone();
    let codes = Arc::new(Mutex::new(Vec::new()));
    let approvals = Arc::new(Mutex::new(Vec::new()));
    let (seen, approvals_in) = (codes.clone(), approvals.clone());
    let progress = move |p: Progress| {
        if let Progress::DeviceCode { user_code, verification_uri, .. } = p {
            assert_eq!(verification_uri, format!("{}/activate", idp.issuer()));
            seen.lock().unwrap().push(user_code.clone());
            let (idp, approvals) = (idp.clone(), approvals_in.clone());
            // The user takes a moment: the first poll finds the sign-in pending.
            approvals.lock().unwrap().push(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(1300)).await;
                idp.approve_device(&user_code)
            }));
        }
    };
    let started = Instant::now();
    let signed = ring
        .app
        .login(&ring.hub, LoginOptions { device: true, timeout: Duration::from_secs(20) }, &progress)
        .await
        .expect("the device sign-in succeeds");
    assert_eq!(signed.user, "alice");
    assert_eq!(codes.lock().unwrap().len(), 1, "one DeviceCode progress");
    let approval = approvals.lock().unwrap().pop().unwrap();
    assert!(approval.await.unwrap(), "the user code shown was the provider's");

    let counts = ring.idp.counts();
    assert_eq!((counts.device_starts, counts.device_grants), (1, 1), "{counts:?}");
    assert!(counts.device_polls >= 2, "the first poll was pending: {counts:?}");
    assert_eq!((counts.authorize, counts.code_grants), (0, 0), "{counts:?}");
    assert!(ring.browser.opened().is_empty(), "the device flow opens no browser");
    assert_eq!(ring.idp.slow_downs(), 0, "the provider never had to say slow_down");
    let polls = ring.idp.device_polls();
    let interval = Duration::from_secs(DEVICE_INTERVAL);
    assert!(polls[0].duration_since(started) >= interval - Duration::from_millis(50), "polled before the interval");
    for pair in polls.windows(2) {
        let gap = pair[1].duration_since(pair[0]);
        assert!(gap >= interval - Duration::from_millis(50), "polled after {gap:?}, the interval is {interval:?}");
    }
    let token = ring.app.access_token(&ring.hub).await.unwrap();
    assert_eq!(Some(token.expose()), ring.idp.issued_access_tokens().last().map(String::as_str));
}

/// A refused sign-in: an error, nothing in the keyring, no session record, the tab told.
async fn refused_sign_in_stores_nothing(ring: &Ring) -> Error {
    let err = ring.app.login(&ring.hub, options(), &|_| {}).await.expect_err("the sign-in is refused");
    assert_eq!(err.exit_code(), ExitCode::Refused, "{err:?}");
    assert_eq!(ring.idp.counts().code_grants, 1, "the code was redeemed, then the ID token refused");
    assert!(ring.stored_session().is_none(), "a refused sign-in left a session in the keyring");
    assert!(!ring.app.catalog().unwrap().sessions.contains_key(&ring.hub.id), "a refused sign-in left a record");
    assert!(matches!(ring.app.access_token(&ring.hub).await, Err(Error::SignInRequired { .. })));
    let visits = ring.browser.wait_for_visits(1);
    assert_eq!(visits[0].callback_status, Some(400), "{}", visits[0].callback_page);
    assert!(visits[0].callback_page.contains("Sign-in failed"), "{}", visits[0].callback_page);
    err
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_token_with_another_nonce_is_refused_and_nothing_is_stored() {
    let ring = Ring::start().await;
    ring.idp.patch_id_token("nonce", json!("the-nonce-of-another-sign-in"));
    let err = refused_sign_in_stores_nothing(&ring).await;
    assert!(matches!(err, Error::IdToken { problem: IdTokenProblem::Nonce, .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_token_for_another_audience_is_refused_and_nothing_is_stored() {
    let ring = Ring::start().await;
    ring.idp.patch_id_token("aud", json!("another-client"));
    let err = refused_sign_in_stores_nothing(&ring).await;
    assert!(matches!(err, Error::IdToken { problem: IdTokenProblem::Audience { .. }, .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_sign_in_with_a_foreign_id_token_stores_nothing() {
    let ring = Ring::start().await;
    ring.idp.patch_id_token("aud", json!("another-client"));
    let idp = ring.idp.clone();
    let progress = move |p: Progress| {
        if let Progress::DeviceCode { user_code, .. } = p {
            assert!(idp.approve_device(&user_code));
        }
    };
    let err = ring
        .app
        .login(&ring.hub, LoginOptions { device: true, timeout: Duration::from_secs(20) }, &progress)
        .await
        .expect_err("the ID token is refused");
    assert!(matches!(err, Error::IdToken { problem: IdTokenProblem::Audience { .. }, .. }), "{err:?}");
    assert_eq!(ring.idp.counts().device_grants, 1);
    assert!(ring.stored_session().is_none());
    assert!(!ring.app.catalog().unwrap().sessions.contains_key(&ring.hub.id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_older_than_max_session_days_needs_a_sign_in_without_asking_anyone() {
    let (ring, _) = signed_in().await;
    ring.clock.advance(time::Duration::days(31)); // the default max_session_days is 30
    let before = ring.idp.counts();
    let err = ring.app.access_token(&ring.hub).await.unwrap_err();
    let Error::SignInRequired { reason, .. } = &err else { panic!("{err:?}") };
    assert!(reason.contains("every 30 days"), "{reason}");
    let state = ring.app.restore_one(&ring.hub).await;
    assert!(matches!(state, SessionState::SignInRequired { .. }), "{state:?}");
    assert_eq!(ring.idp.counts(), before, "no refresh for a session past its maximum age");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_revokes_only_at_the_issuer_that_gave_the_tokens() {
    let (ring, access) = signed_in().await;
    let refresh = ring.idp.active_refresh_token().expect("a refresh token");
    // The hub is redefined meanwhile (an IdP migration, a hubs.ini naming another issuer).
    let other = LocalIdp::start().await;
    let mut moved = ring.hub.clone();
    moved.settings.issuer = other.issuer().to_owned();

    assert_eq!(ring.app.logout(&moved).await.unwrap().revocation, Revocation::Revoked);
    assert!(other.revoked().is_empty(), "the old IdP's tokens never reach another IdP");
    assert_eq!(
        ring.idp.revoked(),
        vec![
            Revoked { token: refresh, hint: Some("refresh_token".into()) },
            Revoked { token: access, hint: Some("access_token".into()) },
        ]
    );
    assert!(ring.stored_session().is_none());
}

#[tokio::test]
async fn keeping_fresh_in_the_background_asks_nobody_until_the_token_is_due_then_refreshes_once() {
    let (ring, _) = signed_in().await;
    let before = ring.idp.counts();
    assert!(ring.app.keep_fresh(&ring.hub, true).await.is_none(), "nothing due: nothing done");
    assert_eq!(ring.idp.counts().requests, before.requests, "not a single request");
    ring.clock.advance(past_expiry());
    let state = ring.app.keep_fresh(&ring.hub, false).await.expect("due: renewed");
    let SessionState::SignedIn { session_ends_at, .. } = state else { panic!("signed in, not {state:?}") };
    assert_eq!(ring.idp.counts().refresh_grants, before.refresh_grants + 1);
    assert!(session_ends_at.is_some(), "the session's horizon is known");
    assert!(ring.app.keep_fresh(&ring.hub, false).await.is_none(), "fresh again");
    ring.clock.advance(time::Duration::days(31));
    let state = ring.app.keep_fresh(&ring.hub, false).await.expect("max_session_days passed");
    assert!(matches!(state, SessionState::SignInRequired { .. }), "{state:?}");
}
