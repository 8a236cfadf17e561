//! Hublink's engine: authentication links and hubs.ini in, signed-in hub sessions out.
//!
//! GUI-free by design: the `hublink` CLI and the desktop shell are thin layers over [`Hublink`].
//! Layers, inside out: [`settings`]/[`link`]/[`hubs_ini`] parse input at the edge into types;
//! [`oidc`], [`loopback`], [`store`], [`registry`] talk to the outside world; [`app`] holds the
//! use cases; [`error`] is the one taxonomy every failure is reported in.

pub mod app;
pub mod browser;
pub mod catalog;
pub mod clock;
pub mod doctor;
pub mod error;
pub mod fsutil;
pub mod http;
pub mod hubs_ini;
pub mod link;
pub mod loopback;
pub mod oidc;
pub mod paths;
pub mod registry;
pub mod secret;
pub mod session;
pub mod settings;
pub mod store;

pub use app::{Hublink, LoginOptions, Parts, Progress, Proposal, ProposalOrigin, Revocation};
pub use catalog::{Catalog, Hub, Source};
pub use error::{Error, ExitCode, Result};
pub use secret::Secret;
pub use session::SessionState;
