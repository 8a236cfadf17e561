//! The baseline the desktop app is measured against (`scripts/bench.sh`): a bare Tauri 2
//! window, single-instance and deep-link registered as Hublink registers them, showing one
//! static page of 100 items. Nothing else: no commands, no tray, no keyring.

use tauri::Manager;

fn main() {
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.show();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_deep_link::init())
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("bare-tauri: the window could not start: {e}");
        std::process::exit(1);
    }
}
