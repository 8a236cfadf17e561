//! All the hubs this user has: admin-provided ones from hubs.ini and the ones added from links,
//! merged by identity (the administrator's entry wins), and the `<hub>` argument resolved
//! against them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::hubs_ini::{self, IniFingerprint, IniLoad};
pub use crate::hubs_ini::{IniProblem, fingerprint};
use crate::link::AuthLink;
pub use crate::registry::SessionRecord;
use crate::registry::{Registry, RegistryData, RegistryWarning};
use crate::settings::{HubId, HubSettings};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// Added by the user from an authentication link or a hub address: the canonical link as
    /// the user confirmed it (before the policy changed any setting) and its `sig`, kept so the
    /// organisation's keys can judge it again later.
    Link { link: String, signature: Option<String> },
    /// From a hubs.ini file: the machine-wide folder (the administrator's) or the per-user one
    /// (which the user can write, so policy treats its hubs as user-added).
    HubsIni { file: PathBuf, section: String, line: usize, machine_wide: bool },
}

impl Source {
    /// `link` or `hubs.ini`, as in `--json`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Source::Link { .. } => "link",
            Source::HubsIni { .. } => "hubs.ini",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Hub {
    pub id: HubId,
    pub settings: HubSettings,
    pub source: Source,
    pub hidden: bool,
}

impl Hub {
    /// Provided by the administrator in the machine-wide folder (not removable; its name is
    /// protected; policy does not restrict it).
    pub fn from_administrator(&self) -> bool {
        matches!(self.source, Source::HubsIni { machine_wide: true, .. })
    }
}

#[derive(Debug, Default, Clone)]
pub struct Catalog {
    pub hubs: Vec<Hub>,
    /// Problems in hubs.ini files (each with file, line and reason).
    pub ini_problems: Vec<IniProblem>,
    /// Registry files set aside, link records that no longer parse.
    pub warnings: Vec<String>,
    /// What was last known of each hub's session, by identity (from the same registry read).
    pub sessions: BTreeMap<HubId, SessionRecord>,
}

/// The administrator's (machine-wide) hub among `hubs` whose friendly name `settings` would
/// take on another host — the one rule behind refusing such a link and leaving out such a
/// per-user hubs.ini entry.
pub fn administrator_hub_named<'a>(hubs: &'a [Hub], settings: &HubSettings) -> Option<&'a Hub> {
    let name = settings.name.to_lowercase();
    hubs.iter().find(|h| {
        h.from_administrator()
            && h.settings.name.to_lowercase() == name
            && h.settings.display_host() != settings.display_host()
    })
}

/// The hubs.ini folders, machine-wide first (its entry wins when both name the same hub), then
/// the per-user `HUBLINK_HUBS_DIR` (or Documents/Hublink/Hubs).
pub fn hubs_ini_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![hubs_ini::machine_hubs_dir()];
    dirs.extend(hubs_ini::user_hubs_dir());
    dirs
}

/// The catalog, read once and revalidated on every use: the hubs.ini folders by their
/// [`IniFingerprint`] (a listing and file times — parsing is what costs), the registry by
/// reading it (one small file, which another process — the CLI — may have changed). So a
/// desktop start that checks N hubs parses hubs.ini once, not N times.
#[derive(Default)]
pub struct CatalogCache {
    ini: Mutex<Option<(IniFingerprint, IniLoad)>>,
    /// The `ca_file` problems of the cached hubs, by the CA files' own fingerprint: a
    /// lookup (every `check_hub`) stats them instead of reading them.
    ca_files: Mutex<Option<(CaFilesSeen, Vec<hubs_ini::IniProblem>)>>,
}

/// The CA files the hubs name, and their fingerprint (times and sizes).
type CaFilesSeen = (Vec<PathBuf>, IniFingerprint);

impl CatalogCache {
    /// [`hubs_ini::ca_file_problems`], read again only when a CA file changed.
    fn ca_file_problems(&self, ini: &IniLoad) -> Vec<hubs_ini::IniProblem> {
        let files: Vec<PathBuf> = ini.hubs.iter().filter_map(|h| h.settings.ca_file.clone()).collect();
        let fingerprint = (files.clone(), hubs_ini::fingerprint(&files));
        let mut cached = self.ca_files.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match cached.as_ref() {
            Some((seen, problems)) if *seen == fingerprint => problems.clone(),
            _ => cached.insert((fingerprint, hubs_ini::ca_file_problems(ini))).1.clone(),
        }
    }

