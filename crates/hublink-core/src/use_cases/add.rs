//! Adding a hub: from what the user pasted to a proposal they confirm, then to the registry.

use std::sync::Arc;

use url::Url;

use crate::app::Parts;
use crate::catalog::{Hub, Source};
use crate::error::{Error, Result};
use crate::http;
use crate::hub_check::{Provenance, TokenRecipients};
use crate::link::{AuthLink, UserInput};
use crate::link_signing::LinkSignature;
use crate::registry::{LinkRecord, Registry};
use crate::settings::{Context, HubId, HubSettings};

/// The most read of a hub's `/.well-known/hublink.json`.
const MAX_PUBLISHED_SETTINGS_BYTES: usize = 64 * 1024;

/// A hub about to be added, for the user to confirm.
#[derive(Debug, Clone)]
pub struct Proposal {
    /// As they will be used: the organisation's policy already applied.
    pub settings: HubSettings,
    /// Parameters the link carried that Hublink does not know (reported, never acted on).
    pub ignored: Vec<String>,
    pub origin: ProposalOrigin,
    /// A link's signature, judged by the organisation's keys ("issued by your organization").
    pub signature: LinkSignature,
    /// The link's `sig` itself, kept with the hub so later rules can judge it again.
    pub sig: Option<String>,
    /// Who will receive the identity provider's access token (`None`: a cookie hub receives none).
    pub token_recipients: Option<TokenRecipients>,
    /// The settings as the link (or the hub) gave them, before the policy applied: what is
    /// stored and what the signature covers.
    as_given: HubSettings,
}

