//! The commands the welcome page calls. Each: state in, one use case, error out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use hublink_core::{Error, Hub, HubId, Hublink, LoginOptions, Proposal};
use tauri::{AppHandle, Emitter, Manager, State};

use crate::error::{Result, UiError};
use crate::links::{Inbox, PendingLink};
use crate::notices::{Notice, Notices};
use crate::views::{
    AddView, HubStateView, HubView, HubsView, IniProblemView, PreferencesView, ProgressView, ProposalView, SignedInView,
};

pub struct AppState {
    /// The engine, or why it could not start (a broken policy, no configuration folder):
    /// then the window still opens and every command answers with that reason.
    hublink: std::result::Result<Hublink, UiError>,
    pub inbox: std::sync::Arc<Inbox>,
    pub notices: std::sync::Arc<Notices>,
    /// Where the windows' shared web context keeps its data (`web_windows::data_directory`).
    pub web_data: std::sync::OnceLock<Option<std::path::PathBuf>>,
    proposals: Mutex<HashMap<u64, Proposal>>,
    next_proposal: AtomicU64,
    logins: Mutex<HashMap<HubId, tokio::task::AbortHandle>>,
}

impl AppState {
    pub fn new(
        hublink: std::result::Result<Hublink, UiError>,
        inbox: std::sync::Arc<Inbox>,
        notices: std::sync::Arc<Notices>,
    ) -> AppState {
        AppState {
            hublink,
            inbox,
            notices,
            web_data: std::sync::OnceLock::new(),
            proposals: Mutex::default(),
            next_proposal: AtomicU64::new(1),
            logins: Mutex::default(),
        }
    }

    /// The engine, or the reason it could not start.
    pub fn hublink(&self) -> Result<&Hublink> {
        self.hublink.as_ref().map_err(Clone::clone)
    }

    fn hub(&self, id: &HubId) -> Result<Hub> {
        Ok(self.hublink()?.hub(id)?)
    }
}

/// A hub identity from the page, parsed once at the edge.
fn hub_id(raw: &str) -> Result<HubId> {
    HubId::parse(raw).map_err(|_| Error::UnknownHub(raw.to_owned()).into())
}

fn internal(what: &str) -> UiError {
    Error::Internal(format!("{what} is unavailable")).into()
}

#[tauri::command]
pub async fn list_hubs(state: State<'_, AppState>) -> Result<HubsView> {
    let catalog = state.hublink()?.catalog()?;
    let (preferences, _) = state.hublink()?.preferences();
    let view = |h: &Hub| HubView {
        browser: preferences.browsers.get(&h.id).cloned(),
        ..HubView::new(h, catalog.sessions.get(&h.id))
    };
    Ok(HubsView {
        hubs: catalog.hubs.iter().map(view).collect(),
        problems: catalog.ini_problems.iter().map(IniProblemView::from).collect(),
        warnings: catalog.warnings.clone(),
        storage_warning: state.hublink()?.storage_warning(),
        hubs_dirs: state.hublink()?.ini_dirs().iter().map(|d| d.display().to_string()).collect(),
        policy: state.hublink()?.policy().into(),
    })
}

#[tauri::command]
pub async fn check_hub(state: State<'_, AppState>, hub_id: String) -> Result<HubStateView> {
    let hub = state.hub(&self::hub_id(&hub_id)?)?;
    let hublink = state.hublink()?;
    let checked = hublink.restore_one(&hub).await;
    Ok(HubStateView::new(checked, &hublink.preferences().0, hublink.now()))
}

#[tauri::command]
pub async fn prepare_add(state: State<'_, AppState>, input: String, received_from: String) -> Result<ProposalView> {
    let proposal = state.hublink()?.prepare_add(&input).await?;
    let already_present = state.hublink()?.hub(&proposal.hub_id()).is_ok();
    let id = state.next_proposal.fetch_add(1, Ordering::Relaxed);
    let from = if received_from == "link" { "link" } else { "paste" };
    let view = ProposalView::new(id, &proposal, already_present, from);
    state.proposals.lock().map_err(|_| internal("the proposal list"))?.insert(id, proposal);
    Ok(view)
}

#[tauri::command]
pub async fn confirm_add(app: AppHandle, state: State<'_, AppState>, proposal_id: u64) -> Result<AddView> {
    let proposal = state
        .proposals
        .lock()
        .map_err(|_| internal("the proposal list"))?
        .remove(&proposal_id)
        .ok_or(Error::ProposalExpired)?;
    let outcome = state.hublink()?.add(&proposal)?;
    let _ = app.emit("hubs-changed", ());
    Ok(outcome.into())
}

