//! The device authorization grant (RFC 8628): a code the user enters on any device, for remote
//! desktops, SSH sessions and locked-down browsers.

use crate::error::Result;

use super::{Progress, SignInContext, SignedIn};

/// The rule: the user has until the code expires or Hublink stops waiting, whichever comes
/// first; the token endpoint is polled at the server's interval.
pub struct DeviceGrant;

impl DeviceGrant {
    pub async fn run(&self, ctx: &SignInContext<'_>) -> Result<SignedIn> {
        let details = ctx.idp.device_start().await?;
        let timeout = ctx.options.timeout.min(details.expires_in);
        (ctx.progress)(Progress::DeviceCode {
            user_code: details.user_code.clone(),
            verification_uri: details.verification_uri.clone(),
            verification_uri_complete: details.verification_uri_complete.clone(),
            expires_in: timeout,
        });
        let sign_in = ctx.idp.device_poll(&details, timeout).await?;
        (ctx.progress)(Progress::Verifying);
        ctx.acceptor.accept(sign_in.into()).await
    }
}