impl Proposal {
    /// The identity the hub will have once added.
    pub fn hub_id(&self) -> HubId {
        self.settings.id()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProposalOrigin {
    /// An authentication link.
    Link,
    /// A hub address whose `/.well-known/hublink.json` described it.
    PublishedByHub(Url),
    /// A hub address that publishes nothing: it is taken as its own issuer.
    AddressAsIssuer(Url),
}

#[derive(Debug, Clone)]
pub struct AddOutcome {
    pub hub: Hub,
    /// The same hub (same URL and client) was already there; nothing changed.
    pub already_present: bool,
}

/// Turn what the user pasted into a hub to confirm: an authentication link as it is, or a hub
/// address via its published `/.well-known/hublink.json` (else the address is its own issuer).
/// The organisation's policy is consulted first — `AllowUserHubs`, `RequireSignedLinks`, and
/// `AllowedHosts` for the typed address before any request is made — and again on what the hub
/// published. Nothing is added here.
pub struct PrepareAdd {
    parts: Arc<Parts>,
}

impl PrepareAdd {
    pub fn new(parts: &Arc<Parts>) -> PrepareAdd {
        PrepareAdd { parts: parts.clone() }
    }

    pub async fn run(&self, input: &str) -> Result<Proposal> {
        let policy = &self.parts.policy;
        let mut proposal = match crate::link::parse_user_input(input)? {
            UserInput::Link(link) => {
                let signature = policy.check_signature(&link)?;
                let AuthLink { settings, ignored, signature: sig } = link;
                Proposal {
                    as_given: settings.clone(),
                    settings,
                    ignored,
                    origin: ProposalOrigin::Link,
                    signature,
                    sig,
                    token_recipients: None,
                }
            }
            UserInput::HubAddress(address) => {
                policy.check_user_may_add()?;
                policy.check_typed_address_allowed()?;
                policy.check_host("the hub", &address)?;
                retrieve_from_hub(address).await?
            }
        };
        policy.check_user_hub(&proposal.settings)?;
        policy.apply(&mut proposal.settings);
        let provenance = if proposal.signature.is_verified() { Provenance::SignedLink } else { Provenance::Unvouched };
        proposal.token_recipients = TokenRecipients::of(&proposal.settings, provenance, policy);
        Ok(proposal)
    }
}

/// "Retrieve the link from the hub": its `/.well-known/hublink.json`, else a Qlik Sense hub's
/// desktop-link fields (`api/hub/v1/desktoplink`, which proposes `auth=web` with Qlik's
/// defaults), else the address as its own issuer.
async fn retrieve_from_hub(address: Url) -> Result<Proposal> {
    let published = |settings: HubSettings, ignored, from: Url| Proposal {
        as_given: settings.clone(),
        settings,
        ignored,
        origin: ProposalOrigin::PublishedByHub(from),
        signature: LinkSignature::Unsigned,
        sig: None,
        token_recipients: None,
    };
    let well_known = join(&address, "/.well-known/hublink.json")?;
    if let Some(json) = fetch_json(&well_known, "the hub's published settings").await? {
        let (settings, ignored) = HubSettings::from_well_known_json(&address, &json)?;
        return Ok(published(settings, ignored, well_known));
    }
    let desktop_link = join(&address, "api/hub/v1/desktoplink")?;
    if let Some(json) = fetch_json(&desktop_link, "the Qlik Sense hub's desktop link").await? {
        let (settings, ignored) = HubSettings::from_qlik_desktop_link(&address, &json)?;
        return Ok(published(settings, ignored, desktop_link));
    }
    let (settings, ignored) = HubSettings::from_pairs([("url", address.as_str())], Context::Link)?;
    Ok(Proposal {
        as_given: settings.clone(),
        settings,
        ignored,
        origin: ProposalOrigin::AddressAsIssuer(address),
        signature: LinkSignature::Unsigned,
        sig: None,
        token_recipients: None,
    })
}

fn join(address: &Url, path: &str) -> Result<Url> {
    address.join(path).map_err(|e| Error::BadAddress { what: "the hub's published settings", detail: e.to_string() })
}

/// GET `url` as JSON. `None` when the hub publishes nothing there: another status, or a web
/// page instead of JSON (a hub that answers every path with its web page).
async fn fetch_json(url: &Url, what: &str) -> Result<Option<serde_json::Value>> {
    let response = http::plain_client()?
        .get(url.clone())
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| http::classify(e, what, Some(url)))?;
    let is_json = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    if !(response.status().is_success() && is_json) {
        return Ok(None);
    }
    let body = http::read_bounded(response, MAX_PUBLISHED_SETTINGS_BYTES, what, url).await?;
    serde_json::from_slice(&body).map(Some).map_err(|_| Error::Protocol(format!("{url} is not valid JSON")))
}

/// Add a confirmed hub. The same hub (normalized URL + client) is only ever there once; a hub
/// an administrator provides wins over the same hub from a link. The policy is asked again (it
/// may have changed since the proposal), and a user-added hub may not take the name of an
/// administrator's hub on another host (a look-alike "Finance Hub" is refused, not listed).
pub struct Add {
    parts: Arc<Parts>,
}

impl Add {
    pub fn new(parts: &Arc<Parts>) -> Add {
        Add { parts: parts.clone() }
    }

    pub fn run(&self, proposal: &Proposal, existing: &[Hub]) -> Result<AddOutcome> {
        let settings = &proposal.settings;
        let id = settings.id();
        if let Some(hub) = existing.iter().find(|h| h.id == id) {
            return Ok(AddOutcome { hub: hub.clone(), already_present: true });
        }
        self.parts.policy.check_user_hub(settings)?;
        if let Some(admin) = crate::catalog::administrator_hub_named(existing, settings) {
            return Err(Error::NameTaken {
                name: settings.name.clone(),
                admin_host: admin.settings.display_host(),
                host: settings.display_host(),
            });
        }
        let link = AuthLink::generate(&proposal.as_given);
        let link_text = link.clone();
        let added_at = self.parts.clock.now();
        let (added, _) = Registry::new(&self.parts.paths).update(|data| {
            if data.hubs.iter().any(|r| r.id == id) {
                return false;
            }
            data.hubs.push(LinkRecord { id: id.clone(), link, signature: proposal.sig.clone(), added_at });
            true
        })?;
        let hub = Hub {
            id,
            settings: settings.clone(),
            source: Source::Link { link: link_text, signature: proposal.sig.clone() },
            hidden: false,
        };
        Ok(AddOutcome { hub, already_present: !added })
    }
}
