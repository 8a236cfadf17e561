//! Hublink's desktop shell: wiring only. The `hublink` scheme (deep-link + single-instance),
//! the hubs.ini watcher and the commands; everything else is hublink-core.

mod background;
mod commands;
mod error;
mod links;
#[cfg(target_os = "linux")]
mod scheme;
mod tray;
mod views;
mod watch;
mod web_windows;

use tauri::{AppHandle, Emitter, Manager};

use crate::commands::AppState;

pub fn run() {
    // Before any session is in memory: no core dump may ever hold a refresh token.
    hublink_core::platform::harden_process();
    // A broken policy (or no configuration folder) fails closed, but visibly: the window
    // opens and shows the reason and who must act, instead of the app vanishing.
    let hublink = hublink_core::Hublink::from_env().map_err(|e| {
        eprintln!("hublink-desktop: {}: {}\nnext: {}", e.message(), e.cause(), e.next_step());
        hublink_core::ErrorReport::from(e)
    });
    let result = tauri::Builder::default()
        // First, so a second instance (a link clicked while we run) hands over and exits
        // before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            log::info!("another instance was started; taking over its arguments");
            receive_links(app, argv.iter().skip(1));
            bring_to_front(app);
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_notification::init())
        // Start at login, in the tray (`--hidden`); off until the user turns it on.
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec![HIDDEN_FLAG]),
        ))
        .plugin(log_plugin(std::env::var("HUBLINK_LOG").unwrap_or_default()))
        .manage(AppState::new(hublink))
        .manage(background::Background::default())
        .setup(setup)
        .invoke_handler(tauri::generate_handler![
            commands::list_hubs,
            commands::check_hub,
            commands::prepare_add,
            commands::confirm_add,
            commands::discard_proposal,
            commands::take_pending_links,
            commands::login,
            commands::cancel_login,
            commands::logout,
            commands::remove_hub,
            commands::set_hidden,
            commands::open_in_browser,
            commands::open_hub,
            commands::forget_web_data,
            commands::get_preferences,
            commands::set_preferences,
            commands::set_hub_browser,
        ])
        .on_window_event(on_window_event)
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("hublink-desktop: the window could not start: {e}");
        std::process::exit(1);
    }
}

/// Wiring that needs the running app: web windows, the scheme, the tray, the background, the
/// start-up link and the hubs.ini watcher.
fn setup(app: &mut tauri::App) -> std::result::Result<(), Box<dyn std::error::Error>> {
    if let Ok(hublink) = app.state::<AppState>().hublink() {
        hublink.set_web_windows(std::sync::Arc::new(web_windows::TauriWebWindows::new(app.handle().clone())));
    }
    register_scheme(app.handle());
    tray::create(app.handle());
    background::start(app.handle().clone());
    if std::env::args().any(|a| a == HIDDEN_FLAG)
        && let Some(window) = app.get_webview_window("main")
    {
        let _ = window.hide();
    }
    // The link this instance was started with (Linux/Windows pass it as an argument).
    receive_links(app.handle(), std::env::args().skip(1));
    #[cfg(target_os = "macos")]
    {
        use tauri_plugin_deep_link::DeepLinkExt;
        let handle = app.handle().clone();
        app.deep_link().on_open_url(move |event| {
            receive_links(&handle, event.urls().iter().map(|u| u.to_string()));
        });
    }
    let handle = app.handle().clone();
    if let Ok(hublink) = app.state::<AppState>().hublink() {
        watch::watch(hublink.ini_dirs().to_vec(), move || {
            let _ = handle.emit("hubs-changed", ());
            tray::refresh(&handle);
        });
    }
    Ok(())
}

/// Closing the main window keeps Hublink in the tray when it should (tray.rs).
fn on_window_event(window: &tauri::Window, event: &tauri::WindowEvent) {
    if let tauri::WindowEvent::CloseRequested { api, .. } = event
        && window.label() == "main"
        && tray::keep_running(window.app_handle())
    {
        api.prevent_close();
        let _ = window.hide();
    }
}

