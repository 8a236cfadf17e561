//! Hublink's desktop shell: wiring only. The `hublink` scheme (deep-link, and one running
//! instance that takes the links of later processes), the hubs.ini watcher and the commands;
//! everything else is hublink-core. Whatever does not work on the computer — no session bus, a
//! silent desktop portal, no log folder, a read-only state folder — the window still opens and
//! says so (`notices.rs`).

mod background;
mod commands;
mod error;
#[cfg(target_os = "linux")]
mod instance;
mod links;
mod notices;
#[cfg(target_os = "linux")]
mod scheme;
#[cfg(target_os = "linux")]
mod session_bus;
mod tray;
mod views;
mod watch;
mod web_windows;

use std::sync::{Arc, OnceLock};

use tauri::{AppHandle, Emitter, Manager, RunEvent, WindowEvent};

use crate::commands::AppState;
use crate::links::{Delivery, Inbox};
use crate::notices::{Notice, Notices};

pub fn run() {
    // Before any session is in memory: no core dump may ever hold a refresh token.
    hublink_core::platform::harden_process();
    let start = Start::new();
    // A broken policy (or no configuration folder) fails closed, but visibly: the window
    // opens and shows the reason and who must act, instead of the app vanishing.
    let hublink = hublink_core::Hublink::from_env().map_err(|e| {
        eprintln!("hublink-desktop: {}: {}\nnext: {}", e.message(), e.cause(), e.next_step());
        hublink_core::ErrorReport::from(e)
    });
    #[cfg(target_os = "linux")]
    let serving = start.serving;
    let app = match build(hublink, start.inbox, start.notices, start.app_cell, start.bus) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("hublink-desktop: the window could not start: {e}");
            std::process::exit(1);
        }
    };
    app.run(move |app, event| {
        if quit_begins(app, &event) {
            // Nothing more is taken from now on, and the name is free for a new process.
            app.state::<AppState>().inbox.begin_quitting();
            #[cfg(target_os = "linux")]
            if let Some(serving) = &serving {
                serving.stop();
            }
        }
        if let RunEvent::Exit = event {
            web_windows::remove_own_data_directory(app);
            test_exit_delay();
        }
    });
}

/// What is settled before the window exists.
struct Start {
    inbox: Arc<Inbox>,
    notices: Arc<Notices>,
    /// The app, once it runs: hand-overs are announced to it from then on.
    app_cell: Arc<OnceLock<AppHandle>>,
    #[cfg(target_os = "linux")]
    serving: Option<instance::Serving>,
    bus: Bus,
}

impl Start {
    fn new() -> Start {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let notices = Arc::new(Notices::default());
        let inbox = Arc::new(Inbox::default());
        let app_cell: Arc<OnceLock<AppHandle>> = Arc::default();
        // First: a second process hands its link over and exits before anything else starts.
        #[cfg(target_os = "linux")]
        let first = one_instance(&args, &notices);
        // This process's own link comes first, then those handed over.
        inbox.deliver(&args);
        #[cfg(target_os = "linux")]
        let serving = first.and_then(|first| serve(first, inbox.clone(), app_cell.clone(), &notices));
        #[cfg(target_os = "linux")]
        let bus = session_bus::check();
        #[cfg(target_os = "linux")]
        bus.notices.iter().cloned().for_each(|n| notices.add(n));
        #[cfg(not(target_os = "linux"))]
        let bus = ();
        Start {
            inbox,
            notices,
            app_cell,
            #[cfg(target_os = "linux")]
            serving,
            bus,
        }
    }
}

#[cfg(target_os = "linux")]
type Bus = session_bus::SessionBus;
#[cfg(not(target_os = "linux"))]
type Bus = ();

