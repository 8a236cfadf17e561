//! The web sign-in's rules (`auth=web`), through the engine's public seam: a scripted shell
//! (`WebWindows`, standing in for the desktop's Tauri windows) reports page loads, and a small
//! Qlik-like hub on 127.0.0.1 answers the session check. The real windows, a real SAML IdP
//! and the real keyring are proven in tests/desktop/websignin.test.mjs; here each rule of the
//! engine's judgement is pinned down on its own.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hublink_core::error::{Error, RefusalKind};
use hublink_core::secret::CookieValue;
use hublink_core::session::{Kept, SessionState};
use hublink_core::sign_in::web::{
    BoxFuture, PageText, WebWindow, WebWindowRequest, WebWindows, WindowControl, WindowEvent,
};
use hublink_core::store::{Chunked, MemoryEntries, SecretStore};
use hublink_core::web::WebCookie;
use hublink_core::{Hub, Hublink, LoginOptions, Parts};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

// ---- a Qlik-like hub: `qps/user` answers the user for a live cookie ----

#[derive(Default)]
struct HubState {
    live: HashSet<String>,
    logouts: u32,
    probes: u32,
}

struct QlikHub {
    url: Url,
    state: Arc<Mutex<HubState>>,
}

impl QlikHub {
    async fn start() -> QlikHub {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let url =
            Url::parse(&format!("http://{}/finance/", listener.local_addr().expect("an address"))).expect("a url");
        let state = Arc::new(Mutex::new(HubState::default()));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 8192];
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    let head = String::from_utf8_lossy(&buf[..n]).to_string();
                    let (status, body) = answer(&shared, &head);
                    let reply = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(reply.as_bytes()).await;
                });
            }
        });
        QlikHub { url, state }
    }

    fn session_check(&self) -> String {
        format!("{}qps/user", self.url)
    }

    fn make_live(&self, value: &str) {
        self.state.lock().expect("hub").live.insert(value.to_owned());
    }

    fn expire_all(&self) {
        self.state.lock().expect("hub").live.clear();
    }
}

fn answer(state: &Mutex<HubState>, head: &str) -> (u16, String) {
    let method = head.split(' ').next().unwrap_or("");
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("cookie: ").or_else(|| l.strip_prefix("Cookie: ")))
        .and_then(|c| c.trim().strip_prefix("X-Qlik-Session-finance="))
        .map(str::to_owned);
    let mut s = state.lock().expect("hub");
    let live = cookie.as_ref().is_some_and(|c| s.live.contains(c));
    match (method, live) {
        ("DELETE", true) => {
            s.logouts += 1;
            if let Some(c) = cookie {
                s.live.remove(&c);
            }
            (200, r#"{"session":"ended"}"#.into())
        }
        ("GET", true) => {
            s.probes += 1;
            (200, r#"{"userDirectory":"CORP","userId":"alice","userName":"Alice","logoutUri":"LOGOUT"}"#.into())
        }
        _ => {
            s.probes += 1;
            (200, r#"{"session":"inactive"}"#.into())
        }
    }
}

// ---- a scripted shell: each window plays the pages it is given ----

/// One page the window "loads": its address, the cookies the context has then, its text.
#[derive(Clone)]
struct Page {
    url: Url,
    cookies: Vec<WebCookie>,
    text: PageText,
}

#[derive(Default)]
struct Shell {
    /// What the next windows show, one script per window; an empty script stays open.
    scripts: Mutex<Vec<Vec<Option<Page>>>>,
    context: Mutex<Vec<WebCookie>>,
    opened: Mutex<Vec<(Url, bool)>>,
    set: Mutex<Vec<String>>,
    deleted: Mutex<Vec<String>>,
    closed: Arc<Mutex<u32>>,
}

struct Closer(Arc<Mutex<u32>>);

impl WindowControl for Closer {
    fn show(&self) {}
    fn close(&self) {
        *self.0.lock().expect("closed") += 1;
    }
}

impl WebWindows for Shell {
    fn cookies(&self) -> BoxFuture<'_, Result<Vec<WebCookie>, Error>> {
        Box::pin(async move { Ok(self.context.lock().expect("context").clone()) })
    }

    fn set_cookies<'a>(&'a self, cookies: &'a [WebCookie]) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            self.set.lock().expect("set").extend(cookies.iter().map(|c| c.name.clone()));
            Ok(())
        })
    }

    fn delete_cookies<'a>(&'a self, cookies: &'a [WebCookie]) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            self.deleted.lock().expect("deleted").extend(cookies.iter().map(|c| c.name.clone()));
            Ok(())
        })
    }

    fn open(&self, request: WebWindowRequest) -> BoxFuture<'_, Result<WebWindow, Error>> {
        Box::pin(async move {
            self.opened.lock().expect("opened").push((request.start.clone(), request.visible));
            let script = self.scripts.lock().expect("scripts").remove(0);
            let (tx, events) = tokio::sync::mpsc::unbounded_channel();
            tokio::spawn(async move {
                for step in script {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    let event = match step {
                        Some(p) => WindowEvent::Loaded { url: p.url, cookies: p.cookies, page: p.text },
                        None => WindowEvent::Closed,
                    };
                    if tx.send(event).is_err() {
                        return;
                    }
                }
                // Stay open (the sender lives) until the engine gives up.
                tokio::time::sleep(Duration::from_secs(60)).await;
                drop(tx);
            });
            Ok(WebWindow { events, control: Box::new(Closer(self.closed.clone())) })
        })
    }
}