/// The log plugin, filtered by `HUBLINK_LOG` (`warn`, `hublink=debug`, `hublink=debug,tao=warn`).
/// `hublink` stands for every Hublink crate. Tokens are never logged, whatever the level.
fn log_plugin<R: tauri::Runtime>(filter: String) -> tauri::plugin::TauriPlugin<R> {
    let mut builder =
        tauri_plugin_log::Builder::new().level(log::LevelFilter::Info).level_for("tao", log::LevelFilter::Warn);
    for directive in filter.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let (target, level) = match directive.split_once('=') {
            Some((t, l)) => (Some(t), l),
            None => (None, directive),
        };
        let Ok(level) = level.parse::<log::LevelFilter>() else { continue };
        builder = match target {
            None => builder.level(level),
            Some("hublink") => builder.level_for("hublink_core", level).level_for("hublink_desktop", level),
            Some(t) => builder.level_for(t.to_owned(), level),
        };
    }
    builder.build()
}

/// Queue links from arguments and tell the page; links are validated when the page shows them.
/// `--sign-in <hub> --request <id>` (from `hublink login` for a cookie hub) starts that sign-in.
fn receive_links<S: AsRef<str>>(app: &AppHandle, args: impl IntoIterator<Item = S>) {
    let args: Vec<S> = args.into_iter().collect();
    if let Some(request) = hublink_core::sign_in::handoff::SignInRequest::from_args(&args) {
        commands::sign_in_for_cli(app.clone(), request);
        return;
    }
    if app.state::<AppState>().links.push_args(args) > 0 {
        let _ = app.emit("links-pending", ());
        bring_to_front(app);
    }
}

/// The argument autostart passes: start in the tray, without the window.
const HIDDEN_FLAG: &str = "--hidden";

pub(crate) fn bring_to_front(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Make this executable the handler of `hublink:` links where the OS needs it at run time
/// (Linux desktop files, the Windows registry; macOS reads Info.plist). A failure is logged,
/// never fatal: the app works, only clicked links will not reach it.
fn register_scheme(app: &AppHandle) {
    #[cfg(target_os = "linux")]
    {
        // Not the plugin's register_all(): its quoted `Exec=` breaks plain xdg-open (scheme.rs).
        // Off the main thread: it runs xdg-mime, which must not delay the window.
        let name = app.config().product_name.clone().unwrap_or_else(|| "Hublink".into());
        let exe = match app.env().appimage {
            Some(appimage) => Ok(std::path::PathBuf::from(appimage)),
            None => tauri::utils::platform::current_exe(),
        };
        let data_home = app.path().data_dir();
        let spawned = std::thread::Builder::new().name("register-scheme".into()).spawn(move || {
            let outcome = match (exe, data_home) {
                (Ok(exe), Ok(home)) => scheme::register(&name, &exe, &home, &scheme::system_data_dirs()),
                (Err(e), _) => Err(scheme::RegisterError::NotFound { what: "this executable", detail: e.to_string() }),
                (_, Err(e)) => Err(scheme::RegisterError::NotFound { what: "the data folder", detail: e.to_string() }),
            };
            match outcome {
                Ok(scheme::Registered::ByPackage(file)) => {
                    log::info!("hublink: links are handled through the installed {}", file.display());
                }
                Ok(scheme::Registered::PerUser { file, quoted }) => {
                    log::info!("registered as the handler of hublink: links ({})", file.display());
                    if quoted {
                        log::warn!(
                            "this program's path needs quoting in {}: desktop environments and `gio open` start it, \
                             plain xdg-open does not; move Hublink to a path without spaces or special characters",
                            file.display()
                        );
                    }
                }
                Err(e) => {
                    log::warn!("could not register the hublink: scheme ({e}); clicked links will not reach Hublink")
                }
            }
        });
        if let Err(e) = spawned {
            log::warn!("could not register the hublink: scheme ({e}); clicked links will not reach Hublink");
        }
    }
    #[cfg(windows)]
    {
        use tauri_plugin_deep_link::DeepLinkExt;
        match app.deep_link().register_all() {
            Ok(()) => log::info!("registered as the handler of hublink: links"),
            Err(e) => log::warn!("could not register the hublink: scheme ({e}); clicked links will not reach Hublink"),
        }
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    let _ = app;
}
