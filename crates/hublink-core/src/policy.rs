//! Machine-wide policy (PRODUCT.md, "Policy"): what an organisation allows on its computers.
//!
//! Read once at start from the one machine-wide source of each OS ([`crate::platform`]:
//! `/etc/hublink/policy.json`, `HKLM\SOFTWARE\Policies\Hublink`, the managed preferences of
//! `app.hublink.desktop`), each turned into the same key → value map and validated here.
//! Nothing per-user is read, so nothing per-user can loosen it. A source that exists but
//! cannot be read, holds a value of the wrong type or a key that is not a rule (a misspelt rule
//! must not leave a computer open) fails closed: every command refuses to run and says why.
//!
//! The use cases consult it before anything is stored or any network call is made; every
//! refusal is [`Error::Policy`](crate::Error::Policy), which names the rule.

use ed25519_dalek::VerifyingKey;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::link_signing::{self, LinkSignature};
use crate::settings::HubSettings;

/// The rules, each `None` when the organisation did not set it (the default applies).
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Where the rules came from (a file path, a registry key, a managed preferences domain);
    /// `None` when no policy is set on this computer.
    pub origin: Option<String>,
    pub allow_user_hubs: Option<bool>,
    pub allowed_hosts: Option<Vec<HostPattern>>,
    pub require_mfa: Option<bool>,
    pub allow_insecure_storage: Option<bool>,
    pub max_session_days: Option<u32>,
    pub link_signing_keys: Option<Vec<VerifyingKey>>,
    pub require_signed_links: Option<bool>,
}

/// Why the policy cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyProblem {
    #[error("it cannot be read ({0})")]
    Unreadable(String),
    #[error("it is not a JSON object of rules ({0})")]
    NotJson(String),
    #[error("`{key}` is not a policy rule (rules: {})", RULES.join(", "))]
    UnknownRule { key: String },
    #[error("`{rule}` must be {expected}")]
    BadValue { rule: &'static str, expected: &'static str },
    #[error("`LinkSigningKeys`: {0}")]
    BadKey(String),
}

/// The rule names, as administrators write them.
pub const RULES: [&str; 7] = [
    "AllowUserHubs",
    "AllowedHosts",
    "RequireMFA",
    "AllowInsecureStorage",
    "MaxSessionDays",
    "LinkSigningKeys",
    "RequireSignedLinks",
];

/// A host pattern of `AllowedHosts`: `hub.example.com` exactly, or `*.example.com` for any
/// subdomain (not `example.com` itself). Compared case-insensitively, in punycode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern(String);

impl HostPattern {
    pub fn matches(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        match self.0.strip_prefix("*.") {
            Some(domain) => host.ends_with(&format!(".{domain}")),
            None => host == self.0,
        }
    }
}

impl std::fmt::Display for HostPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why the organisation's policy refuses something: the rule and what it refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail} (your organization's policy `{rule}`)")]
pub struct Refusal {
    pub rule: &'static str,
    pub detail: String,
}

impl Policy {
    /// Validate the rules read from `origin`.
    pub fn from_map(origin: String, map: &Map<String, Value>) -> Result<Policy, PolicyProblem> {
        let mut policy = Policy { origin: Some(origin), ..Policy::default() };
        for (key, value) in map {
            match key.as_str() {
                "AllowUserHubs" => policy.allow_user_hubs = Some(boolean("AllowUserHubs", value)?),
                "AllowedHosts" => policy.allowed_hosts = Some(host_patterns(value)?),
                "RequireMFA" => policy.require_mfa = Some(boolean("RequireMFA", value)?),
                "AllowInsecureStorage" => policy.allow_insecure_storage = Some(boolean("AllowInsecureStorage", value)?),
                "MaxSessionDays" => policy.max_session_days = Some(days(value)?),
                "LinkSigningKeys" => policy.link_signing_keys = Some(keys(value)?),
                "RequireSignedLinks" => policy.require_signed_links = Some(boolean("RequireSignedLinks", value)?),
                other => return Err(PolicyProblem::UnknownRule { key: crate::http::shorten(other) }),
            }
        }
        Ok(policy)
    }

