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
    Network {
        what: String,
        detail: String,
        #[source]
        source: Option<Cause>,
    },

    /// A request through a proxy failed: the proxy and the variable that set it are named.
    #[error("could not reach {what} through the proxy {proxy} (from {variable}): {detail}")]
    Proxy {
        what: String,
        proxy: String,
        variable: &'static str,
        detail: String,
        #[source]
        source: Option<Cause>,
    },

    #[error("the TLS certificate of {host} is not trusted: {problem}")]
    Tls {
        host: String,
        problem: TlsProblem,
        #[source]
        source: Option<Cause>,
    },

    #[error("the identity provider at {issuer} is not usable: {detail}")]
    Discovery { issuer: String, detail: String },

    #[error("the identity provider refused the sign-in: {}", describe_oauth(.error, .description.as_deref()))]
    IdpRefused { error: String, description: Option<String> },

    #[error("the identity provider's answer is not valid: {0}")]
    Protocol(String),

    /// `mfa=required`, and the ID token's `amr` names no second factor — or (`amr: None`) the
    /// identity provider does not report how the user signed in at all.
    #[error("{}", describe_mfa(.amr.as_deref()))]
    MfaMissing { amr: Option<Vec<String>> },

    /// The identity provider's ID token failed a check that will fail the same way next time
    /// (or the clocks differ): someone must change a setting.
    #[error("the identity provider's ID token was not accepted: {problem}")]
    IdToken { issuer: String, problem: crate::oidc::IdTokenProblem },

    #[error("server authentication failed: {reason}")]
    ServerRefused { status: u16, reason: String },

    /// A web sign-in (`auth=web`) ended on the hub's refusal page.
    #[error("server authentication failed: {0}")]
    WebRefused(WebRefusal),

    /// A web sign-in needs a Hublink window, and this shell has none (the CLI could not start
    /// the app).
    #[error("`{hub}` signs in with the hub's own web page, which needs the Hublink app")]
    NeedsApp { hub: String },

    /// A command that has no meaning for a cookie hub (`token`).
    #[error("`{hub}` keeps the hub's own session cookie, not an access token")]
    NotForWebHub { hub: String },

    #[error("the hub answered the session check with HTTP {status}: {reason}")]
    HubError { status: u16, reason: String },

    #[error("the sign-in callback was refused: {0}")]
    Callback(String),

    /// The answer to a browser sign-in was not sent by the identity provider the sign-in
    /// started with (an IdP mix-up, RFC 9700 §4.4), or lacks the `iss` that provider announces
    /// (RFC 9207). Its code was not sent anywhere. It fails the same way every time.
    #[error("the answer to this sign-in did not come from {issuer}: {detail}")]
    MixUp { issuer: String, detail: String },

    #[error("you are not signed in to {hub}: {reason}")]
    SignInRequired { hub: String, reason: String },

    #[error("secure storage is not available: {problem}")]
    StorageUnavailable { problem: StorageProblem },

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

    /// Another process has held a lock longer than any change takes: it is stopped or hung.
    #[error("another Hublink process has held {} for more than {seconds} s", .lock.display())]
    Busy { lock: PathBuf, seconds: u64 },

    #[error("{} was written by a newer Hublink (format {version})", .path.display())]
    NewerState { path: PathBuf, version: u32 },

    /// The organisation's policy refuses this (the rule is named).
    #[error("{0}")]
    Policy(#[from] crate::policy::Refusal),

    /// The organisation's policy exists but cannot be used: Hublink fails closed.
    #[error("your organization's Hublink policy ({origin}) cannot be used: {problem}")]
    PolicyUnusable { origin: String, problem: crate::policy::PolicyProblem },

    /// An administrator's link-signing key file cannot be used.
    #[error("the signing key {} cannot be used: {problem}", .path.display())]
    SigningKey { path: PathBuf, problem: crate::link_signing::KeyError },

    /// A user-added hub would take the friendly name of an administrator's hub on another host.
    #[error("`{name}` is the name of a hub your administrator provides, on {admin_host}; this link points to {host}")]
    NameTaken { name: String, admin_host: String, host: String },

    /// The desktop's confirmation of a link is gone (the app restarted, or it was used).
    #[error("this confirmation has expired")]
    ProposalExpired,

    /// An address Hublink was given or built is not usable for `what`.
    #[error("{what} has an address Hublink cannot use: {detail}")]
    BadAddress { what: &'static str, detail: String },

    /// No per-user configuration folder and no `HUBLINK_HOME`.
    #[error("this system has no per-user configuration folder")]
    NoConfigFolder,

    /// A background task (a keyring call, a sign-in) ended without an answer.
    #[error("{what} failed: {detail}")]
    TaskFailed { what: &'static str, detail: String },

    /// A fault of Hublink itself; nothing the user or administrator can change.
    #[error("{0}")]
    Internal(String),
}

/// A hub's refusal page at the end of a web sign-in: its title and text, printable and short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebRefusal {
    pub title: String,
    pub text: String,
}

/// What kind of refusal a page is, read from its words (Qlik Sense's, the IdPs' and SAML's
/// usual texts), for the next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    TooManySessions,
    NoAccess,
    AccountInactive,
    Saml,
    Other,
}

