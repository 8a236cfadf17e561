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

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::error::{Error, Result};
use crate::secret::AuthorizationCode;

const MAX_REQUEST: usize = 16 * 1024;
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections read at once; a browser opens a handful, so this leaves room to spare.
const MAX_READING: usize = 32;
const ACCEPT_PAUSE_MIN: Duration = Duration::from_millis(10);
const ACCEPT_PAUSE_MAX: Duration = Duration::from_secs(1);

/// The path every sign-in answer arrives under: `/callback`, or `/callback/<id>`.
const CALLBACK: &str = "/callback";

pub struct Loopback {
    listener: TcpListener,
    port: u16,
    path: String,
    counts: std::sync::Arc<LoopCounts>,
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
        Ok(Loopback { listener, port, path: path.to_owned(), counts: std::sync::Arc::default() })
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
    /// send nothing, and one of those must not hold up the real answer. At most
    /// [`MAX_READING`] are read at once: a newer connection pushes out the oldest, so a flood
    /// of silent connections can neither exhaust descriptors nor make the real answer wait for
    /// the flood to time out. A failed accept (no descriptors left, say) pauses accepting,
    /// longer each time in a row, instead of retrying at once and spinning.
    pub async fn accept(self, state: &str) -> Result<Callback> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<(u64, TcpStream, Option<Vec<u8>>)>(MAX_READING);
        let mut readers = Readers::default();
        let mut backoff = Backoff::default();
        let mut paused_until: Option<tokio::time::Instant> = None;
        loop {
            self.counts.iterations.fetch_add(1, Ordering::Relaxed);
            let resume = paused_until.unwrap_or_else(tokio::time::Instant::now);
            tokio::select! {
                accepted = self.listener.accept(), if paused_until.is_none() => match accepted {
                    Ok((stream, _)) => {
                        backoff.reset();
                        readers.start(stream, tx.clone());
                    }
                    Err(e) => {
                        self.counts.accept_errors.fetch_add(1, Ordering::Relaxed);
                        tracing::debug!(error = %e, "loopback accept failed");
                        if out_of_descriptors(&e) {
                            // Ours are the ones we can give back: the oldest silent connection.
                            readers.evict_oldest();
                        }
                        paused_until = Some(tokio::time::Instant::now() + backoff.next());
                    }
                },
                () = tokio::time::sleep_until(resume), if paused_until.is_some() => paused_until = None,
                Some((id, stream, request)) = rx.recv() => {
                    readers.finished(id);
                    if let Some(callback) = handle(stream, request, state, &self.path).await {
                        return Ok(callback);
                    }
                }
            }
        }
    }

    /// How often the accept loop goes round, and how many accepts failed (for tests and
    /// measurements: a loop that spins shows up here, whatever the machine's speed); a handle
    /// that outlives [`Self::accept`], which consumes the listener.
    pub fn accept_loop_counts(&self) -> std::sync::Arc<LoopCounts> {
        self.counts.clone()
    }
}

/// The accept loop's counters; see [`Loopback::accept_loop_counts`].
#[derive(Debug, Default)]
pub struct LoopCounts {
    iterations: AtomicU64,
    accept_errors: AtomicU64,
}

impl LoopCounts {
    /// (rounds of the accept loop, failed accepts).
    pub fn get(&self) -> (u64, u64) {
        (self.iterations.load(Ordering::Relaxed), self.accept_errors.load(Ordering::Relaxed))
    }
}

/// The connections being read, oldest first.
#[derive(Default)]
struct Readers {
    next: u64,
    running: VecDeque<(u64, tokio::task::AbortHandle)>,
}

impl Readers {
    /// Read `stream`'s request in its own task (pushing out the oldest reader when full).
    fn start(&mut self, mut stream: TcpStream, tx: tokio::sync::mpsc::Sender<(u64, TcpStream, Option<Vec<u8>>)>) {
        if self.running.len() >= MAX_READING {
            self.evict_oldest();
        }
        let id = self.next;
        self.next += 1;
        let task = tokio::spawn(async move {
            let request = tokio::time::timeout(READ_TIMEOUT, read_request(&mut stream)).await.ok().flatten();
            let _ = tx.send((id, stream, request)).await;
        });
        self.running.push_back((id, task.abort_handle()));
    }

