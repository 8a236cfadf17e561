//! The hub's own web sign-in (`auth=web`): the hub and its identity provider run their pages
//! (password, TOTP, push) in a Hublink window; the session is the cookie the hub sets.
//!
//! The engine drives it; the shell only shows windows. The shell implements [`WebWindows`]
//! (the desktop app with Tauri webviews that share one web context, so one IdP sign-in covers
//! every hub on that IdP) and reports each page load with the context's cookies; the engine
//! decides: a page on the hub's origin whose cookie the session check accepts is success; a
//! page on the hub's origin reached *after* the identity provider's pages, without a good
//! cookie, is the hub's refusal (its title and text are the reason); the user closing the
//! window is a cancellation. Nothing is stored before the session check said yes.
//!
//! A silent sign-in (restoring a dead cookie) puts the kept IdP cookies back, opens the window
//! hidden and gives up — "sign in again", never a window popping up — as soon as a page
//! stays on screen waiting for the user.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::app::Parts;
use crate::catalog::Hub;
use crate::error::{Error, Result, WebRefusal};
use crate::session::WebSession;
use crate::sessions::SessionKeeper;
use crate::settings::printable;
use crate::sign_in::{NewSession, Progress, ProgressFn, SignedIn};
use crate::web::{self, CookiesBefore, WebCheck, WebCookie};

/// A boxed future, for the shell's side of the seam.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How long a silent sign-in waits on one page before deciding the IdP needs the user.
pub const SILENT_QUIET: Duration = Duration::from_secs(4);
/// The longest a silent sign-in may take in all.
pub const SILENT_LIMIT: Duration = Duration::from_secs(30);

/// What a web sign-in obtained: the hub's session cookie, accepted by its session check.
#[derive(Debug, Clone)]
pub struct WebCredentials {
    pub cookie: WebCookie,
    /// The identity provider's sign-in cookies (empty unless `remember_idp_session`).
    pub idp_cookies: Vec<WebCookie>,
    pub logout_uri: Option<Url>,
}

/// A page's title and visible text (at most a few hundred characters), for a refusal's reason.
#[derive(Debug, Clone, Default)]
pub struct PageText {
    pub title: String,
    pub text: String,
}

/// What a sign-in window reports.
#[derive(Debug)]
pub enum WindowEvent {
    /// The window is going to `url` (a link, a redirect, a form post).
    Navigating { url: Url },
    /// A page finished loading: every cookie of the web context now, and the page's text.
    Loaded { url: Url, cookies: Vec<WebCookie>, page: PageText },
    /// The user closed the window.
    Closed,
}

/// What the engine asks of a window: show it, close it.
pub trait WindowControl: Send + Sync {
    fn show(&self);
    fn close(&self);
}

/// An open sign-in window: its events, in order, and its controls.
pub struct WebWindow {
    pub events: tokio::sync::mpsc::UnboundedReceiver<WindowEvent>,
    pub control: Box<dyn WindowControl>,
}

/// What to open.
#[derive(Debug, Clone)]
pub struct WebWindowRequest {
    pub hub: Hub,
    /// The hub's login start (`login_path`, else `url`).
    pub start: Url,
    /// `false`: a silent sign-in; the window is never shown.
    pub visible: bool,
}

/// The shell's windows and web context (the desktop app). The CLI has none.
pub trait WebWindows: Send + Sync {
    /// Every cookie of Hublink's web context (HttpOnly included).
    fn cookies(&self) -> BoxFuture<'_, Result<Vec<WebCookie>>>;
    /// Put cookies into the web context (each with its explicit domain).
    fn set_cookies<'a>(&'a self, cookies: &'a [WebCookie]) -> BoxFuture<'a, Result<()>>;
    /// Delete these cookies from the web context.
    fn delete_cookies<'a>(&'a self, cookies: &'a [WebCookie]) -> BoxFuture<'a, Result<()>>;
    /// Open a sign-in window.
    fn open(&self, request: WebWindowRequest) -> BoxFuture<'_, Result<WebWindow>>;
}

/// Interactive or silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The user signs in in a visible window, within `timeout`.
    Interactive { timeout: Duration },
    /// Restore a dead cookie with the kept IdP cookies, without showing anything.
    Silent,
}

/// Runs one web sign-in; see the module documentation.
pub struct WebSignIn {
    windows: Arc<dyn WebWindows>,
    keeper: SessionKeeper,
    http: reqwest::Client,
}

impl WebSignIn {
    /// `Err` when this shell has no windows (the CLI): [`Error::NeedsApp`].
    pub fn new(parts: &Arc<Parts>, hub: &Hub) -> Result<WebSignIn> {
        let windows = parts.web_windows().ok_or_else(|| Error::NeedsApp { hub: hub.settings.name.clone() })?;
        Ok(WebSignIn {
            windows,
            keeper: SessionKeeper::new(parts.clone()),
            http: crate::http::client_for(&hub.settings)?,
        })
    }