fn cookie(name: &str, value: &str, domain: &str) -> WebCookie {
    WebCookie {
        name: name.into(),
        value: CookieValue::new(value),
        domain: domain.into(),
        path: "/".into(),
        secure: false,
        http_only: true,
        host_only: true,
        expires_at: None,
    }
}

const IDP: &str = "http://127.0.0.2:1/login";

fn idp_page() -> Option<Page> {
    Some(Page {
        url: Url::parse(IDP).expect("idp"),
        cookies: vec![cookie("idp_sso", "sso-1", "127.0.0.2")],
        text: PageText { title: "Sign in".into(), text: "User name".into() },
    })
}

fn hub_page(hub: &QlikHub, session: Option<&str>, text: (&str, &str)) -> Option<Page> {
    let mut cookies =
        vec![cookie("idp_sso", "sso-1", "127.0.0.2"), cookie("X-Qlik-Session-sales", "other-hub", "127.0.0.1")];
    if let Some(v) = session {
        cookies.push(cookie("X-Qlik-Session-finance", v, "127.0.0.1"));
    }
    Some(Page {
        url: hub.url.join("hub/").expect("url"),
        cookies,
        text: PageText { title: text.0.into(), text: text.1.into() },
    })
}

// ---- the engine ----

struct Machine {
    hub: QlikHub,
    shell: Arc<Shell>,
    store: Arc<dyn SecretStore>,
    app: Hublink,
    target: Hub,
    _dir: tempfile::TempDir,
}

async fn machine(extra_ini: &str) -> Machine {
    let hub = QlikHub::start().await;
    let dir = tempfile::tempdir().expect("a temp folder");
    let ini_dir = dir.path().join("hubs");
    std::fs::create_dir_all(&ini_dir).expect("hubs folder");
    std::fs::write(
        ini_dir.join("qlik.ini"),
        format!(
            "[Finance]\nurl = {}\nauth = web\nsession_check = {}\nsession_cookie = X-Qlik-Session-finance\n{extra_ini}",
            hub.url,
            hub.session_check()
        ),
    )
    .expect("hubs.ini");
    let store: Arc<dyn SecretStore> = Arc::new(Chunked::new(MemoryEntries::default()));
    let shell = Arc::new(Shell::default());
    let app = Hublink::new(Parts {
        paths: hublink_core::paths::Paths::at(dir.path().join("home")),
        store: store.clone(),
        browser: Arc::new(NoBrowser),
        ini_dirs: vec![ini_dir],
        insecure_storage_allowed: false,
        clock: Arc::new(hublink_core::clock::SystemClock),
        policy: Arc::default(),
        web: std::sync::OnceLock::new(),
        store_gate: Default::default(),
    });
    app.set_web_windows(shell.clone());
    let target = app.catalog().expect("catalog").hubs[0].clone();
    Machine { hub, shell, store, app, target, _dir: dir }
}

struct NoBrowser;
impl hublink_core::browser::Browser for NoBrowser {
    fn open(&self, _: &Url) -> Result<(), hublink_core::browser::BrowserError> {
        Ok(())
    }
}

