//! The facade's own rules, with an in-memory store and no network.

use time::OffsetDateTime;

use super::*;
use crate::catalog::Source;
use crate::error::Error;
use crate::session::StoredSession;
use crate::sessions::SessionKeeper;
use crate::settings::{Context, HubSettings};
use crate::store::{Chunked, MemoryEntries};

struct NoBrowser;
impl Browser for NoBrowser {
    fn open(&self, _: &Url) -> std::result::Result<(), crate::browser::BrowserError> {
        Err(crate::browser::BrowserError("no browser in unit tests".into()))
    }
}

fn app(dir: &std::path::Path) -> Hublink {
    Hublink::new(Parts {
        paths: Paths::at(dir),
        store: Arc::new(Chunked::new(MemoryEntries::default())),
        browser: Arc::new(NoBrowser),
        ini_dirs: vec![],
        insecure_storage_allowed: false,
        clock: Arc::new(crate::clock::SystemClock),
        policy: Arc::default(),
        web: std::sync::OnceLock::new(),
        store_gate: Default::default(),
    })
}

fn keeper(app: &Hublink) -> SessionKeeper {
    SessionKeeper::new(app.parts.clone())
}

fn hub(max_days: &str) -> Hub {
    let (settings, _) = HubSettings::from_pairs(
        [("url", "https://hub.example.com/"), ("max_session_days", max_days)],
        Context::HubsIni { section_name: "Finance".into() },
    )
    .unwrap();
    Hub { id: settings.id(), settings, source: Source::Link { link: String::new(), signature: None }, hidden: false }
}

fn session(hub: &Hub, signed_in_days_ago: i64) -> StoredSession {
    let now = OffsetDateTime::now_utc();
    StoredSession {
        access_token: AccessToken::new("access-1"),
        refresh_token: Some(crate::secret::RefreshToken::new("refresh-1")),
        id_token: None,
        expires_at: Some(now + time::Duration::hours(1)),
        obtained_at: Some(now),
        signed_in_at: now - time::Duration::days(signed_in_days_ago),
        user: "alice".into(),
        issuer: hub.settings.issuer.clone(),
        client_id: hub.settings.client_id.clone(),
        refresh_expires_at: None,
        second_factor: None,
    }
}

#[tokio::test]
async fn a_valid_session_gives_its_token_without_any_network() {
    let dir = tempfile::tempdir().unwrap();
    let (app, hub) = (app(dir.path()), hub("30"));
    keeper(&app).save(&hub, &session(&hub, 2)).await.unwrap();
    assert_eq!(app.access_token(&hub).await.unwrap().expose(), "access-1");
}

#[tokio::test]
async fn max_session_days_forces_an_interactive_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let (app, hub) = (app(dir.path()), hub("7"));
    keeper(&app).save(&hub, &session(&hub, 8)).await.unwrap();
    let Err(Error::SignInRequired { reason, .. }) = app.access_token(&hub).await else {
        panic!("an 8-day-old session must not be used when the hub allows 7 days")
    };
    assert!(reason.contains("every 7 days"), "{reason}");
    // Nothing was deleted: the session is still there for a later, valid policy.
    assert!(keeper(&app).load(&hub).await.unwrap().is_some());
}

#[tokio::test]
async fn changed_hub_settings_need_a_new_sign_in_and_no_session_is_sign_in_required() {
    let dir = tempfile::tempdir().unwrap();
    let (app, hub) = (app(dir.path()), hub("30"));
    assert!(matches!(app.access_token(&hub).await, Err(Error::SignInRequired { .. })));
    let mut s = session(&hub, 1);
    s.issuer = "https://old-login.example.com".into();
    keeper(&app).save(&hub, &s).await.unwrap();
    let Err(Error::SignInRequired { reason, .. }) = app.access_token(&hub).await else { panic!() };
    assert!(reason.contains("settings changed"), "{reason}");
}

#[tokio::test]
async fn adding_the_same_hub_twice_is_one_hub() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let first = app.prepare_add("hublink://add?url=https://Hub.Example.com:443&name=Hub").await.unwrap();
    let second = app.prepare_add("hublink://add?url=https://hub.example.com/&name=Other%20name").await.unwrap();
    assert!(!app.add(&first).unwrap().already_present);
    assert!(app.add(&second).unwrap().already_present);
    assert_eq!(app.catalog().unwrap().hubs.len(), 1);
}

/// A store whose reads take `delay_ms` and that counts them and how many run at once; with
/// `times_out`, each read ends in the store's own timeout (a keyring that stopped answering).
#[derive(Default)]
struct SlowStore {
    delay_ms: u64,
    times_out: bool,
    calls: std::sync::atomic::AtomicUsize,
    now: std::sync::atomic::AtomicUsize,
    most: std::sync::atomic::AtomicUsize,
}
impl crate::store::SecretStore for SlowStore {
    fn get(&self, _: &str) -> crate::Result<Option<crate::secret::Secret>> {
        use std::sync::atomic::Ordering::SeqCst;
        self.calls.fetch_add(1, SeqCst);
        let now = self.now.fetch_add(1, SeqCst) + 1;
        self.most.fetch_max(now, SeqCst);
        std::thread::sleep(std::time::Duration::from_millis(self.delay_ms));
        self.now.fetch_sub(1, SeqCst);
        if self.times_out {
            return Err(Error::StorageUnavailable { problem: crate::error::StorageProblem::Timeout { seconds: 10 } });
        }
        Ok(None)
    }
    fn set(&self, _: &str, _: &crate::secret::Secret) -> crate::Result<()> {
        Ok(())
    }
    fn delete(&self, _: &str) -> crate::Result<()> {
        Ok(())
    }
}

/// 24 hubs' sessions read at once through `store`; each read's outcome.
async fn load_24_at_once(
    dir: &std::path::Path,
    store: Arc<SlowStore>,
) -> Vec<crate::Result<Option<crate::session::Kept>>> {
    let mut app = app(dir);
    Arc::get_mut(&mut app.parts).unwrap().store = store;
    let keeper = Arc::new(keeper(&app));
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..24 {
        let (keeper, hub) = (keeper.clone(), hub(&format!("{}", i + 1)));
        calls.spawn(async move { keeper.load_kept(&hub).await });
    }
    calls.join_all().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_process_makes_at_most_four_keyring_calls_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SlowStore { delay_ms: 20, ..SlowStore::default() });
    let answers = load_24_at_once(dir.path(), store.clone()).await;
    assert_eq!(answers.len(), 24);
    for answer in answers {
        assert!(answer.unwrap().is_none());
    }
    let most = store.most.load(std::sync::atomic::Ordering::SeqCst);
    assert!((1..=4).contains(&most), "{most} keyring calls ran at once");
}

/// Calls waiting for a turn when the keyring times out fail with it, without calling it: 24
/// hubs fail in one timeout, not six in a row.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn when_the_keyring_stops_answering_every_waiting_call_fails_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SlowStore { delay_ms: 300, times_out: true, ..SlowStore::default() });
    let started = std::time::Instant::now();
    for failed in load_24_at_once(dir.path(), store.clone()).await {
        assert!(
            matches!(failed, Err(Error::StorageUnavailable { problem: crate::error::StorageProblem::Timeout { .. } })),
            "{failed:?}"
        );
    }
    let made = store.calls.load(std::sync::atomic::Ordering::SeqCst);
    assert!(made <= 8, "{made} calls reached a keyring that had stopped answering");
    assert!(started.elapsed() < std::time::Duration::from_millis(1200), "{:?}", started.elapsed());
}
