fn main() {
    // App commands get generated permissions (`allow-<command>`), so the capability file can
    // grant the welcome page exactly the commands it calls and nothing else.
    let commands = &[
        "list_hubs",
        "check_hub",
        "prepare_add",
        "confirm_add",
        "discard_proposal",
        "take_pending_links",
        "startup_notices",
        "login",
        "cancel_login",
        "logout",
        "remove_hub",
        "set_hidden",
        "open_in_browser",
        "open_hub",
        "forget_web_data",
        "get_preferences",
        "set_preferences",
        "set_hub_browser",
    ];
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("tauri-build failed");
}