#[tauri::command]
pub async fn discard_proposal(state: State<'_, AppState>, proposal_id: u64) -> Result<()> {
    state.proposals.lock().map_err(|_| internal("the proposal list"))?.remove(&proposal_id);
    Ok(())
}

/// The links that arrived since the last call, each with its place in the order of arrival.
#[tauri::command]
pub async fn take_pending_links(state: State<'_, AppState>) -> Result<Vec<PendingLink>> {
    Ok(state.inbox.take_links())
}

/// What does not work on this computer (see `notices.rs`).
#[tauri::command]
pub async fn startup_notices(state: State<'_, AppState>) -> Result<Vec<Notice>> {
    Ok(state.notices.all())
}

/// Sign in; progress goes out as `login-progress` events. The sign-in runs as its own task so
/// `cancel_login` can stop it; the core stores nothing before the very end, so a cancelled
/// sign-in leaves nothing half-stored.
#[tauri::command]
pub async fn login(app: AppHandle, state: State<'_, AppState>, hub_id: String, device: bool) -> Result<SignedInView> {
    let hub_id = self::hub_id(&hub_id)?;
    let hub = state.hub(&hub_id)?;
    let hublink = state.hublink()?.clone();
    let id = hub_id.clone();
    let tray_app = app.clone();
    let task = tokio::spawn(async move {
        let progress = move |p| {
            let _ = app.emit("login-progress", ProgressView::new(&id, p));
        };
        hublink.login(&hub, LoginOptions { device, ..LoginOptions::default() }, &progress).await
    });
    let task_id = task.id();
    if let Some(previous) =
        state.logins.lock().map_err(|_| internal("the sign-in list"))?.insert(hub_id.clone(), task.abort_handle())
    {
        previous.abort();
    }
    let result = task.await;
    {
        // Only our own entry: a newer sign-in of the same hub may have replaced it.
        let mut logins = state.logins.lock().map_err(|_| internal("the sign-in list"))?;
        if logins.get(&hub_id).is_some_and(|h| h.id() == task_id) {
            logins.remove(&hub_id);
        }
    }
    match result {
        Ok(signed_in) => {
            let view = SignedInView::new(signed_in?, &state.hublink()?.preferences().0);
            crate::tray::refresh(&tray_app);
            Ok(view)
        }
        Err(e) if e.is_cancelled() => Err(Error::Cancelled.into()),
        Err(e) => Err(Error::TaskFailed { what: "the sign-in", detail: e.to_string() }.into()),
    }
}

/// `hublink login` of a cookie hub, handed over by the CLI: sign in (the page shows the
/// progress as for its own sign-ins) and write the outcome where the CLI waits for it.
pub fn sign_in_for_cli(app: AppHandle, request: hublink_core::sign_in::handoff::SignInRequest) {
    use hublink_core::sign_in::handoff::{Outcome, write_outcome};
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let Ok(hublink) = state.hublink().cloned() else { return };
        let outcome = match hublink.hub(&request.hub) {
            Ok(hub) => {
                let id = hub.id.clone();
                let emitter = app.clone();
                let progress = move |p| {
                    let _ = emitter.emit("login-progress", ProgressView::new(&id, p));
                };
                match hublink.login(&hub, LoginOptions::default(), &progress).await {
                    Ok(signed_in) => Outcome::SignedIn { user: signed_in.user },
                    Err(e) => Outcome::failed(&e),
                }
            }
            Err(e) => Outcome::failed(&e),
        };
        let _ = app.emit("hub-state-changed", serde_json::json!({ "hub_id": request.hub.to_string() }));
        if let Some(id) = &request.request
            && let Err(e) = write_outcome(hublink.paths(), id, &outcome)
        {
            log::warn!("could not hand the sign-in outcome to the command line: {e}");
        }
    });
}

#[tauri::command]
pub async fn cancel_login(state: State<'_, AppState>, hub_id: String) -> Result<()> {
    let hub_id = self::hub_id(&hub_id)?;
    if let Some(task) = state.logins.lock().map_err(|_| internal("the sign-in list"))?.remove(&hub_id) {
        task.abort();
    }
    Ok(())
}

#[tauri::command]
pub async fn logout(state: State<'_, AppState>, hub_id: String) -> Result<String> {
    let hub = state.hub(&self::hub_id(&hub_id)?)?;
    Ok(state.hublink()?.logout(&hub).await?.describe())
}