impl Machine {
    fn script(&self, pages: Vec<Option<Page>>) {
        self.shell.scripts.lock().expect("scripts").push(pages);
    }

    async fn login(&self) -> Result<hublink_core::SignedIn, Error> {
        let options = LoginOptions { device: false, timeout: Duration::from_secs(20) };
        self.app.login(&self.target, options, &|_| {}).await
    }

    fn kept(&self) -> Option<Kept> {
        self.store.get(self.target.id.as_str()).expect("the store answers").and_then(|s| Kept::from_secret(&s))
    }
}

fn web(kept: Option<Kept>) -> hublink_core::session::WebSession {
    match kept {
        Some(Kept::Web(w)) => w,
        other => panic!("a web session is stored, not {other:?}"),
    }
}

#[tokio::test]
async fn the_hubs_page_with_a_cookie_the_check_accepts_is_success_and_only_the_idps_cookies_are_kept() {
    let m = machine("").await;
    m.hub.make_live("good-1");
    m.script(vec![idp_page(), hub_page(&m.hub, Some("good-1"), ("Hub", ""))]);
    let signed_in = m.login().await.expect("signed in");
    assert_eq!(signed_in.user, "CORP\\alice");
    let kept = web(m.kept());
    assert_eq!(kept.cookie.value.expose(), "good-1");
    assert_eq!(
        kept.idp_cookies.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["idp_sso"],
        "never another hub's cookie"
    );
    assert_eq!(*m.shell.closed.lock().expect("closed"), 1, "the window closes");
    assert_eq!(m.shell.opened.lock().expect("opened")[0], (m.hub.url.clone(), true));
    let header = m.app.auth_header(&m.target).await.expect("a header");
    assert_eq!((header.name, header.value.expose()), ("Cookie", "X-Qlik-Session-finance=good-1"));
}

#[tokio::test]
async fn a_hub_page_after_the_idp_without_a_good_cookie_is_the_refusal_with_its_words_and_nothing_is_stored() {
    let m = machine("").await;
    m.script(vec![
        idp_page(),
        hub_page(
            &m.hub,
            Some("never-live"),
            ("Access denied", "You cannot access Qlik Sense because you have no access pass."),
        ),
    ]);
    let e = m.login().await.expect_err("refused");
    let Error::WebRefused(refusal) = &e else { panic!("a web refusal, not {e:?}") };
    assert_eq!(refusal.kind(), RefusalKind::NoAccess);
    assert!(e.cause().contains("no access pass"), "{}", e.cause());
    assert!(m.kept().is_none(), "nothing stored");
}

#[tokio::test]
async fn closing_the_window_cancels_and_stores_nothing() {
    let m = machine("").await;
    m.script(vec![idp_page(), None]);
    assert!(matches!(m.login().await, Err(Error::Cancelled)));
    assert!(m.kept().is_none());
}

#[tokio::test]
async fn a_dead_cookie_is_renewed_silently_with_the_kept_idp_cookies_and_keeps_its_sign_in_date() {
    let m = machine("").await;
    m.hub.make_live("good-1");
    m.script(vec![idp_page(), hub_page(&m.hub, Some("good-1"), ("Hub", ""))]);
    m.login().await.expect("signed in");
    let first = web(m.kept());
    m.hub.expire_all();
    m.hub.make_live("good-2");
    m.script(vec![hub_page(&m.hub, Some("good-2"), ("Hub", ""))]);
    let state = m.app.restore_one(&m.target).await;
    assert!(matches!(state, SessionState::SignedIn { .. }), "{state:?}");
    let opened = m.shell.opened.lock().expect("opened").clone();
    assert_eq!(opened.last().map(|o| o.1), Some(false), "the silent window is never shown");
    assert_eq!(m.shell.set.lock().expect("set").as_slice(), ["idp_sso"], "the kept IdP cookies are put back first");
    let renewed = web(m.kept());
    assert_eq!(renewed.cookie.value.expose(), "good-2");
    assert_eq!(renewed.signed_in_at, first.signed_in_at, "max_session_days counts from the interactive sign-in");
}

