//! The D-Bus session bus and the desktop portal, checked before GTK starts (Linux).
//!
//! Without a usable session bus the window still opens: the keyring cannot be reached, and the
//! page says so. A desktop portal (`org.freedesktop.portal.Desktop`) that never answers used to
//! hold the window back ~25 s: outside GNOME and Xfce, GTK's application start-up asks the
//! portal for its Inhibit interface on the process's shared D-Bus connection and waits for
//! GDBus's default timeout. Hublink pings the portal first with a short bound; when it does
//! not answer, a filter on that shared connection sends whatever would go to the portal to a
//! name that cannot exist, so the bus answers "no such service" at once instead. The window
//! then opens without the portal (screen-saver inhibition and portal settings), with a notice.
//!
//! The portal's colour scheme (dark or light style) is read here too, from a portal that
//! answered, and followed when it changes. (tao would read it itself, on a connection of its
//! own that waits 5 s for a silent portal; Hublink builds tauri without tao's `dbus` feature.)

use std::time::Duration;

use gio::prelude::*;

use crate::notices::Notice;

const PORTAL: &str = "org.freedesktop.portal.Desktop";
/// Where messages for an unresponsive portal go instead: a well-formed name no one owns.
const NOWHERE: &str = "org.freedesktop.portal.Desktop.NotAnswering.Hublink";
/// A portal that is up answers a ping in milliseconds; a cold start takes well under this.
const PORTAL_PING: Duration = Duration::from_millis(1500);

/// The process's shared connection, kept for its whole life: GTK gets the same one, and the
/// filter lives on it.
static CONNECTION: std::sync::OnceLock<gio::DBusConnection> = std::sync::OnceLock::new();

/// The session bus as found at start-up.
pub struct SessionBus {
    pub connection: Option<gio::DBusConnection>,
    /// The portal answered (or is not installed): its settings can be read.
    pub portal_answers: bool,
    pub notices: Vec<Notice>,
}

/// Check the session bus and the portal.
pub fn check() -> SessionBus {
    let bus = match gio::bus_get_sync(gio::BusType::Session, gio::Cancellable::NONE) {
        Ok(bus) => bus,
        Err(e) => return SessionBus { connection: None, portal_answers: false, notices: vec![no_bus(&e.to_string())] },
    };
    let _ = CONNECTION.set(bus.clone());
    let mut notices = Vec::new();
    let problem = ping_portal(&bus);
    let portal_answers = problem.is_none();
    if let Some(problem) = problem {
        // A portal that is running answers from its own unique name, which GDBus proxies use.
        let targets: Vec<String> = [Some(PORTAL.to_owned()), name_owner(&bus, PORTAL)].into_iter().flatten().collect();
        bus.add_filter(
            move |_, message, incoming| {
                if incoming { Some(message.clone()) } else { redirect(message, &targets) }
            },
        );
        notices.push(Notice::new(
            "portal",
            "The desktop portal does not answer",
            format!(
                "{PORTAL} did not answer within {} s ({problem}); Hublink opened without it (no screen-saver inhibition or portal settings)",
                PORTAL_PING.as_secs_f32()
            ),
            "Other apps wait for it too. Restart the portal (`systemctl --user restart xdg-desktop-portal`) or sign out and in again; ask your administrator if it keeps happening.",
        ));
    }
    SessionBus { connection: Some(bus), portal_answers, notices }
}

/// The desktop's colour scheme, as the portal says (`None`: no preference, or no answer).
pub fn color_scheme(bus: &gio::DBusConnection) -> Option<tauri::Theme> {
    let reply = bus
        .call_sync(
            Some(PORTAL),
            "/org/freedesktop/portal/desktop",
            "org.freedesktop.portal.Settings",
            "Read",
            Some(&("org.freedesktop.appearance", "color-scheme").to_variant()),
            None,
            gio::DBusCallFlags::NO_AUTO_START,
            i32::try_from(PORTAL_PING.as_millis()).unwrap_or(i32::MAX),
            gio::Cancellable::NONE,
        )
        .ok()?;
    theme_of(reply.try_child_value(0)?)
}

