//! The use cases: one type each, with one `run`, and the rule it implements in its doc comment.
//! They work over the wired [`Parts`](crate::app::Parts) and the [`SessionKeeper`]; the
//! [`Hublink`](crate::Hublink) facade gives the shells one entry point to all of them.

mod access;
mod add;
mod check_files;
mod hide;
mod keep_fresh;
mod open;
mod remove;
mod restore;
mod sign_in;
mod sign_out;

pub use access::{Access, AccessForScripts, AuthHeader};
pub use add::{Add, AddOutcome, PrepareAdd, Proposal, ProposalOrigin};
pub use check_files::{CheckHubsFiles, HubsFilesReport};
pub use hide::Hide;
pub use keep_fresh::KeepFresh;
pub use open::{ForgetWebData, OpenHub, Opening};
pub use remove::Remove;
pub use restore::{HubStatus, RestoreAll, RestoreOne};
pub use sign_in::SignIn;
pub use sign_out::{Revocation, SignOut, SignedOut};
