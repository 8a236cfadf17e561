//! Opening the sign-in page: the command in `HUBLINK_BROWSER` (the URL appended as its last
//! argument; the variable is split on whitespace, without shell quoting), else the system
//! browser. Opening is best effort: when it fails the caller shows the URL instead.

use url::Url;

pub trait Browser: Send + Sync {
    /// Open `url`; on failure the user is shown the URL instead, with the reason.
    fn open(&self, url: &Url) -> Result<(), BrowserError>;
}

/// Why no browser opened, in words for the user.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct BrowserError(pub String);

/// The production browser.
pub struct SystemBrowser {
    command: Option<Vec<String>>,
}

impl SystemBrowser {
    /// A browser that runs `command` (split on white space, no shell; the URL appended).
    pub fn command(command: &str) -> SystemBrowser {
        let command = command.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        SystemBrowser { command: (!command.is_empty()).then_some(command) }
    }

    pub fn from_env() -> SystemBrowser {
        let command = std::env::var("HUBLINK_BROWSER")
            .ok()
            .map(|c| c.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
            .filter(|c| !c.is_empty());
        SystemBrowser { command }
    }
}

impl Browser for SystemBrowser {
    fn open(&self, url: &Url) -> Result<(), BrowserError> {
        match &self.command {
            Some(cmd) => {
                let mut child = std::process::Command::new(&cmd[0]);
                child
                    .args(&cmd[1..])
                    .arg(url.as_str())
                    .stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::null());
                let mut child = child
                    .spawn()
                    .map_err(|e| BrowserError(format!("HUBLINK_BROWSER ({}) could not start: {e}", cmd[0])))?;
                // Reap it whenever it ends; we never wait for the browser.
                std::thread::spawn(move || {
                    let _ = child.wait();
                });
                Ok(())
            }
            None => {
                open::that_detached(url.as_str()).map_err(|e| BrowserError(format!("no browser could be opened ({e})")))
            }
        }
    }
}
