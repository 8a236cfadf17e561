//! OpenID Connect authorization code + PKCE in the system browser, with a loopback redirect
//! (RFC 6749 §4.1, RFC 7636, RFC 8252 §7.3, RFC 9207 `iss` when sent).

use crate::error::{Error, Result};
use crate::http;
use crate::loopback::{Callback, CallbackResult, Loopback};
use crate::oidc::{self, Idp, PendingAuthorization};
use crate::secret::AuthorizationCode;

use super::{Progress, SignInContext, SignedIn};

/// The rule: the listener exists before the browser opens (no answer can arrive too early);
/// if no browser opens, the user is shown the address; the browser tab ends on the real
/// outcome, shown only after the session is stored.
pub struct BrowserCode;

impl BrowserCode {
    pub async fn run(&self, ctx: &SignInContext<'_>) -> Result<SignedIn> {
        let loopback = Loopback::bind(ctx.hub.settings.redirect_port).await?;
        let pending = ctx.idp.authorize(&loopback.redirect_uri());
        if !crate::settings::is_secure_endpoint(&pending.url) {
            return Err(Error::Discovery {
                issuer: ctx.hub.settings.issuer.clone(),
                detail: "its authorization endpoint is not an http(s) address".into(),
            });
        }
        match ctx.browser.open(&pending.url) {
            Ok(()) => (ctx.progress)(Progress::BrowserOpened { url: pending.url.clone() }),
            Err(reason) => {
                (ctx.progress)(Progress::BrowserFailed { url: pending.url.clone(), reason: reason.to_string() })
            }
        }
        let state = pending.state.expose().to_owned();
        let timeout = ctx.options.timeout;
        let callback = tokio::time::timeout(timeout, loopback.accept(&state)).await.map_err(|_| {
            Error::TimedOut { seconds: timeout.as_secs(), waiting_for: "the sign-in to finish in the browser".into() }
        })??;
        (ctx.progress)(Progress::Verifying);
        let outcome = redeem(ctx, &callback, pending).await;
        match &outcome {
            Ok(signed_in) => {
                callback.finish(Ok(format!("Signed in to {} as {}.", ctx.hub.settings.name, signed_in.user))).await;
            }
            Err(e) => callback.finish(Err(e)).await,
        }
        outcome
    }
}

/// The callback's code, redeemed, verified, accepted by the hub and stored.
async fn redeem(ctx: &SignInContext<'_>, callback: &Callback, pending: PendingAuthorization) -> Result<SignedIn> {
    let code = code_of(ctx.idp, &callback.result)?;
    let sign_in = ctx.idp.exchange_code(&code, pending).await?;
    ctx.acceptor.accept(sign_in.into()).await
}

fn code_of(idp: &Idp, result: &CallbackResult) -> Result<AuthorizationCode> {
    match result {
        CallbackResult::Error { error, description } => {
            Err(Error::oauth("the identity provider's sign-in", None, error.clone(), description.clone()))
        }
        CallbackResult::Code { iss: Some(iss), .. } if !oidc::same_issuer(iss, idp.published_issuer()) => {
            Err(Error::Callback(format!(
                "the answer came from issuer {}, not from {} (possible mix-up attack)",
                http::shorten(iss),
                idp.published_issuer()
            )))
        }
        CallbackResult::Code { code, .. } => Ok(code.clone()),
    }
}
