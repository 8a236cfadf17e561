//! What the welcome page is sent: plain, serializable views of the core's types (never a
//! token). Field names and shapes are the contract of `ui/src/types.ts`.

use hublink_core::catalog::{IniProblem, SessionRecord};
use hublink_core::preferences::Preferences;
use hublink_core::session::rfc3339;
use hublink_core::settings::Flow;
use hublink_core::{AddOutcome, Hub, HubId, Progress, Proposal, ProposalOrigin, SessionState, SignedIn, Source};
use serde::Serialize;

use crate::error::UiError;

#[derive(Serialize)]
pub struct LastKnown {
    pub user: Option<String>,
    pub signed_in_at: Option<String>,
    pub expires_at: Option<String>,
    pub session_ends_at: Option<String>,
}

#[derive(Serialize)]
pub struct HubView {
    pub id: String,
    pub name: String,
    pub host: String,
    pub url: String,
    pub issuer: String,
    pub client_id: String,
    pub source: &'static str,
    pub source_detail: String,
    pub hidden: bool,
    pub mfa_required: bool,
    pub flow: &'static str,
    /// `oidc`, or `web`: the hub's own sign-in in a Hublink window, its session a cookie.
    pub auth: &'static str,
    /// The browser command the user chose for this hub in the window (preferences.json).
    pub browser: Option<String>,
    pub international_host: bool,
    pub last: Option<LastKnown>,
}

impl HubView {
    pub fn new(hub: &Hub, last: Option<&SessionRecord>) -> HubView {
        let s = &hub.settings;
        HubView {
            id: hub.id.to_string(),
            name: s.name.clone(),
            host: s.display_host(),
            url: s.url.to_string(),
            issuer: s.issuer.clone(),
            client_id: s.client_id.clone(),
            source: hub.source.as_str(),
            source_detail: match &hub.source {
                Source::Link { .. } => "added from an authentication link".into(),
                Source::HubsIni { file, section, line, .. } => format!("{}:{line} [{section}]", file.display()),
            },
            hidden: hub.hidden,
            mfa_required: s.mfa_required,
            flow: flow(s.flow),
            auth: s.auth.as_str(),
            browser: None,
            international_host: s.host_is_international(),
            last: last.map(|r| LastKnown {
                user: r.user.clone(),
                signed_in_at: r.signed_in_at.map(rfc3339),
                expires_at: r.expires_at.map(rfc3339),
                session_ends_at: r.session_ends_at.map(rfc3339),
            }),
        }
    }
}

fn flow(f: Flow) -> &'static str {
    match f {
        Flow::Browser => "browser",
        Flow::Device => "device",
    }
}

#[derive(Serialize)]
pub struct IniProblemView {
    pub file: String,
    pub line: Option<usize>,
    pub section: Option<String>,
    pub message: String,
    pub warning: bool,
}

impl From<&IniProblem> for IniProblemView {
    fn from(p: &IniProblem) -> Self {
        IniProblemView {
            file: p.file.display().to_string(),
            line: p.line,
            section: p.section.clone(),
            message: p.kind.to_string(),
            warning: p.is_warning(),
        }
    }
}

#[derive(Serialize)]
pub struct HubsView {
    pub hubs: Vec<HubView>,
    pub problems: Vec<IniProblemView>,
    pub warnings: Vec<String>,
    pub storage_warning: Option<String>,
    pub hubs_dirs: Vec<String>,
    /// The organisation's policy, as far as the page must follow it.
    pub policy: PolicyView,
}

/// What the page shows and hides because of the organisation's policy.
#[derive(Serialize)]
pub struct PolicyView {
    /// "Managed by your organization".
    pub managed: bool,
    /// `AllowUserHubs`: false hides "Add authentication link" and refuses pasted links.
    pub allow_user_hubs: bool,
    /// `RequireSignedLinks`: only links signed by the organisation are accepted.
    pub require_signed_links: bool,
}