impl WebRefusal {
    pub fn kind(&self) -> RefusalKind {
        let words = format!("{} {}", self.title, self.text).to_lowercase();
        let any = |list: &[&str]| list.iter().any(|w| words.contains(w));
        if any(&["too many sessions", "maximum number", "parallel sessions", "session limit"]) {
            RefusalKind::TooManySessions
        } else if any(&["inactive", "disabled", "blocked", "locked out", "suspended"]) {
            RefusalKind::AccountInactive
        } else if any(&[
            "access pass",
            "no access",
            "access denied",
            "not authorized",
            "not allowed",
            "license",
            "allocation",
            "forbidden",
        ]) {
            RefusalKind::NoAccess
        } else if any(&["saml", "assertion", "statuscode", "audience", "signature"]) {
            RefusalKind::Saml
        } else {
            RefusalKind::Other
        }
    }

    fn next_step(&self) -> String {
        match self.kind() {
            RefusalKind::TooManySessions => "You have as many sessions open on this hub as it allows: sign out of it in other browsers or apps, or wait until one times out (30 minutes of inactivity by default on Qlik Sense), then sign in again.".into(),
            RefusalKind::NoAccess => "Ask the hub's administrator to give you access (on Qlik Sense: a license or access pass for your user), then sign in again.".into(),
            RefusalKind::AccountInactive => "Your account is disabled or inactive at the hub or its identity provider: ask your administrator to enable it.".into(),
            RefusalKind::Saml => "Send this to the hub's administrator: the hub and its identity provider disagree about the SAML configuration, and signing in again will fail the same way.".into(),
            RefusalKind::Other => "Send this to the hub's administrator, with the reason above; signing in again will fail the same way until they act.".into(),
        }
    }
}

impl std::fmt::Display for WebRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.title.is_empty(), self.text.is_empty()) {
            (true, true) => f.write_str("the hub showed a page without a session and without a reason"),
            (false, true) => f.write_str(&self.title),
            (true, false) => f.write_str(&self.text),
            // Pages usually repeat their title as a heading: said once, as "title: text".
            (false, false) if self.text.starts_with(&self.title) => {
                let rest = self.text[self.title.len()..].trim_start_matches([' ', ':', '.', '-', '—']);
                if rest.is_empty() { f.write_str(&self.title) } else { write!(f, "{}: {rest}", self.title) }
            }
            (false, false) => write!(f, "{}: {}", self.title, self.text),
        }
    }
}

/// An error as the CLI's `--json` and the desktop page receive it: what failed, why, what to
/// do, and a stable machine-readable `code`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[error("{message}: {cause}")]
pub struct ErrorReport {
    pub code: &'static str,
    pub message: String,
    pub cause: String,
    pub next_step: String,
}

