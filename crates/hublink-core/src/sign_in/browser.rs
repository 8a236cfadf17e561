//! OpenID Connect authorization code + PKCE in the system browser, with a loopback redirect
//! (RFC 6749 §4.1, RFC 7636, RFC 8252 §7.3) at an address of this identity provider's own
//! (RFC 9700 §4.4.2), and its `iss` checked when sent, required when announced (RFC 9207).

use crate::error::{Error, Result};
use crate::http;
use crate::loopback::{Callback, CallbackResult, Loopback};
use crate::oidc::{self, Idp, PendingAuthorization};
use crate::secret::AuthorizationCode;

use super::{Progress, SignInContext, SignedIn};

/// The rule: the listener exists before the browser opens (no answer can arrive too early) and
/// stops listening once it has the answer; if no browser opens, the user is shown the address;
/// a code is redeemed only when the answer came back to this provider's own redirect URI and
/// does not name another issuer; the browser tab ends on the real outcome, shown only after
/// the session is stored.
pub struct BrowserCode;

impl BrowserCode {
    pub async fn run(&self, ctx: &SignInContext<'_>) -> Result<SignedIn> {
        let loopback = Loopback::bind(ctx.hub.settings.redirect_port, &ctx.idp.redirect_path()).await?;
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
    let code = code_of(ctx.idp, callback)?;
    let sign_in = ctx.idp.exchange_code(&code, pending).await?;
    ctx.acceptor.accept(sign_in.into()).await
}

/// The code to redeem at `idp`'s token endpoint, or why this answer is not `idp`'s.
fn code_of(idp: &Idp, callback: &Callback) -> Result<AuthorizationCode> {
    let mix_up = |detail: String| Error::MixUp { issuer: idp.published_issuer().to_owned(), detail };
    if let Some(path) = &callback.elsewhere {
        return Err(mix_up(format!(
            "it came back to {path}, the redirect URI of another identity provider, not to this one's {} (an identity provider mix-up)",
            idp.redirect_path()
        )));
    }
    match &callback.result {
        CallbackResult::Error { error, description } => {
            Err(Error::oauth("the identity provider's sign-in", None, error.clone(), description.clone()))
        }
        CallbackResult::Code { iss: Some(iss), .. } if !oidc::same_issuer(iss, idp.published_issuer()) => {
            Err(mix_up(format!("it names the issuer {} (an identity provider mix-up)", http::shorten(iss))))
        }
        CallbackResult::Code { iss: None, .. } if idp.announces_iss() => Err(mix_up(
            "it does not name its issuer (`iss`), which this identity provider announces it always does (RFC 9207); an identity provider mix-up, or the identity provider must send `iss`".into(),
        )),
        CallbackResult::Code { code, .. } => Ok(code.clone()),
    }
}
