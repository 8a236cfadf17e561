//! Hubs whose session is their own cookie (`auth=web`): a Qlik Sense Enterprise virtual proxy
//! running SAML or OIDC, Tableau Server, an internal portal. The hub's own sign-in runs in a
//! Hublink window ([`crate::sign_in::web`]); this module holds what the engine needs around
//! it without a window: which cookies to keep ([`cookies`]) and whether the hub still accepts
//! one ([`check`]).

pub mod check;
pub mod cookies;

pub use check::{WebCheck, probe, reachable};
pub use cookies::{CookiesBefore, WebCookie, idp_cookies, session_cookie};
