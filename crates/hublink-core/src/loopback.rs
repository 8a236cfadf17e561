//! The one-shot loopback redirect listener of RFC 8252 §7.3: bound to 127.0.0.1 only, it waits
//! for the one request that carries our `state`. Requests with another state (a forged or stale
//! callback) are answered 400 and ignored, so they can neither complete nor abort the sign-in.
//! It stops listening as soon as it has that request (or when its wait is given up), so no
//! second answer can reach it. The browser tab is answered only when the sign-in has finished,
//! so it shows the real outcome.
//!
//! Each sign-in listens at one address path, chosen per identity provider
//! ([`crate::oidc::redirect_path`]): an answer that carries our `state` but arrives at another
//! path was sent by an identity provider other than the one this sign-in started with (the
//! IdP mix-up of RFC 9700 §4.4.2) and ends the sign-in without being redeemed.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::error::{Error, Result};
use crate::secret::AuthorizationCode;

const MAX_REQUEST: usize = 16 * 1024;
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// The path every sign-in answer arrives under: `/callback`, or `/callback/<id>`.
const CALLBACK: &str = "/callback";

pub struct Loopback {
    listener: TcpListener,
    port: u16,
    path: String,
}

/// What the identity provider sent back.
#[derive(Debug)]
pub enum CallbackResult {
    Code { code: AuthorizationCode, iss: Option<String> },
    Error { error: String, description: Option<String> },
}

/// The accepted callback, with the browser still waiting for its page.
pub struct Callback {
    pub result: CallbackResult,
    /// The answer carried our `state` but arrived at this other path: it was sent to the
    /// redirect URI of another identity provider (printable and short).
    pub elsewhere: Option<String>,
    stream: TcpStream,
}

impl Loopback {
    /// Bind 127.0.0.1 on `port` (an ephemeral port when `None`), to receive answers at `path`
    /// (`/callback` or `/callback/<id>`).
    pub async fn bind(port: Option<u16>, path: &str) -> Result<Loopback> {
        let failed = |e: std::io::Error| match port {
            Some(p) => Error::Network {
                what: format!("the sign-in callback port 127.0.0.1:{p} (set by redirect_port)"),
                detail: format!("{e}; close the program using it, or ask your administrator for another port"),
                source: Some(crate::error::Cause::new(e)),
            },
            None => Error::Network {
                what: "a loopback port for the sign-in callback".into(),
                detail: e.to_string(),
                source: Some(crate::error::Cause::new(e)),
            },
        };
        if callback_path(path) != Some(path) {
            return Err(Error::Internal(format!("{path} is not a sign-in callback path")));
        }
        let listener = TcpListener::bind(("127.0.0.1", port.unwrap_or(0))).await.map_err(failed)?;
        let port = listener.local_addr().map_err(failed)?.port();
        Ok(Loopback { listener, port, path: path.to_owned() })
    }

    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{}", self.port, self.path)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Wait (forever: the caller bounds it) for the callback that carries `state`. The
    /// listener is consumed: it closes when the callback is taken, or when the caller stops
    /// waiting (the future is dropped).
    ///
    /// Each connection is read in its own task: browsers open speculative connections that
    /// send nothing, and one of those must not hold up the real answer.
    pub async fn accept(self, state: &str) -> Result<Callback> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<(TcpStream, Option<Vec<u8>>)>(16);
        loop {
            tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((mut stream, _)) => {
                        let tx = tx.clone();
                        tokio::spawn(async move {
                            let request = tokio::time::timeout(READ_TIMEOUT, read_request(&mut stream)).await.ok().flatten();
                            let _ = tx.send((stream, request)).await;
                        });
                    }
                    Err(e) => tracing::debug!(error = %e, "loopback accept failed"),
                },
                Some((stream, request)) = rx.recv() => {
                    if let Some(callback) = handle(stream, request, state, &self.path).await {
                        return Ok(callback);
                    }
                }
            }
        }
    }
}

