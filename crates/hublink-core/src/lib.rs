//! Hublink's engine: authentication links and hubs.ini in, signed-in hub sessions out.
//!
//! GUI-free by design: the `hublink` CLI and the desktop shell are thin layers over [`Hublink`].
//! Layers, inside out:
//! - parse at the edge into types: [`settings`], [`link`], [`hubs_ini`], and the organisation's [`policy`];
//! - talk to the outside world: [`oidc`] (the identity provider), [`loopback`], [`browser`],
//!   [`store`] (the OS keyring), [`registry`] (hubs.json), [`http`], [`clock`];
//! - keep sessions: [`sessions`] (the session keeper) over [`session`] (what is stored);
//! - sign in: [`sign_in`], the seam every way of signing in plugs into;
//! - the use cases: [`use_cases`], one type each, behind the [`Hublink`] facade ([`app`]);
//! - [`error`]: the one taxonomy every failure is reported in, and [`ErrorReport`], its form
//!   for the CLI's `--json` and the desktop page.

pub mod app;
pub mod browser;
pub mod catalog;
pub mod clock;
pub mod doctor;
pub mod error;
pub mod fsutil;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod http;
pub mod hub_check;
pub mod hubs_ini;
pub mod link;
pub mod link_signing;
pub mod loopback;
pub mod oidc;
pub mod paths;
pub mod platform;
pub mod policy;
pub mod preferences;
pub mod registry;
pub mod secret;
pub mod session;
pub mod sessions;
pub mod settings;
pub mod sign_in;
pub mod store;
pub mod use_cases;
pub mod web;

pub use app::{Hublink, Parts};
pub use catalog::{Catalog, Hub, Source};
pub use error::{Error, ErrorReport, ExitCode, Result};
pub use secret::Secret;
pub use session::SessionState;
pub use settings::HubId;
pub use sign_in::{LoginOptions, Progress, SignedIn};
pub use use_cases::{AddOutcome, HubStatus, Proposal, ProposalOrigin, Revocation, SignedOut};
