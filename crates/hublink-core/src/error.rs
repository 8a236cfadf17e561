//! One error taxonomy for the whole engine.
//!
//! Every variant maps to one of PRODUCT.md's exit codes and renders as three parts a user can
//! act on: what failed (`message`), why (`cause`) and what to do (`next_step`). No variant
//! ever holds a token, password, code or secret: causes are built from server error codes,
//! HTTP statuses and our own words.

use std::path::PathBuf;

use crate::link::LinkError;
use crate::settings::SettingsError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Process exit codes, as PRODUCT.md lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitCode {
    Ok = 0,
    Other = 1,
    Usage = 2,
    Refused = 3,
    Network = 4,
    BadConfig = 5,
    Storage = 6,
    Cancelled = 7,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("the authentication link is not valid: {0}")]
    Link(#[from] LinkError),

    #[error("the hub's settings are not valid: {0}")]
    Settings(#[from] SettingsError),

    #[error("no hub matches `{0}`")]
    UnknownHub(String),

    #[error("`{query}` matches more than one hub: {}", .candidates.join(", "))]
    AmbiguousHub { query: String, candidates: Vec<String> },

    #[error("`{0}` was added by your administrator through hubs.ini and cannot be removed")]
    AdminHub(String),

    #[error("adding a hub needs confirmation")]
    ConfirmationRequired,

    #[error("the CA file {} cannot be used: {reason}", .path.display())]
    CaFile { path: PathBuf, reason: String },

    #[error("could not reach {what}: {detail}")]
    Network { what: String, detail: String },

    #[error("the TLS certificate of {host} is not trusted: {problem}")]
    Tls { host: String, problem: TlsProblem },

    #[error("the identity provider at {issuer} is not usable: {detail}")]
    Discovery { issuer: String, detail: String },

    #[error("the identity provider refused the sign-in: {}", describe_oauth(.error, .description.as_deref()))]
    IdpRefused { error: String, description: Option<String> },

    #[error("the identity provider's answer is not valid: {0}")]
    Protocol(String),

    #[error("the sign-in did not use a second factor (methods used: {})", if .amr.is_empty() { "none reported".to_owned() } else { .amr.join(", ") })]
    MfaMissing { amr: Vec<String> },

    #[error("server authentication failed: {reason}")]
    ServerRefused { status: u16, reason: String },

    #[error("the hub answered the session check with HTTP {status}: {reason}")]
    HubError { status: u16, reason: String },

    #[error("the sign-in callback was refused: {0}")]
    Callback(String),

    #[error("you are not signed in to {hub}: {reason}")]
    SignInRequired { hub: String, reason: String },

    #[error("secure storage is not available: {reason}")]
    StorageUnavailable { reason: String },

    #[error("the sign-in was cancelled")]
    Cancelled,

    #[error("the sign-in timed out after {seconds} s: {waiting_for}")]
    TimedOut { seconds: u64, waiting_for: String },

    #[error("could not use {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{} was written by a newer Hublink (format {version})", .path.display())]
    NewerState { path: PathBuf, version: u32 },

    #[error("{0}")]
    Internal(String),
}

/// A certificate problem in words a user and an administrator understand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlsProblem {
    #[error("the certificate has expired")]
    Expired,
    #[error("the certificate is not valid yet (check this computer's clock)")]
    NotYetValid,
    #[error("the certificate was issued for another host name")]
    WrongHost,
    #[error("the certificate was issued by an authority this computer does not trust")]
    UnknownIssuer,
    #[error("the certificate was revoked")]
    Revoked,
    #[error("{0}")]
    Other(String),
}

