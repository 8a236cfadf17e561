//! The desktop's side of the web sign-in (`auth=web`): Tauri windows on Hublink's one shared web
//! context — so one identity-provider sign-in covers every hub on that IdP, and WebDriver can
//! reach the windows in tests — and that context's cookies. The engine decides everything
//! ([`hublink_core::sign_in::web`]); this only shows pages and reports them.
//!
//! Remote pages get no Hublink command: the windows here are labelled `signin-…` and `hub-…`,
//! and the only capability (`capabilities/default.json`) names the `main` window and no remote
//! URL, so Tauri refuses every invoke from them. The address is always in the window title,
//! host first, with the connection's state, updated on every navigation (a page cannot change
//! it: document titles are not forwarded).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hublink_core::Error;
use hublink_core::secret::CookieValue;
use hublink_core::sign_in::web::{
    BoxFuture, PageText, WebWindow, WebWindowRequest, WebWindows, WindowControl, WindowEvent,
};
use hublink_core::web::WebCookie;
use tauri::webview::{Cookie, PageLoadEvent};
use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindow, WebviewWindowBuilder};
use tokio::sync::mpsc::UnboundedSender;
use url::Url;

/// The most of a page's text kept for a refusal's reason.
const PAGE_TEXT_CHARS: usize = 2000;

pub struct TauriWebWindows {
    app: AppHandle,
    next: AtomicU64,
}

impl TauriWebWindows {
    pub fn new(app: AppHandle) -> TauriWebWindows {
        TauriWebWindows { app, next: AtomicU64::new(1) }
    }

    /// A window of the shared web context, for its cookie store.
    fn any_webview(&self) -> Result<WebviewWindow, Error> {
        self.app
            .get_webview_window("main")
            .or_else(|| self.app.webview_windows().into_values().next())
            .ok_or_else(|| Error::Internal("no window holds Hublink's web context".into()))
    }
}

/// `data_directory` when there is one.
pub trait DataDirectoryIf: Sized {
    fn data_directory_if(self, dir: Option<std::path::PathBuf>) -> Self;
}

impl<'a, R: tauri::Runtime, M: Manager<R>> DataDirectoryIf for WebviewWindowBuilder<'a, R, M> {
    fn data_directory_if(self, dir: Option<std::path::PathBuf>) -> Self {
        match dir {
            Some(dir) => self.data_directory(dir),
            None => self,
        }
    }
}

fn web_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("{what}: {e}"))
}

/// WebKit's cookies → the engine's. The `cookie` crate strips the leading dot that tells a
/// domain cookie from a host-only one (libsoup's convention), so every cookie is read as a
/// domain cookie: matching is then the more inclusive of the two, and the session check
/// decides which cookie is the session.
fn to_web_cookie(c: &Cookie<'static>) -> Option<WebCookie> {
    let domain = c.domain()?;
    Some(WebCookie {
        name: c.name().to_owned(),
        value: CookieValue::new(c.value()),
        host_only: false,
        domain: domain.trim_start_matches('.').to_ascii_lowercase(),
        path: c.path().unwrap_or("/").to_owned(),
        secure: c.secure().unwrap_or(false),
        http_only: c.http_only().unwrap_or(false),
        expires_at: c.expires_datetime(),
    })
}

/// The engine's cookies → WebKit's, always with an explicit domain (WebKit stores nothing
/// without one). Through the `cookie` crate every cookie put back is a host cookie of its
/// domain (it drops a leading dot): an IdP that sets its sign-in cookies on a parent domain of
/// its sign-in host is not silently renewed, and asks the user again.
fn to_tauri_cookie(c: &WebCookie) -> Cookie<'static> {
    let mut builder = Cookie::build((c.name.clone(), c.value.expose().to_owned()))
        .domain(c.domain.clone())
        .path(c.path.clone())
        .secure(c.secure)
        .http_only(c.http_only);
    if let Some(t) = c.expires_at {
        builder = builder.expires(t);
    }
    builder.build()
}

/// Every cookie of the shared context, off the main thread (WebKit answers on it).
async fn read_cookies(webview: WebviewWindow) -> Result<Vec<WebCookie>, Error> {
    tokio::task::spawn_blocking(move || webview.cookies())
        .await
        .map_err(|e| web_error("reading cookies", e))?
        .map(|all| all.iter().filter_map(to_web_cookie).collect())
        .map_err(|e| web_error("reading cookies", e))
}

/// The window title: the hub, then the host the window shows now and whether the connection
/// is encrypted.
pub fn title_for(hub_name: &str, url: &Url) -> String {
    let host = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        (None, _) => url.scheme().to_owned(),
    };
    let connection = if url.scheme() == "https" { "secure connection" } else { "NOT ENCRYPTED" };
    format!("{hub_name} — {host} ({connection})")
}