    /// Parse a `policy.json` document.
    pub fn from_json(origin: String, bytes: &[u8]) -> Result<Policy, PolicyProblem> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| PolicyProblem::NotJson(e.to_string()))?;
        let map = value.as_object().ok_or_else(|| PolicyProblem::NotJson("the top level is not an object".into()))?;
        Policy::from_map(origin, map)
    }

    /// True when the organisation set any rule.
    pub fn is_managed(&self) -> bool {
        self.origin.is_some()
    }

    fn refuse(rule: &'static str, detail: impl Into<String>) -> Refusal {
        Refusal { rule, detail: detail.into() }
    }

    /// May the user add hubs at all (links, typed addresses)?
    pub fn check_user_may_add(&self) -> Result<(), Refusal> {
        match self.allow_user_hubs {
            Some(false) => Err(Self::refuse("AllowUserHubs", "adding hubs from links or addresses is turned off")),
            _ => Ok(()),
        }
    }

    /// May a user-added hub use this address (the hub's or its issuer's)?
    pub fn check_host(&self, what: &str, url: &url::Url) -> Result<(), Refusal> {
        let Some(patterns) = &self.allowed_hosts else { return Ok(()) };
        let host = url.host_str().unwrap_or_default();
        if patterns.iter().any(|p| p.matches(host)) {
            return Ok(());
        }
        let allowed = patterns.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        Err(Self::refuse("AllowedHosts", format!("{what} {host} is not one of the allowed hosts ({allowed})")))
    }

    /// Everything a user-added hub must pass before it is proposed, added or signed in to.
    pub fn check_user_hub(&self, settings: &HubSettings) -> Result<(), Refusal> {
        self.check_user_may_add()?;
        self.check_host("the hub", &settings.url)?;
        match url::Url::parse(&settings.issuer) {
            Ok(issuer) => self.check_host("its sign-in address", &issuer),
            // Validated settings always parse; should one not, refuse rather than pass.
            Err(_) if self.allowed_hosts.is_some() => {
                Err(Self::refuse("AllowedHosts", "its sign-in address cannot be read"))
            }
            Err(_) => Ok(()),
        }
    }

    /// The signature of a link, judged by the organisation's keys; with `RequireSignedLinks`
    /// anything but a good signature is refused.
    pub fn check_signature(&self, link: &crate::link::AuthLink) -> Result<LinkSignature, Refusal> {
        let keys = self.link_signing_keys.as_deref().unwrap_or_default();
        let signature = link_signing::verify(link, keys);
        match (&signature, self.require_signed_links) {
            (LinkSignature::Verified { .. }, _) | (_, None | Some(false)) => Ok(signature),
            (LinkSignature::Unsigned, Some(true)) => Err(Self::refuse(
                "RequireSignedLinks",
                "only links signed by your organization can be added, and this one is not signed",
            )),
            (LinkSignature::Invalid { reason }, Some(true)) => {
                Err(Self::refuse("RequireSignedLinks", format!("the link's signature is not valid: {reason}")))
            }
        }
    }

    /// May this hub be used now? The administrator's machine-wide hubs always; a hub the user
    /// added (a link, or the per-user hubs.ini folder, which the user can write) only while
    /// the rules allow it — checked again at every use, so a rule made later applies too.
    pub fn check_hub(&self, hub: &crate::catalog::Hub) -> Result<(), Refusal> {
        use crate::catalog::Source;
        match &hub.source {
            Source::HubsIni { machine_wide: true, .. } => Ok(()),
            Source::HubsIni { .. } => {
                self.check_user_hub(&hub.settings)?;
                match self.require_signed_links {
                    Some(true) => Err(Self::refuse(
                        "RequireSignedLinks",
                        "a hub from your own hubs.ini folder carries no signature; only the machine-wide folder and signed links provide hubs",
                    )),
                    _ => Ok(()),
                }
            }
            Source::Link { .. } => {
                self.check_user_hub(&hub.settings)?;
                match confirmed_link(hub) {
                    Some(link) => self.check_signature(&link).map(|_| ()),
                    None => Ok(()),
                }
            }
        }
    }

    /// A hub added from a link whose signature the organisation's keys verify (judged on the
    /// link as the user confirmed it).
    pub fn signed_link(&self, hub: &crate::catalog::Hub) -> bool {
        let keys = self.link_signing_keys.as_deref().unwrap_or_default();
        confirmed_link(hub).is_some_and(|link| link_signing::verify(&link, keys).is_verified())
    }

    /// A typed address carries no signature: with `RequireSignedLinks` only signed links add hubs.
    pub fn check_typed_address_allowed(&self) -> Result<(), Refusal> {
        match self.require_signed_links {
            Some(true) => Err(Self::refuse(
                "RequireSignedLinks",
                "only links signed by your organization can add hubs, and a typed address carries no signature",
            )),
            _ => Ok(()),
        }
    }

    /// The rules that change a hub's settings: `RequireMFA` (every OIDC hub behaves as
    /// `mfa=required`) and `MaxSessionDays` (a ceiling).
    pub fn apply(&self, settings: &mut HubSettings) {
        if self.require_mfa == Some(true) {
            settings.mfa_required = true;
        }
        if let Some(max) = self.max_session_days {
            settings.max_session_days = settings.max_session_days.min(max);
        }
    }

    /// May sessions be kept in plain files when the user asks (`HUBLINK_INSECURE_STORAGE=1`)?
    pub fn allows_insecure_storage(&self) -> bool {
        self.allow_insecure_storage != Some(false)
    }

    /// Each rule with its value in force and where it came from, for `hublink policy`.
    pub fn report(&self) -> PolicyReport {
        let origin = |set: bool| if set { self.origin.clone().unwrap_or_default() } else { "default".to_owned() };
        let rule = |name: &'static str, value: Value, set: bool| RuleReport { rule: name, value, source: origin(set) };
        let hosts = self.allowed_hosts.as_ref().map(|h| h.iter().map(ToString::to_string).collect::<Vec<_>>());
        let keys =
            self.link_signing_keys.as_ref().map(|k| k.iter().map(link_signing::public_key_text).collect::<Vec<_>>());
        PolicyReport {
            managed: self.is_managed(),
            origin: self.origin.clone(),
            rules: vec![
                rule(
                    "AllowUserHubs",
                    Value::Bool(self.allow_user_hubs.unwrap_or(true)),
                    self.allow_user_hubs.is_some(),
                ),
                rule("AllowedHosts", hosts.clone().map_or(Value::String("any".into()), Value::from), hosts.is_some()),
                rule("RequireMFA", Value::Bool(self.require_mfa.unwrap_or(false)), self.require_mfa.is_some()),
                rule(
                    "AllowInsecureStorage",
                    Value::Bool(self.allows_insecure_storage()),
                    self.allow_insecure_storage.is_some(),
                ),
                rule(
                    "MaxSessionDays",
                    self.max_session_days.map_or(Value::String("each hub's own".into()), Value::from),
                    self.max_session_days.is_some(),
                ),
                rule(
                    "LinkSigningKeys",
                    keys.clone().map_or(Value::from(Vec::<String>::new()), Value::from),
                    keys.is_some(),
                ),
                rule(
                    "RequireSignedLinks",
                    Value::Bool(self.require_signed_links.unwrap_or(false)),
                    self.require_signed_links.is_some(),
                ),
            ],
        }
    }
}