#[tauri::command]
pub async fn remove_hub(app: AppHandle, state: State<'_, AppState>, hub_id: String) -> Result<()> {
    let hub = state.hub(&self::hub_id(&hub_id)?)?;
    state.hublink()?.remove(&hub).await?;
    let _ = app.emit("hubs-changed", ());
    Ok(())
}

#[tauri::command]
pub async fn set_hidden(app: AppHandle, state: State<'_, AppState>, hub_id: String, hidden: bool) -> Result<()> {
    let hub = state.hub(&self::hub_id(&hub_id)?)?;
    state.hublink()?.set_hidden(&hub, hidden)?;
    let _ = app.emit("hubs-changed", ());
    Ok(())
}

/// A signed-in hub's primary action: a cookie hub in a Hublink window with its session, an
/// OIDC hub in the browser.
#[tauri::command]
pub async fn open_hub(app: AppHandle, state: State<'_, AppState>, hub_id: String) -> Result<()> {
    let hub = state.hub(&self::hub_id(&hub_id)?)?;
    match state.hublink()?.open_hub(&hub).await? {
        hublink_core::use_cases::Opening::InBrowser(_) => Ok(()),
        hublink_core::use_cases::Opening::InWindow { url, cookie } => {
            Ok(crate::web_windows::TauriWebWindows::new(app).open_hub(&hub, url, cookie).await?)
        }
    }
}

/// "Forget this hub's web data": its cookies leave Hublink's web context.
#[tauri::command]
pub async fn forget_web_data(state: State<'_, AppState>, hub_id: String) -> Result<usize> {
    let hub = state.hub(&self::hub_id(&hub_id)?)?;
    Ok(state.hublink()?.forget_web_data(&hub).await?)
}

/// The user's preferences, as the settings dialog shows them.
#[tauri::command]
pub async fn get_preferences(app: AppHandle, state: State<'_, AppState>) -> Result<PreferencesView> {
    use tauri_plugin_autostart::ManagerExt;
    let (p, _) = state.hublink()?.preferences();
    Ok(PreferencesView {
        start_at_login: app.autolaunch().is_enabled().unwrap_or(p.start_at_login),
        keep_running: p.keep_running.unwrap_or_else(|| crate::tray::keep_running(&app)),
        renew_warning_days: p.renew_warning_days,
    })
}

/// Save the settings dialog; "start at login" writes or removes the OS's autostart entry.
#[tauri::command]
pub async fn set_preferences(app: AppHandle, state: State<'_, AppState>, preferences: PreferencesView) -> Result<()> {
    use tauri_plugin_autostart::ManagerExt;
    let hublink = state.hublink()?;
    let (mut p, _) = hublink.preferences();
    let autostart = app.autolaunch();
    let done = if preferences.start_at_login { autostart.enable() } else { autostart.disable() };
    if let Err(e) = done {
        return Err(Error::Internal(format!("start at login could not be changed: {e}")).into());
    }
    p.start_at_login = preferences.start_at_login;
    p.keep_running = Some(preferences.keep_running);
    p.renew_warning_days = preferences.renew_warning_days.min(hublink_core::preferences::MAX_RENEW_WARNING_DAYS);
    hublink.set_preferences(&p)?;
    let _ = app.emit("hubs-changed", ());
    Ok(())
}

/// The browser command for one hub's sign-in, chosen in the window (`None`: hubs.ini's `browser`,
/// else the usual one). Checked like hubs.ini's `browser`.
#[tauri::command]
pub async fn set_hub_browser(state: State<'_, AppState>, hub_id: String, browser: Option<String>) -> Result<()> {
    let hub_id = self::hub_id(&hub_id)?;
    state.hub(&hub_id)?;
    let hublink = state.hublink()?;
    let (mut p, _) = hublink.preferences();
    match browser.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        Some(command) => {
            let checked = hublink_core::settings::validate_browser(command).map_err(Error::from)?;
            p.browsers.insert(hub_id, checked);
        }
        None => {
            p.browsers.remove(&hub_id);
        }
    }
    hublink.set_preferences(&p)?;
    Ok(())
}

/// Open an http(s) address (the device-code page) in the same browser sign-in uses.
#[tauri::command]
pub async fn open_in_browser(state: State<'_, AppState>, url: String) -> Result<()> {
    let url =
        url::Url::parse(&url).ok().filter(|u| matches!(u.scheme(), "https" | "http")).ok_or(Error::BadAddress {
            what: "the page to open",
            detail: "only http and https addresses can be opened".into(),
        })?;
    state
        .hublink()?
        .open_in_browser(&url)
        .map_err(|reason| Error::BadAddress { what: "the page to open", detail: reason.to_string() }.into())
}