impl From<&Error> for ErrorReport {
    fn from(e: &Error) -> Self {
        ErrorReport { code: e.code(), message: e.message(), cause: e.cause(), next_step: e.next_step() }
    }
}

impl From<Error> for ErrorReport {
    fn from(e: Error) -> Self {
        ErrorReport::from(&e)
    }
}

/// The underlying error of a transport failure (reqwest, rustls, io), kept for
/// `Error::source()` — logs and debuggers can walk the chain — while the variant's own fields
/// carry the words users see. Shared, so errors stay cheap to pass around.
#[derive(Clone)]
pub struct Cause(std::sync::Arc<dyn std::error::Error + Send + Sync + 'static>);

impl Cause {
    pub fn new(e: impl std::error::Error + Send + Sync + 'static) -> Cause {
        Cause(std::sync::Arc::new(e))
    }
}

impl std::fmt::Debug for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Why the OS keyring cannot keep a session, each with its own fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StorageProblem {
    /// No keyring service at all (no Secret Service on the session bus, no D-Bus): the one
    /// case where the plain-file opt-in applies.
    #[error("no system keyring is running ({0})")]
    NoService(String),
    #[error("the keyring is locked, and no unlock prompt could be shown")]
    Locked,
    #[error(
        "the keyring service has no default keyring to store sessions in (only its temporary session collection), and none could be created here"
    )]
    NoDefaultKeyring,
    #[error("the system keyring did not answer within {seconds} s")]
    Timeout { seconds: u64 },
    #[error("the system keyring refused access ({0})")]
    Refused(String),
    #[error("a stored entry is not text")]
    BadEncoding,
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

fn storage_next_step(problem: &StorageProblem) -> String {
    match problem {
            StorageProblem::Locked => {
                "Unlock your keyring (on Linux: open \"Passwords and Keys\" (Seahorse), right-click the Login keyring, Unlock — or sign out and in again), then sign in again. Hublink stores nothing while it is locked.".into()
            }
            StorageProblem::NoDefaultKeyring => {
                "Create a default keyring: in \"Passwords and Keys\" (Seahorse) choose + → Password keyring and make it the default, or sign in to a desktop session once (it creates the Login keyring). From a shell, `secret-tool store --label=test x y` creates it when a prompt can show.".into()
            }
            StorageProblem::Timeout { .. } => {
                "Your keyring did not answer: it may be waiting behind an unlock prompt, or hung. Unlock it (or restart your session), then sign in again.".into()
            }
            StorageProblem::BadEncoding => {
                "A stored entry is damaged: sign out of this hub (`hublink logout`) and sign in again.".into()
            }
            StorageProblem::Refused(_) => {
                "Allow Hublink in your keyring's prompt, or unlock your keyring, then sign in again.".into()
            }
            _ => {
                "Unlock or start your system keyring (on Linux: a Secret Service such as GNOME Keyring or KWallet). Only if you accept tokens in a plain file, set HUBLINK_INSECURE_STORAGE=1.".into()
            }
    }
}

/// What to do about a file Hublink could not read or write, by what the system said.
fn io_next_step(path: &std::path::Path, source: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    let folder = path.parent().unwrap_or(path).display();
    match source.kind() {
        K::StorageFull | K::QuotaExceeded | K::FileTooLarge => format!(
            "Free some space on the disk that holds {folder} (or ask your administrator to raise your disk quota or file size limit), then try again. The file as it was before is unchanged."
        ),
        K::ReadOnlyFilesystem => format!(
            "{folder} is on a read-only file system: set HUBLINK_HOME to a folder you may write to, or ask your administrator. The file as it was before is unchanged."
        ),
        K::PermissionDenied => format!(
            "You may not write to {folder}: fix its owner or permissions, or set HUBLINK_HOME to a folder you may write to."
        ),
        _ => "Check that the folder exists and that you may write to it.".into(),
    }
}