    /// The catalog, with the organisation's `policy` applied to every hub's settings.
    pub fn catalog(
        &self,
        ini_dirs: &[PathBuf],
        registry: &Registry,
        policy: &crate::policy::Policy,
    ) -> Result<Catalog> {
        let (data, warnings) = registry.load()?;
        let fingerprint = hubs_ini::fingerprint(ini_dirs);
        let mut cached = self.ini.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let ini = match cached.as_ref() {
            Some((seen, ini)) if *seen == fingerprint => ini,
            _ => &cached.insert((fingerprint, hubs_ini::load_dirs(ini_dirs))).1,
        };
        let mut ini = ini.clone();
        drop(cached);
        ini.problems.extend(self.ca_file_problems(&ini));
        let mut catalog = Catalog::from_parts(ini, &data, warnings);
        for hub in &mut catalog.hubs {
            policy.apply(&mut hub.settings);
        }
        catalog.shield_administrator_names();
        Ok(catalog)
    }
}

impl Catalog {
    /// Read everything now (no cache).
    pub fn build(ini_dirs: &[PathBuf], registry: &RegistryData, registry_warnings: Vec<RegistryWarning>) -> Catalog {
        let mut ini = hubs_ini::load_dirs(ini_dirs);
        ini.problems.extend(hubs_ini::ca_file_problems(&ini));
        Catalog::from_parts(ini, registry, registry_warnings)
    }

    fn from_parts(ini: IniLoad, registry: &RegistryData, registry_warnings: Vec<RegistryWarning>) -> Catalog {
        let mut catalog = Catalog {
            ini_problems: ini.problems,
            warnings: registry_warnings.iter().map(|w| w.to_string()).collect(),
            sessions: registry.sessions.clone(),
            ..Catalog::default()
        };
        for h in ini.hubs {
            let id = h.settings.id();
            let hidden = registry.hidden.contains(&id);
            catalog.hubs.push(Hub {
                id,
                settings: h.settings,
                source: Source::HubsIni {
                    machine_wide: h.file.starts_with(hubs_ini::machine_hubs_dir()),
                    file: h.file,
                    section: h.section,
                    line: h.line,
                },
                hidden,
            });
        }
        for record in &registry.hubs {
            match AuthLink::parse(&record.link) {
                Ok(link) => {
                    let id = link.settings.id();
                    if catalog.hubs.iter().any(|h| h.id == id) {
                        continue; // The administrator's entry for the same hub wins.
                    }
                    let source = Source::Link { link: record.link.clone(), signature: record.signature.clone() };
                    catalog.hubs.push(Hub { id, settings: link.settings, source, hidden: false });
                }
                Err(e) => catalog
                    .warnings
                    .push(format!("a saved hub ({}) can no longer be read and is skipped: {e}", record.id)),
            }
        }
        catalog
    }

    /// A hub from the per-user hubs.ini folder (which the user can write) may not take the
    /// name of an administrator's hub on another host: it is left out, and said why.
    fn shield_administrator_names(&mut self) {
        let admin: Vec<Hub> = self.hubs.iter().filter(|h| h.from_administrator()).cloned().collect();
        let mut warnings = Vec::new();
        self.hubs.retain(|h| {
            let clash = !h.from_administrator() && administrator_hub_named(&admin, &h.settings).is_some();
            if clash {
                warnings.push(format!(
                    "`{}` ({}) is not listed: your administrator provides a hub of that name on another host",
                    h.settings.name,
                    h.settings.display_host()
                ));
            }
            !clash
        });
        self.warnings.extend(warnings);
    }

    /// The hub with this identity.
    pub fn get(&self, id: &HubId) -> Result<&Hub> {
        self.hubs.iter().find(|h| h.id == *id).ok_or_else(|| Error::UnknownHub(id.to_string()))
    }

    /// Find the hub named by the user: its identity, its friendly name (case-insensitive) or
    /// its URL.
    pub fn resolve(&self, query: &str) -> Result<&Hub> {
        let q = query.trim();
        if let Some(h) = self.hubs.iter().find(|h| h.id.as_str() == q) {
            return Ok(h);
        }
        let by_name: Vec<&Hub> =
            self.hubs.iter().filter(|h| h.settings.name.to_lowercase() == q.to_lowercase()).collect();
        let matches = if by_name.is_empty() {
            match url::Url::parse(q) {
                Ok(u) => self.hubs.iter().filter(|h| same_url(&h.settings.url, &u)).collect(),
                Err(_) => vec![],
            }
        } else {
            by_name
        };
        match matches.as_slice() {
            [] => Err(Error::UnknownHub(q.to_owned())),
            [one] => Ok(one),
            many => Err(Error::AmbiguousHub {
                query: q.to_owned(),
                candidates: many.iter().map(|h| format!("{} ({})", h.settings.name, h.id)).collect(),
            }),
        }
    }
}

fn same_url(hub: &url::Url, given: &url::Url) -> bool {
    let trim = |u: &url::Url| {
        let s = u.as_str().to_owned();
        s.trim_end_matches('/').to_owned()
    };
    trim(hub) == trim(given)
}
