//! Asking the hub whether it accepts a session — and first, who may receive the identity
//! provider's access token to answer that.
//!
//! The rule: an identity provider's token goes to the identity provider, or to a hub the
//! organisation paired with it. A hub's `session_check` receives the token only when it is on
//! the issuer's own host, or the hub comes from hubs.ini, or its link carries the
//! organisation's good signature, or the policy's `AllowedHosts` names its host. Otherwise —
//! a link that pairs the organisation's real IdP with some other host — the session is checked
//! at the identity provider's own userinfo endpoint, and the link's `session_check` is not used
//! (the add confirmation says so). A refusal is "server authentication failed" with the hub's
//! own reason.

use url::Url;

use crate::catalog::{Hub, Source};
use crate::error::Result;
use crate::oidc::{self, Idp};
use crate::policy::Policy;
use crate::secret::AccessToken;
use crate::settings::{Auth, HubSettings};

/// Why a hub's `session_check` may receive the identity provider's access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pairing {
    /// It is on the issuer's own host.
    SameHost,
    /// The hub comes from a hubs.ini file (an administrator's deployment).
    HubsIni,
    /// The link carries a signature the organisation's keys verify.
    SignedLink,
    /// The organisation's `AllowedHosts` names its host.
    AllowedHosts,
}

impl Pairing {
    /// Why, in a few words ("on the identity provider's host", …).
    pub fn describe(self) -> &'static str {
        match self {
            Pairing::SameHost => "on the identity provider's own host",
            Pairing::HubsIni => "set by your administrator in hubs.ini",
            Pairing::SignedLink => "in a link signed by your organization",
            Pairing::AllowedHosts => "on a host your organization's policy allows",
        }
    }
}

/// What an administrator's act says about a hub, before its addresses are looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provenance {
    HubsIni,
    SignedLink,
    /// A link without a good signature, a published settings file or a typed address.
    Unvouched,
}

impl Provenance {
    /// A hub in the catalog: hubs.ini, or a link the organisation's keys verify as confirmed.
    pub fn of(hub: &Hub, policy: &Policy) -> Provenance {
        match &hub.source {
            Source::HubsIni { .. } => Provenance::HubsIni,
            Source::Link { .. } if policy.signed_link(hub) => Provenance::SignedLink,
            Source::Link { .. } => Provenance::Unvouched,
        }
    }
}

/// Whether `settings`' own `session_check` may receive the token, and why.
pub fn pairing(settings: &HubSettings, provenance: Provenance, policy: &Policy) -> Option<Pairing> {
    let check = settings.session_check.as_ref()?;
    let same_host = Url::parse(&settings.issuer)
        .ok()
        .and_then(|issuer| issuer.host_str().map(str::to_ascii_lowercase))
        .is_some_and(|issuer| check.host_str().is_some_and(|h| h.eq_ignore_ascii_case(&issuer)));
    if same_host {
        return Some(Pairing::SameHost);
    }
    match provenance {
        Provenance::HubsIni => Some(Pairing::HubsIni),
        Provenance::SignedLink => Some(Pairing::SignedLink),
        Provenance::Unvouched if policy.allowed_hosts.is_some() && policy.check_host("", check).is_ok() => {
            Some(Pairing::AllowedHosts)
        }
        Provenance::Unvouched => None,
    }
}

/// Who receives the identity provider's access token for a hub, as the add confirmation says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecipients {
    /// The identity provider's host (its token, userinfo and revocation endpoints).
    pub identity_provider: String,
    /// The hub's session-check host when it receives the token, and why it may.
    pub hub: Option<(String, Pairing)>,
    /// The host of a `session_check` that is not used: nothing pairs it with the identity provider.
    pub unpaired_check: Option<String>,
}