fn idp_refused_next_step(e: &str) -> String {
    match e {
        "access_denied" => "If you declined by mistake, sign in again and allow access.".into(),
        "invalid_grant" => "Sign in again: `hublink login <hub>`.".into(),
        "invalid_client"
        | "unauthorized_client"
        | "invalid_scope"
        | "unsupported_grant_type"
        | "unsupported_response_type"
        | "invalid_request" => {
            format!(
                "Send these details to your administrator: the identity provider refuses Hublink's client as registered ({e}); check its client_id, grant types, redirect URI and scopes (docs/admin/identity-providers.md)."
            )
        }
        _ => "Sign in again; if it keeps failing, send these details to your administrator.".into(),
    }
}

fn id_token_next_step(problem: &crate::oidc::IdTokenProblem) -> String {
    use crate::oidc::IdTokenProblem as P;
    match problem {
        P::ClockSkew { seconds } => format!(
            "Set this computer's date and time automatically (network time); it is {} the identity provider's. If this computer's clock is right, tell your administrator that the identity provider's clock is wrong.",
            if *seconds > 0 { "ahead of" } else { "behind" }
        ),
        P::ExtraAudience { extra } => format!(
            "Send this to your administrator: if {} is the identity provider's own identifier for this application, add `extra_audiences = {}` to this hub's settings (hubs.ini or the link); otherwise the identity provider must stop adding it.",
            extra.join(", "),
            extra.join(",")
        ),
        P::AuthorizedParty { .. } => "Send this to your administrator: the identity provider must set `azp` to Hublink's client id when it adds other audiences.".into(),
        P::Audience { .. } => "Send this to your administrator: the hub's `client_id` must be the client registered for Hublink at the identity provider.".into(),
        P::Nonce => "Start the sign-in again from Hublink; if it happens again, tell your administrator (the answer did not belong to your sign-in).".into(),
        P::Expired => "Check this computer's date and time; if it is right, send this to your administrator: the identity provider issues ID tokens that are already expired.".into(),
        _ => "Send these details to your administrator: the identity provider's ID tokens do not pass OpenID Connect's checks, and signing in again will fail the same way.".into(),
    }
}