    fn finished(&mut self, id: u64) {
        self.running.retain(|(i, _)| *i != id);
    }

    /// Close the connection that has been read the longest without sending a request.
    fn evict_oldest(&mut self) {
        if let Some((_, task)) = self.running.pop_front() {
            task.abort();
        }
    }
}

impl Drop for Readers {
    /// Once the callback has come (or the sign-in was cancelled), nothing else is read.
    fn drop(&mut self) {
        for (_, task) in self.running.drain(..) {
            task.abort();
        }
    }
}

/// The pause after failed accepts: 10 ms, doubling up to 1 s; reset by an accept that works.
#[derive(Default)]
struct Backoff {
    failures: u32,
}

impl Backoff {
    fn next(&mut self) -> Duration {
        let delay = ACCEPT_PAUSE_MIN.saturating_mul(1 << self.failures.min(7)).min(ACCEPT_PAUSE_MAX);
        self.failures = self.failures.saturating_add(1);
        delay
    }

    fn reset(&mut self) {
        self.failures = 0;
    }
}

/// EMFILE/ENFILE: the process (or the system) has no descriptor left for the connection.
fn out_of_descriptors(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    return matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE));
    #[cfg(windows)]
    return e.raw_os_error() == Some(10024); // WSAEMFILE
    #[cfg(not(any(unix, windows)))]
    return false;
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

    /// Merge `figures` under `key` into target/reliability/desktop.json (scripts/reliability.sh
    /// puts them in docs/RELIABILITY.md).
    fn record_figures(key: &str, figures: serde_json::Value) {
        static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/reliability");
        let file = dir.join("desktop.json");
        let mut all: serde_json::Map<String, serde_json::Value> =
            std::fs::read(&file).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        all.insert(key.to_owned(), figures);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&file, serde_json::to_vec_pretty(&all).unwrap()).unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_flood_of_silent_connections_neither_holds_up_the_callback_nor_spins() {
        const FLOOD: usize = 300;
        let lb = Loopback::bind(None, "/callback").await.unwrap();
        let port = lb.port();
        let counts = lb.accept_loop_counts();
        let waiter = tokio::spawn(async move { lb.accept("s").await.unwrap().finish(Ok("ok".into())).await });
        let mut flood = Vec::new();
        for _ in 0..FLOOD {
            flood.push(TcpStream::connect(("127.0.0.1", port)).await.unwrap());
        }
        let until = std::time::Instant::now() + Duration::from_secs(5);
        while counts.get().0 < FLOOD as u64 && std::time::Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Only the newest MAX_READING are still being read; the server closed the others.
        let mut reads = tokio::task::JoinSet::new();
        for mut s in flood {
            reads.spawn(async move {
                let mut b = [0u8; 1];
                matches!(tokio::time::timeout(Duration::from_millis(300), s.read(&mut b)).await, Ok(Ok(0) | Err(_)))
            });
        }
        let closed = reads.join_all().await.into_iter().filter(|c| *c).count();
        assert!(closed >= FLOOD - MAX_READING, "only {closed} of {FLOOD} silent connections were closed");

        let started = std::time::Instant::now();
        let page = get(port, "/callback?code=c&state=s").await;
        let callback_ms = started.elapsed().as_millis();
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
        assert!(started.elapsed() < READ_TIMEOUT / 2, "the callback waited {callback_ms} ms behind the flood");
        waiter.await.unwrap();
        // One round per accepted connection and per finished read, plus a few: no spinning.
        let (iterations, errors) = counts.get();
        assert!(
            iterations <= 2 * (FLOOD as u64 + 1) + 10,
            "{iterations} rounds of the accept loop for {FLOOD} connections"
        );
        record_figures(
            "loopback_flood",
            serde_json::json!({ "silent_connections": FLOOD, "closed_by_server": closed, "max_read_at_once": MAX_READING,
                "accept_loop_iterations": iterations, "accept_errors": errors, "callback_ms": callback_ms }),
        );
    }

    const STARVED_CHILD: &str = "HUBLINK_TEST_FD_STARVED_CHILD";

    /// The other half of the next test: a loopback listener in a process with two descriptors to
    /// spare. Prints its port, then the accept loop's counts once the callback came.
    #[cfg(target_os = "linux")]
    #[test]
    #[ignore = "run by out_of_descriptors_the_loop_backs_off_and_the_callback_still_arrives, in a child process"]
    fn fd_starved_child() {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        if std::env::var_os(STARVED_CHILD).is_none() {
            return;
        }
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let lb = Loopback::bind(None, "/callback").await.unwrap();
            let counts = lb.accept_loop_counts();
            // The listing counts the descriptor that reads it, which is closed again after.
            let open = std::fs::read_dir("/proc/self/fd").unwrap().count() as u64;
            let hard = getrlimit(Resource::Nofile).maximum;
            setrlimit(Resource::Nofile, Rlimit { current: Some(open + 1), maximum: hard }).unwrap();
            println!("PORT {}", lb.port());
            let outcome = tokio::time::timeout(Duration::from_secs(20), lb.accept("s")).await;
            let came = matches!(outcome, Ok(Ok(_)));
            if let Ok(Ok(cb)) = outcome {
                cb.finish(Ok("ok".into())).await;
            }
            let (iterations, errors) = counts.get();
            println!("COUNTS {iterations} {errors} {came}");
        });
    }

    /// `ulimit -n` nearly reached: accepts fail with EMFILE. The loop pauses instead of spinning,
    /// gives back its oldest silent connection, and the real callback still gets through at once.
    #[cfg(target_os = "linux")]
    #[test]
    fn out_of_descriptors_the_loop_backs_off_and_the_callback_still_arrives() {
        use std::io::{BufRead, Read, Write};
        const SILENT: usize = 40;
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "loopback::tests::fd_starved_child", "--ignored", "--nocapture", "--test-threads=1"])
            .env(STARVED_CHILD, "1")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines().map_while(|l| l.ok());
        // (libtest prints "test … ... " before it on the same line.)
        let port: u16 =
            lines.find_map(|l| l.split("PORT ").nth(1).map(|p| p.trim().parse().unwrap())).expect("the child's port");
        let silent: Vec<_> = (0..SILENT).map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).unwrap()).collect();
        // A second in which the child has no descriptor for most of them.
        std::thread::sleep(Duration::from_secs(1));
        let started = std::time::Instant::now();
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        s.write_all(b"GET /callback?code=c&state=s HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut page = String::new();
        let _ = s.read_to_string(&mut page);
        let callback_ms = started.elapsed().as_millis();
        let counts = lines.find_map(|l| l.split("COUNTS ").nth(1).map(str::to_owned)).expect("the child's counts");
        child.wait().unwrap();
        drop(silent);
        let [iterations, errors, came] = counts.split(' ').collect::<Vec<_>>()[..] else { panic!("{counts}") };
        let (iterations, errors): (u64, u64) = (iterations.parse().unwrap(), errors.parse().unwrap());
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
        assert_eq!(came, "true");
        assert!(started.elapsed() < READ_TIMEOUT / 2, "the callback took {callback_ms} ms");
        assert!(errors >= 1, "the child never ran out of descriptors: the test proves nothing");
        // Spinning on EMFILE goes round hundreds of thousands of times a second.
        assert!(iterations < 20 * SILENT as u64, "{iterations} rounds of the accept loop ({errors} failed accepts)");
        record_figures(
            "loopback_out_of_descriptors",
            serde_json::json!({ "silent_connections": SILENT, "seconds_starved": 1, "accept_loop_iterations": iterations,
                "accept_errors": errors, "callback_ms": callback_ms }),
        );
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