/// The policy in force, as `hublink policy --json` prints it.
#[derive(Debug, Serialize)]
pub struct PolicyReport {
    pub managed: bool,
    pub origin: Option<String>,
    pub rules: Vec<RuleReport>,
}

#[derive(Debug, Serialize)]
pub struct RuleReport {
    pub rule: &'static str,
    pub value: Value,
    /// `default`, or where the organisation set it.
    pub source: String,
}

/// A link hub's link as confirmed, not with settings the policy has changed since; `None` for
/// hubs.ini hubs.
fn confirmed_link(hub: &crate::catalog::Hub) -> Option<crate::link::AuthLink> {
    let crate::catalog::Source::Link { link, signature } = &hub.source else { return None };
    let settings = crate::link::AuthLink::parse(link).map_or_else(|_| hub.settings.clone(), |l| l.settings);
    Some(crate::link::AuthLink { settings, ignored: vec![], signature: signature.clone() })
}

/// A boolean rule: JSON `true`/`false`, or 0/1 (registry DWORDs and plist integers).
fn boolean(rule: &'static str, v: &Value) -> Result<bool, PolicyProblem> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) if n.as_u64() == Some(0) => Ok(false),
        Value::Number(n) if n.as_u64() == Some(1) => Ok(true),
        _ => Err(PolicyProblem::BadValue { rule, expected: "true or false" }),
    }
}

fn strings(rule: &'static str, v: &Value) -> Result<Vec<String>, PolicyProblem> {
    let bad = || PolicyProblem::BadValue { rule, expected: "a list of strings" };
    v.as_array().ok_or_else(bad)?.iter().map(|s| s.as_str().map(str::to_owned).ok_or_else(bad)).collect()
}

fn host_patterns(v: &Value) -> Result<Vec<HostPattern>, PolicyProblem> {
    let bad = || PolicyProblem::BadValue {
        rule: "AllowedHosts",
        expected: "a list of host names or *.domain patterns (no schemes, ports or paths)",
    };
    strings("AllowedHosts", v)?
        .into_iter()
        .map(|p| {
            let p = p.trim().to_ascii_lowercase();
            let name = p.strip_prefix("*.").unwrap_or(&p);
            let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'));
            if ok { Ok(HostPattern(p)) } else { Err(bad()) }
        })
        .collect()
}

fn days(v: &Value) -> Result<u32, PolicyProblem> {
    v.as_u64()
        .filter(|d| (1..=3650).contains(d))
        .and_then(|d| u32::try_from(d).ok())
        .ok_or(PolicyProblem::BadValue { rule: "MaxSessionDays", expected: "a whole number of days from 1 to 3650" })
}

fn keys(v: &Value) -> Result<Vec<VerifyingKey>, PolicyProblem> {
    strings("LinkSigningKeys", v)?
        .iter()
        .map(|k| link_signing::parse_public_key(k).map_err(|e| PolicyProblem::BadKey(e.to_string())))
        .collect()
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