fn describe_mfa(amr: Option<&[String]>) -> String {
    match amr {
        None => "the identity provider does not report how you signed in (its ID token has no `amr` claim), so Hublink cannot confirm the second factor this hub requires".to_owned(),
        Some([]) => "the sign-in did not use a second factor (methods used: none reported)".to_owned(),
        Some(amr) => format!("the sign-in did not use a second factor (methods used: {})", amr.join(", ")),
    }
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

    /// An OAuth error answer of `what` (RFC 6749 §4.1.2.1, §5.2). `server_error` and
    /// `temporarily_unavailable` — and any answer with a 5xx status — mean the identity provider
    /// is failing for now: that is like being offline (exit 4, "try again later"), never a
    /// refusal that asks the user to sign in again.
    pub fn oauth(what: &str, status: Option<u16>, error: String, description: Option<String>) -> Self {
        let failing =
            status.is_some_and(|s| s >= 500) || matches!(error.as_str(), "server_error" | "temporarily_unavailable");
        if !failing {
            return Error::IdpRefused { error, description };
        }
        let said = describe_oauth(&error, description.as_deref());
        Error::Network {
            what: what.to_owned(),
            detail: match status {
                Some(s) => format!("the server failed (HTTP {s}: {said})"),
                None => format!("the identity provider is failing for now ({said})"),
            },
            source: None,
        }
    }

    /// The network is the problem (directly or through a proxy): "offline", nothing to fix
    /// in the session.
    pub fn is_offline(&self) -> bool {
        matches!(self, Error::Network { .. } | Error::Proxy { .. })
    }

    pub fn exit_code(&self) -> ExitCode {
        use Error::*;
        match self {
            Link(_) | Settings(_) | CaFile { .. } => ExitCode::BadConfig,
            UnknownHub(_) | AmbiguousHub { .. } | AdminHub(_) | ConfirmationRequired => ExitCode::Usage,
            Network { .. } | Proxy { .. } | Tls { .. } | HubError { .. } => ExitCode::Network,
            IdpRefused { .. }
            | MfaMissing { .. }
            | IdToken { .. }
            | Protocol(_)
            | ServerRefused { .. }
            | WebRefused(_)
            | Callback(_)
            | MixUp { .. }
            | SignInRequired { .. } => ExitCode::Refused,
            StorageUnavailable { .. } => ExitCode::Storage,
            Cancelled | TimedOut { .. } => ExitCode::Cancelled,
            ProposalExpired => ExitCode::Usage,
            Policy(_) => ExitCode::Refused,
            PolicyUnusable { .. } | NameTaken { .. } | SigningKey { .. } => ExitCode::BadConfig,
            BadAddress { .. } => ExitCode::BadConfig,
            // A wrong issuer or an unusable discovery document fails the same way every time:
            // the link or hubs.ini must change.
            Discovery { .. } => ExitCode::BadConfig,
            NotForWebHub { .. } => ExitCode::Usage,
            Io { .. }
            | Busy { .. }
            | NewerState { .. }
            | NoConfigFolder
            | TaskFailed { .. }
            | NeedsApp { .. }
            | Internal(_) => ExitCode::Other,
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
            Proxy { .. } => "proxy",
            Tls { .. } => "tls",
            Discovery { .. } => "discovery",
            IdpRefused { error, .. } if error == "access_denied" => "access_denied",
            IdpRefused { .. } => "idp_refused",
            Protocol(_) => "protocol",
            MfaMissing { amr: None } => "mfa_not_reported",
            MfaMissing { .. } => "mfa_required",
            IdToken { problem: crate::oidc::IdTokenProblem::ClockSkew { .. }, .. } => "clock_skew",
            IdToken { .. } => "id_token_refused",
            ServerRefused { .. } | WebRefused(_) => "server_authentication_failed",
            NeedsApp { .. } => "needs_app",
            NotForWebHub { .. } => "not_for_web_hub",
            HubError { .. } => "hub_error",
            Callback(_) => "callback_refused",
            MixUp { .. } => "idp_mix_up",
            SignInRequired { .. } => "sign_in_required",
            StorageUnavailable { .. } => "secure_storage_unavailable",
            Cancelled => "cancelled",
            TimedOut { .. } => "timed_out",
            Io { .. } => "io",
            Busy { .. } => "busy",
            NewerState { .. } => "newer_state",
            ProposalExpired => "proposal_expired",
            Policy(_) => "policy",
            PolicyUnusable { .. } => "policy_unusable",
            NameTaken { .. } => "name_taken",
            SigningKey { .. } => "bad_signing_key",
            BadAddress { .. } => "bad_address",
            NoConfigFolder => "no_config_folder",
            TaskFailed { .. } => "task_failed",
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
            Network { .. } | Proxy { .. } => "the network request failed".into(),
            Tls { .. } => "the secure connection failed".into(),
            Discovery { .. } => "the identity provider is not usable".into(),
            IdpRefused { .. } | MfaMissing { .. } | Callback(_) | MixUp { .. } | IdToken { .. } => {
                "sign-in refused".into()
            }
            Protocol(_) => "the sign-in failed".into(),
            ServerRefused { .. } | WebRefused(_) => "server authentication failed".into(),
            NeedsApp { .. } => "this hub signs in in the Hublink app".into(),
            NotForWebHub { .. } => "this hub has no access token".into(),
            HubError { .. } => "the hub could not check the session".into(),
            SignInRequired { .. } => "sign in again".into(),
            StorageUnavailable { .. } => "secure storage is not available".into(),
            Cancelled => "sign-in cancelled".into(),
            TimedOut { .. } => "sign-in timed out".into(),
            Io { .. } => "a file could not be used".into(),
            Busy { .. } => "another Hublink process is busy".into(),
            NewerState { .. } => "this Hublink is older than its saved state".into(),
            ProposalExpired => "this confirmation has expired".into(),
            Policy(_) => "not allowed by your organization".into(),
            PolicyUnusable { .. } => "your organization's policy cannot be read".into(),
            NameTaken { .. } => "this name belongs to another hub".into(),
            SigningKey { .. } => "the signing key is not usable".into(),
            BadAddress { .. } => "an address is not usable".into(),
            NoConfigFolder => "no place for Hublink's state".into(),
            TaskFailed { .. } | Internal(_) => "internal error".into(),
        }
    }

    /// The reason, in words; never a secret.
    pub fn cause(&self) -> String {
        use Error::*;
        match self {
            Link(e) => e.to_string(),
            Settings(e) => e.to_string(),
            UnknownHub(q) => {
                format!("no hub is called `{q}` (names are case-insensitive; URLs and identities work too)")
            }
            AmbiguousHub { query, candidates } => {
                format!("`{query}` matches {}", candidates.join(", "))
            }
            AdminHub(name) => format!("`{name}` comes from hubs.ini, which your administrator manages"),
            ConfirmationRequired => "standard input is not a terminal, so Hublink cannot ask".into(),
            CaFile { path, reason } => format!("{}: {reason}", path.display()),
            Network { what, detail, .. } => format!("{what}: {detail}"),
            Proxy { .. } => self.to_string(),
            Tls { host, problem, .. } => format!("{host}: {problem}"),
            Discovery { issuer, detail } => format!("{issuer}: {detail}"),
            IdpRefused { error, description } => describe_oauth(error, description.as_deref()),
            Protocol(d) => d.clone(),
            MfaMissing { .. } => self.to_string(),
            IdToken { problem, .. } => format!("the identity provider's ID token was not accepted: {problem}"),
            ServerRefused { status, reason } => format!("the hub refused the session (HTTP {status}): {reason}"),
            WebRefused(r) => format!("the hub refused the sign-in: {r}"),
            NeedsApp { .. } | NotForWebHub { .. } => self.to_string(),
            HubError { status, reason } => format!("HTTP {status}: {reason}"),
            Callback(d) => d.clone(),
            MixUp { .. } => self.to_string(),
            SignInRequired { reason, .. } => reason.clone(),
            StorageUnavailable { problem } => problem.to_string(),
            Cancelled => "you cancelled it".into(),
            TimedOut { seconds, waiting_for } => format!("no answer after {seconds} s while waiting for {waiting_for}"),
            Io { path, source } => format!("{}: {source}", path.display()),
            Busy { .. } => self.to_string(),
            NewerState { .. } => self.to_string(),
            ProposalExpired => "the link was confirmed already, or Hublink restarted since it was shown".into(),
            PolicyUnusable { origin, problem } => format!("{origin}: {problem}"),
            Policy(_) | NameTaken { .. } | SigningKey { .. } => self.to_string(),
            BadAddress { .. } | TaskFailed { .. } | NoConfigFolder => self.to_string(),
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
            Proxy { proxy, variable, .. } => format!(
                "Check the proxy {proxy} that {variable} sets: is it running and reachable from here? If this address must be reached directly, add its host to NO_PROXY (or unset {variable})."
            ),
            Tls { problem: TlsProblem::UnknownIssuer, .. } => {
                "If your organisation uses its own certificate authority, ask your administrator to set `ca_file` for this hub in hubs.ini.".into()
            }
            Tls { problem: TlsProblem::NotYetValid | TlsProblem::Expired, .. } => {
                "Check this computer's date and time; if it is right, tell the hub's administrator that the certificate must be renewed.".into()
            }
            Tls { .. } => "Tell the hub's administrator; `hublink doctor <hub>` shows the details.".into(),
            Discovery { .. } => "Check the issuer address with your administrator; `hublink doctor <hub>` shows the details.".into(),
            IdpRefused { error, .. } => idp_refused_next_step(error),
            Protocol(_) => "Send these details to your administrator: the identity provider's answers do not follow OAuth 2.0 / OpenID Connect, and signing in again will fail the same way.".into(),
            MfaMissing { amr: None } => "Send this to your administrator: the identity provider must include the `amr` claim in ID tokens (see docs/admin/identity-providers.md for each provider), or the hub must stop requiring mfa.".into(),
            MfaMissing { .. } => {
                "This hub requires a second factor: set up two-step verification with your identity provider, then sign in again.".into()
            }
            IdToken { problem, .. } => id_token_next_step(problem),
            ServerRefused { .. } => "Ask the hub's administrator to grant you access, then sign in again.".into(),
            WebRefused(r) => r.next_step(),
            NeedsApp { hub } => format!("Open the Hublink app and sign in to {hub} there; `hublink login` starts it when it can find hublink-desktop."),
            NotForWebHub { hub } => format!("Use `hublink header \"{hub}\"`: it prints the Cookie header that authenticates to this hub."),
            HubError { status, .. } if *status < 500 => format!(
                "Send this to your administrator: the hub's session check answers HTTP {status}, so `session_check` in the link or hubs.ini is probably wrong."
            ),
            HubError { .. } => "The hub is failing; try again later, and tell the hub's administrator if it persists.".into(),
            Callback(_) => "Start the sign-in again from Hublink.".into(),
            MixUp { issuer, .. } => format!(
                "Do not use this hub until your administrator has looked at it: nothing was sent to {issuer}, and signing in again will be refused the same way. If you added it from a link, remove it (`hublink remove`); if it is your organisation's, send this to your administrator (docs/admin/identity-providers.md, \"Redirect URI\")."
            ),
            SignInRequired { hub, .. } => format!("Sign in again: `hublink login \"{hub}\"`."),
            StorageUnavailable { problem } => storage_next_step(problem),
            Cancelled => "Sign in again when you are ready.".into(),
            TimedOut { .. } => "Sign in again and finish in the browser; check the password and code if the browser showed an error.".into(),
            Io { path, source } => io_next_step(path, source),
            Busy { lock, .. } => format!(
                "Wait for the other Hublink command or the Hublink app to finish, or end it if it is stuck (`fuser {}` names it), then try again. Nothing was changed.",
                lock.display()
            ),
            NewerState { .. } => "Use the newer Hublink (an older copy may still be on your PATH); the file was left as it is.".into(),
            ProposalExpired | Policy(_) | PolicyUnusable { .. } | SigningKey { .. } | NameTaken { .. } | BadAddress { .. } | NoConfigFolder => {
                self.governance_next_step()
            }
            TaskFailed { .. } | Internal(_) => "Please report this as a bug, with these details.".into(),
        }
    }

    /// What to do about a refusal of the organisation's or a problem in what it provided.
    fn governance_next_step(&self) -> String {
        use Error::*;
        match self {
            ProposalExpired => "Add the link again.".into(),
            Policy(r) => format!(
                "This is a rule of your organization (`{}`), not something you can change; ask your administrator if you need it.",
                r.rule
            ),
            PolicyUnusable { origin, .. } => format!(
                "Send this to your administrator: Hublink will not work until {origin} is a valid policy (the rules are listed in the administrator's guide, policy.md)."
            ),
            SigningKey { .. } => {
                "Give the private key file `hublink link keygen` wrote (PKCS#8 PEM, -----BEGIN PRIVATE KEY-----)."
                    .into()
            }
            NameTaken { .. } => {
                "Use the hub your administrator provides; if this link is genuine, ask for it under another name."
                    .into()
            }
            BadAddress { .. } => {
                "Check the address; if it came in a link or hubs.ini, ask your administrator to correct it.".into()
            }
            NoConfigFolder => "Set HUBLINK_HOME to a folder Hublink may keep its state in.".into(),
            _ => "Please report this as a bug, with these details.".into(),
        }
    }
}

