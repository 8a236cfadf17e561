//! The tray icon: every hub's state at a glance, open or sign in per hub, "Open Hublink" and
//! "Quit". Its menu is rebuilt from what was last known (the registry: no network, no keyring)
//! whenever the background looks or the hubs change. Closing the window keeps Hublink here when
//! the user chose that, or — by default — while any session is kept fresh in the background.

use hublink_core::{Catalog, Hub};
use tauri::menu::{Menu, MenuBuilder, MenuItemBuilder};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, Wry};

use crate::commands::AppState;

const TRAY_ID: &str = "hublink";
const OPEN: &str = "open";
const QUIT: &str = "quit";
/// Menu ids of hubs: this prefix and the hub's identity.
const HUB: &str = "hub:";

/// Create the tray icon (once, from `setup`). A desktop without a tray is no error.
pub fn create(app: &AppHandle) {
    let menu = match menu(app) {
        Ok(m) => m,
        Err(e) => return log::warn!("no tray menu ({e})"),
    };
    let mut builder = TrayIconBuilder::with_id(TRAY_ID).tooltip("Hublink").menu(&menu).on_menu_event(on_menu);
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    if let Err(e) = builder.build(app) {
        log::warn!("no tray icon on this desktop ({e}); closing the window quits Hublink");
    }
}

/// Rebuild the menu from the hubs' last known states.
pub fn refresh(app: &AppHandle) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else { return };
    match menu(app) {
        Ok(m) => {
            let _ = tray.set_menu(Some(m));
        }
        Err(e) => log::warn!("could not rebuild the tray menu ({e})"),
    }
}

fn catalog(app: &AppHandle) -> Option<Catalog> {
    app.state::<AppState>().hublink().ok()?.catalog().ok()
}

/// "Finance Hub — signed in as alice", "Sales Hub — sign in".
pub fn hub_label(hub: &Hub, catalog: &Catalog) -> String {
    let name = &hub.settings.name;
    match catalog.sessions.get(&hub.id) {
        Some(r) if r.sign_in_required.is_none() && r.user.is_some() => {
            format!("{name} — signed in as {}", r.user.as_deref().unwrap_or_default())
        }
        _ => format!("{name} — sign in"),
    }
}

fn menu(app: &AppHandle) -> tauri::Result<Menu<Wry>> {
    let mut builder =
        MenuBuilder::new(app).item(&MenuItemBuilder::with_id(OPEN, "Open Hublink").build(app)?).separator();
    if let Some(catalog) = catalog(app) {
        for hub in catalog.hubs.iter().filter(|h| !h.hidden) {
            let item = MenuItemBuilder::with_id(format!("{HUB}{}", hub.id), hub_label(hub, &catalog)).build(app)?;
            builder = builder.item(&item);
        }
        builder = builder.separator();
    }
    builder.item(&MenuItemBuilder::with_id(QUIT, "Quit Hublink").build(app)?).build()
}

fn on_menu(app: &AppHandle, event: tauri::menu::MenuEvent) {
    let id = event.id().as_ref();
    match id {
        OPEN => crate::bring_to_front(app),
        QUIT => app.exit(0),
        _ => {
            if let Some(hub) = id.strip_prefix(HUB) {
                // The page decides: a signed-in hub opens, any other signs in.
                crate::bring_to_front(app);
                let _ = app.emit("hub-activated", serde_json::json!({ "hub_id": hub }));
            }
        }
    }
}

/// Whether closing the window keeps Hublink running: the user's choice, else while any hub's
/// session is kept fresh in the background.
pub fn keep_running(app: &AppHandle) -> bool {
    if app.tray_by_id(TRAY_ID).is_none() {
        return false;
    }
    let Ok(hublink) = app.state::<AppState>().hublink().cloned() else { return false };
    hublink.preferences().0.keep_running.unwrap_or_else(|| {
        hublink
            .catalog()
            .map(|c| c.sessions.values().any(|r| r.user.is_some() && r.sign_in_required.is_none()))
            .unwrap_or(false)
    })
}