/// Why the listener turned a request away, and the page it answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Not a GET with a target on its first line (or not UTF-8, or not read at all): 400.
    Unreadable,
    /// A path outside `/callback` (a favicon, a probe): 404.
    NotFound,
    /// A callback without our `state` (forged or stale): 400, and the sign-in goes on waiting.
    WrongState,
}

impl Refused {
    /// Status, title and message of the page answered.
    pub(crate) fn page(self) -> (u16, &'static str, &'static str) {
        match self {
            Refused::Unreadable => (400, "Bad request", "Hublink could not read this request."),
            Refused::NotFound => (404, "Not found", "This address only receives Hublink's sign-in answer."),
            Refused::WrongState => (
                400,
                "Sign-in not accepted",
                "This answer does not belong to the sign-in Hublink started, so it was ignored. \
                 Start the sign-in again from Hublink.",
            ),
        }
    }
}

/// What the bytes of one request (as read: the head up to its blank line, and whatever came
/// in the same reads) mean for the sign-in waiting for `state`. Pure, so that it can be tested
/// and fuzzed without a socket.
pub(crate) fn parse_request(request: &[u8], state: &str) -> std::result::Result<CallbackResult, Refused> {
    let target = request_target(request).ok_or(Refused::Unreadable)?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    callback_path(path).ok_or(Refused::NotFound)?;
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if get("state").as_deref() != Some(state) {
        return Err(Refused::WrongState);
    }
    Ok(match (get("code"), get("error")) {
        // What the identity provider wrote is shown to the user: printable and short.
        (_, Some(error)) => CallbackResult::Error {
            error: crate::http::shorten(&error),
            description: get("error_description").map(|d| crate::http::shorten(&d)),
        },
        (Some(code), None) => CallbackResult::Code {
            code: AuthorizationCode::new(code),
            iss: get("iss").map(|i| crate::http::shorten(&i)),
        },
        (None, None) => CallbackResult::Error {
            error: "invalid_request".into(),
            description: Some("the answer carried neither a code nor an error".into()),
        },
    })
}

/// `path` when it is `/callback` or below it (`/callback/<id>`).
fn callback_path(path: &str) -> Option<&str> {
    let rest = path.strip_prefix(CALLBACK)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(path)
}

/// The request target of a GET, or `None` for anything we do not serve.
fn request_target(request: &[u8]) -> Option<&str> {
    let head = std::str::from_utf8(request).ok()?;
    let mut parts = head.lines().next()?.split(' ');
    match (parts.next(), parts.next()) {
        (Some("GET"), Some(target)) => Some(target),
        _ => None,
    }
}

/// Answer one request (`None`: it could not be read); `Some` only for the callback that
/// carries our `state` — marked `elsewhere` when it arrived at another path than `ours`.
async fn handle(mut stream: TcpStream, request: Option<Vec<u8>>, state: &str, ours: &str) -> Option<Callback> {
    let request = request.unwrap_or_default();
    match parse_request(&request, state) {
        Ok(result) => {
            let path = request_target(&request).map(|t| t.split('?').next().unwrap_or(t)).unwrap_or_default();
            let elsewhere = (path != ours).then(|| crate::http::shorten(path));
            Some(Callback { result, elsewhere, stream })
        }
        Err(refused) => {
            if refused == Refused::WrongState {
                tracing::warn!("ignored a sign-in callback with a wrong or missing state");
            }
            let (status, title, message) = refused.page();
            let _ = respond(&mut stream, status, title, message).await;
            None
        }
    }
}

impl Callback {
    /// Show the outcome in the browser tab and close the connection.
    pub async fn finish(mut self, outcome: std::result::Result<String, &Error>) {
        let _ = match outcome {
            Ok(message) => respond(&mut self.stream, 200, "Signed in", &message).await,
            Err(e) => {
                let body = format!("{}: {}\n\nWhat to do: {}", e.message(), e.cause(), e.next_step());
                respond(&mut self.stream, 400, "Sign-in failed", &body).await
            }
        };
    }
}