#[cfg(test)]
mod oauth_tests {
    use super::*;

    #[test]
    fn an_identity_provider_that_is_failing_for_now_is_offline_not_a_refusal() {
        let e =
            Error::oauth("the token endpoint", Some(503), "temporarily_unavailable".into(), Some("maintenance".into()));
        assert_eq!(e.exit_code(), ExitCode::Network);
        assert!(e.cause().contains("HTTP 503") && e.cause().contains("maintenance"), "{}", e.cause());
        assert!(!e.next_step().to_lowercase().contains("sign in again"), "{}", e.next_step());
        let e = Error::oauth("the sign-in", None, "server_error".into(), None);
        assert_eq!(e.exit_code(), ExitCode::Network);
        assert!(e.is_offline());
        let e = Error::oauth("the token endpoint", Some(500), "invalid_grant".into(), None);
        assert_eq!(e.exit_code(), ExitCode::Network, "a 5xx is the server failing whatever its body says");
        let e = Error::oauth("the token endpoint", Some(400), "invalid_grant".into(), None);
        assert!(matches!(e, Error::IdpRefused { .. }));
        assert!(matches!(Error::oauth("x", None, "access_denied".into(), None), Error::IdpRefused { .. }));
    }
}

#[cfg(test)]
mod io_tests {
    use super::*;

