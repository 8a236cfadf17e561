//! Ways of signing in, behind one seam.
//!
//! A [`SignInMethod`] takes the user through an identity provider and produces a
//! [`NewSession`]: the [`Credentials`] it obtained and who signed in. It hands them to the
//! [`Acceptor`], which asks the hub whether it accepts them and has the session keeper store
//! them — only then is the user told "signed in". Today's methods: the authorization code with
//! PKCE in the system browser ([`browser::BrowserCode`]) and the device authorization grant
//! ([`device::DeviceGrant`]).
//!
//! The hub's own web sign-in ([`web::WebSignIn`], `auth=web`) needs no identity provider of
//! ours: it runs in the shell's windows ([`web::WebWindows`]) and yields
//! [`Credentials::Web`], a session cookie the hub's session check already accepted, which the
//! keeper stores like tokens. A new method is a new file here and, when it yields something
//! other than tokens or a cookie, a new variant of [`Credentials`]; the existing methods do
//! not change.

pub mod browser;
pub mod device;
pub mod handoff;
pub mod web;

use std::time::Duration;

use time::OffsetDateTime;
use url::Url;

use crate::browser::Browser;
use crate::catalog::Hub;
use crate::error::Result;
use crate::oidc::{self, Idp};
use crate::sessions::SessionKeeper;
use crate::settings::Flow;

/// What a sign-in method obtained.
#[derive(Debug)]
#[non_exhaustive]
pub enum Credentials {
    /// OpenID Connect tokens from the hub's identity provider.
    Oidc(oidc::Tokens),
    /// A hub's own session cookie, already accepted by its session check.
    Web(web::WebCredentials),
}

/// A finished, verified sign-in, not yet accepted by the hub nor stored.
#[derive(Debug)]
pub struct NewSession {
    pub credentials: Credentials,
    /// `preferred_username`, else `email`, else `sub`.
    pub user: String,
    /// A second factor was used (`None`: the method cannot tell).
    pub second_factor: Option<bool>,
}

impl From<oidc::SignIn> for NewSession {
    fn from(s: oidc::SignIn) -> NewSession {
        NewSession {
            credentials: Credentials::Oidc(s.tokens),
            user: s.identity.user,
            second_factor: s.identity.second_factor,
        }
    }
}

/// A stored sign-in, as the user is told about it.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: String,
    /// The access token's (or cookie's) expiry: renewed silently.
    pub expires_at: Option<OffsetDateTime>,
    /// When a new interactive sign-in will be needed.
    pub session_ends_at: Option<OffsetDateTime>,
    /// The identity provider gave a refresh token, so the session renews itself.
    pub renewable: bool,
    /// When it was stored (the keeper's clock).
    pub now: OffsetDateTime,
}

impl SignedIn {
    /// What the user should know at sign-in about how long the session lasts: without a
    /// refresh token it ends with the access token, and saying so now beats a surprise later.
    pub fn notice(&self) -> Option<String> {
        if self.renewable {
            return None;
        }
        let tail = "Your administrator can allow refresh tokens (offline_access) for Hublink's client.";
        Some(match self.expires_at {
            Some(t) => format!(
                "The identity provider gave no refresh token, so this hub will ask you to sign in again every {}. {tail}",
                crate::session::human_duration((t - self.now).whole_seconds())
            ),
            None => format!(
                "The identity provider gave no refresh token, so this hub will ask you to sign in again whenever its access token expires. {tail}"
            ),
        })
    }
}

/// What happens while signing in, for the user to see.
#[derive(Debug, Clone)]
pub enum Progress {
    /// The sign-in page was opened; finish there.
    BrowserOpened { url: Url },
    /// The hub's own sign-in page was opened in a Hublink window (`auth=web`); finish there.
    WindowOpened { url: Url },
    /// No browser could be opened; the user must open `url` themselves.
    BrowserFailed { url: Url, reason: String },
    /// Device flow: enter `user_code` at `verification_uri`.
    DeviceCode {
        user_code: String,
        verification_uri: String,
        verification_uri_complete: Option<String>,
        expires_in: Duration,
    },
    /// The identity provider answered; checking the tokens and the hub.
    Verifying,
}

/// Where sign-in progress goes (the CLI prints it, the desktop sends it to the page).
pub type ProgressFn<'a> = dyn Fn(Progress) + Send + Sync + 'a;

#[derive(Debug, Clone, Copy)]
pub struct LoginOptions {
    /// Use the device grant whatever the hub's `flow` says.
    pub device: bool,
    /// Give up waiting for the user after this long.
    pub timeout: Duration,
}

impl Default for LoginOptions {
    fn default() -> Self {
        LoginOptions { device: false, timeout: Duration::from_secs(300) }
    }
}

/// Asks the hub whether it accepts a new session (where the organisation's `policy` lets the
/// identity provider's token go: [`crate::hub_check`]), then has the keeper store it.
pub struct Acceptor<'a> {
    pub hub: &'a Hub,
    pub idp: &'a Idp,
    pub policy: &'a crate::policy::Policy,
    pub keeper: &'a SessionKeeper,
}

impl Acceptor<'_> {
    pub async fn accept(&self, new: NewSession) -> Result<SignedIn> {
        if let Credentials::Oidc(tokens) = &new.credentials {
            crate::hub_check::accepts(self.idp, self.hub, self.policy, &tokens.access_token).await?;
        }
        self.keeper.keep_new(self.hub, new).await
    }
}

/// Everything a method works with.
pub struct SignInContext<'a> {
    pub hub: &'a Hub,
    pub idp: &'a Idp,
    pub browser: &'a dyn Browser,
    pub options: LoginOptions,
    pub progress: &'a ProgressFn<'a>,
    pub acceptor: Acceptor<'a>,
}

/// The seam: each way of signing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignInMethod {
    BrowserCode,
    DeviceGrant,
}

impl SignInMethod {
    /// The method for this hub: the device grant when asked for or configured, else the browser.
    pub fn choose(hub: &Hub, options: &LoginOptions) -> SignInMethod {
        if options.device || hub.settings.flow == Flow::Device {
            SignInMethod::DeviceGrant
        } else {
            SignInMethod::BrowserCode
        }
    }

    pub async fn run(self, ctx: &SignInContext<'_>) -> Result<SignedIn> {
        match self {
            SignInMethod::BrowserCode => browser::BrowserCode.run(ctx).await,
            SignInMethod::DeviceGrant => device::DeviceGrant.run(ctx).await,
        }
    }
}