fn describe_oauth(error: &str, description: Option<&str>) -> String {
    match description {
        Some(d) if !d.is_empty() => format!("{error} ({d})"),
        _ => error.to_owned(),
    }
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    pub fn exit_code(&self) -> ExitCode {
        use Error::*;
        match self {
            Link(_) | Settings(_) | CaFile { .. } => ExitCode::BadConfig,
            UnknownHub(_) | AmbiguousHub { .. } | AdminHub(_) | ConfirmationRequired => ExitCode::Usage,
            Network { .. } | Tls { .. } | HubError { .. } => ExitCode::Network,
            IdpRefused { .. } | MfaMissing { .. } | ServerRefused { .. } | Callback(_) | SignInRequired { .. } => {
                ExitCode::Refused
            }
            StorageUnavailable { .. } => ExitCode::Storage,
            Cancelled | TimedOut { .. } => ExitCode::Cancelled,
            Discovery { .. } | Protocol(_) | Io { .. } | NewerState { .. } | Internal(_) => ExitCode::Other,
        }
    }

    /// A stable, machine-readable name for the error (used in `--json` and by the UI).
    pub fn code(&self) -> &'static str {
        use Error::*;
        match self {
            Link(_) => "bad_link",
            Settings(_) => "bad_settings",
            UnknownHub(_) => "unknown_hub",
            AmbiguousHub { .. } => "ambiguous_hub",
            AdminHub(_) => "admin_hub",
            ConfirmationRequired => "confirmation_required",
            CaFile { .. } => "bad_ca_file",
            Network { .. } => "network",
            Tls { .. } => "tls",
            Discovery { .. } => "discovery",
            IdpRefused { error, .. } if error == "access_denied" => "access_denied",
            IdpRefused { .. } => "idp_refused",
            Protocol(_) => "protocol",
            MfaMissing { .. } => "mfa_required",
            ServerRefused { .. } => "server_authentication_failed",
            HubError { .. } => "hub_error",
            Callback(_) => "callback_refused",
            SignInRequired { .. } => "sign_in_required",
            StorageUnavailable { .. } => "secure_storage_unavailable",
            Cancelled => "cancelled",
            TimedOut { .. } => "timed_out",
            Io { .. } => "io",
            NewerState { .. } => "newer_state",
            Internal(_) => "internal",
        }
    }

    /// The headline: what failed.
    pub fn message(&self) -> String {
        use Error::*;
        match self {
            Link(_) => "the authentication link is not valid".into(),
            Settings(_) => "the hub's settings are not valid".into(),
            UnknownHub(_) | AmbiguousHub { .. } => "hub not found".into(),
            AdminHub(_) => "this hub cannot be removed".into(),
            ConfirmationRequired => "adding a hub needs your confirmation".into(),
            CaFile { .. } => "the hub's CA file is not usable".into(),
            Network { .. } => "the network request failed".into(),
            Tls { .. } => "the secure connection failed".into(),
            Discovery { .. } => "the identity provider is not usable".into(),
            IdpRefused { .. } | MfaMissing { .. } | Callback(_) => "sign-in refused".into(),
            Protocol(_) => "the sign-in failed".into(),
            ServerRefused { .. } => "server authentication failed".into(),
            HubError { .. } => "the hub could not check the session".into(),
            SignInRequired { .. } => "sign in again".into(),
            StorageUnavailable { .. } => "secure storage is not available".into(),
            Cancelled => "sign-in cancelled".into(),
            TimedOut { .. } => "sign-in timed out".into(),
            Io { .. } => "a file could not be used".into(),
            NewerState { .. } => "this Hublink is older than its saved state".into(),
            Internal(_) => "internal error".into(),
        }
    }

    /// The reason, in words; never a secret.
    pub fn cause(&self) -> String {
        use Error::*;
        match self {
            Link(e) => e.to_string(),
            Settings(e) => e.to_string(),
            UnknownHub(q) => format!("no hub is called `{q}` (names are case-insensitive; URLs and identities work too)"),
            AmbiguousHub { query, candidates } => {
                format!("`{query}` matches {}", candidates.join(", "))
            }
            AdminHub(name) => format!("`{name}` comes from hubs.ini, which your administrator manages"),
            ConfirmationRequired => "standard input is not a terminal, so Hublink cannot ask".into(),
            CaFile { path, reason } => format!("{}: {reason}", path.display()),
            Network { what, detail } => format!("{what}: {detail}"),
            Tls { host, problem } => format!("{host}: {problem}"),
            Discovery { issuer, detail } => format!("{issuer}: {detail}"),
            IdpRefused { error, description } => describe_oauth(error, description.as_deref()),
            Protocol(d) => d.clone(),
            MfaMissing { .. } => self.to_string(),
            ServerRefused { status, reason } => format!("the hub refused the session (HTTP {status}): {reason}"),
            HubError { status, reason } => format!("HTTP {status}: {reason}"),
            Callback(d) => d.clone(),
            SignInRequired { reason, .. } => reason.clone(),
            StorageUnavailable { reason } => reason.clone(),
            Cancelled => "you cancelled it".into(),
            TimedOut { seconds, waiting_for } => format!("no answer after {seconds} s while waiting for {waiting_for}"),
            Io { path, source } => format!("{}: {source}", path.display()),
            NewerState { .. } => self.to_string(),
            Internal(d) => d.clone(),
        }
    }

    /// What the user can do about it.
    pub fn next_step(&self) -> String {
        use Error::*;
        match self {
            Link(e) => e.next_step().into(),
            Settings(e) => e.next_step().into(),
            UnknownHub(_) | AmbiguousHub { .. } => "Run `hublink list` to see the hubs and their names.".into(),
            AdminHub(_) => "Ask your administrator to remove it from hubs.ini, or hide it in the app.".into(),
            ConfirmationRequired => "Run the command again with --yes to confirm.".into(),
            CaFile { .. } => "Ask your administrator to fix `ca_file` in hubs.ini: it must name a readable PEM file with the certificate authority.".into(),
            Network { .. } => "Check your network connection and VPN, then try again; `hublink doctor <hub>` shows where it fails.".into(),
            Tls { problem: TlsProblem::UnknownIssuer, .. } => {
                "If your organisation uses its own certificate authority, ask your administrator to set `ca_file` for this hub in hubs.ini.".into()
            }
            Tls { problem: TlsProblem::NotYetValid | TlsProblem::Expired, .. } => {
                "Check this computer's date and time; if it is right, tell the hub's administrator that the certificate must be renewed.".into()
            }
            Tls { .. } => "Tell the hub's administrator; `hublink doctor <hub>` shows the details.".into(),
            Discovery { .. } => "Check the issuer address with your administrator; `hublink doctor <hub>` shows the details.".into(),
            IdpRefused { error, .. } if error == "access_denied" => {
                "If you declined by mistake, sign in again and allow access.".into()
            }
            IdpRefused { error, .. } if error == "invalid_grant" => "Sign in again: `hublink login <hub>`.".into(),
            IdpRefused { .. } => "Sign in again; if it keeps failing, send these details to your administrator.".into(),
            Protocol(_) => "Try again; if it keeps failing, send these details to your administrator.".into(),
            MfaMissing { .. } => {
                "This hub requires a second factor: set up two-step verification with your identity provider, then sign in again.".into()
            }
            ServerRefused { .. } => "Ask the hub's administrator to grant you access, then sign in again.".into(),
            HubError { .. } => "Try again later; if it persists, tell the hub's administrator.".into(),
            Callback(_) => "Start the sign-in again from Hublink.".into(),
            SignInRequired { hub, .. } => format!("Sign in again: `hublink login \"{hub}\"`."),
            StorageUnavailable { .. } => {
                "Unlock or start your system keyring (on Linux: a Secret Service such as GNOME Keyring or KWallet). Only if you accept tokens in a plain file, set HUBLINK_INSECURE_STORAGE=1.".into()
            }
            Cancelled => "Sign in again when you are ready.".into(),
            TimedOut { .. } => "Sign in again and finish in the browser; check the password and code if the browser showed an error.".into(),
            Io { .. } => "Check that the folder exists and that you may write to it.".into(),
            NewerState { .. } => "Use the newer Hublink (an older copy may still be on your PATH); the file was left as it is.".into(),
            Internal(_) => "Please report this as a bug, with these details.".into(),
        }
    }
}