fn build(
    hublink: std::result::Result<hublink_core::Hublink, error::UiError>,
    inbox: Arc<Inbox>,
    notices: Arc<Notices>,
    app_cell: Arc<OnceLock<AppHandle>>,
    bus: Bus,
) -> tauri::Result<tauri::App> {
    let builder = tauri::Builder::default();
    #[cfg(not(target_os = "linux"))]
    let builder = builder.plugin(other_instances(inbox.clone()));
    builder
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_notification::init())
        // Start at login, in the tray (`--hidden`); off until the user turns it on.
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec![HIDDEN_FLAG]),
        ))
        .manage(AppState::new(hublink, inbox, notices))
        .manage(background::Background::default())
        .setup(move |app| {
            open_main_window(app.handle())?;
            setup(app.handle(), &app_cell);
            #[cfg(target_os = "linux")]
            follow_theme(app.handle(), &bus);
            #[cfg(not(target_os = "linux"))]
            let () = bus;
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::list_hubs,
            commands::check_hub,
            commands::prepare_add,
            commands::confirm_add,
            commands::discard_proposal,
            commands::take_pending_links,
            commands::startup_notices,
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
        .build(tauri::generate_context!())
}

/// The desktop's dark or light style, from the portal (see `session_bus.rs`).
#[cfg(target_os = "linux")]
fn follow_theme(app: &AppHandle, bus: &session_bus::SessionBus) {
    let Some(connection) = bus.connection.as_ref().filter(|_| bus.portal_answers) else { return };
    if let Some(theme) = session_bus::color_scheme(connection) {
        app.set_theme(Some(theme));
    }
    let handle = app.clone();
    session_bus::follow_color_scheme(connection, move |theme| handle.set_theme(theme));
}

/// The main window closing, or the app asked to exit.
fn quit_begins(app: &AppHandle, event: &RunEvent) -> bool {
    match event {
        RunEvent::ExitRequested { .. } | RunEvent::Exit => true,
        // Closing the main window while Hublink stays in the tray is not quitting (tray.rs).
        RunEvent::WindowEvent { label, event: WindowEvent::CloseRequested { .. }, .. } => {
            label == "main" && !tray::keep_running(app)
        }
        RunEvent::WindowEvent { label, event: WindowEvent::Destroyed, .. } => label == "main",
        _ => false,
    }
}

/// Debug builds only: `HUBLINK_TEST_EXIT_DELAY_MS` keeps a quitting app alive that long, so a
/// test can hand it a link while it goes away (tests/desktop/links.test.mjs).
fn test_exit_delay() {
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var("HUBLINK_TEST_EXIT_DELAY_MS").ok().and_then(|v| v.parse::<u64>().ok()) {
        std::thread::sleep(std::time::Duration::from_millis(ms.min(60_000)));
    }
}

/// The welcome page's window, as tauri.conf.json describes it (`"create": false` there), on the
/// web context every Hublink window shares — in a folder that can be written.
fn open_main_window(app: &AppHandle) -> tauri::Result<()> {
    use web_windows::DataDirectoryIf;
    let Some(config) = app.config().app.windows.iter().find(|w| w.label == "main") else {
        return Err(tauri::Error::WindowNotFound);
    };
    tauri::WebviewWindowBuilder::from_config(app, config)?
        .data_directory_if(web_windows::data_directory(app))
        .build()?;
    Ok(())
}

fn setup(app: &AppHandle, app_cell: &OnceLock<AppHandle>) {
    attach_log(app);
    for n in app.state::<AppState>().notices.all() {
        log::warn!("{}: {} (next: {})", n.message, n.cause, n.next_step);
    }
    if let Ok(hublink) = app.state::<AppState>().hublink() {
        hublink.set_web_windows(Arc::new(web_windows::TauriWebWindows::new(app.clone())));
    }
    register_scheme(app);
    tray::create(app);
    background::start(app.clone());
    if std::env::args().any(|a| a == HIDDEN_FLAG)
        && let Some(window) = app.get_webview_window("main")
    {
        let _ = window.hide();
    }
    // From now on hand-overs are announced as they come. Links that came before wait for the
    // page, which takes them once it has loaded; a `hublink login` sign-in starts now.
    let _ = app_cell.set(app.clone());
    announce(app, Delivery::SignIn);
    #[cfg(target_os = "macos")]
    {
        use tauri_plugin_deep_link::DeepLinkExt;
        let handle = app.clone();
        app.deep_link().on_open_url(move |event| {
            let urls: Vec<String> = event.urls().iter().map(|u| u.to_string()).collect();
            let delivery = handle.state::<AppState>().inbox.deliver(&urls);
            announce(&handle, delivery);
        });
    }
    let handle = app.clone();
    if let Ok(hublink) = app.state::<AppState>().hublink() {
        watch::watch(hublink.ini_dirs().to_vec(), move || {
            let _ = handle.emit("hubs-changed", ());
            tray::refresh(&handle);
        });
    }
}

/// Tell the page what `delivery` brought: start a `hublink login` sign-in, or say that links
/// wait (`links-pending`) and bring the window to the front.
fn announce(app: &AppHandle, delivery: Delivery) {
    match delivery {
        Delivery::SignIn => {
            for request in app.state::<AppState>().inbox.take_sign_ins() {
                commands::sign_in_for_cli(app.clone(), request);
            }
        }
        Delivery::Links(n) => {
            if n > 0 {
                let _ = app.emit("links-pending", ());
            }
            bring_to_front(app);
        }
        Delivery::Quitting => {}
    }
}

/// Claim the running instance for this state folder, or hand `args` to it and exit.
#[cfg(target_os = "linux")]
fn one_instance(args: &[String], notices: &Notices) -> Option<instance::Instance> {
    let key = match hublink_core::paths::Paths::from_env() {
        Ok(paths) => hublink_core::store::service_name(paths.custom_home.then_some(paths.home.as_path())),
        Err(_) => "hublink".to_owned(),
    };
    match instance::claim(&instance::name_for(&key), args) {
        instance::Claim::First(first) => Some(first),
        instance::Claim::HandedOver => std::process::exit(0),
        instance::Claim::Alone(why) => {
            notices.add(links_notice(why));
            None
        }
    }
}

#[cfg(target_os = "linux")]
fn serve(
    first: instance::Instance,
    inbox: Arc<Inbox>,
    app_cell: Arc<OnceLock<AppHandle>>,
    notices: &Notices,
) -> Option<instance::Serving> {
    let served = first.serve(move |args| {
        let delivery = inbox.deliver(&args);
        if let Some(app) = app_cell.get() {
            let app2 = app.clone();
            let _ = app.run_on_main_thread(move || announce(&app2, delivery));
        }
        delivery != Delivery::Quitting
    });
    served.map_err(|e| notices.add(links_notice(e.to_string()))).ok()
}

#[cfg(target_os = "linux")]
fn links_notice(why: String) -> Notice {
    Notice::new(
        "links",
        "Links clicked elsewhere may open a second Hublink window",
        why,
        "Close the other Hublink windows and start Hublink again; links then come to one window.",
    )
}

/// Windows and macOS: the single-instance plugin hands a second process's arguments over.
/// (It cannot refuse them; a link that reaches a quitting app starts a new one instead.)
#[cfg(not(target_os = "linux"))]
fn other_instances(inbox: Arc<Inbox>) -> tauri::plugin::TauriPlugin<tauri::Wry> {
    tauri_plugin_single_instance::init(move |app, argv, _cwd| {
        let args: Vec<String> = argv.into_iter().skip(1).collect();
        match inbox.deliver(&args) {
            Delivery::Quitting => {
                if let Ok(exe) = tauri::utils::platform::current_exe() {
                    let _ = std::process::Command::new(exe).args(&args).spawn();
                }
            }
            delivery => announce(app, delivery),
        }
    })
}

/// The log plugin: to the terminal and a file in the app's log folder — or, when that folder
/// cannot be written (a read-only `~/.local/share`), to the terminal only, with a notice.
fn attach_log(app: &AppHandle) {
    let filter = std::env::var("HUBLINK_LOG").unwrap_or_default();
    let parts = log_builder(&filter).split(app).or_else(|e| {
        let folder =
            app.path().app_log_dir().map(|d| d.display().to_string()).unwrap_or_else(|_| "the log folder".into());
        app.state::<AppState>().notices.add(Notice::new(
            "log_file",
            "Hublink's log is not written to a file",
            format!("{folder}: {e}"),
            "Make that folder writable to keep a log; meanwhile it goes to the terminal Hublink was started from.",
        ));
        log_builder(&filter)
            .clear_targets()
            .target(tauri_plugin_log::Target::new(tauri_plugin_log::TargetKind::Stdout))
            .split(app)
    });
    match parts {
        Ok((plugin, level, logger)) => {
            let _ = tauri_plugin_log::attach_logger(level, logger);
            if let Err(e) = app.plugin(plugin) {
                eprintln!("hublink-desktop: the log plugin did not start: {e}");
            }
        }
        Err(e) => eprintln!("hublink-desktop: no log: {e}"),
    }
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
fn log_builder(filter: &str) -> tauri_plugin_log::Builder {
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
    builder
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
        let handle = app.clone();
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
                Err(e) => scheme_notice(&handle, e.to_string()),
            }
        });
        if let Err(e) = spawned {
            scheme_notice(app, e.to_string());
        }
    }
    #[cfg(windows)]
    {
        use tauri_plugin_deep_link::DeepLinkExt;
        match app.deep_link().register_all() {
            Ok(()) => log::info!("registered as the handler of hublink: links"),
            Err(e) => scheme_notice(app, e.to_string()),
        }
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    let _ = app;
}

/// Registration failed: clicked links will not reach Hublink; the page says why.
#[cfg(any(target_os = "linux", windows))]
fn scheme_notice(app: &AppHandle, why: String) {
    app.state::<AppState>().notices.add(Notice::new(
        "scheme",
        "Clicked hublink: links will not open Hublink",
        format!("Hublink could not register itself as their handler: {why}"),
        "Paste links into \u{201c}Add authentication link\u{201d} instead, or ask your administrator to install Hublink's package, which registers it for everyone.",
    ));
    let _ = app.emit("notices-changed", ());
}
