//! `hublink login` for a cookie hub (`auth=web`): the hub's own sign-in needs a window, so the
//! desktop app runs it ([`hublink_core::sign_in::handoff`]) and this waits for its outcome.

use std::path::PathBuf;
use std::time::Duration;

use hublink_core::sign_in::handoff::{self, Outcome, RequestId, SignInRequest};
use hublink_core::{Error, Hub, Hublink};

use crate::ExitCode;

/// The desktop app: `HUBLINK_DESKTOP_BIN`, else `hublink-desktop` beside this program, else on
/// `PATH`.
fn desktop_program() -> PathBuf {
    if let Some(p) = std::env::var_os("HUBLINK_DESKTOP_BIN").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let name = if cfg!(windows) { "hublink-desktop.exe" } else { "hublink-desktop" };
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join(name)))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from(name))
}

pub async fn login(app: &Hublink, hub: &Hub, timeout: Duration) -> Result<ExitCode, Error> {
    let request = SignInRequest { hub: hub.id.clone(), request: Some(RequestId::new()) };
    let program = desktop_program();
    let started = std::process::Command::new(&program)
        .args(request.to_args())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    let mut child = match started {
        Ok(child) => child,
        Err(e) => {
            tracing::warn!(program = %program.display(), error = %e, "the desktop app could not start");
            return Err(Error::NeedsApp { hub: hub.settings.name.clone() });
        }
    };
    // Reap it whenever it ends (at once when a running app took the request over).
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    err!("Finish signing in to {} in the Hublink window.", hub.settings.name);
    let Some(id) = &request.request else { return Err(Error::Internal("no request id".into())) };
    // The app's own sign-in times out first; this only guards against an app that never answers.
    let outcome = tokio::select! {
        o = handoff::wait_outcome(app.paths(), id, timeout + Duration::from_secs(15)) => o?,
        _ = tokio::signal::ctrl_c() => return Err(Error::Cancelled),
    };
    match outcome {
        Outcome::SignedIn { user } => {
            out!("Signed in to {} as {}", hub.settings.name, user);
            Ok(ExitCode::Ok)
        }
        Outcome::Failed { message, cause, next_step, exit_code, .. } => {
            err!("hublink: {message}: {cause}");
            err!("next: {next_step}");
            Ok(exit_code_from(exit_code))
        }
    }
}

fn exit_code_from(code: u8) -> ExitCode {
    match code {
        2 => ExitCode::Usage,
        3 => ExitCode::Refused,
        4 => ExitCode::Network,
        5 => ExitCode::BadConfig,
        6 => ExitCode::Storage,
        7 => ExitCode::Cancelled,
        _ => ExitCode::Other,
    }
}