    #[test]
    fn a_full_disk_and_a_read_only_folder_say_what_to_do_about_them() {
        let at = |kind| Error::io("/home/u/.config/hublink/hubs.json", std::io::Error::from(kind));
        for kind in [std::io::ErrorKind::StorageFull, std::io::ErrorKind::FileTooLarge] {
            let next = at(kind).next_step();
            assert!(next.contains("Free some space") && next.contains("/home/u/.config/hublink"), "{next}");
            assert!(next.contains("unchanged"), "{next}");
        }
        let next = at(std::io::ErrorKind::ReadOnlyFilesystem).next_step();
        assert!(next.contains("read-only") && next.contains("HUBLINK_HOME"), "{next}");
        assert!(at(std::io::ErrorKind::PermissionDenied).next_step().contains("permissions"));
        assert_eq!(at(std::io::ErrorKind::StorageFull).exit_code(), ExitCode::Other);
    }
}

#[cfg(test)]
mod web_refusal_tests {
    use super::*;

    fn refusal(title: &str, text: &str) -> WebRefusal {
        WebRefusal { title: title.into(), text: text.into() }
    }

    #[test]
    fn a_refusal_page_reads_once_with_its_kind() {
        let r = refusal("Access denied", "Access denied You cannot access Qlik Sense because you have no access pass.");
        assert_eq!(r.to_string(), "Access denied: You cannot access Qlik Sense because you have no access pass.");
        assert_eq!(r.kind(), RefusalKind::NoAccess);
        let r = refusal("Too many sessions", "You have reached the maximum number of parallel sessions (5).");
        assert_eq!(r.kind(), RefusalKind::TooManySessions);
        assert!(Error::WebRefused(r).next_step().contains("sign out of it in other browsers"));
        assert_eq!(refusal("", "").to_string(), "the hub showed a page without a session and without a reason");
        assert_eq!(refusal("Sign-in failed", "Invalid SAML assertion signature").kind(), RefusalKind::Saml);
    }