#[tokio::test]
async fn a_silent_sign_in_that_rests_on_the_idps_page_is_sign_in_again() {
    let m = machine("").await;
    m.hub.make_live("good-1");
    m.script(vec![idp_page(), hub_page(&m.hub, Some("good-1"), ("Hub", ""))]);
    m.login().await.expect("signed in");
    m.hub.expire_all();
    m.script(vec![idp_page()]);
    let started = std::time::Instant::now();
    let state = m.app.restore_one(&m.target).await;
    let SessionState::SignInRequired { reason, .. } = state else { panic!("sign in again, not {state:?}") };
    assert!(reason.contains("asks you to sign in again"), "{reason}");
    assert!(started.elapsed() < Duration::from_secs(15), "gives up within the quiet time, not the whole limit");
    assert!(m.kept().is_some(), "nothing is deleted");
}

#[tokio::test]
async fn restore_probes_once_and_sign_out_calls_the_hubs_logout_and_forgets_the_cookies() {
    let m = machine("").await;
    m.hub.make_live("good-1");
    m.script(vec![idp_page(), hub_page(&m.hub, Some("good-1"), ("Hub", ""))]);
    m.login().await.expect("signed in");
    let probes = m.hub.state.lock().expect("hub").probes;
    assert!(matches!(m.app.restore_one(&m.target).await, SessionState::SignedIn { .. }));
    assert_eq!(m.hub.state.lock().expect("hub").probes - probes, 1, "one request, never a burst");
    // The hub's own logout address is where sign-out goes; ours points at the session check.
    let mut kept = web(m.kept());
    kept.logout_uri = Some(Url::parse(&m.hub.session_check()).expect("url"));
    m.store.set(m.target.id.as_str(), &Kept::Web(kept).to_secret()).expect("stored");
    *m.shell.context.lock().expect("context") =
        vec![cookie("X-Qlik-Session-finance", "good-1", "127.0.0.1"), cookie("idp_sso", "sso-9", "127.0.0.2")];
    let out = m.app.logout(&m.target).await.expect("signed out");
    assert_eq!(out.revocation, hublink_core::Revocation::LoggedOutAtHub);
    assert_eq!(m.hub.state.lock().expect("hub").logouts, 1);
    let deleted = m.shell.deleted.lock().expect("deleted").clone();
    assert!(
        deleted.contains(&"X-Qlik-Session-finance".to_owned()) && deleted.contains(&"idp_sso".to_owned()),
        "{deleted:?}"
    );
    assert!(m.kept().is_none());
}

#[tokio::test]
async fn with_remember_idp_session_false_the_idps_cookies_leave_at_once() {
    let m = machine("remember_idp_session = false\n").await;
    m.hub.make_live("good-1");
    m.script(vec![idp_page(), hub_page(&m.hub, Some("good-1"), ("Hub", ""))]);
    m.login().await.expect("signed in");
    assert_eq!(m.shell.deleted.lock().expect("deleted").as_slice(), ["idp_sso"]);
}

#[tokio::test]
async fn a_hub_that_is_down_fails_before_any_window_opens() {
    let m = machine("").await;
    let down = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port");
    let port = down.local_addr().expect("addr").port();
    drop(down);
    let ini = m._dir.path().join("hubs").join("qlik.ini");
    let text = std::fs::read_to_string(&ini)
        .expect("ini")
        .replace(&m.hub.url.port().expect("port").to_string(), &port.to_string());
    std::fs::write(&ini, text).expect("ini");
    let target = m.app.catalog().expect("catalog").hubs[0].clone();
    let e = m.app.login(&target, LoginOptions::default(), &|_| {}).await.expect_err("down");
    assert!(e.is_offline(), "{e:?}");
    assert!(m.shell.opened.lock().expect("opened").is_empty());
}

#[tokio::test]
async fn forgetting_a_hubs_web_data_deletes_only_its_own_cookies() {
    let m = machine("").await;
    *m.shell.context.lock().expect("context") = vec![
        cookie("X-Qlik-Session-finance", "good-1", "127.0.0.1"),
        cookie("X-Qlik-Session-sales", "other", "127.0.0.1"),
        cookie("idp_sso", "sso-1", "127.0.0.2"),
    ];
    let n = m.app.forget_web_data(&m.target).await.expect("forgotten");
    assert_eq!(n, 2, "every cookie sent to the hub's host");
    let deleted = m.shell.deleted.lock().expect("deleted").clone();
    assert!(!deleted.contains(&"idp_sso".to_owned()), "the IdP's are not the hub's: {deleted:?}");
}