/// The bytes of one request, read until the blank line that ends its head; `None` when the
/// connection fails, closes first or sends more than [`MAX_REQUEST`] bytes.
async fn read_request(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() + n > MAX_REQUEST {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(buf)
}

async fn respond(stream: &mut TcpStream, status: u16, title: &str, message: &str) -> std::io::Result<()> {
    let ok = status == 200;
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Hublink — {title}</title>\
         <meta name=\"viewport\" content=\"width=device-width\"><style>\
         body{{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:15vh auto;padding:0 1.5rem;color:#1b1f24}}\
         h1{{font-size:1.4rem;color:{color}}}p{{white-space:pre-wrap}}\
         @media(prefers-color-scheme:dark){{body{{background:#16181c;color:#e6e8eb}}}}</style></head>\
         <body><h1 id=\"hublink-result\" data-ok=\"{ok}\">{icon} {title}</h1><p>{message}</p>\
         <p>You can close this tab and return to Hublink.</p></body></html>",
        title = escape(title),
        message = escape(message),
        color = if ok { "#1a7f37" } else { "#cf222e" },
        icon = if ok { "✓" } else { "✕" },
    );
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(port: u16, target: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        s.write_all(format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes()).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    #[test]
    fn request_bytes_parse_without_a_socket() {
        let parse = |r: &[u8]| parse_request(r, "s");
        let Ok(CallbackResult::Code { code, iss }) =
            parse(b"GET /callback?code=c%2B1&state=s&iss=https%3A%2F%2Fi HTTP/1.1\r\nHost: x\r\n\r\n")
        else {
            panic!("expected a code")
        };
        assert_eq!((code.expose(), iss.as_deref()), ("c+1", Some("https://i")));
        let Ok(CallbackResult::Error { error, description }) = parse(b"GET /callback?state=s\r\n\r\n") else {
            panic!("expected an error")
        };
        assert_eq!((error.as_str(), description.is_some()), ("invalid_request", true));
        assert_eq!(parse(b"GET /callback?code=c&state=t HTTP/1.1\r\n\r\n").unwrap_err(), Refused::WrongState);
        assert_eq!(parse(b"GET /callback?code=c HTTP/1.1\r\n\r\n").unwrap_err(), Refused::WrongState);
        assert_eq!(parse(b"GET /callbackx?state=s HTTP/1.1\r\n\r\n").unwrap_err(), Refused::NotFound);
        assert!(matches!(
            parse(b"GET /callback/0a1b?code=c&state=s HTTP/1.1\r\n\r\n"),
            Ok(CallbackResult::Code { .. })
        ));
        assert_eq!(parse(b"GET /callback/0a1b?code=c&state=t HTTP/1.1\r\n\r\n").unwrap_err(), Refused::WrongState);
        assert_eq!(parse(b"POST /callback?state=s HTTP/1.1\r\n\r\n").unwrap_err(), Refused::Unreadable);
        assert_eq!(parse(b"GET /callback?state=s HTTP/1.1\r\n\r\n\xff").unwrap_err(), Refused::Unreadable);
        assert_eq!(parse(b"").unwrap_err(), Refused::Unreadable);
    }

    #[tokio::test]
    async fn wrong_state_is_refused_and_the_right_one_accepted() {
        let lb = Loopback::bind(None, CALLBACK).await.unwrap();
        let port = lb.port();
        assert!(lb.redirect_uri().starts_with("http://127.0.0.1:"));
        let waiter = tokio::spawn(async move {
            let cb = lb.accept("good-state").await.unwrap();
            let CallbackResult::Code { code, iss } = &cb.result else { panic!("expected a code") };
            assert_eq!(code.expose(), "the-code");
            assert_eq!(iss.as_deref(), Some("http://127.0.0.1:1"));
            cb.finish(Ok("Signed in as alice".into())).await;
        });
        let forged = get(port, "/callback?code=evil&state=bad-state").await;
        assert!(forged.starts_with("HTTP/1.1 400"), "{forged}");
        assert!(forged.contains("does not belong"));
        assert!(get(port, "/favicon.ico").await.starts_with("HTTP/1.1 404"));
        let ok = get(port, "/callback?code=the-code&state=good-state&iss=http%3A%2F%2F127.0.0.1%3A1").await;
        assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
        assert!(ok.contains("Signed in as alice"));
        waiter.await.unwrap();
    }

    #[tokio::test]
    async fn error_callbacks_carry_the_reason_and_pages_are_escaped() {
        let lb = Loopback::bind(None, CALLBACK).await.unwrap();
        let port = lb.port();
        let waiter = tokio::spawn(async move {
            let cb = lb.accept("s").await.unwrap();
            let CallbackResult::Error { error, description } = &cb.result else { panic!("expected an error") };
            assert_eq!(error, "access_denied");
            assert_eq!(description.as_deref(), Some("<b>denied</b>"));
            let e = Error::IdpRefused { error: error.clone(), description: description.clone() };
            cb.finish(Err(&e)).await;
        });
        let page = get(port, "/callback?error=access_denied&error_description=%3Cb%3Edenied%3C%2Fb%3E&state=s").await;
        assert!(page.contains("&lt;b&gt;denied"), "{page}");
        assert!(!page.contains("<b>denied"));
        waiter.await.unwrap();
    }

    #[tokio::test]
    async fn a_silent_connection_does_not_hold_up_the_callback() {
        let lb = Loopback::bind(None, CALLBACK).await.unwrap();
        let port = lb.port();
        let waiter = tokio::spawn(async move { lb.accept("s").await.unwrap().finish(Ok("ok".into())).await });
        // Like a browser's speculative connection: open, send nothing, keep it open.
        let _silent = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let started = std::time::Instant::now();
        let page = get(port, "/callback?code=c&state=s").await;
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
        assert!(started.elapsed() < READ_TIMEOUT / 2, "the real answer waited for the silent one");
        waiter.await.unwrap();
    }

    #[tokio::test]
    async fn fixed_port_in_use_is_a_clear_error() {
        let first = Loopback::bind(None, CALLBACK).await.unwrap();
        let Err(e) = Loopback::bind(Some(first.port()), CALLBACK).await else { panic!("second bind succeeded") };
        assert!(e.to_string().contains("redirect_port"), "{e}");
    }

    #[tokio::test]
    async fn our_answer_at_another_providers_path_is_taken_and_marked_elsewhere() {
        let lb = Loopback::bind(None, "/callback/0123abcd").await.unwrap();
        let (port, uri) = (lb.port(), lb.redirect_uri());
        assert_eq!(uri, format!("http://127.0.0.1:{port}/callback/0123abcd"));
        let waiter = tokio::spawn(async move {
            let cb = lb.accept("s").await.unwrap();
            assert_eq!(cb.elsewhere.as_deref(), Some("/callback"));
            cb.finish(Ok("refused".into())).await;
        });
        // Another path without our state is turned away like any forgery; with it, it ends the wait.
        assert!(get(port, "/callback/ffff?code=c&state=t").await.starts_with("HTTP/1.1 400"));
        assert!(get(port, "/callback?code=c&state=s").await.starts_with("HTTP/1.1 200"));
        waiter.await.unwrap();
        assert!(Loopback::bind(None, "/other").await.is_err());
    }

    #[tokio::test]
    async fn the_listener_closes_once_it_has_the_callback_or_stops_waiting() {
        let lb = Loopback::bind(None, CALLBACK).await.unwrap();
        let port = lb.port();
        let taken = tokio::spawn(async move { lb.accept("s").await.unwrap() });
        let answer = tokio::spawn(get(port, "/callback?code=c&state=s"));
        let callback = taken.await.unwrap();
        assert!(callback.elsewhere.is_none());
        // The browser still waits for its page, and nothing else can connect any more.
        assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err(), "still listening after the callback");
        callback.finish(Ok("ok".into())).await;
        assert!(answer.await.unwrap().starts_with("HTTP/1.1 200"));

        let lb = Loopback::bind(None, CALLBACK).await.unwrap();
        let port = lb.port();
        let waited = tokio::time::timeout(Duration::from_millis(100), lb.accept("s")).await;
        assert!(waited.is_err(), "nothing answered, the wait timed out");
        assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err(), "still listening after the timeout");
    }
}
