//! `hublink login` for a cookie hub: the CLI has no window, so it asks the desktop app to run
//! the web sign-in and waits for the outcome.
//!
//! The CLI starts `hublink-desktop --sign-in <hub id> --request <id>` (a running app receives
//! these arguments through its single-instance hand-over); the app signs in and writes the
//! outcome to `<HUBLINK_HOME>/outcomes/<request>.json` (atomically, 0600); the CLI reads and
//! deletes it. Only the hub's identity and a random request id travel on the command line — a
//! `hublink://` link cannot carry these flags (it is always one argument starting with
//! `hublink:`), so a web page cannot start a sign-in window this way. Nothing secret is in the
//! outcome.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorReport, Result};
use crate::paths::Paths;
use crate::settings::HubId;

/// The desktop app's flag: sign in to this hub.
pub const SIGN_IN_FLAG: &str = "--sign-in";
/// The desktop app's flag: the request whose outcome to write.
pub const REQUEST_FLAG: &str = "--request";

/// A request id: 32 lowercase hex characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    pub fn new() -> RequestId {
        let mut bytes = [0u8; 16];
        // A failing system RNG leaves zeros; the id only has to be unique per user and moment.
        let _ = getrandom::fill(&mut bytes);
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        bytes[..8].iter_mut().zip(nanos.to_le_bytes()).for_each(|(b, n)| *b ^= n);
        RequestId(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn parse(s: &str) -> Option<RequestId> {
        (s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
            .then(|| RequestId(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for RequestId {
    fn default() -> Self {
        RequestId::new()
    }
}

/// A sign-in the desktop app was asked for on its command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInRequest {
    pub hub: HubId,
    pub request: Option<RequestId>,
}

impl SignInRequest {
    /// `--sign-in <hub id> [--request <id>]` among `args`; `None` when absent or malformed.
    pub fn from_args<S: AsRef<str>>(args: &[S]) -> Option<SignInRequest> {
        let value = |flag: &str| {
            args.iter().position(|a| a.as_ref() == flag).and_then(|i| args.get(i + 1)).map(|v| v.as_ref().to_owned())
        };
        let hub = HubId::parse(&value(SIGN_IN_FLAG)?).ok()?;
        let request = value(REQUEST_FLAG).and_then(|r| RequestId::parse(&r));
        Some(SignInRequest { hub, request })
    }

    /// The arguments for the desktop app.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = vec![SIGN_IN_FLAG.to_owned(), self.hub.to_string()];
        if let Some(r) = &self.request {
            args.extend([REQUEST_FLAG.to_owned(), r.as_str().to_owned()]);
        }
        args
    }
}

/// How the app's sign-in ended.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    SignedIn { user: String },
    Failed { code: String, message: String, cause: String, next_step: String, exit_code: u8 },
}

impl Outcome {
    pub fn failed(e: &Error) -> Outcome {
        let ErrorReport { code, message, cause, next_step } = ErrorReport::from(e);
        Outcome::Failed { code: code.to_owned(), message, cause, next_step, exit_code: e.exit_code() as u8 }
    }
}

fn outcome_path(paths: &Paths, request: &RequestId) -> PathBuf {
    paths.home.join("outcomes").join(format!("{}.json", request.as_str()))
}

/// The app's side: write the outcome for the waiting CLI.
pub fn write_outcome(paths: &Paths, request: &RequestId, outcome: &Outcome) -> Result<()> {
    let json = serde_json::to_vec(outcome).map_err(|e| Error::Internal(format!("the sign-in outcome: {e}")))?;
    crate::fsutil::write_atomic(&outcome_path(paths, request), &json)
}

/// The CLI's side: wait up to `timeout` for the outcome, then delete it.
pub async fn wait_outcome(paths: &Paths, request: &RequestId, timeout: Duration) -> Result<Outcome> {
    let path = outcome_path(paths, request);
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Ok(bytes) = crate::fsutil::read_regular_file(&path, 64 * 1024) {
            let _ = std::fs::remove_file(&path);
            return serde_json::from_slice(&bytes)
                .map_err(|e| Error::Internal(format!("the app's sign-in outcome cannot be read: {e}")));
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(Error::TimedOut {
                seconds: timeout.as_secs(),
                waiting_for: "the sign-in in the Hublink window".into(),
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_round_trips_through_arguments() {
        let hub = HubId::parse("0123456789abcdef").unwrap();
        let request = SignInRequest { hub, request: Some(RequestId::new()) };
        let mut args = vec!["hublink-desktop".to_owned()];
        args.extend(request.to_args());
        assert_eq!(SignInRequest::from_args(&args), Some(request));
        assert_eq!(SignInRequest::from_args(&["hublink://add?url=x&--sign-in=0123456789abcdef"]), None);
        assert_eq!(SignInRequest::from_args(&["--sign-in", "../../etc"]), None);
    }

    #[tokio::test]
    async fn the_outcome_reaches_the_waiting_side_once() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::at(dir.path());
        let request = RequestId::new();
        write_outcome(&paths, &request, &Outcome::SignedIn { user: "CORP\\alice".into() }).unwrap();
        let got = wait_outcome(&paths, &request, Duration::from_secs(1)).await.unwrap();
        assert_eq!(got, Outcome::SignedIn { user: "CORP\\alice".into() });
        assert!(matches!(
            wait_outcome(&paths, &request, Duration::from_millis(300)).await,
            Err(Error::TimedOut { .. })
        ));
    }
}
