//! While the app runs — window open or only the tray — sessions are kept fresh: every tick,
//! each signed-in hub gets the core's [`KeepFresh`](hublink_core::use_cases::KeepFresh) look
//! (a refresh exactly when its access token is due; a cookie hub's session check every
//! [`WEB_RECHECK`]). Nothing here opens a window or a browser. What changed goes to the page
//! (`hub-state`), to the tray, and — when the user must act, or something finished while the
//! window was hidden — to a desktop notification, at most one "renew by" notice per hub a day.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hublink_core::{Hub, HubId, Hublink, SessionState};
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_notification::NotificationExt;

use crate::commands::AppState;
use crate::views::HubStateView;

/// How often the background looks (seconds; `HUBLINK_RENEW_INTERVAL_SECS` changes it, for
/// tests and for people who want it calmer).
const DEFAULT_TICK: Duration = Duration::from_secs(30);
/// How often a cookie hub's session check is asked in the background. A probe counts as use for
/// hubs with an idle timeout (Qlik's is 30 minutes by default), so this also keeps the hub's
/// session from idling out while Hublink runs.
pub const WEB_RECHECK: Duration = Duration::from_secs(25 * 60);

/// What the background remembers between ticks (in memory; "renew by" notices also by day).
#[derive(Default)]
pub struct Background {
    last_web_check: Mutex<HashMap<HubId, Instant>>,
    last_state: Mutex<HashMap<HubId, &'static str>>,
    renew_noticed: Mutex<HashMap<HubId, time::Date>>,
}

fn tick_interval() -> Duration {
    std::env::var("HUBLINK_RENEW_INTERVAL_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map_or(DEFAULT_TICK, Duration::from_secs)
}

fn web_recheck() -> Duration {
    std::env::var("HUBLINK_WEB_RECHECK_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map_or(WEB_RECHECK, Duration::from_secs)
}

/// Start the loop (once, from `setup`).
pub fn start(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let interval = tick_interval();
        loop {
            tokio::time::sleep(interval).await;
            let Ok(hublink) = app.state::<AppState>().hublink().cloned() else { return };
            tick(&app, &hublink).await;
        }
    });
}

async fn tick(app: &AppHandle, hublink: &Hublink) {
    let Ok(catalog) = hublink.catalog() else { return };
    let background = app.state::<Background>();
    for hub in catalog.hubs.iter().filter(|h| !h.hidden) {
        // Only sessions this computer holds, and not those already waiting for the user.
        let Some(record) = catalog.sessions.get(&hub.id) else { continue };
        if record.sign_in_required.is_some() {
            continue;
        }
        let recheck = background.web_due(&hub.id);
        if let Some(state) = hublink.keep_fresh(hub, recheck).await {
            report(app, hublink, hub, state);
        }
    }
    renew_notices(app, hublink, &catalog);
    crate::tray::refresh(app);
}

impl Background {
    fn web_due(&self, hub: &HubId) -> bool {
        let Ok(mut last) = self.last_web_check.lock() else { return false };
        let due = last.get(hub).is_none_or(|t| t.elapsed() >= web_recheck());
        if due {
            last.insert(hub.clone(), Instant::now());
        }
        due
    }

    /// The state's name before this one (`None` the first time).
    fn swap_state(&self, hub: &HubId, now: &'static str) -> Option<&'static str> {
        self.last_state.lock().ok().and_then(|mut m| m.insert(hub.clone(), now))
    }
}

fn report(app: &AppHandle, hublink: &Hublink, hub: &Hub, state: SessionState) {
    let background = app.state::<Background>();
    let before = background.swap_state(&hub.id, state.as_str());
    let name = &hub.settings.name;
    match (&state, before) {
        (SessionState::SignInRequired { reason, .. }, b) if b != Some("sign_in_required") => {
            notify(app, &format!("Sign in again to {name}"), reason);
        }
        (SessionState::SignedIn { user, .. }, Some(b)) if b != "signed_in" && !window_visible(app) => {
            notify(app, &format!("Signed in to {name} again"), &format!("as {user}, in the background"));
        }
        _ => {}
    }
    let view = HubStateView::new(state, &hublink.preferences().0, hublink.now());
    let _ = app.emit("hub-state", serde_json::json!({ "hub_id": hub.id.to_string(), "state": view }));
}

/// "Renew <hub> by <day>": once a day per hub whose session ends inside the warning window.
fn renew_notices(app: &AppHandle, hublink: &Hublink, catalog: &hublink_core::Catalog) {
    let (preferences, _) = hublink.preferences();
    let now = hublink.now();
    let background = app.state::<Background>();
    for hub in catalog.hubs.iter().filter(|h| !h.hidden) {
        let Some(ends_at) = catalog.sessions.get(&hub.id).and_then(|r| r.session_ends_at) else { continue };
        if !preferences.renew_due(Some(ends_at), now) {
            continue;
        }
        let Ok(mut noticed) = background.renew_noticed.lock() else { return };
        if noticed.get(&hub.id) == Some(&now.date()) {
            continue;
        }
        noticed.insert(hub.id.clone(), now.date());
        let day = ends_at.date();
        notify(
            app,
            &format!("Renew {} by {} {}", hub.settings.name, day.weekday(), day),
            "Its session ends then. Open Hublink and choose the hub to sign in again ahead of time.",
        );
    }
}

fn window_visible(app: &AppHandle) -> bool {
    app.get_webview_window("main").and_then(|w| w.is_visible().ok()).unwrap_or(false)
}

/// A desktop notification; best effort (no notification service is not an error).
pub fn notify(app: &AppHandle, title: &str, body: &str) {
    log::info!("notification: {title}");
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        log::warn!("could not show a notification ({e})");
    }
}
