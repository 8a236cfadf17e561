//! Credentials for scripts: `token`, `header`, `exec`. The secret goes to stdout or to the
//! child's environment only — never to stderr, logs or the command line of another process.

use std::process::Stdio;

use hublink_core::{Error, Hub, Hublink};
use serde::Serialize;

use crate::ExitCode;

/// `hublink token --json`: the stable shape tools read.
#[derive(Serialize)]
struct TokenJson<'a> {
    access_token: &'a str,
    token_type: &'static str,
    /// RFC 3339; `null` when the identity provider did not say.
    expires_at: Option<String>,
}

pub async fn token(app: &Hublink, hub: &Hub, json: bool) -> Result<ExitCode, Error> {
    let access = app.access(hub).await?;
    if json {
        let shape = TokenJson {
            access_token: access.token.expose(),
            token_type: "Bearer",
            expires_at: access.expires_at.map(hublink_core::session::rfc3339),
        };
        out!("{}", serde_json::to_string(&shape).unwrap_or_default());
    } else {
        out!("{}", access.token.expose());
    }
    Ok(ExitCode::Ok)
}

pub async fn header(app: &Hublink, hub: &Hub) -> Result<ExitCode, Error> {
    let header = app.auth_header(hub).await?;
    out!("{}: {}", header.name, header.value.expose());
    Ok(ExitCode::Ok)
}

/// Run `command` with `HUBLINK_AUTH_HEADER` (the whole header line), `HUBLINK_HUB` (the hub's
/// name) and, for OpenID Connect hubs, `HUBLINK_ACCESS_TOKEN` in its environment; its exit
/// status becomes ours (a signal: 128 + its number, as shells do).
pub async fn exec(app: &Hublink, hub: &Hub, command: &[std::ffi::OsString]) -> Result<u8, Error> {
    let Some((program, args)) = command.split_first() else {
        return Err(Error::BadAddress { what: "the command to run", detail: "give it after `--`".into() });
    };
    let header = app.auth_header(hub).await?;
    let mut child = tokio::process::Command::new(program);
    child
        .args(args)
        .env("HUBLINK_AUTH_HEADER", format!("{}: {}", header.name, header.value.expose()))
        .env("HUBLINK_HUB", &hub.settings.name)
        .env_remove("HUBLINK_ACCESS_TOKEN")
        .stdin(Stdio::inherit());
    if let Some(token) = header.value.expose().strip_prefix("Bearer ") {
        child.env("HUBLINK_ACCESS_TOKEN", token);
    }
    let status = child.status().await.map_err(|e| Error::io(std::path::PathBuf::from(program), e))?;
    Ok(exit_status_code(status))
}

fn exit_status_code(status: std::process::ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return u8::try_from(code & 0xff).unwrap_or(1);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return u8::try_from(128 + (signal & 0x7f)).unwrap_or(1);
        }
    }
    1
}