/// Call `changed` (on the main thread, from GTK's loop) whenever the colour scheme changes.
pub fn follow_color_scheme(bus: &gio::DBusConnection, changed: impl Fn(Option<tauri::Theme>) + 'static) {
    let _ = bus.signal_subscribe(
        Some(PORTAL),
        Some("org.freedesktop.portal.Settings"),
        Some("SettingChanged"),
        Some("/org/freedesktop/portal/desktop"),
        None,
        gio::DBusSignalFlags::NONE,
        move |_, _, _, _, _, params| {
            let (Some(namespace), Some(key)) = (
                params.try_child_value(0).and_then(|v| v.get::<String>()),
                params.try_child_value(1).and_then(|v| v.get::<String>()),
            ) else {
                return;
            };
            if namespace == "org.freedesktop.appearance" && key == "color-scheme" {
                changed(params.try_child_value(2).and_then(theme_of));
            }
        },
    );
}

/// 1 is "prefer dark", 2 "prefer light", anything else no preference; the value may come
/// wrapped in variants (Read wraps it twice).
fn theme_of(mut value: gio::glib::Variant) -> Option<tauri::Theme> {
    while let Some(inner) = value.as_variant() {
        value = inner;
    }
    match value.get::<u32>()? {
        1 => Some(tauri::Theme::Dark),
        2 => Some(tauri::Theme::Light),
        _ => None,
    }
}

fn no_bus(detail: &str) -> Notice {
    let address = std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_else(|_| "not set".into());
    Notice::new(
        "session_bus",
        "No D-Bus session bus",
        format!(
            "DBUS_SESSION_BUS_ADDRESS ({address}) cannot be used: {detail}. The system keyring is reached over it, so sign-ins cannot be kept"
        ),
        "Start Hublink from your desktop session (or inside `dbus-run-session`); hubs are listed, but signing in needs the keyring.",
    )
}

/// `None` when the portal answers or is not installed at all (both cost GTK nothing); else why
/// it is taken as unresponsive.
fn ping_portal(bus: &gio::DBusConnection) -> Option<String> {
    let timeout = i32::try_from(PORTAL_PING.as_millis()).unwrap_or(i32::MAX);
    let reply = bus.call_sync(
        Some(PORTAL),
        "/org/freedesktop/portal/desktop",
        "org.freedesktop.DBus.Peer",
        "Ping",
        None,
        None,
        gio::DBusCallFlags::NONE,
        timeout,
        gio::Cancellable::NONE,
    );
    let e = reply.err()?;
    // Our own bound (GIO's "timed out"), or the bus giving up on an activation that hangs.
    // (GDBus spells remote errors "GDBus.Error:<name>: <message>".)
    let remote = |name: &str| e.message().starts_with(&format!("GDBus.Error:org.freedesktop.DBus.Error.{name}:"));
    let timed_out = e.matches(gio::IOErrorEnum::TimedOut) || remote("NoReply") || remote("Timeout");
    timed_out.then(|| e.to_string())
}

fn name_owner(bus: &gio::DBusConnection, name: &str) -> Option<String> {
    let reply = bus
        .call_sync(
            Some("org.freedesktop.DBus"),
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "GetNameOwner",
            Some(&(name,).to_variant()),
            None,
            gio::DBusCallFlags::NONE,
            1000,
            gio::Cancellable::NONE,
        )
        .ok()?;
    reply.try_child_value(0)?.get::<String>()
}

/// An outgoing message for the portal (`targets`: its names), sent where the bus refuses it
/// at once.
fn redirect(message: &gio::DBusMessage, targets: &[String]) -> Option<gio::DBusMessage> {
    let to_portal = message.destination().is_some_and(|d| targets.iter().any(|t| t == d.as_str()));
    let starts_portal = message.member().as_deref() == Some("StartServiceByName")
        && message.body().and_then(|b| b.try_child_value(0)).and_then(|v| v.get::<String>()).as_deref() == Some(PORTAL);
    if !to_portal && !starts_portal {
        return Some(message.clone());
    }
    let Ok(copy) = message.copy() else { return Some(message.clone()) };
    if to_portal {
        copy.set_destination(Some(NOWHERE));
    } else {
        copy.set_body(&(NOWHERE, 0u32).to_variant());
    }
    Some(copy)
}