/// The page's title and visible text, through an evaluated script (a page cannot call us).
async fn page_text(window: &WebviewWindow) -> PageText {
    let (tx, rx) = tokio::sync::oneshot::channel::<String>();
    let tx = std::sync::Mutex::new(Some(tx));
    let script = format!(
        "JSON.stringify({{t: document.title || '', b: ((document.body && document.body.innerText) || '').slice(0, {PAGE_TEXT_CHARS})}})"
    );
    let sent = window.eval_with_callback(script, move |json| {
        if let Some(tx) = tx.lock().ok().and_then(|mut t| t.take()) {
            let _ = tx.send(json);
        }
    });
    if sent.is_err() {
        return PageText::default();
    }
    let Ok(Ok(json)) = tokio::time::timeout(Duration::from_secs(2), rx).await else { return PageText::default() };
    // The callback gets the script's result as JSON: here a JSON string holding our object.
    let inner: String = serde_json::from_str(&json).unwrap_or(json);
    let value: serde_json::Value = serde_json::from_str(&inner).unwrap_or_default();
    let field = |k: &str| value.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
    PageText { title: field("t"), text: field("b") }
}

struct Control(WebviewWindow);

impl WindowControl for Control {
    fn show(&self) {
        let _ = self.0.show();
        let _ = self.0.set_focus();
    }

    fn close(&self) {
        let _ = self.0.destroy();
    }
}

impl WebWindows for TauriWebWindows {
    fn cookies(&self) -> BoxFuture<'_, Result<Vec<WebCookie>, Error>> {
        Box::pin(async move { read_cookies(self.any_webview()?).await })
    }

    fn set_cookies<'a>(&'a self, cookies: &'a [WebCookie]) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let webview = self.any_webview()?;
            let cookies: Vec<Cookie<'static>> = cookies.iter().map(to_tauri_cookie).collect();
            tokio::task::spawn_blocking(move || cookies.into_iter().try_for_each(|c| webview.set_cookie(c)))
                .await
                .map_err(|e| web_error("setting cookies", e))?
                .map_err(|e| web_error("setting cookies", e))
        })
    }

    fn delete_cookies<'a>(&'a self, cookies: &'a [WebCookie]) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let webview = self.any_webview()?;
            let cookies: Vec<Cookie<'static>> = cookies.iter().map(to_tauri_cookie).collect();
            tokio::task::spawn_blocking(move || cookies.into_iter().try_for_each(|c| webview.delete_cookie(c)))
                .await
                .map_err(|e| web_error("deleting cookies", e))?
                .map_err(|e| web_error("deleting cookies", e))
        })
    }

    fn open(&self, request: WebWindowRequest) -> BoxFuture<'_, Result<WebWindow, Error>> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        Box::pin(async move { self.open_window(request, n) })
    }
}

/// Where WebKit keeps the shared web context's data (cookies, storage). Decided once, and every
/// Hublink window uses it, so they all share one context: the app's local data folder or, when
/// that cannot be created (a read-only `~/.local/share`), a private folder of this process's
/// own that is not kept — with a notice. (Tauri would otherwise fail to open any window.)
pub fn data_directory(app: &AppHandle) -> Option<std::path::PathBuf> {
    let state = app.state::<crate::commands::AppState>();
    state.web_data.get_or_init(|| choose_data_directory(app)).clone()
}

fn choose_data_directory(app: &AppHandle) -> Option<std::path::PathBuf> {
    let preferred = app.path().app_local_data_dir().ok()?;
    let why = match std::fs::create_dir_all(&preferred) {
        Ok(()) => return Some(preferred),
        Err(e) => e,
    };
    let base = std::env::var_os("XDG_RUNTIME_DIR").map(std::path::PathBuf::from).unwrap_or_else(std::env::temp_dir);
    let fallback = base.join(format!("hublink-web-data-{}", std::process::id()));
    let mut dir = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut dir, 0o700);
    let made = dir.create(&fallback);
    let notices = &app.state::<crate::commands::AppState>().notices;
    notices.add(crate::notices::Notice::new(
        "web_data",
        "Web sign-in data is not kept after Hublink quits",
        match &made {
            Ok(()) => format!("{}: {why}; it is kept in {} until Hublink quits", preferred.display(), fallback.display()),
            Err(e) => format!("{}: {why}; {}: {e}", preferred.display(), fallback.display()),
        },
        "Make that folder writable, then start Hublink again; hubs that sign in in a Hublink window may ask you to sign in again meanwhile.",
    ));
    made.ok().map(|()| fallback)
}

/// At exit: remove the web data folder when it was this process's own (see [`data_directory`]).
pub fn remove_own_data_directory(app: &AppHandle) {
    let own = format!("hublink-web-data-{}", std::process::id());
    let state = app.state::<crate::commands::AppState>();
    if let Some(Some(dir)) = state.web_data.get()
        && dir.file_name().is_some_and(|n| n == own.as_str())
    {
        let _ = std::fs::remove_dir_all(dir);
    }
}