    #[test]
    fn a_refusal_is_server_authentication_failed_and_never_says_try_again() {
        for (title, text) in
            [("Access denied", "no access pass"), ("Error", "something odd"), ("Sign-in failed", "SAML")]
        {
            let e = Error::WebRefused(refusal(title, text));
            assert_eq!(e.code(), "server_authentication_failed");
            assert_eq!(e.exit_code(), ExitCode::Refused);
            assert!(!e.next_step().to_lowercase().contains("try again"), "{}", e.next_step());
        }
    }
}

#[cfg(test)]
mod mix_up_tests {
    use super::*;

    #[test]
    fn a_mix_up_is_refused_for_good_and_says_who_acts() {
        let e = Error::MixUp {
            issuer: "https://evil.example".into(),
            detail: "it names the issuer https://login.example.com".into(),
        };
        assert_eq!(
            (e.code(), e.exit_code(), e.message().as_str()),
            ("idp_mix_up", ExitCode::Refused, "sign-in refused")
        );
        assert!(
            e.cause().contains("did not come from https://evil.example") && e.cause().contains("login.example.com")
        );
        let next = e.next_step().to_lowercase();
        assert!(
            !next.contains("try again") && next.contains("administrator") && next.contains("hublink remove"),
            "{next}"
        );
    }
}