    /// Sign in; `kept` is the session being renewed (silent mode).
    pub async fn run(
        &self,
        hub: &Hub,
        mode: Mode,
        kept: Option<&WebSession>,
        progress: &ProgressFn<'_>,
    ) -> Result<SignedIn> {
        // A hub that is down fails now, with its reason, not after the user waited at an error page.
        web::reachable(&self.http, &hub.settings).await?;
        if let (Mode::Silent, Some(kept)) = (mode, kept) {
            self.windows.set_cookies(&kept.idp_cookies).await?;
        }
        let before = CookiesBefore::of(&self.windows.cookies().await?);
        let start = hub.settings.login_path.clone().unwrap_or_else(|| hub.settings.url.clone());
        let window = self
            .windows
            .open(WebWindowRequest {
                hub: hub.clone(),
                start: start.clone(),
                visible: matches!(mode, Mode::Interactive { .. }),
            })
            .await?;
        progress(Progress::WindowOpened { url: start });
        let WebWindow { mut events, control } = window;
        let outcome = self.watch(hub, mode, &before, &mut events).await;
        control.close();
        let (credentials, user) = outcome?;
        progress(Progress::Verifying);
        if !hub.settings.remember_idp_session {
            // Dropped right after capture: the next sign-in asks the IdP again.
            self.windows.delete_cookies(&credentials.idp_cookies).await?;
        }
        let new = NewSession { credentials: crate::sign_in::Credentials::Web(credentials), user, second_factor: None };
        match (mode, kept) {
            (Mode::Silent, Some(kept)) => self.keeper.keep_renewed(hub, new, kept.signed_in_at).await,
            _ => self.keeper.keep_new(hub, new).await,
        }
    }

    /// Follow the window until the hub accepts a cookie, refuses, or the user leaves.
    async fn watch(
        &self,
        hub: &Hub,
        mode: Mode,
        before: &CookiesBefore,
        events: &mut tokio::sync::mpsc::UnboundedReceiver<WindowEvent>,
    ) -> Result<(WebCredentials, String)> {
        let limit = match mode {
            Mode::Interactive { timeout } => timeout,
            Mode::Silent => SILENT_LIMIT,
        };
        let deadline = tokio::time::Instant::now() + limit;
        let mut journey = Journey::new(hub);
        loop {
            // A silent sign-in that rests on a page is waiting for the user.
            let wait = match mode {
                Mode::Silent if journey.resting_off_hub => SILENT_QUIET,
                _ => limit,
            };
            let event = tokio::time::timeout_at(deadline.min(tokio::time::Instant::now() + wait), events.recv()).await;
            let event = match (event, mode) {
                (Ok(Some(WindowEvent::Closed)) | Ok(None), _) => return Err(Error::Cancelled),
                (Ok(Some(e)), _) => e,
                (Err(_), Mode::Silent) => return Err(needs_user(hub)),
                (Err(_), Mode::Interactive { timeout }) => {
                    return Err(Error::TimedOut {
                        seconds: timeout.as_secs(),
                        waiting_for: "the sign-in in the Hublink window".into(),
                    });
                }
            };
            if let Some(done) = self.step(hub, &mut journey, before, event).await? {
                return Ok(done);
            }
        }
    }

    /// One window event: `Some` when the sign-in is done.
    async fn step(
        &self,
        hub: &Hub,
        journey: &mut Journey,
        before: &CookiesBefore,
        event: WindowEvent,
    ) -> Result<Option<(WebCredentials, String)>> {
        let (url, cookies, page) = match event {
            WindowEvent::Navigating { url } => {
                journey.visit(&url, false);
                return Ok(None);
            }
            WindowEvent::Loaded { url, cookies, page } => (url, cookies, page),
            WindowEvent::Closed => return Err(Error::Cancelled),
        };
        journey.visit(&url, true);
        if url.origin() != hub.settings.url.origin() {
            return Ok(None);
        }
        if let Some(cookie) = web::session_cookie(&hub.settings, &cookies, before) {
            match web::probe(&self.http, &hub.settings, cookie).await? {
                WebCheck::Good { user, logout_uri } => {
                    let idp_cookies = web::idp_cookies(&hub.settings, &cookies, &journey.hosts);
                    tracing::info!(hub = %hub.settings.name, idp_cookies = idp_cookies.len(), "web session captured");
                    let user = user.unwrap_or_else(|| hub.settings.name.clone());
                    return Ok(Some((WebCredentials { cookie: cookie.clone(), idp_cookies, logout_uri }, user)));
                }
                WebCheck::NotSignedIn { reason } => {
                    tracing::debug!(hub = %hub.settings.name, %reason, "the hub's page has no good session yet");
                }
            }
        }
        if journey.left_hub {
            return Err(Error::WebRefused(WebRefusal::from_page(&page.title, &page.text)));
        }
        Ok(None)
    }
}

/// Where the window has been.
struct Journey {
    hub_origin: url::Origin,
    /// Every host seen, the hub's included (the IdP cookies kept are those of the others).
    hosts: Vec<String>,
    /// A page of another origin (the IdP) was reached: a hub page after it is an answer.
    left_hub: bool,
    /// The last page that finished loading is not the hub's.
    resting_off_hub: bool,
}

impl Journey {
    fn new(hub: &Hub) -> Journey {
        Journey { hub_origin: hub.settings.url.origin(), hosts: Vec::new(), left_hub: false, resting_off_hub: false }
    }

    fn visit(&mut self, url: &Url, loaded: bool) {
        if let Some(host) = url.host_str()
            && !self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
        {
            self.hosts.push(host.to_ascii_lowercase());
        }
        let off_hub = url.origin() != self.hub_origin;
        if off_hub && matches!(url.scheme(), "http" | "https") {
            self.left_hub = true;
        }
        if loaded {
            self.resting_off_hub = off_hub;
        } else {
            // Moving on: not resting anywhere until the next page finishes.
            self.resting_off_hub = false;
        }
    }
}

fn needs_user(hub: &Hub) -> Error {
    Error::SignInRequired {
        hub: hub.settings.name.clone(),
        reason: "the hub's session ended, and its identity provider asks you to sign in again".into(),
    }
}

impl WebRefusal {
    /// The refusal page's title and text, made printable and short.
    pub fn from_page(title: &str, text: &str) -> WebRefusal {
        let title = printable(title.trim(), 120);
        let text = printable(&text.split_whitespace().collect::<Vec<_>>().join(" "), 400);
        WebRefusal { title, text }
    }
}