impl TauriWebWindows {
    fn open_window(&self, request: WebWindowRequest, n: u64) -> Result<WebWindow, Error> {
        let (tx, events) = tokio::sync::mpsc::unbounded_channel();
        let name = request.hub.settings.name.clone();
        let label = format!("signin-{}-{n}", request.hub.id);
        let (nav_tx, load_tx, close_tx) = (tx.clone(), tx.clone(), tx);
        let load_name = name.clone();
        let window = WebviewWindowBuilder::new(&self.app, label, WebviewUrl::External(request.start.clone()))
            .title(title_for(&name, &request.start))
            .inner_size(560.0, 760.0)
            .visible(request.visible)
            .data_directory_if(data_directory(&self.app))
            .focused(request.visible)
            .on_navigation(move |url| {
                let _ = nav_tx.send(WindowEvent::Navigating { url: url.clone() });
                true
            })
            .on_new_window(|_, _| tauri::webview::NewWindowResponse::Deny)
            .on_page_load(move |window, payload| {
                let url = payload.url().clone();
                let _ = window.set_title(&title_for(&load_name, &url));
                if payload.event() == PageLoadEvent::Finished {
                    report_loaded(window, url, load_tx.clone());
                }
            })
            .build()
            .map_err(|e| web_error("opening the sign-in window", e))?;
        window.on_window_event(move |event| {
            if matches!(event, tauri::WindowEvent::CloseRequested { .. } | tauri::WindowEvent::Destroyed) {
                let _ = close_tx.send(WindowEvent::Closed);
            }
        });
        log::info!("sign-in window for {name} opened{}", if request.visible { "" } else { " (hidden, silent)" });
        Ok(WebWindow { events, control: Box::new(Control(window)) })
    }

    /// Open a signed-in cookie hub in its own window, its session cookie set first.
    pub async fn open_hub(&self, hub: &hublink_core::Hub, url: Url, cookie: WebCookie) -> Result<(), Error> {
        self.set_cookies(std::slice::from_ref(&cookie)).await?;
        let label = format!("hub-{}", hub.id);
        if let Some(existing) = self.app.get_webview_window(&label) {
            let _ = existing.show();
            let _ = existing.set_focus();
            return Ok(());
        }
        let name = hub.settings.name.clone();
        WebviewWindowBuilder::new(&self.app, label, WebviewUrl::External(url.clone()))
            .title(title_for(&name, &url))
            .inner_size(1100.0, 800.0)
            .data_directory_if(data_directory(&self.app))
            .on_new_window(|_, _| tauri::webview::NewWindowResponse::Deny)
            .on_page_load(move |window, payload| {
                let _ = window.set_title(&title_for(&name, payload.url()));
            })
            .build()
            .map_err(|e| web_error("opening the hub window", e))?;
        Ok(())
    }
}

/// After a page finished loading: the context's cookies and the page's text, to the engine.
fn report_loaded(window: WebviewWindow, url: Url, tx: UnboundedSender<WindowEvent>) {
    tauri::async_runtime::spawn(async move {
        let cookies = match read_cookies(window.clone()).await {
            Ok(c) => c,
            Err(e) => {
                log::warn!("could not read the web context's cookies: {e}");
                Vec::new()
            }
        };
        let page = page_text(&window).await;
        let _ = tx.send(WindowEvent::Loaded { url, cookies, page });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_shows_host_and_connection() {
        let https = Url::parse("https://login.example.com/saml?x=1").unwrap();
        assert_eq!(title_for("Finance", &https), "Finance — login.example.com (secure connection)");
        let http = Url::parse("http://127.0.0.1:9000/finance/").unwrap();
        assert_eq!(title_for("Finance", &http), "Finance — 127.0.0.1:9000 (NOT ENCRYPTED)");
        let idn = Url::parse("https://exämple.com/").unwrap();
        assert!(title_for("F", &idn).contains("xn--"), "look-alike hosts show as punycode");
    }

    #[test]
    fn cookies_cross_with_their_domain_and_attributes() {
        let c =
            Cookie::build(("sid", "v")).domain(".Example.com").path("/finance").http_only(true).secure(true).build();
        let web = to_web_cookie(&c.into_owned()).unwrap();
        assert_eq!(
            (web.domain.as_str(), web.path.as_str(), web.http_only, web.secure),
            ("example.com", "/finance", true, true)
        );
        assert!(web.domain_matches("qlik.example.com"), "read as a domain cookie");
        let back = to_tauri_cookie(&web);
        assert_eq!((back.domain(), back.path(), back.http_only()), (Some("example.com"), Some("/finance"), Some(true)));
        assert!(
            to_web_cookie(&Cookie::build(("x", "y")).build().into_owned()).is_none(),
            "no domain: not ours to judge"
        );
    }
}