impl From<&hublink_core::policy::Policy> for PolicyView {
    fn from(p: &hublink_core::policy::Policy) -> Self {
        PolicyView {
            managed: p.is_managed(),
            allow_user_hubs: p.allow_user_hubs != Some(false),
            require_signed_links: p.require_signed_links == Some(true),
        }
    }
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HubStateView {
    /// `expires_at`: the access token's (or cookie's), renewed silently. `session_ends_at`: when
    /// a new interactive sign-in is needed; `renew_due`: that is inside the user's warning
    /// window ("Renew by …").
    SignedIn {
        user: String,
        expires_at: Option<String>,
        session_ends_at: Option<String>,
        renew_due: bool,
    },
    SignInRequired {
        reason: String,
        user: Option<String>,
    },
    Offline {
        user: Option<String>,
        last_signed_in: Option<String>,
        error: UiError,
    },
    Error {
        error: UiError,
    },
}

impl HubStateView {
    /// `renew_due` judged by the user's warning window at `now`.
    pub fn new(s: SessionState, preferences: &Preferences, now: time::OffsetDateTime) -> HubStateView {
        match s {
            SessionState::SignedIn { user, expires_at, session_ends_at } => HubStateView::SignedIn {
                user,
                expires_at: expires_at.map(rfc3339),
                session_ends_at: session_ends_at.map(rfc3339),
                renew_due: preferences.renew_due(session_ends_at, now),
            },
            other => other.into(),
        }
    }
}

impl From<SessionState> for HubStateView {
    fn from(s: SessionState) -> Self {
        match s {
            SessionState::SignedIn { user, expires_at, session_ends_at } => HubStateView::SignedIn {
                user,
                expires_at: expires_at.map(rfc3339),
                session_ends_at: session_ends_at.map(rfc3339),
                renew_due: false,
            },
            SessionState::SignInRequired { reason, user } => HubStateView::SignInRequired { reason, user },
            SessionState::Offline { user, last_signed_in, error } => {
                HubStateView::Offline { user, last_signed_in: last_signed_in.map(rfc3339), error: error.into() }
            }
            SessionState::Error(e) => HubStateView::Error { error: e.into() },
        }
    }
}

#[derive(Serialize)]
pub struct ProposalView {
    pub proposal_id: u64,
    /// The identity the hub will have once added.
    pub hub_id: String,
    pub name: String,
    pub host: String,
    pub url: String,
    pub issuer: String,
    pub client_id: String,
    pub mfa_required: bool,
    pub flow: &'static str,
    pub auth: &'static str,
    /// `auth=web`: the address that checks the session cookie (on the hub).
    pub session_check: Option<String>,
    pub international_host: bool,
    pub origin: &'static str,
    pub origin_detail: String,
    pub ignored: Vec<String>,
    pub already_present: bool,
    pub received_from: &'static str,
    /// The link carries a good signature by the organisation: "Issued by your organization".
    pub issued_by_organization: bool,
    /// The link carries a signature that does not verify (why), shown as a warning.
    pub signature_problem: Option<String>,
    /// OIDC hubs: who receives the identity provider's access token (`None` for `auth=web`).
    pub token: Option<TokenView>,
}

/// Who receives the identity provider's access token ([`hublink_core::hub_check`]'s rule).
#[derive(Serialize)]
pub struct TokenView {
    /// The identity provider's host.
    pub identity_provider: String,
    /// The hub's session-check host, when it receives the token…
    pub hub: Option<String>,
    /// …and why it may ("set by your administrator in hubs.ini", …).
    pub hub_reason: Option<&'static str>,
    /// A `session_check` host that is not used: nothing pairs it with the identity provider.
    pub unused_check: Option<String>,
}

impl From<&hublink_core::hub_check::TokenRecipients> for TokenView {
    fn from(r: &hublink_core::hub_check::TokenRecipients) -> TokenView {
        TokenView {
            identity_provider: r.identity_provider.clone(),
            hub: r.hub.as_ref().map(|(host, _)| host.clone()),
            hub_reason: r.hub.as_ref().map(|(_, why)| why.describe()),
            unused_check: r.unpaired_check.clone(),
        }
    }
}

impl ProposalView {
    pub fn new(id: u64, p: &Proposal, already_present: bool, received_from: &'static str) -> ProposalView {
        let s = &p.settings;
        let (origin, origin_detail) = match &p.origin {
            // The page words the origin itself; the detail is only what it cannot know.
            ProposalOrigin::Link => ("link", String::new()),
            ProposalOrigin::PublishedByHub(u) => ("published_by_hub", format!("({u})")),
            ProposalOrigin::AddressAsIssuer(_) => ("address_as_issuer", String::new()),
        };
        ProposalView {
            proposal_id: id,
            hub_id: p.hub_id().to_string(),
            name: s.name.clone(),
            host: s.display_host(),
            url: s.url.to_string(),
            issuer: s.display_issuer(),
            client_id: s.client_id.clone(),
            mfa_required: s.mfa_required,
            flow: flow(s.flow),
            auth: s.auth.as_str(),
            session_check: s.session_check.as_ref().map(ToString::to_string),
            international_host: s.any_host_is_international(),
            origin,
            origin_detail,
            ignored: p.ignored.clone(),
            already_present,
            received_from,
            issued_by_organization: p.signature.is_verified(),
            signature_problem: match &p.signature {
                hublink_core::link_signing::LinkSignature::Invalid { reason } => Some(reason.clone()),
                _ => None,
            },
            token: p.token_recipients.as_ref().map(TokenView::from),
        }
    }
}

#[derive(Serialize)]
pub struct AddView {
    pub hub: HubView,
    pub already_present: bool,
}

impl From<AddOutcome> for AddView {
    fn from(a: AddOutcome) -> Self {
        AddView { hub: HubView::new(&a.hub, None), already_present: a.already_present }
    }
}

/// The settings dialog.
#[derive(Serialize, serde::Deserialize)]
pub struct PreferencesView {
    pub start_at_login: bool,
    pub keep_running: bool,
    pub renew_warning_days: u32,
}

#[derive(Serialize)]
pub struct SignedInView {
    pub user: String,
    pub expires_at: Option<String>,
    pub session_ends_at: Option<String>,
    /// The new session already ends inside the user's warning window (`max_session_days` shorter
    /// than the window).
    pub renew_due: bool,
}

impl SignedInView {
    pub fn new(s: SignedIn, preferences: &Preferences) -> SignedInView {
        SignedInView {
            renew_due: preferences.renew_due(s.session_ends_at, s.now),
            user: s.user,
            expires_at: s.expires_at.map(rfc3339),
            session_ends_at: s.session_ends_at.map(rfc3339),
        }
    }
}

#[derive(Serialize, Clone)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProgressKind {
    BrowserOpened {
        url: String,
    },
    /// `auth=web`: the hub's sign-in page is open in a Hublink window.
    WindowOpened {
        url: String,
    },
    BrowserFailed {
        url: String,
        reason: String,
    },
    DeviceCode {
        user_code: String,
        verification_uri: String,
        verification_uri_complete: Option<String>,
        expires_in_secs: u64,
    },
    Verifying,
}

#[derive(Serialize, Clone)]
pub struct ProgressView {
    pub hub_id: String,
    #[serde(flatten)]
    pub kind: ProgressKind,
}

impl ProgressView {
    pub fn new(hub_id: &HubId, p: Progress) -> ProgressView {
        let kind = match p {
            Progress::BrowserOpened { url } => ProgressKind::BrowserOpened { url: url.to_string() },
            Progress::WindowOpened { url } => ProgressKind::WindowOpened { url: url.to_string() },
            Progress::BrowserFailed { url, reason } => ProgressKind::BrowserFailed { url: url.to_string(), reason },
            Progress::DeviceCode { user_code, verification_uri, verification_uri_complete, expires_in } => {
                ProgressKind::DeviceCode {
                    user_code,
                    verification_uri,
                    verification_uri_complete,
                    expires_in_secs: expires_in.as_secs(),
                }
            }
            Progress::Verifying => ProgressKind::Verifying,
        };
        ProgressView { hub_id: hub_id.to_string(), kind }
    }
}