impl TokenRecipients {
    /// `None` for a cookie hub (`auth=web`): it receives no identity provider's token.
    pub fn of(settings: &HubSettings, provenance: Provenance, policy: &Policy) -> Option<TokenRecipients> {
        if settings.auth == Auth::Web {
            return None;
        }
        let host = |u: &Url| crate::settings::host_with_port(u);
        let identity_provider = Url::parse(&settings.issuer).map_or_else(|_| settings.issuer.clone(), |u| host(&u));
        let check = settings.session_check.as_ref();
        Some(match (check, pairing(settings, provenance, policy)) {
            (Some(url), Some(why)) => {
                TokenRecipients { identity_provider, hub: Some((host(url), why)), unpaired_check: None }
            }
            (check, _) => TokenRecipients { identity_provider, hub: None, unpaired_check: check.map(host) },
        })
    }
}

/// GET the hub's session check with the bearer token — its own when paired ([`pairing`]),
/// else the issuer's userinfo endpoint. Neither: nothing to ask, accepted.
pub async fn accepts(idp: &Idp, hub: &Hub, policy: &Policy, access: &AccessToken) -> Result<()> {
    let paired = pairing(&hub.settings, Provenance::of(hub, policy), policy).is_some();
    let own = hub.settings.session_check.as_ref().filter(|_| paired);
    if own.is_none() && hub.settings.session_check.is_some() {
        tracing::info!(hub = %hub.settings.name, "session_check is not paired with the issuer: asking its userinfo instead");
    }
    match own.or(idp.userinfo_endpoint.as_ref()) {
        Some(url) => oidc::bearer_accepted(idp.http(), url, access).await,
        None => {
            tracing::info!(hub = %hub.settings.name, "no session check and no userinfo endpoint: the hub is not asked");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::AuthLink;

    fn settings(link: &str) -> HubSettings {
        AuthLink::parse(link).unwrap().settings
    }

    const ATTACK: &str = "hublink://add?url=https://hub.evil.example/&issuer=https://login.corp.example/realms/c&session_check=https://hub.evil.example/steal";

    #[test]
    fn a_session_check_off_the_issuers_host_needs_the_organisation() {
        let s = settings(ATTACK);
        let open = Policy::default();
        assert_eq!(pairing(&s, Provenance::Unvouched, &open), None);
        assert_eq!(pairing(&s, Provenance::HubsIni, &open), Some(Pairing::HubsIni));
        assert_eq!(pairing(&s, Provenance::SignedLink, &open), Some(Pairing::SignedLink));
        let allowed = |hosts: &str| {
            let map = serde_json::json!({ "AllowedHosts": hosts.split(',').collect::<Vec<_>>() });
            Policy::from_map("test".into(), map.as_object().unwrap()).unwrap()
        };
        assert_eq!(pairing(&s, Provenance::Unvouched, &allowed("*.evil.example")), Some(Pairing::AllowedHosts));
        assert_eq!(pairing(&s, Provenance::Unvouched, &allowed("*.corp.example")), None);
        // On the issuer's host (a Qlik virtual proxy that is its own IdP), any port: paired.
        let own = settings(
            "hublink://add?url=https://Login.corp.example:8443/hub/&issuer=https://login.corp.example/realms/c&session_check=/hub/api/session",
        );
        assert_eq!(pairing(&own, Provenance::Unvouched, &open), Some(Pairing::SameHost));
        // No session_check: nothing to pair; the userinfo endpoint is asked.
        assert_eq!(
            pairing(&settings("hublink://add?url=https://hub.evil.example/"), Provenance::Unvouched, &open),
            None
        );
    }

    #[test]
    fn the_recipients_name_the_hosts_a_confirmation_shows() {
        let open = Policy::default();
        let r = TokenRecipients::of(&settings(ATTACK), Provenance::Unvouched, &open).unwrap();
        assert_eq!(r.identity_provider, "login.corp.example");
        assert_eq!((r.hub, r.unpaired_check.as_deref()), (None, Some("hub.evil.example")));
        let r = TokenRecipients::of(&settings(ATTACK), Provenance::SignedLink, &open).unwrap();
        assert_eq!(r.hub, Some(("hub.evil.example".to_owned(), Pairing::SignedLink)));
        assert_eq!(r.unpaired_check, None);
        let web = settings("hublink://add?url=https://qlik.example/&auth=web&session_check=/qps/user");
        assert_eq!(TokenRecipients::of(&web, Provenance::Unvouched, &open), None);
    }
}
